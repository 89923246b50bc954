"""The pack as metadata: its names, its groups, its import cost and `registry.check`."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import importlib_metadata
import pytest

PACK = "torchplug-torch"
CATEGORIES = {"optimizer", "scheduler", "loss", "norm", "activation"}
SNAKE_CASE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def declared() -> list[importlib_metadata.EntryPoint]:
    """The pack's entry points in the torchplug groups, as the installed metadata lists them."""
    entry_points = importlib_metadata.distribution(PACK).entry_points
    return [ep for ep in entry_points if ep.group.startswith("torchplug.")]


def test_declares_a_group_per_category_and_no_other():
    assert {ep.group.removeprefix("torchplug.") for ep in declared()} == CATEGORIES


@pytest.mark.parametrize("entry_point", declared(), ids=lambda ep: f"{ep.group}:{ep.name}")
def test_name_is_lowercase_snake_case(entry_point):
    assert SNAKE_CASE.match(entry_point.name), f"{entry_point.name!r} is not lowercase snake_case"


def test_names_are_unique_within_each_category():
    counts = Counter((ep.group, ep.name) for ep in declared())
    assert [key for key, n in counts.items() if n > 1] == []


def test_installed_metadata_matches_pyproject():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    with PYPROJECT.open("rb") as f:
        groups = tomllib.load(f)["project"]["entry-points"]
    written = {
        (group, name, value)
        for group, names in groups.items()
        if group.startswith("torchplug.")
        for name, value in names.items()
    }
    installed = {(ep.group, ep.name, ep.value) for ep in declared()}
    assert installed == written, f"reinstall the pack: pip install --no-deps -e {PYPROJECT.parent}"


def test_importing_the_package_does_not_import_torch():
    code = "import sys, torchplug_torch; assert 'torch' not in sys.modules, 'torch was imported'"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_deep_check_reports_nothing_for_this_pack(torchplug_registry):
    report = torchplug_registry.check(deep=True)
    (ours,) = [d for d in torchplug_registry.distributions() if d.name == PACK]
    findings = [
        f.message
        for f in report.findings
        # A conflict is between packs (another installed pack declaring one of these names): it
        # is reported to whoever installs both, not a fault of this pack.
        if f.kind != "conflict"
        and (any(p.distribution == PACK for p in f.providers) or f.location == ours.location)
    ]
    assert findings == []
