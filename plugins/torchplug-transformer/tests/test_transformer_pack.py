"""The pack as metadata: its entry points load, its names are its own, its builders are typed."""

from __future__ import annotations

import inspect
import subprocess
import sys
import types
import typing
from pathlib import Path

import importlib_metadata
import pytest
import torchplug

PACK = "torchplug-transformer"
ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = ROOT / "pyproject.toml"
TORCH_PACK_PYPROJECT = ROOT.parent / "torchplug-torch" / "pyproject.toml"
SIMPLE_TYPES = (int, float, bool, str)


def load_toml(path: Path) -> dict[str, typing.Any]:
    try:
        import tomllib
    except ImportError:  # Python 3.10
        tomllib = pytest.importorskip("tomli")
    with path.open("rb") as f:
        return tomllib.load(f)


#: Groups of the namespace that declare something other than components.
NOT_COMPONENTS = {"torchplug.deprecated", "torchplug.contracts"}


def declared_names(path: Path) -> dict[str, dict[str, str]]:
    """``{category: {name: target}}`` of the components a pack's pyproject declares."""
    groups = load_toml(path)["project"]["entry-points"]
    return {
        group.removeprefix("torchplug."): dict(names)
        for group, names in groups.items()
        if group.startswith("torchplug.") and group not in NOT_COMPONENTS
    }


ENTRY_POINTS = [
    (category, name, target)
    for category, names in declared_names(PYPROJECT).items()
    for name, target in names.items()
]
IDS = [f"{category}:{name}" for category, name, _ in ENTRY_POINTS]


def test_the_kempnerforge_silu_spelling_is_a_deprecated_name_of_swiglu():
    registry = torchplug.Registry()
    assert "silu" not in registry.list("mlp")
    assert "silu" in registry.list("mlp", include_deprecated=True)
    with pytest.warns(DeprecationWarning, match="use 'swiglu' instead"):
        assert registry.get("mlp", "silu") is registry.get("mlp", "swiglu")


def test_declares_the_expected_names():
    assert {c: sorted(n) for c, n in declared_names(PYPROJECT).items()} == {
        "mlp": ["moe", "standard_gelu", "standard_relu", "swiglu"],
        "attention": ["causal"],
        "router": ["sigmoid_topk", "softmax_topk"],
        "model": ["gpt"],
        "scheduler": ["warmup_cosine", "wsd"],
        "loss": ["chunked_cross_entropy"],
    }


def test_installed_metadata_matches_pyproject():
    installed = {
        (ep.group.removeprefix("torchplug."), ep.name, ep.value)
        for ep in importlib_metadata.distribution(PACK).entry_points
        if ep.group.startswith("torchplug.") and ep.group not in NOT_COMPONENTS
    }
    assert installed == set(ENTRY_POINTS), f"reinstall: pip install --no-deps -e {ROOT}"


@pytest.mark.parametrize(("category", "name", "target"), ENTRY_POINTS, ids=IDS)
def test_entry_point_loads_through_the_registry(torchplug_registry, category, name, target):
    obj = torchplug_registry.get(category, name)
    assert f"{obj.__module__}:{obj.__qualname__}" == target
    assert torchplug_registry.info(category, name).distribution == PACK


def test_no_name_clashes_with_torchplug_torch():
    if not TORCH_PACK_PYPROJECT.exists():
        pytest.skip(f"{TORCH_PACK_PYPROJECT} does not exist yet")
    theirs = declared_names(TORCH_PACK_PYPROJECT)
    clashes = [
        f"{category}:{name}"
        for category, names in declared_names(PYPROJECT).items()
        for name in names
        if name in theirs.get(category, {})
    ]
    assert clashes == []


def test_importing_the_package_does_not_import_torch():
    code = "import sys, torchplug_transformer; print('torch' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def _is_simple(hint: object) -> bool:
    if hint in SIMPLE_TYPES:
        return True
    origin = typing.get_origin(hint)
    if origin is typing.Literal:
        return all(isinstance(value, SIMPLE_TYPES) for value in typing.get_args(hint))
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        return len(args) == 1 and _is_simple(args[0])
    return False


def _component(hint: object, default: object = None) -> torchplug.Component | None:
    if isinstance(default, torchplug.Component):
        return default
    if typing.get_origin(hint) is typing.Annotated:
        marks = [m for m in hint.__metadata__ if isinstance(m, torchplug.Component)]
        return marks[0] if marks else None
    return None


