"""The run directory and what a run shows: a new directory per run, everything needed to look at
it later, and a start that says where it trains, how big the model is and where output goes."""

from __future__ import annotations

import json
from pathlib import Path

import torch
from torchplug_train.config import load_config


def test_each_run_gets_a_new_directory_with_config_lock_metrics_checkpoint_and_summary(
    write_config, torchplug_cli, extras_site, jsonl
) -> None:
    config = write_config()
    first = torchplug_cli("run", config, "--set", "optimizer.lr=0.02", site=extras_site)
    second = torchplug_cli("run", config, site=extras_site)
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    runs = config.parent / "runs"
    assert sorted(p.name for p in runs.iterdir()) == ["tiny", "tiny-2"]
    assert f"Run directory: {runs / 'tiny-2'}" in second.stdout
    one = runs / "tiny"
    assert {p.name for p in one.iterdir()} == {
        "config.toml",
        "lock.json",
        "metrics.jsonl",
        "checkpoint.pt",
        "summary.json",
        "events.jsonl",  # the test pack's recorder
    }
    saved = load_config(one / "config.toml")
    assert saved["optimizer"]["lr"] == 0.02  # --set applied
    assert saved["train"]["seed"] == 0 and saved["train"]["metrics_format"] == "jsonl"  # defaults
    assert (
        "--set optimizer.lr=0.02" in (one / "config.toml").read_text()
    )  # the command, as a comment
    assert load_config(runs / "tiny-2" / "config.toml")["optimizer"]["lr"] == 0.01
    lock = json.loads((one / "lock.json").read_text())
    assert {c["path"] for c in lock["components"]} == {"dataset", "model", "optimizer", "loss"}
    summary = json.loads((one / "summary.json").read_text())
    assert summary["status"] == "finished" and summary["step"] == 12
    assert summary["parameters"] == 4 * 16 + 16 + 2 * 16 + 16 + 1
    assert summary["best_eval_loss"] <= summary["metrics"]["eval_loss"]
    assert summary["device"] == "cpu" and summary["world_size"] == 1
    kinds = [row["kind"] for row in jsonl(one / "metrics.jsonl")]
    assert kinds.count("train") == 12 and kinds.count("eval") == 3
    # The saved config runs again as it is, into a new directory of its own.
    again = torchplug_cli("run", one / "config.toml", site=extras_site)
    assert again.returncode == 0, again.stderr
    assert (runs / "tiny-3" / "summary.json").is_file()


def test_the_start_says_device_world_size_parameters_and_directory(
    write_config, torchplug_cli, extras_site
) -> None:
    result = torchplug_cli("run", write_config(), site=extras_site)
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith("Resolving the components of")  # before the slow imports
    assert "Training on cpu (world size 1): 129 parameters (129 trainable)" in result.stdout
    assert "Run directory: " in result.stdout
    evaluations = [line for line in result.stderr.splitlines() if line.startswith("eval ")]
    assert [line.split()[1] for line in evaluations] == ["4/12", "8/12", "12/12"]
    assert "eval_loss" in evaluations[0] and "(best " in evaluations[0]
    assert "Finished 12 steps" in result.stdout


def test_resume_continues_in_the_checkpoints_directory(
    write_config, torchplug_cli, extras_site, jsonl
) -> None:
    config = write_config({"train": {"checkpoint_every": 4}})
    first = torchplug_cli("run", config, site=extras_site)
    assert first.returncode == 0, first.stderr
    run_dir = config.parent / "runs" / "tiny"
    more = torchplug_cli(
        "run",
        run_dir / "config.toml",
        "--set",
        "train.steps=20",
        "--resume",
        run_dir,
        site=extras_site,
    )
    assert more.returncode == 0, more.stderr
    assert f"Run directory: {run_dir} (continuing in it)" in more.stdout
    assert "resuming after step 12" in more.stdout
    assert sorted(p.name for p in run_dir.parent.iterdir()) == ["tiny"]  # no new directory
    steps = [r["step"] for r in jsonl(run_dir / "metrics.jsonl") if r["kind"] == "train"]
    assert steps == list(range(1, 21))
    assert torch.load(run_dir / "checkpoint.pt", weights_only=True)["step"] == 20
    assert json.loads((run_dir / "summary.json").read_text())["step"] == 20


