"""Many packs in one environment: the pytorch-optimizer adapter beside torchplug-torch.

Run by ``tox -e many``, where both are installed (the adapter's names clash with 17 of
torchplug-torch's, 9 of them the very same object). Real packs, real processes, real training.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torchplug_pytorch_optimizer", reason="run by `tox -e many`")

ROOT = Path(__file__).resolve().parents[1]
FIRST_PARTY = '["torchplug-torch", "torchplug-transformer", "torchplug-data"]'
#: Names both packs provide with different code: a choice is needed.
REAL_CLASHES = {
    "optimizer": {"adadelta", "adafactor", "adamax", "asgd", "muon", "radam"},
    "scheduler": {"cosine", "linear"},
}
#: Names both provide as one and the same target: no choice is needed.
SAME_TARGET = {
    "optimizer": {"adam", "adamw", "lbfgs", "nadam", "rmsprop", "sgd"},
    "scheduler": {"constant", "cyclic", "step"},
}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project directory of a user's: the examples, no settings yet."""
    root = tmp_path / "project"
    shutil.copytree(ROOT / "examples", root / "examples", ignore=shutil.ignore_patterns("runs"))
    return root


def torchplug(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TORCHPLUG_")}
    env.update(TORCHPLUG_CACHE="0", XDG_CONFIG_HOME=str(project / "no-user-settings"))
    env.update(OMP_NUM_THREADS="1")
    return subprocess.run(
        [sys.executable, "-m", "torchplug", *args],
        capture_output=True,
        text=True,
        cwd=project,
        env=env,
        timeout=600,
    )


def findings(result: subprocess.CompletedProcess[str]) -> dict[tuple[str, str], str]:
    report = json.loads(result.stdout)
    return {
        (f["category"], f["name"]): f["severity"]
        for f in report["findings"]
        if f["kind"] == "conflict"
    }


def test_without_a_preference_only_the_real_clashes_are_errors(project: Path) -> None:
    checked = torchplug(project, "check", "--json")
    assert checked.returncode == 1
    found = findings(checked)
    errors = {key for key, severity in found.items() if severity == "error"}
    notes = {key for key, severity in found.items() if severity == "note"}
    assert errors == {(c, n) for c, names in REAL_CLASHES.items() for n in names}
    assert notes == {(c, n) for c, names in SAME_TARGET.items() for n in names}


def test_the_quickstart_still_resolves_without_any_preference(project: Path) -> None:
    ran = torchplug(project, "run", "examples/quickstart.toml", "--dry-run")
    assert ran.returncode == 0, ran.stderr
    (optimizer,) = [
        line.split() for line in ran.stdout.splitlines() if line.startswith("optimizer")
    ]
    assert optimizer[2] == "adamw"


def test_one_project_file_settles_every_clash_for_check_list_and_run(project: Path) -> None:
    (project / "torchplug.toml").write_text(f'[prefer]\n"*" = {FIRST_PARTY}\n', "utf-8")
    checked = torchplug(project, "check", "--json")
    assert checked.returncode == 0, checked.stdout
    assert set(findings(checked).values()) == {"note"}
    listed = json.loads(torchplug(project, "list", "scheduler", "--json").stdout)
    (cosine,) = [row for row in listed if row["name"] == "cosine"]
    assert (cosine["distribution"], cosine["status"]) == ("torchplug-torch", "ok")
    assert "torchplug.toml" in cosine["settled_by"]
    config = project / "examples" / "quickstart.toml"
    ran = torchplug(project, "run", str(config), "--set", 'optimizer.type="radam"')
    assert ran.returncode == 0, ran.stderr
    assert "Target eval loss 0.25: reached" in ran.stdout
    (optimizer,) = [
        line.split() for line in ran.stdout.splitlines() if line.startswith("optimizer")
    ]
    assert optimizer[2:4] == ["radam", "torchplug-torch"]


def test_the_adapters_radam_is_one_qualified_name_away(project: Path) -> None:
    (project / "torchplug.toml").write_text(f'[prefer]\n"*" = {FIRST_PARTY}\n', "utf-8")
    spec = 'optimizer.type="torchplug-pytorch-optimizer:radam"'
    ran = torchplug(project, "run", "examples/quickstart.toml", "--dry-run", "--set", spec)
    assert ran.returncode == 0, ran.stderr
    (optimizer,) = [
        line.split() for line in ran.stdout.splitlines() if line.startswith("optimizer")
    ]
    assert optimizer[3] == "torchplug-pytorch-optimizer"
