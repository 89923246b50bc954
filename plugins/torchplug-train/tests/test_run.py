"""`torchplug run` and `torchplug lock` as a user runs them: real packs, real torch, real processes.

A small pack written as a real dist-info folder (``tp-loss``) stands for a third-party pack whose
version changes between runs, or differs between ranks.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from torchplug.testing import FakeSite

#: The torchplug checkout, where examples/ lives.
ROOT = Path(__file__).resolve().parents[3]
pytest.importorskip("torch")
pytest.importorskip("torchplug_data", reason="the torchplug-data pack is not installed")

LOSS_MODULE = """
import torch

def build(ignore_index: int = -100):
    return torch.nn.CrossEntropyLoss(ignore_index=ignore_index)
"""

TINY = """
[train]
steps = {steps}
batch_size = 16
seed = 0
log_every = 2
checkpoint_every = 4
output_dir = "{output}"

[dataset]
type = "sequence_reverse"
num_samples = 64
seq_len = 8
vocab_size = 8

[model]
type = "gpt"
vocab_size = 8
dim = 16
num_layers = 1
num_heads = 2
max_seq_len = 8

[optimizer]
type = "adamw"
lr = 0.003

[scheduler]
type = "warmup_cosine"
total_steps = 10
warmup_steps = 2

[loss]
type = "{loss}"
"""


def _loss_pack(root: Path, version: str) -> Path:
    """A third-party pack providing loss `tp_ce`, as pip would lay it out in a site directory."""
    site = FakeSite(root, namespace="torchplug")
    site.add(
        "tp-loss",
        version,
        entry_points={"loss": {"tp_ce": "tp_loss:build"}},
        modules={"tp_loss": LOSS_MODULE},
    )
    return root


def _config(tmp_path: Path, *, steps: int = 6, loss: str = "tp_ce", name: str = "tiny") -> Path:
    file = tmp_path / f"{name}.toml"
    output = (tmp_path / "runs" / name).as_posix()
    file.write_text(TINY.format(steps=steps, output=output, loss=loss), encoding="utf-8")
    return file


def _torchplug(
    *args: str | Path, pythonpath: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "TORCHPLUG_CACHE": "0", "OMP_NUM_THREADS": "1", **(env or {})}
    if pythonpath is not None:
        full_env["PYTHONPATH"] = str(pythonpath)
    return subprocess.run(
        [sys.executable, "-m", "torchplug", *map(str, args)],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=600,
    )


def _metrics(output: Path) -> list[dict[str, float]]:
    lines = (output / "metrics.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def test_the_quickstart_learns_to_its_target_loss(tmp_path: Path) -> None:
    config = tmp_path / "quickstart.toml"
    shutil.copy(ROOT / "examples" / "quickstart.toml", config)
    output = tmp_path / "runs" / "quickstart"
    result = _torchplug("run", config, "--set", f'train.output_dir="{output.as_posix()}"')
    assert result.returncode == 0, result.stderr
    assert "Target eval loss" in result.stdout and "reached" in result.stdout
    assert "NOT reached" not in result.stdout
    evals = [row for row in _metrics(output) if row["kind"] == "eval"]
    assert evals[-1]["eval_loss"] < evals[0]["eval_loss"] or len(evals) == 1
    train = [row for row in _metrics(output) if row["kind"] == "train"]
    assert train[-1]["loss"] < 0.5 * train[0]["loss"]
    assert (output / "checkpoint.pt").exists()


def test_dry_run_prints_every_component_and_trains_nothing(tmp_path: Path) -> None:
    site = _loss_pack(tmp_path / "site", "1.0")
    result = _torchplug("run", _config(tmp_path), "--dry-run", pythonpath=site)
    assert result.returncode == 0, result.stderr
    for row in ("dataset", "sequence_reverse", "model.attention", "causal", "tp_ce", "tp-loss"):
        assert row in result.stdout
    assert "nothing was trained" in result.stdout
    assert not (tmp_path / "runs").exists()


def test_a_misspelt_key_stops_the_run_with_its_config_path(tmp_path: Path) -> None:
    site = _loss_pack(tmp_path / "site", "1.0")
    result = _torchplug(
        "run", _config(tmp_path), "--set", "optimizer.weight_decy=0.1", pythonpath=site
    )
    assert result.returncode == 2
    assert "optimizer.weight_decy: unknown key 'weight_decy'" in result.stderr
    assert "Did you mean 'weight_decay'?" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_conflicted_component_is_refused_before_training(tmp_path: Path) -> None:
    site = _loss_pack(tmp_path / "site", "1.0")
    FakeSite(site, namespace="torchplug").add(
        "rival-loss", "3.0", entry_points={"loss": {"tp_ce": "rival_loss:build"}}
    )
    result = _torchplug("run", _config(tmp_path), pythonpath=site)
    assert result.returncode == 2
    assert "tp-loss 1.0" in result.stderr and "rival-loss 3.0" in result.stderr
    assert '"rival-loss:tp_ce"' in result.stderr  # how to settle it
    assert not (tmp_path / "runs").exists()
    qualified = _torchplug(
        "run", _config(tmp_path, loss="tp-loss:tp_ce"), "--dry-run", pythonpath=site
    )
    assert qualified.returncode == 0, qualified.stderr


def test_resume_continues_and_refuses_a_changed_pack_version(tmp_path: Path) -> None:
    site = _loss_pack(tmp_path / "site", "1.0")
    first = _torchplug("run", _config(tmp_path, steps=4), pythonpath=site)
    assert first.returncode == 0, first.stderr
    checkpoint = tmp_path / "runs" / "tiny" / "checkpoint.pt"

    resumed = _torchplug("run", _config(tmp_path, steps=8), "--resume", checkpoint, pythonpath=site)
    assert resumed.returncode == 0, resumed.stderr
    assert "Finished 8 steps" in resumed.stdout
    steps = [row["step"] for row in _metrics(tmp_path / "runs" / "tiny") if row["kind"] == "train"]
    assert steps == list(range(1, 9))  # the resumed run appended steps 5..8

    FakeSite(site, namespace="torchplug").remove("tp-loss", "1.0")
    _loss_pack(site, "2.0")  # an upgrade of the pack since the checkpoint was written
    refused = _torchplug(
        "run", _config(tmp_path, steps=10), "--resume", checkpoint, pythonpath=site
    )
    assert refused.returncode == 2
    assert "loss: version '1.0' -> '2.0'" in refused.stderr
    assert "--allow-mismatch" in refused.stderr
    allowed = _torchplug(
        "run",
        _config(tmp_path, steps=10),
        "--resume",
        checkpoint,
        "--allow-mismatch",
        pythonpath=site,
    )
    assert allowed.returncode == 0, allowed.stderr


def test_lock_then_locked_run_detects_an_upgrade(tmp_path: Path) -> None:
    site = _loss_pack(tmp_path / "site", "1.0")
    config = _config(tmp_path)
    locked = _torchplug("lock", config, pythonpath=site)
    assert locked.returncode == 0, locked.stderr
    lock = json.loads((tmp_path / "tiny.lock.json").read_text())
    by_path = {c["path"]: c for c in lock["components"]}
    assert by_path["loss"]["distribution"] == "tp-loss" and by_path["loss"]["version"] == "1.0"
    assert len(by_path["model"]["fingerprint"]) == 64
    assert _torchplug("run", config, "--locked", "--dry-run", pythonpath=site).returncode == 0

    FakeSite(site, namespace="torchplug").remove("tp-loss", "1.0")
    _loss_pack(site, "2.0")
    refused = _torchplug("run", config, "--locked", "--dry-run", pythonpath=site)
    assert refused.returncode == 2
    assert "differ from the lock file" in refused.stderr
    assert "loss: version '1.0' -> '2.0'" in refused.stderr


def test_csv_metrics_and_checkpoint_contents(tmp_path: Path) -> None:
    import torch

    site = _loss_pack(tmp_path / "site", "1.0")
    result = _torchplug(
        "run", _config(tmp_path), "--set", 'train.metrics_format="csv"', pythonpath=site
    )
    assert result.returncode == 0, result.stderr
    header, *rows = (tmp_path / "runs" / "tiny" / "metrics.csv").read_text().splitlines()
    assert header.startswith("kind,step,loss")
    assert sum(r.startswith("train,") for r in rows) == 6
    state = torch.load(tmp_path / "runs" / "tiny" / "checkpoint.pt", weights_only=True)
    assert state["step"] == 6
    assert state["config"]["model"]["type"] == "gpt"
    assert {c["path"] for c in state["lock"]} >= {"dataset", "model", "optimizer", "loss"}
    assert set(state) >= {"model", "optimizer", "scheduler"}


# ----------------------------------------------------------------------------- distributed


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_torchrun_trains_on_two_ranks_when_they_agree(tmp_path: Path) -> None:
    site = _loss_pack(tmp_path / "site", "1.0")
    torchrun = shutil.which("torchrun") or str(Path(sys.executable).parent / "torchrun")
    env = {**os.environ, "PYTHONPATH": str(site), "TORCHPLUG_CACHE": "0", "OMP_NUM_THREADS": "1"}
    result = subprocess.run(
        [
            torchrun,
            "--nproc-per-node",
            "2",
            "--master-port",
            str(_free_port()),
            "-m",
            "torchplug",
            "run",
            str(_config(tmp_path)),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.count("Finished 6 steps") == 1  # printed by rank 0 only
    assert len([r for r in _metrics(tmp_path / "runs" / "tiny") if r["kind"] == "train"]) == 6


def _run_ranks(config: Path, sites: list[Path], *args: str) -> list[tuple[int, str]]:
    """Start one `torchplug run` per site as the ranks of one job, each with its own path, the
    way torchrun would start them; returns each rank's exit status and stderr."""
    port = str(_free_port())
    ranks = []
    for rank, site in enumerate(sites):
        env = {
            **os.environ,
            "PYTHONPATH": str(site),
            "TORCHPLUG_CACHE": "0",
            "OMP_NUM_THREADS": "1",
            "RANK": str(rank),
            "LOCAL_RANK": str(rank),
            "WORLD_SIZE": str(len(sites)),
            "MASTER_ADDR": "127.0.0.1",
            "MASTER_PORT": port,
        }
        ranks.append(
            subprocess.Popen(
                [sys.executable, "-m", "torchplug", "run", str(config), *args],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
            )
        )
    stderrs = [p.communicate(timeout=300)[1] for p in ranks]  # reads pipes: no pipe stall
    return [(p.returncode, stderr) for p, stderr in zip(ranks, stderrs, strict=True)]


