"""The pack as metadata: its names, its entry points, its typed builders and its import cost."""

from __future__ import annotations

import inspect
import subprocess
import sys
import typing
from pathlib import Path

import importlib_metadata
import pytest

PACK = "torchplug-data"
ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = ROOT / "pyproject.toml"
SIMPLE_TYPES = (int, float, bool, str)


def declared_names() -> dict[str, dict[str, str]]:
    """``{category: {name: target}}`` from this pack's pyproject."""
    try:
        import tomllib
    except ImportError:  # Python 3.10
        tomllib = pytest.importorskip("tomli")
    with PYPROJECT.open("rb") as f:
        groups = tomllib.load(f)["project"]["entry-points"]
    return {
        group.removeprefix("torchplug."): dict(names)
        for group, names in groups.items()
        if group.startswith("torchplug.")
    }


ENTRY_POINTS = [
    (category, name, target)
    for category, names in declared_names().items()
    for name, target in names.items()
]
IDS = [f"{category}:{name}" for category, name, _ in ENTRY_POINTS]


def test_declares_the_expected_names():
    assert {c: sorted(n) for c, n in declared_names().items()} == {
        "dataset": ["regression", "sequence_copy", "sequence_reverse"],
    }


def test_installed_metadata_matches_pyproject():
    installed = {
        (ep.group.removeprefix("torchplug."), ep.name, ep.value)
        for ep in importlib_metadata.distribution(PACK).entry_points
        if ep.group.startswith("torchplug.")
    }
    assert installed == set(ENTRY_POINTS), f"reinstall: pip install --no-deps -e {ROOT}"


@pytest.mark.parametrize(("category", "name", "target"), ENTRY_POINTS, ids=IDS)
def test_entry_point_loads_through_the_registry(torchplug_registry, category, name, target):
    obj = torchplug_registry.get(category, name)
    assert f"{obj.__module__}:{obj.__qualname__}" == target
    assert torchplug_registry.info(category, name).distribution == PACK


@pytest.mark.parametrize(("category", "name", "target"), ENTRY_POINTS, ids=IDS)
def test_builder_takes_simply_typed_hyperparameters_with_defaults(
    torchplug_registry, category, name, target
):
    builder = torchplug_registry.get(category, name)
    assert builder.__doc__ and builder.__doc__.strip(), f"{target} has no docstring"
    hints = typing.get_type_hints(builder)
    for parameter in inspect.signature(builder).parameters.values():
        assert parameter.kind is parameter.POSITIONAL_OR_KEYWORD, f"{target}: {parameter}"
        assert hints[parameter.name] in SIMPLE_TYPES, f"{target}: {parameter.name} is not simple"
        assert parameter.default is not parameter.empty, f"{target}: {parameter.name} is required"
    assert "seed" in inspect.signature(builder).parameters, f"{target} takes no seed"


@pytest.mark.parametrize(("category", "name", "target"), ENTRY_POINTS, ids=IDS)
def test_builds_from_its_name_alone_with_provenance(torchplug_registry, category, name, target):
    import torchplug
    from torch.utils.data import Dataset

    dataset = torchplug_registry.build(category, name)
    assert isinstance(dataset, Dataset)
    assert torchplug.provenance(dataset).distribution == PACK
    assert torchplug.provenance(dataset).hyperparameters["seed"] == 0


def test_importing_the_package_does_not_import_torch():
    code = "import sys, torchplug_data; print('torch' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def test_deep_check_reports_nothing_for_this_pack(torchplug_registry):
    report = torchplug_registry.check(deep=True)
    (ours,) = [d for d in torchplug_registry.distributions() if d.name == PACK]
    findings = [
        f.message
        for f in report.findings
        if any(p.distribution == PACK for p in f.providers) or f.location == ours.location
    ]
    assert findings == []
