"""A run settles names several installed packs provide as its user said, and a lock stays a lock.

Two third-party loss packs (real dist-info folders on the path of real `torchplug` processes) both
provide `tp_ce`: a config's [torchplug.prefer] table, --prefer and a lock each settle it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from torchplug.testing import FakeSite

pytest.importorskip("torch")
pytest.importorskip("torchplug_data", reason="the torchplug-data pack is not installed")

LOSS = """
import torch

def build(ignore_index: int = -100):
    return torch.nn.CrossEntropyLoss(ignore_index=ignore_index)
"""

CONFIG = """
{prefer}
[train]
steps = 2
batch_size = 8
output_dir = "{output}"

[dataset]
type = "sequence_reverse"
num_samples = 16
seq_len = 4
vocab_size = 8

[model]
type = "gpt"
vocab_size = 8
dim = 8
num_layers = 1
num_heads = 2
max_seq_len = 4

[optimizer]
type = "adamw"

[loss]
type = "tp_ce"
"""


def add_loss_pack(site: Path, dist: str) -> None:
    module = dist.replace("-", "_")
    FakeSite(site, namespace="torchplug").add(
        dist, entry_points={"loss": {"tp_ce": f"{module}:build"}}, modules={module: LOSS}
    )


def write_config(tmp_path: Path, prefer: str = "") -> Path:
    file = tmp_path / "run.toml"
    output = (tmp_path / "runs").as_posix()
    file.write_text(CONFIG.format(prefer=prefer, output=output), encoding="utf-8")
    return file


def torchplug(tmp_path: Path, site: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {
        **{k: v for k, v in os.environ.items() if k != "TORCHPLUG_PREFER"},
        "PYTHONPATH": str(site),
        "TORCHPLUG_CACHE": "0",
        "XDG_CONFIG_HOME": str(tmp_path / "no-user-settings"),
        "OMP_NUM_THREADS": "1",
    }
    return subprocess.run(
        [sys.executable, "-m", "torchplug", *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,  # no project settings there: only what each test writes
        timeout=600,
    )


def loss_row(result: subprocess.CompletedProcess[str]) -> list[str]:
    (row,) = [line.split() for line in result.stdout.splitlines() if line.startswith("loss ")]
    return row


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    add_loss_pack(root, "tp-loss-a")
    add_loss_pack(root, "tp-loss-b")
    return root


def test_an_unsettled_name_is_refused_with_the_lines_to_paste(tmp_path: Path, site: Path) -> None:
    refused = torchplug(tmp_path, site, "run", write_config(tmp_path), "--dry-run")
    assert refused.returncode == 2
    assert '"loss.tp_ce" = "tp-loss-a"' in refused.stderr
    assert "--prefer loss.tp_ce=tp-loss-a" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_a_config_table_settles_it(tmp_path: Path, site: Path) -> None:
    config = write_config(tmp_path, '[torchplug.prefer]\n"loss.*" = "tp-loss-b"\n')
    ran = torchplug(tmp_path, site, "run", config, "--dry-run")
    assert ran.returncode == 0, ran.stderr
    assert loss_row(ran)[3] == "tp-loss-b"


def test_the_flag_outranks_the_config_table(tmp_path: Path, site: Path) -> None:
    config = write_config(tmp_path, '[torchplug.prefer]\n"loss.*" = "tp-loss-b"\n')
    ran = torchplug(tmp_path, site, "run", config, "--dry-run", "--prefer", "loss.tp_ce=tp-loss-a")
    assert ran.returncode == 0, ran.stderr
    assert loss_row(ran)[3] == "tp-loss-a"


def test_a_project_file_beside_the_config_settles_it(tmp_path: Path, site: Path) -> None:
    (tmp_path / "torchplug.toml").write_text('[prefer]\n"*" = "tp-loss-a"\n', "utf-8")
    ran = torchplug(tmp_path, site, "lock", write_config(tmp_path))
    assert ran.returncode == 0, ran.stderr
    assert loss_row(ran)[3] == "tp-loss-a"


def test_a_bad_prefer_table_names_the_config_file(tmp_path: Path, site: Path) -> None:
    config = write_config(tmp_path, '[torchplug.prefer]\n"tp_ce" = "tp-loss-b"\n')
    ran = torchplug(tmp_path, site, "run", config, "--dry-run")
    assert ran.returncode == 2
    assert f"{config} [torchplug.prefer]" in ran.stderr and "CATEGORY.NAME" in ran.stderr


def test_a_locked_run_resolves_as_its_lock_after_a_rival_pack_arrives(tmp_path: Path) -> None:
    site = tmp_path / "site"
    add_loss_pack(site, "tp-loss-a")
    config = write_config(tmp_path)
    assert torchplug(tmp_path, site, "lock", config).returncode == 0
    add_loss_pack(site, "tp-loss-b")  # installed after the lock was written
    assert torchplug(tmp_path, site, "run", config, "--dry-run").returncode == 2
    locked = torchplug(tmp_path, site, "run", config, "--locked", "--dry-run")
    assert locked.returncode == 0, locked.stderr
    assert loss_row(locked)[3] == "tp-loss-a"
    lock = json.loads((tmp_path / "run.lock.json").read_text("utf-8"))
    (recorded,) = [c for c in lock["components"] if c["path"] == "loss"]
    assert loss_row(locked)[5] == recorded["fingerprint"][:12]