def test_a_resumed_run_trains_on_the_batches_of_a_run_never_stopped(
    write_config, torchplug_cli, extras_site, jsonl
) -> None:
    # 128 samples in batches of 16: 8 steps per epoch. Stopped mid-epoch and at an epoch's end,
    # then resumed, a run must see the same batches in the same order (the model has no
    # dropout, CPU arithmetic is deterministic: the losses are equal to the last bit).
    def losses(run_dir: Path) -> list[float]:
        return [r["loss"] for r in jsonl(run_dir / "metrics.jsonl") if r["kind"] == "train"]

    config = write_config({"train": {"steps": 20, "eval_every": 0}})
    unstopped = torchplug_cli("run", config, site=extras_site)
    assert unstopped.returncode == 0, unstopped.stderr
    expected = losses(config.parent / "runs" / "tiny")
    for stop in (5, 8):
        first = torchplug_cli("run", config, "--set", f"train.steps={stop}", site=extras_site)
        assert first.returncode == 0, first.stderr
        run_dir = Path(first.stdout.split("Run directory: ")[1].split(" (")[0])
        resumed = torchplug_cli("run", config, "--resume", run_dir, site=extras_site)
        assert resumed.returncode == 0, resumed.stderr
        assert losses(run_dir) == expected, f"stopped after step {stop}"


def test_tensorboard_logs_scalars_when_installed(write_config, torchplug_cli, extras_site) -> None:
    import pytest

    event_accumulator = pytest.importorskip(
        "tensorboard.backend.event_processing.event_accumulator"
    )
    config = write_config({"train": {"tensorboard": True}})
    result = torchplug_cli("run", config, site=extras_site)
    assert result.returncode == 0, result.stderr
    logs = config.parent / "runs" / "tiny" / "tensorboard"
    accumulator = event_accumulator.EventAccumulator(str(logs))
    accumulator.Reload()
    scalars = accumulator.Tags()["scalars"]
    assert {"train/loss", "train/lr", "eval/loss"} <= set(scalars)
    assert [e.step for e in accumulator.Scalars("eval/loss")] == [4, 8, 12]
    assert len(accumulator.Scalars("train/loss")) == 12


def test_tensorboard_missing_is_one_line_and_the_run_goes_on(
    write_config, torchplug_cli, extras_site, tmp_path: Path
) -> None:
    blocker = tmp_path / "no-tensorboard"
    (blocker / "tensorboard").mkdir(parents=True)
    (blocker / "tensorboard" / "__init__.py").write_text(
        "raise ImportError('No module named tensorboard')\n"
    )
    config = write_config({"train": {"tensorboard": True}})
    result = torchplug_cli("run", config, site=extras_site, env={"PYTHONPATH": str(blocker)})
    assert result.returncode == 0, result.stderr
    assert "TensorBoard logging is off: the tensorboard package is not installed" in result.stderr
    assert "pip install 'torchplug-train[tensorboard]'" in result.stderr
    assert not (config.parent / "runs" / "tiny" / "tensorboard").exists()


def test_a_run_that_fails_before_training_leaves_the_directory_as_it_found_it(
    write_config, torchplug_cli, extras_site, tmp_path: Path
) -> None:
    broken = {"model": {"hidden": -1}}  # torch.nn.Linear refuses it when the model is built
    new = write_config(broken, name="new")
    failed = torchplug_cli("run", new, site=extras_site)
    assert failed.returncode == 2 and "building the model raised" in failed.stderr
    assert not (tmp_path / "runs" / "new").exists()  # the directory it made is gone

    mine = tmp_path / "mine"  # made by the user (a mount point, or the current directory)
    mine.mkdir()
    config = write_config({**broken, "train": {"output_dir": "."}}, name="here")
    failed = torchplug_cli("run", config, site=extras_site, cwd=mine)
    assert failed.returncode == 2 and "building the model raised" in failed.stderr
    assert mine.is_dir() and list(mine.iterdir()) == []  # kept, and empty again
