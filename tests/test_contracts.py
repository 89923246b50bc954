"""Category contracts (`torchplug._contracts`): the call a category's builders must accept, checked
by ``check(deep=True)``; packs declare contracts (and default types) for their own categories."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import pytest
from torchplug import (
    ComponentNotFoundError,
    ConfigError,
    Contract,
    DuplicateComponentError,
    Registry,
    TorchplugError,
)
from torchplug.testing import FakeSite


@pytest.mark.parametrize(
    ("contract", "call"),
    [
        (Contract("optimizer", ("params",), returns="Optimizer"), "fn(params, **hp) -> Optimizer"),
        (Contract("norm", ("dim",), ("eps",)), "fn(dim, eps=..., **hp)"),
        (Contract("model"), "fn(**hp)"),
    ],
)
def test_describe_writes_the_call_as_the_docs_do(contract: Contract, call: str) -> None:
    assert contract.describe() == call


# ----------------------------------------------------------------------------- violations


def takes_params(params, lr=0.1): ...
def takes_nothing(lr=0.1): ...
def takes_keywords_only(*, lr=0.1): ...
def takes_varargs(*args, lr=0.1): ...
def takes_dim_and_eps(dim, eps=1e-6): ...
def takes_dim_and_kwargs(dim, **kwargs): ...
def takes_dim_only(dim, affine=True): ...
def takes_positional_only_extra(dim, width, /): ...
def takes_positional_only_eps(dim, eps, /): ...


class ClassBuilder:
    def __init__(self, params, lr=0.1) -> None: ...


NORM = Contract("norm", ("dim",), ("eps",))
OPTIMIZER = Contract("optimizer", ("params",))


@pytest.mark.parametrize(
    ("contract", "builder"),
    [
        (OPTIMIZER, takes_params),
        (OPTIMIZER, takes_varargs),
        (OPTIMIZER, ClassBuilder),
        (NORM, takes_dim_and_eps),
        (NORM, takes_dim_and_kwargs),
        (Contract("model"), takes_nothing),
    ],
    ids=lambda v: getattr(v, "__name__", None) or getattr(v, "category", None),
)
def test_a_builder_that_can_take_the_call_has_no_violations(
    contract: Contract, builder: Callable[..., Any]
) -> None:
    assert contract.violations(builder) == []


@pytest.mark.parametrize(
    ("contract", "builder", "says"),
    [
        (OPTIMIZER, takes_keywords_only, "takes 0 positional argument(s)"),
        (NORM, takes_dim_only, "does not accept the keyword 'eps'"),
        (NORM, takes_positional_only_extra, "positional-only argument(s) ['width']"),
        (NORM, takes_positional_only_eps, "does not accept the keyword 'eps'"),
    ],
    ids=lambda v: getattr(v, "__name__", None) or getattr(v, "category", None),
)
def test_a_builder_that_cannot_take_the_call_is_told_why(
    contract: Contract, builder: Callable[..., Any], says: str
) -> None:
    assert any(says in violation for violation in contract.violations(builder))


# ----------------------------------------------------------------------------- the contract of a category


def test_a_new_namespace_knows_no_contract_until_one_is_declared(torchplug_site: FakeSite) -> None:
    registry = torchplug_site.registry()
    assert registry.contract("optimizer") is None
    with pytest.raises(ComponentNotFoundError, match="Unknown category 'optimizer'"):
        registry.list("optimizer")


def test_a_category_without_a_contract_has_none(torchplug_site: FakeSite) -> None:
    assert torchplug_site.registry().contract("widget") is None


def test_a_declared_contract_is_the_contract_of_its_category(torchplug_site: FakeSite) -> None:
    registry = torchplug_site.registry()
    mine = Contract("norm", ("dim",), default_type="rms")
    registry.declare_contract(mine)
    assert registry.contract("norm") is mine


def test_a_declared_contract_stays_in_its_registry(torchplug_site: FakeSite) -> None:
    torchplug_site.registry().declare_contract(Contract("widget", ("size",)))
    assert torchplug_site.registry().contract("widget") is None


@pytest.mark.parametrize("category", ["Widget", "hooks", "contracts", "deprecated", ""])
def test_declaring_a_contract_for_an_invalid_category_is_refused(
    torchplug_site: FakeSite, category: str
) -> None:
    with pytest.raises(TorchplugError):
        torchplug_site.registry().declare_contract(Contract(category))


# ----------------------------------------------------------------------------- contracts declared by packs

WIDGETS = """\
from torchplug import Contract

WIDGET = Contract("widget", ("size",), returns="a widget", default_type="plain")
SAME_WIDGET = Contract("widget", ("size",), returns="a widget", default_type="plain")
OTHER_WIDGET = Contract("widget", ("size", "colour"))
NOT_A_CONTRACT = {"category": "widget"}


def plain(size, colour: str = "red"):
    return ("plain", size, colour)


def fancy(size, colour: str = "blue", shine: float = 1.0):
    return ("fancy", size, colour, shine)


def sizeless(*, colour: str = "red"):
    return ("sizeless", colour)
