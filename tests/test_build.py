"""Building from config specs (`torchplug._build`): validated keys and values, nested components,
default types, aliases, deprecations, and no importing of anything a pack does not declare."""

from __future__ import annotations

import sys
import warnings

import pytest
import torchplug
from torchplug import (
    ComponentFactory,
    ConfigError,
    Contract,
    Registry,
    TorchplugError,
)
from torchplug.testing import FakeSite

# The builders of the pack the tests install: plain Python, no torch. Each returns a `Built`
# recording how it was called; `tower` and `stack` take nested components.
BUILDERS = """\
from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal, Optional

from torchplug import Component


class Built:
    def __init__(self, what: str, **kwargs: Any) -> None:
        self.what = what
        self.kwargs = kwargs
        vars(self).update(kwargs)


def net(
    width: int = 8,
    dropout: float = 0.1,
    act: Literal["relu", "gelu"] = "relu",
    bias: bool = True,
    label: str = "net",
    layers: list[int] | None = None,
    scale: Optional[float] = None,
) -> Built:
    return Built("net", width=width, dropout=dropout, act=act, bias=bias, label=label,
                 layers=layers, scale=scale)


def needs(width: int, depth: int = 2) -> Built:
    return Built("needs", width=width, depth=depth)


def loose(width: int = 1, **extra: Any) -> Built:
    return Built("loose", width=width, **extra)


def rms(dim: int, eps: float = 1e-6, affine: bool = True) -> Built:
    return Built("rms", dim=dim, eps=eps, affine=affine)


def ffn(dim: int, hidden_dim: int, act: Literal["relu", "gelu"] = "relu") -> Built:
    return Built("ffn", dim=dim, hidden_dim=hidden_dim, act=act)


def layer(
    dim: int = 4, norm: Annotated[Callable[..., Built], Component("norm")] = "rms"
) -> Built:
    return Built("layer", dim=dim, norm=norm(dim))


def tower(
    dim: int = 4,
    hidden: int = 16,
    mlp: Annotated[Callable[..., Built], Component("mlp")] = "ffn",
) -> Built:
    return Built("tower", mlp=mlp(dim, hidden), factory=mlp)


def stack(
    depth: int = 2, layer: Annotated[Callable[..., Built], Component("model")] = "layer"
) -> Built:
    return Built("stack", layers=[layer() for _ in range(depth)])
"""

PACK = "tp-build-pack"


@pytest.fixture
def registry(loop_contracts: FakeSite) -> Registry:
    """A registry over one installed pack (`tp-build-pack` 2.0) of the builders above."""
    target = "tp_build.builders:{}".format
    torchplug_site = loop_contracts
    torchplug_site.add(
        PACK,
        "2.0",
        entry_points={
            "model": {n: target(n) for n in ("net", "needs", "loose", "layer", "tower", "stack")},
            "norm": {"rms": target("rms")},
            "mlp": {"ffn": target("ffn")},
        },
        modules={"tp_build.builders": BUILDERS},
    )
    return torchplug_site.registry()


def config_error(registry: Registry, category: str, spec: object, *args: object) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        registry.build(category, spec, *args)
    return caught.value


# ----------------------------------------------------------------------------- specs


def test_a_name_builds_with_the_builders_defaults(registry: Registry) -> None:
    built = registry.build("model", "net")
    assert built.what == "net"
    assert built.kwargs["width"] == 8


def test_a_qualified_name_builds_from_that_distribution(registry: Registry) -> None:
    assert registry.build("model", f"{PACK}:net").what == "net"


def test_a_table_passes_its_keys_as_keyword_arguments(registry: Registry) -> None:
    built = registry.build("model", {"type": "net", "width": 32, "act": "gelu"})
    assert (built.kwargs["width"], built.kwargs["act"]) == (32, "gelu")


def test_a_table_may_name_a_qualified_type(registry: Registry) -> None:
    built = registry.build("model", {"type": f"{PACK}:net", "width": 3})
    assert built.kwargs["width"] == 3