def test_ranks_with_different_pack_versions_all_stop_naming_the_difference(
    tmp_path: Path,
) -> None:
    sites = [_loss_pack(tmp_path / "site-a", "1.0"), _loss_pack(tmp_path / "site-b", "2.0")]
    for status, stderr in _run_ranks(_config(tmp_path), sites):
        assert status == 2, stderr
        assert "rank 1 differs from rank 0" in stderr
        assert "loss: version '1.0' -> '2.0'" in stderr
    assert not (tmp_path / "runs").exists()


def test_a_rank_that_cannot_resolve_stops_every_rank(tmp_path: Path) -> None:
    empty = tmp_path / "site-empty"
    empty.mkdir()
    sites = [_loss_pack(tmp_path / "site-a", "1.0"), empty]
    for status, stderr in _run_ranks(_config(tmp_path), sites):
        assert status == 2, stderr
        assert "rank(s) 1 could not resolve the config" in stderr
        assert "tp_ce" in stderr


def test_cuda_asked_for_on_ranks_without_a_gpu_is_one_paragraph(tmp_path: Path) -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    sites = [_loss_pack(tmp_path / "site-a", "1.0"), _loss_pack(tmp_path / "site-b", "1.0")]
    for status, stderr in _run_ranks(_config(tmp_path), sites, "--device", "cuda"):
        assert status == 2, stderr
        assert "--device: CUDA was requested but torch sees no GPU" in stderr
        assert "Traceback" not in stderr