@pytest.mark.parametrize(("category", "name", "target"), ENTRY_POINTS, ids=IDS)
def test_builder_has_explicit_simply_typed_parameters(torchplug_registry, category, name, target):
    builder = torchplug_registry.get(category, name)
    assert builder.__doc__ and builder.__doc__.strip(), f"{target} has no docstring"
    hints = typing.get_type_hints(builder, include_extras=True)
    for parameter in inspect.signature(builder).parameters.values():
        assert parameter.kind not in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD), target
        hint = hints[parameter.name]
        if category == "scheduler" and parameter.name == "optimizer":
            continue
        if _component(hint, parameter.default) is None:
            assert _is_simple(hint), f"{target}: {parameter.name}: {hint} is not a simple type"


@pytest.mark.parametrize(("category", "name", "target"), ENTRY_POINTS, ids=IDS)
def test_nested_component_defaults_are_installed_names(torchplug_registry, category, name, target):
    builder = torchplug_registry.get(category, name)
    hints = typing.get_type_hints(builder, include_extras=True)
    for parameter in inspect.signature(builder).parameters.values():
        component = _component(hints[parameter.name], parameter.default)
        if component is not None:
            default = component.default if parameter.default is component else parameter.default
            assert default in torchplug_registry.list(component.category), (
                f"{target}: default {component.category} {default!r} is not installed"
            )


def _optimizer():
    import torch

    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)


# A minimal config of each name and the runtime inputs its category's call site passes.
BUILDS = {
    "mlp:swiglu": ("swiglu", lambda: (16, 32), {}),
    "mlp:standard_gelu": ({"type": "standard_gelu", "approximate": "tanh"}, lambda: (16, 32), {}),
    "mlp:standard_relu": ("standard_relu", lambda: (16, 32), {}),
    "mlp:moe": ({"type": "moe", "num_experts": 2, "top_k": 1}, lambda: (16, 32), {}),
    "attention:causal": ("causal", lambda: (16, 4), {"num_kv_heads": 2}),
    "router:softmax_topk": ("softmax_topk", lambda: (16, 4, 2), {}),
    "router:sigmoid_topk": ("sigmoid_topk", lambda: (16, 4, 2), {}),
    "model:gpt": (
        {"type": "gpt", "vocab_size": 64, "dim": 32, "num_layers": 1, "num_heads": 4},
        lambda: (),
        {},
    ),
    "scheduler:warmup_cosine": (
        {"type": "warmup_cosine", "total_steps": 10},
        lambda: (_optimizer(),),
        {},
    ),
    "scheduler:wsd": ({"type": "wsd", "total_steps": 10}, lambda: (_optimizer(),), {}),
    "loss:chunked_cross_entropy": (
        {"type": "chunked_cross_entropy", "chunk_size": 8},
        lambda: (),
        {},
    ),
}


def test_every_name_has_a_build_case():
    assert sorted(BUILDS) == sorted(IDS)


@pytest.mark.parametrize("key", sorted(BUILDS))
def test_builds_from_a_config_through_registry_build(torchplug_registry, key):
    pytest.importorskip("torchplug_torch")  # the default norm of gpt
    spec, inputs, keywords = BUILDS[key]
    obj = torchplug_registry.build(key.split(":")[0], spec, *inputs(), **keywords)
    found = torchplug.provenance(obj)
    assert (found.distribution, f"{found.category}:{found.name}") == (PACK, key)


def test_deep_check_reports_nothing_for_this_pack(torchplug_registry):
    report = torchplug_registry.check(deep=True)
    (ours,) = [d for d in torchplug_registry.distributions() if d.name == PACK]
    findings = [
        f.message
        for f in report.findings
        if any(p.distribution == PACK for p in f.providers) or f.location == ours.location
    ]
    assert findings == []


@pytest.mark.parametrize(
    ("category", "inputs", "keywords"),
    [
        ("norm", ("dim",), ("eps",)),
        ("mlp", ("dim", "hidden_dim"), ()),
        ("attention", ("dim", "num_heads"), ("num_kv_heads",)),
        ("router", ("dim", "num_experts", "top_k"), ()),
    ],
)
def test_the_pack_declares_the_contract_of_each_nested_category_it_calls(
    torchplug_registry, category, inputs, keywords
):
    contract = torchplug_registry.contract(category)
    assert contract is not None
    assert (contract.category, contract.inputs, contract.keywords) == (category, inputs, keywords)