def test_a_qualified_name_chooses_between_two_providers(
    registry: Registry, torchplug_site: FakeSite
) -> None:
    torchplug_site.add("tp-build-fork", entry_points={"model": {"net": "tp_build.builders:loose"}})
    registry.refresh()
    with pytest.raises(ConfigError, match="tp-build-fork"):
        registry.build("model", "net")
    assert registry.build("model", {"type": "tp-build-fork:net", "any": 1}).what == "loose"
    assert registry.build("model", {"type": f"{PACK}:net", "width": 1}).what == "net"


def test_positional_runtime_inputs_reach_the_builder(registry: Registry) -> None:
    built = registry.build("norm", {"type": "rms", "affine": False}, 16)
    assert built.kwargs == {"dim": 16, "eps": 1e-6, "affine": False}


def test_keyword_runtime_inputs_reach_the_builder(registry: Registry) -> None:
    assert registry.build("norm", "rms", 16, eps=1e-5).kwargs["eps"] == 1e-5


def test_builder_checks_a_spec_without_building_it(registry: Registry) -> None:
    factory = registry.builder("model", {"type": "net", "width": 2})
    assert isinstance(factory, ComponentFactory)
    assert factory().kwargs["width"] == 2


def test_a_local_registration_builds_like_an_installed_one(registry: Registry) -> None:
    def local(size: int = 1) -> dict[str, int]:
        return {"size": size}

    registry.register("model", "local", local)
    assert registry.build("model", {"type": "local", "size": 5}) == {"size": 5}


# ----------------------------------------------------------------------------- unknown and missing keys


def test_an_unknown_key_is_a_config_error_listing_the_accepted_keys(registry: Registry) -> None:
    error = config_error(registry, "model", {"type": "net", "widht": 4})
    for accepted in ("width", "dropout", "act", "bias", "label", "layers", "scale"):
        assert repr(accepted) in str(error)


def test_an_unknown_key_suggests_the_key_probably_meant(registry: Registry) -> None:
    error = config_error(registry, "model", {"type": "net", "widht": 4})
    assert "Did you mean 'width'?" in str(error)


def test_a_config_error_carries_path_component_and_distribution(registry: Registry) -> None:
    error = config_error(registry, "model", {"type": "net", "widht": 4})
    assert error.path == "model.widht"
    assert error.component == "model:net"
    assert error.distribution == PACK


def test_a_config_error_message_names_path_component_and_distribution(
    registry: Registry,
) -> None:
    message = str(config_error(registry, "model", {"type": "net", "widht": 4}))
    assert message.startswith("model.widht: ")
    assert "'net'" in message
    assert PACK in message


def test_a_config_error_is_a_torchplug_error_and_a_value_error(registry: Registry) -> None:
    error = config_error(registry, "model", {"type": "net", "widht": 4})
    assert isinstance(error, TorchplugError)
    assert isinstance(error, ValueError)


def test_a_missing_required_argument_is_a_config_error(registry: Registry) -> None:
    error = config_error(registry, "model", {"type": "needs", "depth": 3})
    assert error.path == "model.width"
    assert "missing required argument 'width'" in str(error)


def test_a_missing_argument_in_a_category_without_a_contract_is_a_config_error(
    registry: Registry,
) -> None:
    registry.register("widget", "sized", lambda size, colour="red": (size, colour))
    with pytest.raises(ConfigError, match="size") as caught:
        registry.build("widget", {"type": "sized", "colour": "blue"})
    assert caught.value.path.startswith("widget")
    assert registry.build("widget", {"type": "sized", "colour": "blue"}, 2) == (2, "blue")


def test_a_builder_taking_var_keyword_accepts_any_key(registry: Registry) -> None:
    built = registry.build("model", {"type": "loose", "anything": [1], "goes": "yes"})
    assert built.kwargs == {"width": 1, "anything": [1], "goes": "yes"}


def test_a_runtime_input_given_in_the_config_is_a_config_error(registry: Registry) -> None:
    error = config_error(registry, "norm", {"type": "rms", "dim": 8}, 8)
    assert error.path == "norm.dim"
    assert "runtime input" in str(error)


def test_a_key_given_both_in_the_config_and_by_the_caller_is_a_config_error(
    registry: Registry,
) -> None:
    with pytest.raises(ConfigError, match=r"norm\.eps: .*both in the config and by the caller"):
        registry.build("norm", {"type": "rms", "eps": 1e-3}, 8, eps=1e-4)


