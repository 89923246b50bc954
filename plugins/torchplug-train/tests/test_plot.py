"""`torchplug plot RUN_DIR`: a PNG of loss, eval loss and lr from a real run's metrics file."""

from __future__ import annotations

import os
import shutil
import struct
from pathlib import Path

import pytest

#: Set to a directory to keep the plot the test below draws, for a person to look at.
KEEP = os.environ.get("TORCHPLUG_TEST_ARTIFACTS")


def _png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", header[16:24])
    return width, height


def test_plot_writes_a_png_of_a_run(write_config, torchplug_cli, extras_site) -> None:
    pytest.importorskip("matplotlib")
    config = write_config(
        {
            "train": {"steps": 60, "eval_every": 10, "log_every": 20},
            "scheduler": {"type": "warmup_cosine", "total_steps": 60, "warmup_steps": 6},
        }
    )
    ran = torchplug_cli("run", config, site=extras_site)
    assert ran.returncode == 0, ran.stderr
    run_dir = config.parent / "runs" / "tiny"
    assert f"torchplug plot {run_dir}" in ran.stdout  # the finish line says how to look
    plotted = torchplug_cli("plot", run_dir)
    assert plotted.returncode == 0, plotted.stderr
    png = run_dir / "plot.png"
    assert plotted.stdout.strip() == f"Wrote {png}"
    assert _png_size(png) == (800, 600)
    if KEEP:
        Path(KEEP).mkdir(parents=True, exist_ok=True)
        shutil.copy(png, Path(KEEP) / "plot-example.png")
    elsewhere = torchplug_cli("plot", run_dir, "-o", config.parent / "curve.png")
    assert elsewhere.returncode == 0 and (config.parent / "curve.png").is_file()


def test_plot_reads_csv_metrics_too(write_config, torchplug_cli, extras_site) -> None:
    pytest.importorskip("matplotlib")
    config = write_config({"train": {"metrics_format": "csv"}})
    assert torchplug_cli("run", config, site=extras_site).returncode == 0
    plotted = torchplug_cli("plot", config.parent / "runs" / "tiny")
    assert plotted.returncode == 0, plotted.stderr


def test_plot_without_matplotlib_says_how_to_install_it(tmp_path: Path, torchplug_cli) -> None:
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "metrics.jsonl").write_text('{"kind": "train", "step": 1, "loss": 1.0, "lr": 0.1}\n')
    blocker = tmp_path / "no-matplotlib"
    (blocker / "matplotlib").mkdir(parents=True)
    (blocker / "matplotlib" / "__init__.py").write_text("raise ImportError('no matplotlib')\n")
    result = torchplug_cli("plot", run_dir, env={"PYTHONPATH": str(blocker)})
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "plotting needs matplotlib, which is not installed" in result.stderr
    assert "pip install 'torchplug-train[plot]'" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1  # one paragraph


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d, "has no metrics.jsonl or metrics.csv"),
        (lambda d: d / "missing", "is not a directory"),
        (lambda d: (d / "metrics.jsonl").write_text("") * 0 or d, "has no training steps yet"),
    ],
    ids=["empty-dir", "missing-dir", "empty-metrics"],
)
def test_plot_of_something_that_is_not_a_run(tmp_path: Path, torchplug_cli, make, message) -> None:
    target = make(tmp_path)
    result = torchplug_cli("plot", target)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def _metrics_by_hand(run_dir: Path, text: bytes) -> Path:
    run_dir.mkdir()
    (run_dir / "metrics.jsonl").write_bytes(text)
    return run_dir


GOOD_ROWS = b'{"kind": "train", "step": 1, "loss": 1.0, "lr": 0.1}\n'


def test_plot_writes_exactly_the_file_named_and_refuses_a_format_it_cannot_write(
    tmp_path: Path, torchplug_cli
) -> None:
    pytest.importorskip("matplotlib")
    run_dir = _metrics_by_hand(tmp_path / "run", GOOD_ROWS)
    plain = torchplug_cli("plot", run_dir, "-o", tmp_path / "curve")  # no suffix: a PNG
    assert plain.returncode == 0, plain.stderr
    assert _png_size(tmp_path / "curve") == (800, 600)
    assert not (tmp_path / "curve.png").exists()
    odd = torchplug_cli("plot", run_dir, "-o", tmp_path / "curve.xyz")
    assert odd.returncode == 2 and "Traceback" not in odd.stderr
    assert "matplotlib cannot write .xyz files" in odd.stderr and ".svg" in odd.stderr


def test_plot_skips_rows_that_are_not_records(tmp_path: Path, torchplug_cli) -> None:
    pytest.importorskip("matplotlib")
    garbled = b'5\n["a list"]\n{"kind": "train", "step": \xff}\n' + GOOD_ROWS
    result = torchplug_cli("plot", _metrics_by_hand(tmp_path / "run", garbled))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "run" / "plot.png").is_file()
