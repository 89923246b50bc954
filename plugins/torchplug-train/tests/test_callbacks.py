"""The metrics logger in-process: what a resumed run keeps of the file, in both formats."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from torchplug_train.callbacks import MetricsLogger


def _run(tmp_path: Path, metrics_format: str, step: int) -> Any:
    settings = SimpleNamespace(metrics_format=metrics_format)
    return SimpleNamespace(is_main=True, settings=settings, output_dir=tmp_path, step=step)


def _train(logger: MetricsLogger, run: Any, steps: range) -> None:
    for step in steps:
        metrics = {"loss": 1.0 / step, "lr": 0.1, "samples_per_s": 100.0}
        logger.torchplug_step_end(run, step, metrics)
        if step % 4 == 0:
            logger.torchplug_evaluate(run, step, {"eval_loss": 2.0 / step})


def _steps(path: Path, metrics_format: str) -> list[tuple[str, int]]:
    text = path.read_text(encoding="utf-8")
    if metrics_format == "csv":
        rows: list[dict[str, Any]] = list(csv.DictReader(text.splitlines()))
    else:
        rows = [json.loads(line) for line in text.splitlines()]
    return [(row["kind"], int(row["step"])) for row in rows]


@pytest.mark.parametrize("metrics_format", ["jsonl", "csv"])
def test_a_resumed_run_drops_the_rows_trained_after_its_checkpoint(
    tmp_path: Path, metrics_format: str
) -> None:
    logger = MetricsLogger()
    first = _run(tmp_path, metrics_format, step=0)
    logger.torchplug_train_start(first)
    _train(logger, first, range(1, 11))  # killed after step 10; its checkpoint was at step 6
    logger.torchplug_train_end()
    path = tmp_path / f"metrics.{metrics_format}"
    with path.open("a", encoding="utf-8") as handle:
        handle.write("train,1" if metrics_format == "csv" else '{"kind": "tr')  # torn by the kill

    resumed = _run(tmp_path, metrics_format, step=6)
    logger.torchplug_train_start(resumed)
    _train(logger, resumed, range(7, 9))
    logger.torchplug_train_end()
    expected = [("train", 1), ("train", 2), ("train", 3), ("train", 4), ("eval", 4)]
    expected += [("train", 5), ("train", 6), ("train", 7), ("train", 8), ("eval", 8)]
    assert _steps(path, metrics_format) == expected  # 7..10 and the torn line dropped, 7..8 anew
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left


def test_a_run_that_failed_in_this_process_does_not_keep_its_file_open(tmp_path: Path) -> None:
    logger = MetricsLogger()
    failed = _run(tmp_path / "one", "jsonl", step=0)
    failed.output_dir.mkdir()
    logger.torchplug_train_start(failed)  # ...and never reaches torchplug_train_end
    handle = logger._handle
    logger.torchplug_train_start(_run(tmp_path, "jsonl", step=0))
    assert handle is not None and handle.closed
    logger.torchplug_train_end()