def test_the_builder_does_not_run_when_its_config_is_invalid(
    torchplug_site: FakeSite, journal
) -> None:
    body = "def build(width: int = 1):\n    " + journal.write("'built'")
    torchplug_site.add(
        "pack", entry_points={"model": {"m": "tp_once:build"}}, modules={"tp_once": body}
    )
    with pytest.raises(ConfigError):
        torchplug_site.registry().build("model", {"type": "m", "width": "wide"})
    assert journal.lines == []


# ----------------------------------------------------------------------------- value types


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("width", "8"),
        ("width", 8.0),
        ("width", True),
        ("width", None),
        ("dropout", "0.1"),
        ("dropout", False),
        ("act", "tanh"),
        ("act", "RELU"),
        ("bias", 1),
        ("bias", "true"),
        ("label", 3),
        ("layers", "1,2"),
        ("layers", [1, "2"]),
        ("layers", [1.5]),
        ("scale", "big"),
    ],
)
def test_a_value_of_the_wrong_type_is_a_config_error_at_its_key(
    registry: Registry, key: str, value: object
) -> None:
    error = config_error(registry, "model", {"type": "net", key: value})
    assert error.path == f"model.{key}"
    assert repr(value) in str(error) or "item" in str(error)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("width", 0),
        ("dropout", 1),  # an int where a float is wanted: TOML writes 1 for 1.0
        ("dropout", 0.5),
        ("act", "gelu"),
        ("bias", False),
        ("label", ""),
        ("layers", None),
        ("layers", []),
        ("layers", [1, 2]),
        ("scale", None),
        ("scale", 2.5),
    ],
)
def test_a_value_of_the_annotated_type_is_accepted(
    registry: Registry, key: str, value: object
) -> None:
    assert registry.build("model", {"type": "net", key: value}).kwargs[key] == value


@pytest.mark.parametrize("future", [True, False], ids=["string-annotations", "evaluated"])
def test_values_are_checked_whether_annotations_are_strings_or_not(
    torchplug_site: FakeSite, future: bool
) -> None:
    source = "def build(width: int = 1, act: 'str | None' = None):\n    return width\n"
    if future:
        source = "from __future__ import annotations\n" + source
    torchplug_site.add(
        "pack", entry_points={"model": {"m": "tp_ann:build"}}, modules={"tp_ann": source}
    )
    registry = torchplug_site.registry()
    with pytest.raises(ConfigError, match=r"model\.width: expected int"):
        registry.build("model", {"type": "m", "width": "1"})
    with pytest.raises(ConfigError, match=r"model\.act: "):
        registry.build("model", {"type": "m", "act": 3})


def test_an_unannotated_parameter_takes_any_value(torchplug_site: FakeSite) -> None:
    torchplug_site.add(
        "pack",
        entry_points={"model": {"m": "tp_plain:build"}},
        modules={"tp_plain": "def build(width=1):\n    return width\n"},
    )
    assert torchplug_site.registry().build("model", {"type": "m", "width": "any"}) == "any"


# ----------------------------------------------------------------------------- malformed specs


@pytest.mark.parametrize(
    ("spec", "path"),
    [("nett", "model"), ({"type": "nett"}, "model.type")],
    ids=["name", "table"],
)
def test_an_unknown_type_is_a_config_error_with_a_guess(
    registry: Registry, spec: object, path: str
) -> None:
    error = config_error(registry, "model", spec)
    assert error.path == path
    assert "Did you mean 'net'" in str(error)


@pytest.mark.parametrize("spec", [3, None, ["net"], ("net",)])
def test_a_spec_that_is_neither_a_name_nor_a_table_is_a_config_error(
    registry: Registry, spec: object
) -> None:
    assert config_error(registry, "model", spec).path == "model"


@pytest.mark.parametrize("kind", [3, ["net"], {"name": "net"}])
def test_a_type_that_is_not_a_string_is_a_config_error(registry: Registry, kind: object) -> None:
    assert config_error(registry, "model", {"type": kind}).path == "model.type"


def test_a_table_without_type_is_a_config_error_when_the_category_has_no_default(
    registry: Registry,
) -> None:
    error = config_error(registry, "model", {"width": 3})
    assert error.path == "model"
    assert "no 'type'" in str(error)


