"""torchplug-newpack's own entry points: each resolves, loads and takes its category's call.

Only this pack's entries are tested, by their qualified names ("torchplug-newpack:<name>"): another
installed pack that shares a name, or is broken, is that environment's problem for
`torchplug check` to report, not a failure of this pack. Run against the installed pack:

    python -m pip install -e ".[test]" && python -m pytest
"""

from __future__ import annotations

from importlib.metadata import distribution

import pytest
from torchplug import Registry

PACK = "torchplug-newpack"
#: Groups of the torchplug namespace that hold something other than components.
NOT_CATEGORIES = ("hooks", "contracts", "deprecated", "commands")
#: (category, name) of every component the installed pack declares, read from its own metadata.
COMPONENTS = sorted(
    (ep.group.partition(".")[2], ep.name)
    for ep in distribution(PACK).entry_points
    if ep.group.startswith("torchplug.") and ep.group.partition(".")[2] not in NOT_CATEGORIES
)


def test_the_pack_declares_components() -> None:
    assert COMPONENTS, f"{PACK} declares no entry points: is it installed?"


@pytest.mark.parametrize(("category", "name"), COMPONENTS)
def test_entry_point_loads_and_takes_its_category_call(
    torchplug_registry: Registry, category: str, name: str
) -> None:
    qualified = f"{PACK}:{name}"
    info = torchplug_registry.info(category, qualified)
    assert info.status == "ok", info.problem
    builder = torchplug_registry.get(category, qualified)  # imports its module
    contract = torchplug_registry.contract(category)  # declared by the pack that calls it
    if contract is not None:
        assert not contract.violations(builder), f"called as {contract.describe()}"