"""


def add_widget_pack(site: FakeSite, contract: str = "tp_widgets:WIDGET", **builders: str) -> None:
    site.add(
        "widget-pack",
        entry_points={"widget": builders or {"plain": "tp_widgets:plain"}},
        groups={f"{site.namespace}.contracts": {"widget": contract}},
        modules={"tp_widgets": WIDGETS},
    )


def test_a_pack_declares_the_contract_of_its_own_category(torchplug_site: FakeSite) -> None:
    add_widget_pack(torchplug_site)
    contract = torchplug_site.registry().contract("widget")
    assert contract is not None
    assert (contract.category, contract.inputs) == ("widget", ("size",))


def test_a_pack_contract_is_not_imported_until_needed(torchplug_site: FakeSite) -> None:
    add_widget_pack(torchplug_site)
    registry = torchplug_site.registry()
    registry.list("widget")
    registry.check()
    assert "tp_widgets" not in sys.modules


def test_a_pack_contract_gives_its_category_a_default_type(torchplug_site: FakeSite) -> None:
    add_widget_pack(torchplug_site)
    assert torchplug_site.registry().build("widget", {"colour": "green"}, 3) == (
        "plain",
        3,
        "green",
    )


def test_a_pack_contract_makes_its_inputs_runtime_inputs(torchplug_site: FakeSite) -> None:
    add_widget_pack(torchplug_site)
    with pytest.raises(ConfigError, match="runtime input") as caught:
        torchplug_site.registry().build("widget", {"type": "plain", "size": 3}, 3)
    assert caught.value.path == "widget.size"


def test_a_category_with_only_a_pack_contract_is_known(torchplug_site: FakeSite) -> None:
    torchplug_site.add(
        "contract-only",
        groups={f"{torchplug_site.namespace}.contracts": {"gadget": "tp_widgets:WIDGET"}},
        modules={"tp_widgets": WIDGETS},
    )
    assert torchplug_site.registry().list("gadget") == []


def test_two_packs_declaring_different_contracts_of_one_category_is_a_duplicate(
    torchplug_site: FakeSite,
) -> None:
    add_widget_pack(torchplug_site)
    torchplug_site.add(
        "rival-pack",
        groups={f"{torchplug_site.namespace}.contracts": {"widget": "tp_widgets:OTHER_WIDGET"}},
    )
    with pytest.raises(DuplicateComponentError, match="rival-pack"):
        torchplug_site.registry().contract("widget")


@pytest.mark.parametrize("target", ["tp_widgets:WIDGET", "tp_widgets:SAME_WIDGET"])
def test_two_packs_declaring_the_same_contract_agree(torchplug_site: FakeSite, target: str) -> None:
    add_widget_pack(torchplug_site)
    torchplug_site.add(
        "second-loop", groups={f"{torchplug_site.namespace}.contracts": {"widget": target}}
    )
    registry = torchplug_site.registry()
    assert registry.contract("widget") == Contract(
        "widget", ("size",), returns="a widget", default_type="plain"
    )
    assert not [f for f in registry.check(deep=True).findings if f.kind == "contract"]


def test_the_contract_of_a_disabled_pack_is_ignored(torchplug_site: FakeSite) -> None:
    add_widget_pack(torchplug_site)
    assert torchplug_site.registry(disabled=["widget-pack"]).contract("widget") is None


# ----------------------------------------------------------------------------- check(deep=True)


@pytest.fixture
def mismatched(loop_contracts: FakeSite, journal) -> Registry:
    """One pack with two optimizers and two norms, one of each unable to take its call."""
    source = journal.plugin() + (
        "def good_opt(params, lr=0.1): ...\n"
        "def bad_opt(*, lr=0.1): ...\n"
        "def good_norm(dim, eps=1e-6): ...\n"
        "def bad_norm(dim): ...\n"
    )
    torchplug_site = loop_contracts
    torchplug_site.add(
        "mixed-pack",
        entry_points={
            "optimizer": {"good_opt": "tp_mixed:good_opt", "bad_opt": "tp_mixed:bad_opt"},
            "norm": {"good_norm": "tp_mixed:good_norm", "bad_norm": "tp_mixed:bad_norm"},
        },
        modules={"tp_mixed": source},
    )
    return torchplug_site.registry()


def contract_findings(registry: Registry) -> list:
    return [f for f in registry.check(deep=True).findings if f.kind == "contract"]


def test_a_deep_check_reports_every_builder_that_cannot_take_its_call(
    mismatched: Registry,
) -> None:
    found = {(f.category, f.name) for f in contract_findings(mismatched)}
    assert found == {("optimizer", "bad_opt"), ("norm", "bad_norm")}


def test_a_contract_finding_is_an_error(mismatched: Registry) -> None:
    assert not mismatched.check(deep=True).ok
    assert {f.severity for f in contract_findings(mismatched)} == {"error"}


def test_a_contract_finding_names_the_provider_and_the_expected_call(
    mismatched: Registry,
) -> None:
    (finding,) = [f for f in contract_findings(mismatched) if f.name == "bad_norm"]
    assert "mixed-pack" in finding.message
    assert "fn(dim, eps=..., **hp)" in finding.message
    assert [p.distribution for p in finding.providers] == ["mixed-pack"]


def test_a_shallow_check_holds_no_contract_and_imports_nothing(
    mismatched: Registry, journal
) -> None:
    assert [f for f in mismatched.check().findings if f.kind == "contract"] == []
    assert journal.lines == []


def test_a_deep_check_reports_a_local_registration_that_cannot_take_its_call(
    loop_contracts: FakeSite,
) -> None:
    registry = loop_contracts.registry()
    registry.register("scheduler", "no_optimizer", lambda: None)
    found = contract_findings(registry)
    assert [(f.category, f.name) for f in found] == [("scheduler", "no_optimizer")]


def test_a_local_registration_with_aliases_is_reported_once(loop_contracts: FakeSite) -> None:
    registry = loop_contracts.registry()
    registry.register("scheduler", "no_optimizer", lambda: None, aliases=["alias"])
    assert len(contract_findings(registry)) == 1


def test_a_deep_check_holds_builders_to_a_pack_declared_contract(
    torchplug_site: FakeSite,
) -> None:
    add_widget_pack(
        torchplug_site,
        plain="tp_widgets:plain",
        fancy="tp_widgets:fancy",
        sizeless="tp_widgets:sizeless",
    )
    found = contract_findings(torchplug_site.registry())
    assert [(f.category, f.name) for f in found] == [("widget", "sizeless")]


def test_a_deep_check_holds_builders_to_a_declared_contract(torchplug_site: FakeSite) -> None:
    registry = torchplug_site.registry()
    registry.register("widget", "sizeless", lambda *, colour="red": colour)
    registry.declare_contract(Contract("widget", ("size",)))
    assert [f.name for f in contract_findings(registry)] == ["sizeless"]


def test_builders_of_a_category_without_a_contract_are_not_held_to_one(
    torchplug_site: FakeSite,
) -> None:
    registry = torchplug_site.registry()
    registry.register("widget", "anything", lambda a, b, /: None)
    assert contract_findings(registry) == []


# ----------------------------------------------------------------------------- broken contract entry points

BROKEN_CONTRACTS = {
    "wrong-type": "tp_widgets:NOT_A_CONTRACT",
    "missing-attribute": "tp_widgets:NO_SUCH_THING",
    "missing-module": "tp_no_such_module:WIDGET",
    "malformed": "tp_widgets:WIDGET:again",
}


@pytest.mark.parametrize("contract", list(BROKEN_CONTRACTS))
def test_a_broken_contract_entry_point_is_reported_by_a_deep_check(
    torchplug_site: FakeSite, contract: str
) -> None:
    add_widget_pack(torchplug_site, BROKEN_CONTRACTS[contract])
    report = torchplug_site.registry().check(deep=True)
    assert not report.ok
    assert any(f.category == "widget" and "contract" in f.message for f in report.findings)


def test_a_broken_contract_is_reported_once_however_many_builders_its_category_has(
    torchplug_site: FakeSite,
) -> None:
    add_widget_pack(
        torchplug_site,
        BROKEN_CONTRACTS["wrong-type"],
        plain="tp_widgets:plain",
        fancy="tp_widgets:fancy",
    )
    report = torchplug_site.registry().check(deep=True)
    assert len([f for f in report.findings if "contract" in f.message]) == 1


def test_two_packs_declaring_one_category_contract_are_reported_by_a_deep_check(
    torchplug_site: FakeSite,
) -> None:
    add_widget_pack(torchplug_site)
    torchplug_site.add(
        "rival-pack",
        groups={f"{torchplug_site.namespace}.contracts": {"widget": "tp_widgets:OTHER_WIDGET"}},
    )
    report = torchplug_site.registry().check(deep=True)
    assert any(f.category == "widget" and "rival-pack" in f.message for f in report.findings)


@pytest.mark.parametrize("contract", list(BROKEN_CONTRACTS))
def test_a_broken_contract_of_a_category_without_builders_is_reported(
    torchplug_site: FakeSite, contract: str
) -> None:
    torchplug_site.add(
        "contract-only",
        groups={f"{torchplug_site.namespace}.contracts": {"gadget": BROKEN_CONTRACTS[contract]}},
        modules={"tp_widgets": WIDGETS},
    )
    report = torchplug_site.registry().check(deep=True)
    assert any(f.category == "gadget" for f in report.findings)


def test_building_in_a_category_whose_contract_has_the_wrong_type_is_a_config_error(
    torchplug_site: FakeSite,
) -> None:
    add_widget_pack(torchplug_site, BROKEN_CONTRACTS["wrong-type"])
    with pytest.raises(ConfigError, match=r"not a torchplug\.Contract"):
        torchplug_site.registry().build("widget", "plain", 1)


@pytest.mark.parametrize("contract", list(BROKEN_CONTRACTS))
def test_building_in_a_category_whose_contract_is_broken_is_a_torchplug_error(
    torchplug_site: FakeSite, contract: str
) -> None:
    add_widget_pack(torchplug_site, BROKEN_CONTRACTS[contract])
    with pytest.raises(TorchplugError):
        torchplug_site.registry().build("widget", "plain", 1)
