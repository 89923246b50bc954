"""torchplug-train is a consumer like any third-party training loop: public API only, cheap import."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "torchplug_train"
MODULES = sorted(PACKAGE.glob("*.py"))


def _torchplug_imports(file: Path) -> list[str]:
    """Every module of torchplug that `file` imports, at any depth of its code."""
    found = []
    for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] == "torchplug"]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.split(".")[0] == "torchplug":
                found += [node.module] + [f"{node.module}.{a.name}" for a in node.names]
    return found


@pytest.mark.parametrize("module", MODULES, ids=[m.name for m in MODULES])
def test_the_pack_imports_no_private_module_of_torchplug(module: Path) -> None:
    private = [name for name in _torchplug_imports(module) if "._" in name or name.startswith("_")]
    assert private == [], f"{module.name} imports private torchplug modules: {private}"


def test_every_module_of_the_pack_is_checked() -> None:
    assert {m.stem for m in MODULES} >= {"run", "config", "lock", "trainer", "commands"}


def test_importing_the_package_imports_nothing() -> None:
    code = (
        "import sys, torchplug_train; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'tqdm', 'numpy') "
        "or m.startswith('torchplug_train.')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_the_commands_and_contracts_import_no_torch() -> None:
    code = (
        "import sys, torchplug_train.commands, torchplug_train.contracts, torchplug_train.config, "
        "torchplug_train.lock; print('torch' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def _torchplug(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "torchplug", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "TORCHPLUG_CACHE": "0", **(env or {})},
        timeout=300,
    )


def test_the_help_lists_run_and_lock_from_this_pack() -> None:
    helped = _torchplug("--help")
    assert helped.returncode == 0, helped.stderr
    assert "\n  run " in helped.stdout and "\n  lock " in helped.stdout


def test_plugins_counts_the_commands_and_hooks_of_this_pack() -> None:
    import json

    listed = _torchplug("plugins", "--json")
    (mine,) = [d for d in json.loads(listed.stdout) if d["distribution"] == "torchplug-train"]
    assert (mine["commands"], mine["hooks"]) == (3, 2)


def test_run_of_a_disabled_training_pack_says_what_blocks_it() -> None:
    ran = _torchplug("run", "config.toml", env={"TORCHPLUG_DISABLE": "torchplug-train"})
    assert ran.returncode == 2
    assert "torchplug-train pack, which TORCHPLUG_DISABLE blocks" in ran.stderr
    assert "Traceback" not in ran.stderr