# ----------------------------------------------------------------------------- default types


def test_a_declared_default_type_is_used_when_a_table_omits_type(registry: Registry) -> None:
    registry.declare_contract(Contract("model", default_type="net"))
    assert registry.build("model", {"width": 5}).kwargs["width"] == 5


def test_an_explicit_type_wins_over_the_default_type(registry: Registry) -> None:
    registry.declare_contract(Contract("model", default_type="net"))
    assert registry.build("model", {"type": "loose", "x": 1}).what == "loose"


def test_an_empty_type_is_a_config_error_even_with_a_default_type(registry: Registry) -> None:
    registry.declare_contract(Contract("model", default_type="net"))
    assert config_error(registry, "model", {"type": ""}).path == "model.type"


def test_a_default_type_serves_an_empty_table(registry: Registry) -> None:
    registry.declare_contract(Contract("model", default_type="net"))
    assert registry.build("model", {}).what == "net"


# ----------------------------------------------------------------------------- nested components


def test_a_nested_table_is_built_through_the_registry(registry: Registry) -> None:
    built = registry.build("model", {"type": "tower", "mlp": {"type": "ffn", "act": "gelu"}})
    assert built.mlp.what == "ffn"
    assert built.mlp.kwargs == {"dim": 4, "hidden_dim": 16, "act": "gelu"}


def test_a_nested_name_is_built_through_the_registry(registry: Registry) -> None:
    assert registry.build("model", {"type": "tower", "mlp": "ffn"}).mlp.what == "ffn"


def test_a_nested_default_spec_string_is_honoured(registry: Registry) -> None:
    assert registry.build("model", "tower").mlp.kwargs["act"] == "relu"


def test_the_builder_receives_a_factory_to_call_with_runtime_inputs(registry: Registry) -> None:
    factory = registry.build("model", {"type": "tower", "mlp": {"type": "ffn"}}).factory
    assert isinstance(factory, ComponentFactory)
    assert factory(2, 3).kwargs == {"dim": 2, "hidden_dim": 3, "act": "relu"}


def test_a_callable_given_for_a_nested_component_is_passed_as_it_is(registry: Registry) -> None:
    def my_mlp(dim: int, hidden_dim: int) -> str:
        return f"mine {dim}x{hidden_dim}"

    built = registry.build("model", {"type": "tower", "mlp": my_mlp})
    assert built.factory is my_mlp
    assert built.mlp == "mine 4x16"


def test_nested_components_nest_to_any_depth(registry: Registry) -> None:
    spec = {"type": "stack", "layer": {"type": "layer", "norm": {"type": "rms", "eps": 0.5}}}
    built = registry.build("model", spec)
    assert [layer.norm.kwargs["eps"] for layer in built.kwargs["layers"]] == [0.5, 0.5]


@pytest.mark.parametrize(
    ("spec", "path"),
    [
        ({"type": "tower", "mlp": {"type": "ffn", "actt": "gelu"}}, "model.mlp.actt"),
        ({"type": "tower", "mlp": {"type": "ffn", "act": "tanh"}}, "model.mlp.act"),
        ({"type": "tower", "mlp": {"type": "ffn", "hidden_dim": 8}}, "model.mlp.hidden_dim"),
        ({"type": "tower", "mlp": {"type": "fnn"}}, "model.mlp.type"),
        ({"type": "tower", "mlp": "fnn"}, "model.mlp"),
        ({"type": "tower", "mlp": {"act": "gelu"}}, "model.mlp"),
        ({"type": "layer", "norm": {"type": "rms", "eps": "small"}}, "model.norm.eps"),
        ({"type": "stack", "layer": {"type": "layer", "norm": {"eps": 1}}}, "model.layer.norm"),
        (
            {"type": "stack", "layer": {"type": "layer", "norm": {"type": "rms", "epz": 1}}},
            "model.layer.norm.epz",
        ),
    ],
)
def test_an_error_in_a_nested_spec_carries_its_dotted_path(
    registry: Registry, spec: object, path: str
) -> None:
    assert config_error(registry, "model", spec).path == path


@pytest.mark.parametrize("value", [3, ["ffn"], True])
def test_a_nested_value_that_is_neither_a_spec_nor_a_callable_is_a_config_error(
    registry: Registry, value: object
) -> None:
    assert config_error(registry, "model", {"type": "tower", "mlp": value}).path == "model.mlp"