def test_a_rank_variable_that_is_not_a_number_is_one_paragraph(tmp_path: Path) -> None:
    result = _torchplug("run", _config(tmp_path), "--dry-run", env={"RANK": "first"})
    assert result.returncode == 2
    assert "the environment variable RANK is 'first', not a number" in result.stderr
    assert "Traceback" not in result.stderr


def test_run_help_shows_an_example() -> None:
    result = _torchplug("run", "--help")
    assert result.returncode == 0
    assert "torchrun --nproc-per-node 2 -m torchplug run" in result.stdout
    assert "--dry-run" in result.stdout and "--resume" in result.stdout


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("train.stepz=3", "train.stepz: unknown key 'stepz'"),
        ('train.steps="many"', "train.steps: expected int, got str 'many'"),
        ("model=3", "model: expected a name or a table with a 'type' key for this model"),
    ],
)
def test_bad_train_settings_name_the_key(tmp_path: Path, override: str, message: str) -> None:
    site = _loss_pack(tmp_path / "site", "1.0")
    result = _torchplug("run", _config(tmp_path), "--dry-run", "--set", override, pythonpath=site)
    assert result.returncode == 2
    assert message in result.stderr, result.stderr


def test_a_missing_config_file_is_a_clear_error(tmp_path: Path) -> None:
    result = _torchplug("run", tmp_path / "nope.toml")
    assert result.returncode == 2
    assert "nope.toml: cannot read the config" in result.stderr


def test_check_deep_is_clean_with_the_first_party_packs_installed() -> None:
    result = _torchplug("check", "--deep", "--json")
    assert result.returncode == 0, result.stdout[-3000:]
    report = json.loads(result.stdout)
    assert report["ok"] and report["deep"]
    listed = json.loads(_torchplug("plugins", "--json").stdout)
    assert {"torchplug-torch", "torchplug-transformer", "torchplug-data"} <= {
        d["distribution"] for d in listed
    }
