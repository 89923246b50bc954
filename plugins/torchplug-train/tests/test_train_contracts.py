"""The contracts torchplug-train declares for the categories its loop calls, as installed."""

from __future__ import annotations

import pytest
from torchplug import Registry
from torchplug_train import contracts

#: category -> (positional inputs, keywords) the loop passes to its builders.
CALLS = {
    "model": ((), ()),
    "optimizer": (("params",), ()),
    "scheduler": (("optimizer",), ()),
    "loss": ((), ()),
    "dataset": ((), ()),
}


@pytest.mark.parametrize("category", sorted(CALLS))
def test_the_installed_pack_declares_the_contract_of_each_category_it_calls(
    torchplug_registry: Registry, category: str
) -> None:
    contract = torchplug_registry.contract(category)
    assert contract is not None
    assert (contract.category, contract.inputs, contract.keywords) == (category, *CALLS[category])


def test_every_contract_of_the_module_is_declared_under_its_own_category(
    torchplug_registry: Registry,
) -> None:
    declared = [value for value in vars(contracts).values() if type(value).__name__ == "Contract"]
    assert {c.category for c in declared} == set(CALLS)
    assert all(torchplug_registry.contract(c.category) == c for c in declared)


def test_a_framework_namespace_does_not_get_the_loops_contracts() -> None:
    assert Registry("tptrainns").contract("optimizer") is None