def test_an_error_in_a_nested_spec_names_the_nested_component(registry: Registry) -> None:
    error = config_error(registry, "model", {"type": "tower", "mlp": {"type": "ffn", "x": 1}})
    assert (error.component, error.distribution) == ("mlp:ffn", PACK)


def test_a_nested_spec_is_checked_before_any_builder_runs(
    torchplug_site: FakeSite, journal
) -> None:
    outer = (
        "from typing import Annotated\nfrom torchplug import Component\n"
        "def outer(inner: Annotated[object, Component('norm')] = 'inner'):\n"
        "    " + journal.write("'outer'") + "    return inner(1)\n"
        "def inner(dim, eps: float = 0.1):\n    " + journal.write("'inner'")
    )
    torchplug_site.add(
        "pack",
        entry_points={"model": {"outer": "tp_nest:outer"}, "norm": {"inner": "tp_nest:inner"}},
        modules={"tp_nest": outer},
    )
    with pytest.raises(ConfigError):
        torchplug_site.registry().build("model", {"type": "outer", "inner": {"eps": "x"}})
    assert journal.lines == []


def test_a_nested_component_is_recognised_when_another_annotation_cannot_be_resolved(
    torchplug_site: FakeSite,
) -> None:
    # Packs import heavy types under TYPE_CHECKING; one unresolvable annotation must not turn a
    # nested component's spec back into a plain string handed to the builder.
    source = (
        "from __future__ import annotations\n"
        "from typing import TYPE_CHECKING, Annotated\n"
        "from torchplug import Component\n"
        "if TYPE_CHECKING:\n    from torch import nn\n"
        "def outer(norm: Annotated[object, Component('norm')] = 'inner') -> nn.Module:\n"
        "    return norm(3)\n"
        "def inner(dim: int, eps: float = 0.1):\n    return ('inner', dim, eps)\n"
    )
    torchplug_site.add(
        "pack",
        entry_points={"model": {"outer": "tp_lazy:outer"}, "norm": {"inner": "tp_lazy:inner"}},
        modules={"tp_lazy": source},
    )
    assert torchplug_site.registry().build("model", "outer") == ("inner", 3, 0.1)


# ----------------------------------------------------------------------------- nothing undeclared is imported

UNDECLARED = {
    "qualified-name": lambda m: f"{m}:build",
    "dotted-name": lambda m: f"{m}.build",
    "module-name": lambda m: m,
    "qualified-type": lambda m: {"type": f"{m}:build"},
    "dotted-type": lambda m: {"type": f"{m}.build"},
    "module-type": lambda m: {"type": m},
    "nested-name": lambda m: {"type": "tower", "mlp": f"{m}:build"},
    "nested-type": lambda m: {"type": "tower", "mlp": {"type": f"{m}.build"}},
}


@pytest.mark.parametrize("spec", list(UNDECLARED), ids=str)
def test_a_spec_naming_an_undeclared_module_does_not_import_it(
    registry: Registry, torchplug_site: FakeSite, journal, spec: str
) -> None:
    marker = f"tp_marker_{spec.replace('-', '_')}"
    torchplug_site.write_module(marker, journal.plugin("build"))
    with pytest.raises(ConfigError):
        registry.build("model", UNDECLARED[spec](marker))
    assert journal.lines == []
    assert marker not in sys.modules


def test_a_default_type_naming_an_undeclared_module_does_not_import_it(
    registry: Registry, torchplug_site: FakeSite, journal
) -> None:
    torchplug_site.write_module("tp_marker_default", journal.plugin("build"))
    registry.declare_contract(Contract("model", default_type="tp_marker_default:build"))
    with pytest.raises(ConfigError):
        registry.build("model", {})
    assert journal.lines == []
    assert "tp_marker_default" not in sys.modules


@pytest.mark.parametrize("spec", ["os.path:join", "json:loads", {"type": "os.path:join"}])
def test_a_stdlib_dotted_path_is_not_resolved(registry: Registry, spec: object) -> None:
    with pytest.raises(ConfigError, match="No model named"):
        registry.build("model", spec)


# ----------------------------------------------------------------------------- aliases


