"""Training is never lost: signals end a run with a checkpoint, failed saves leave nothing behind.

Real processes and real signals: SIGINT and SIGTERM sent to a training `torchplug run`; a save
killed part-way by the kernel (RLIMIT_FSIZE's SIGXFSZ, set with ``resource.setrlimit`` in the
child as ``ulimit -f`` would); a save refused with EFBIG; a full tmpfs (ENOSPC) where mounting one
is allowed. After each, the previous checkpoint must be whole and no partial file left.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import torch

#: A model big enough that its checkpoint dwarfs the metrics and config files.
WIDE = {"model": {"hidden": 1024}}


def _temporaries(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.startswith("."))


def _popen(args: list[str], site: Path, **kwargs: object) -> subprocess.Popen[str]:
    env = {**os.environ, "TORCHPLUG_CACHE": "0", "OMP_NUM_THREADS": "1", "PYTHONPATH": str(site)}
    env.pop("TORCHPLUG_TRACEBACK", None)
    return subprocess.Popen(
        [sys.executable, "-m", "torchplug", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        **kwargs,  # type: ignore[arg-type]
    )


def _wait_for_steps(metrics: Path, count: int, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 300  # a generous bound for a busy machine, not a measurement
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the run ended early: {process.communicate()[1][-2000:]}")
        if metrics.is_file() and metrics.read_text().count('"train"') >= count:
            return
        time.sleep(0.1)
    pytest.fail("the run did not reach its steps")


@pytest.mark.parametrize(("signum", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_finishes_the_step_saves_and_says_how_to_resume(
    write_config, torchplug_cli, extras_site, jsonl, signum: int, status: int
) -> None:
    config = write_config({"train": {"steps": 1_000_000, "eval_every": 0, "log_every": 1000}})
    run_dir = config.parent / "runs" / "tiny"
    process = _popen(["run", str(config)], extras_site)
    _wait_for_steps(run_dir / "metrics.jsonl", 5, process)
    process.send_signal(signum)
    _, err = process.communicate(timeout=300)
    assert process.returncode == status, err
    assert "Traceback" not in err
    saved = torch.load(run_dir / "checkpoint.pt", weights_only=True)
    steps = [r["step"] for r in jsonl(run_dir / "metrics.jsonl") if r["kind"] == "train"]
    assert saved["step"] == steps[-1] >= 5  # the step under way was finished, then saved
    name = signal.Signals(signum).name
    assert f"Stopped by {name} after step {steps[-1]}/1000000" in err
    assert f"--resume {run_dir}" in err and f"torchplug run {run_dir / 'config.toml'}" in err
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["status"] == "interrupted" and summary["step"] == steps[-1]
    assert _temporaries(run_dir) == []
    events = jsonl(run_dir / "events.jsonl")
    assert events[-1]["event"] == "train_end" and events[-1]["interrupted"] == 1.0

    # The line it printed resumes the run where it stopped.
    resumed = torchplug_cli(
        "run",
        run_dir / "config.toml",
        "--resume",
        run_dir,
        "--set",
        f"train.steps={steps[-1] + 3}",
        site=extras_site,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert f"Finished {steps[-1] + 3} steps" in resumed.stdout
    after = [r["step"] for r in jsonl(run_dir / "metrics.jsonl") if r["kind"] == "train"]
    assert after == list(range(1, steps[-1] + 4))


def _limit_file_size(limit: int) -> Callable[[], None]:
    def limit_in_child() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return limit_in_child


def _first_run(write_config, torchplug_cli, extras_site) -> tuple[Path, Path, bytes]:
    config = write_config(WIDE)
    first = torchplug_cli("run", config, site=extras_site)
    assert first.returncode == 0, first.stderr
    run_dir = config.parent / "runs" / "tiny"
    return config, run_dir, (run_dir / "checkpoint.pt").read_bytes()


@pytest.mark.parametrize("killed", [True, False], ids=["killed-mid-save", "efbig"])
def test_a_save_that_cannot_finish_keeps_the_previous_checkpoint(
    write_config, torchplug_cli, extras_site, killed: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # RLIMIT_FSIZE at half the checkpoint's size: the write of the next one fails half-way, with
    # EFBIG (Python ignores SIGXFSZ), or by the kernel's SIGXFSZ when a test hook restores it.
    if killed:
        monkeypatch.setenv("TPX_DIE_ON_SIGXFSZ", "1")
    _, run_dir, before = _first_run(write_config, torchplug_cli, extras_site)
    limit = len(before) // 2
    assert all(p.stat().st_size < limit for p in run_dir.iterdir() if p.name != "checkpoint.pt")
    process = _popen(
        ["run", str(run_dir / "config.toml"), "--resume", str(run_dir), "--set", "train.steps=16"],
        extras_site,
        preexec_fn=_limit_file_size(limit),
    )
    _, err = process.communicate(timeout=300)
    if not killed:
        assert process.returncode == 2, err
        assert "cannot write the checkpoint (File too large)" in err
        assert "the previous checkpoint is kept and no partial file is left" in err
        assert "Traceback" not in err
    else:
        assert process.returncode == -signal.SIGXFSZ, err  # killed by the kernel mid-write
    assert (run_dir / "checkpoint.pt").read_bytes() == before
    assert _temporaries(run_dir) == []


def test_a_full_disk_keeps_the_previous_checkpoint(
    write_config, torchplug_cli, extras_site, tmp_path: Path
) -> None:
    _, _, checkpoint = _first_run(write_config, torchplug_cli, extras_site)
    size = len(checkpoint)
    disk = tmp_path / "small-disk"
    disk.mkdir()
    capacity = (size * 3 // 2 // 4096 + 8) * 4096  # one checkpoint and the small files, not two
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={capacity}", "tmpfs", str(disk)],
        capture_output=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        config = write_config(
            {**WIDE, "train": {"checkpoint_every": 4, "output_dir": (disk / "run").as_posix()}},
            name="full",
        )
        result = torchplug_cli("run", config, site=extras_site)
        assert result.returncode == 2, result.stderr
        assert "cannot write the checkpoint (No space left on device)" in result.stderr
        assert "Traceback" not in result.stderr
        kept = torch.load(disk / "run" / "checkpoint.pt", weights_only=True)
        assert kept["step"] == 4
        assert _temporaries(disk / "run") == []
    finally:
        subprocess.run(["umount", str(disk)], check=False)


def test_sigterm_to_torchrun_stops_both_ranks_after_the_same_step(
    write_config, extras_site, jsonl
) -> None:
    import shutil
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    torchrun = shutil.which("torchrun") or str(Path(sys.executable).parent / "torchrun")
    config = write_config({"train": {"steps": 1_000_000, "eval_every": 0, "log_every": 1000}})
    run_dir = config.parent / "runs" / "tiny"
    env = {
        **os.environ,
        "TORCHPLUG_CACHE": "0",
        "OMP_NUM_THREADS": "1",
        "PYTHONPATH": str(extras_site),
    }
    process = subprocess.Popen(
        [
            torchrun,
            "--nproc-per-node",
            "2",
            "--master-port",
            str(port),
            "-m",
            "torchplug",
            "run",
            str(config),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    _wait_for_steps(run_dir / "metrics.jsonl", 5, process)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=300)
    steps = [r["step"] for r in jsonl(run_dir / "metrics.jsonl") if r["kind"] == "train"]
    assert torch.load(run_dir / "checkpoint.pt", weights_only=True)["step"] == steps[-1]
    assert f"Stopped by SIGTERM after step {steps[-1]}/1000000" in err
    assert json.loads((run_dir / "summary.json").read_text())["status"] == "interrupted"
