"""The pack as metadata: generated entry points that match the installed library, and no imports.

The first two tests are the ones that fail when pytorch-optimizer gains, loses or moves a
component: regenerate with ``torchplug entry-points`` in the pack's directory.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import importlib_metadata
import pytest
from torchplug_pytorch_optimizer import _builders, _enumerate

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

PACK = "torchplug-pytorch-optimizer"
ROOT = Path(__file__).resolve().parents[1]
CATEGORIES = {"optimizer", "scheduler", "loss"}


def written() -> dict[str, dict[str, str]]:
    """The component groups of pyproject.toml, by category."""
    with (ROOT / "pyproject.toml").open("rb") as f:
        groups = tomllib.load(f)["project"]["entry-points"]
    return {
        group.removeprefix("torchplug."): dict(entries)
        for group, entries in groups.items()
        if group.startswith("torchplug.")
    }


def installed() -> dict[str, dict[str, str]]:
    """The same, as the installed metadata lists them."""
    by_category: dict[str, dict[str, str]] = {}
    for ep in importlib_metadata.distribution(PACK).entry_points:
        if ep.group.startswith("torchplug."):
            by_category.setdefault(ep.group.removeprefix("torchplug."), {})[ep.name] = ep.value
    return by_category


def test_the_entry_points_are_what_the_installed_library_enumerates():
    version = importlib_metadata.version("pytorch-optimizer")
    assert written() == _enumerate.components(), (
        f"pyproject.toml is stale for pytorch-optimizer {version}: run `torchplug entry-points` "
        f"in {ROOT}, then reinstall the pack"
    )


def test_torchplug_entry_points_check_passes():
    """What the pack's CI runs; it needs tomlkit (``torchplug[author]``, in the test extra)."""
    command = [sys.executable, "-m", "torchplug", "entry-points", "--check", str(ROOT)]
    result = subprocess.run(command, capture_output=True, text=True)
    if "invalid choice: 'entry-points'" in result.stderr:
        pytest.skip("this torchplug's CLI does not offer `entry-points` yet")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "up to date" in result.stdout


def test_installed_metadata_matches_pyproject():
    assert installed() == written(), f"reinstall the pack: pip install --no-deps -e {ROOT}"


def test_declares_the_three_categories():
    assert set(written()) == CATEGORIES


def test_every_name_left_out_is_still_in_the_library_with_a_reason():
    supported = _builders.supported()
    for category, reasons in _enumerate.LEFT_OUT.items():
        assert set(reasons) <= set(supported[category]), "LEFT_OUT names what upstream dropped"
        assert all(reasons.values())


def test_a_kwargs_class_is_named_through_its_checked_builder_and_any_other_directly():
    for category, entries in written().items():
        for name, target in entries.items():
            takes_any = _builders.takes_any_keyword(_builders.upstream(category, name))
            through_builder = target.startswith("torchplug_pytorch_optimizer.")
            expected = takes_any and (category, name) not in _builders.KEEPS_KWARGS
            assert through_builder == expected, (category, name, target)


def test_torch_components_are_spelt_as_torch_exports_them():
    """``torch.optim:AdamW`` as torchplug-torch spells it, not ``torch.optim.adamw:AdamW``."""
    optimizers = written()["optimizer"]
    assert optimizers["adamw"] == "torch.optim:AdamW"
    assert written()["scheduler"]["step"] == "torch.optim.lr_scheduler:StepLR"


@pytest.mark.parametrize(
    "module",
    ["torchplug_pytorch_optimizer", "torchplug_pytorch_optimizer.optimizers"],
)
def test_importing_the_package_imports_neither_torch_nor_pytorch_optimizer(module):
    code = (
        f"import sys, {module}\n"
        "loaded = {'torch', 'pytorch_optimizer'} & set(sys.modules)\n"
        "assert not loaded, f'imported {loaded}'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_deep_check_reports_nothing_for_this_pack(torchplug_registry):
    report = torchplug_registry.check(deep=True)
    (ours,) = [d for d in torchplug_registry.distributions() if d.name == PACK]
    findings = [
        f.message
        for f in report.findings
        # Conflicts are between packs: several names are also torchplug-torch's (adamw, sgd, ...).
        if f.kind != "conflict"
        and (any(p.distribution == PACK for p in f.providers) or f.location == ours.location)
    ]
    assert findings == []