def test_a_local_registration_builds_under_each_of_its_aliases(registry: Registry) -> None:
    def local(size: int = 1) -> list[int]:
        return [size]

    registry.register("model", "local", local, aliases=["also", "again"])
    built = [registry.build("model", {"type": n, "size": 2}) for n in ("local", "also", "again")]
    assert built == [[2], [2], [2]]


def test_the_aliases_of_a_local_registration_are_listed(registry: Registry) -> None:
    registry.register("model", "local", lambda: None, aliases=["also"])
    assert {"local", "also"} <= set(registry.list("model"))


def test_info_of_a_local_registration_names_its_aliases(registry: Registry) -> None:
    registry.register("model", "local", lambda: None, aliases=["also"])
    assert registry.info("model", "local").aliases == ("also",)
    assert registry.info("model", "also").aliases == ("local",)


def test_an_alias_clashing_with_an_installed_name_is_refused(registry: Registry) -> None:
    with pytest.raises(torchplug.DuplicateComponentError):
        registry.register("model", "local", lambda: None, aliases=["net"])


# ----------------------------------------------------------------------------- deprecations


@pytest.fixture(params=["api", "metadata"])
def deprecating(request, torchplug_site: FakeSite, registry: Registry) -> Registry:
    """`registry` in which model 'old_net' is deprecated for 'net', by the API or by a pack."""
    if request.param == "api":
        registry.deprecate("model", "old_net", "net")
        return registry
    torchplug_site.add(
        "renaming-pack",
        groups={f"{torchplug_site.namespace}.deprecated": {"model.old_net": "net"}},
    )
    return torchplug_site.registry()


def test_a_deprecated_name_resolves_to_its_replacement(deprecating: Registry) -> None:
    with pytest.warns(DeprecationWarning):
        assert deprecating.get("model", "old_net") is deprecating.get("model", "net")


def test_the_deprecation_warning_names_the_replacement(deprecating: Registry) -> None:
    with pytest.warns(DeprecationWarning, match="'old_net' is deprecated; use 'net'"):
        deprecating.get("model", "old_net")


def test_the_deprecation_warning_is_issued_on_every_get(deprecating: Registry) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(3):
            deprecating.get("model", "old_net")
    assert [w.category for w in caught] == [DeprecationWarning] * 3


def test_building_a_deprecated_name_builds_its_replacement(deprecating: Registry) -> None:
    with pytest.warns(DeprecationWarning, match="use 'net'"):
        built = deprecating.build("model", {"type": "old_net", "width": 2})
    assert (built.what, built.kwargs["width"]) == ("net", 2)


def test_a_deprecated_name_is_hidden_from_list(deprecating: Registry) -> None:
    assert "old_net" not in deprecating.list("model")


def test_a_deprecated_name_is_listed_on_request(deprecating: Registry) -> None:
    assert "old_net" in deprecating.list("model", include_deprecated=True)


# ----------------------------------------------------------------------------- real torch components


@pytest.fixture
def torch_registry(monkeypatch: pytest.MonkeyPatch) -> Registry:
    """The default namespace as a user sees it, with the installed torchplug-torch pack."""
    monkeypatch.setenv("TORCHPLUG_CACHE", "0")
    return Registry()


def test_a_misspelt_adamw_key_names_the_path_the_pack_and_the_key_meant(
    torch_registry: Registry,
) -> None:
    with pytest.raises(ConfigError) as caught:
        torch_registry.build("optimizer", {"type": "adamw", "weight_decy": 0.1}, [])
    error = caught.value
    assert (error.path, error.distribution) == ("optimizer.weight_decy", "torchplug-torch")
    assert "Did you mean 'weight_decay'?" in str(error)
    assert "'params'" not in str(error).split("accepted keys:")[1]  # a runtime input, not a key


def test_adamw_builds_from_a_table_with_the_model_parameters(torch_registry: Registry) -> None:
    import torch

    model = torch.nn.Linear(2, 2)
    optimizer = torch_registry.build(
        "optimizer", {"type": "adamw", "lr": 0.01, "betas": [0.8, 0.9]}, model.parameters()
    )
    assert isinstance(optimizer, torch.optim.AdamW)
    assert optimizer.defaults["lr"] == 0.01
