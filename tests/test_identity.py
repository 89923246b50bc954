"""Identity of built components (`torchplug._identity`): provenance records and fingerprints."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import types

import pytest
import torchplug
from torchplug import NoProvenanceError, Provenance, Registry, TorchplugError, provenance
from torchplug.testing import FakeSite

BUILDERS = """\
from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from torchplug import Component


class Net:
    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs


def net(
    width: int = 8,
    lr: float = 1e-3,
    act: str = "relu",
    bias: bool = True,
    layers: tuple[int, ...] = (1, 2),
) -> Net:
    return Net(width=width, lr=lr, act=act, bias=bias, layers=layers)


def rms(dim: int, eps: float = 1e-6, affine: bool = True) -> Net:
    return Net(dim=dim, eps=eps, affine=affine)


def tower(width: int = 4, norm: Annotated[Callable[..., Net], Component("norm")] = "rms") -> Net:
    return Net(width=width, norm=norm(width))


def tagged(tags: frozenset[str] = frozenset({"alpha", "beta", "gamma", "delta", "epsilon"})) -> Net:
    return Net(tags=tags)


def caller(fn: Any = None) -> Net:
    return Net(fn=fn)


class Slotted:
    # Refuses new attributes but can be weakly referenced.
    __slots__ = ("value", "__weakref__")

    def __init__(self, value: int) -> None:
        self.value = value


def slotted(value: int = 1) -> Slotted:
    return Slotted(value)


class Point(Slotted):
    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Point) and other.value == self.value

    def __hash__(self) -> int:
        return hash(self.value)


def point(value: int = 1) -> Point:
    return Point(value)


def number(value: int = 1) -> int:
    return value


def pair(value: int = 1) -> tuple[int, int]:
    return (value, value)


def text(value: int = 1) -> str:
    return str(value)
"""

PACK = "tp-id-pack"
MODELS = ("net", "tower", "tagged", "caller", "slotted", "point", "number", "pair", "text")


def add_pack(site: FakeSite, name: str = PACK, version: str = "3.1") -> None:
    models = {n: f"tp_id.builders:{n}" for n in MODELS}
    models["network"] = "tp_id.builders:net"  # an alias: same distribution, same target
    site.add(
        name,
        version,
        entry_points={"model": models, "norm": {"rms": "tp_id.builders:rms"}},
        modules={"tp_id.builders": BUILDERS},
    )


@pytest.fixture
def registry(loop_contracts: FakeSite) -> Registry:
    add_pack(loop_contracts)
    return loop_contracts.registry()


def local_builder(size: int = 2) -> types.SimpleNamespace:
    return types.SimpleNamespace(size=size)


# ----------------------------------------------------------------------------- provenance


def test_a_built_object_names_where_it_came_from(registry: Registry) -> None:
    record = provenance(registry.build("model", {"type": "net", "width": 16}))
    assert (record.category, record.name, record.path) == ("model", "net", "model")
    assert (record.distribution, record.version) == (PACK, "3.1")
    assert record.target == "tp_id.builders:net"


def test_provenance_records_the_hyperparameters_with_defaults_filled_in(
    registry: Registry,
) -> None:
    record = provenance(registry.build("model", {"type": "net", "width": 16}))
    assert dict(record.hyperparameters) == {
        "width": 16,
        "lr": 1e-3,
        "act": "relu",
        "bias": True,
        "layers": (1, 2),
    }


def test_provenance_leaves_out_runtime_inputs(registry: Registry) -> None:
    record = provenance(registry.build("norm", {"type": "rms", "eps": 1e-5}, 32))
    assert dict(record.hyperparameters) == {"eps": 1e-5, "affine": True}


def test_provenance_names_the_alias_that_was_asked_for(registry: Registry) -> None:
    assert provenance(registry.build("model", "network")).name == "network"


def test_a_nested_component_carries_its_own_provenance_and_path(registry: Registry) -> None:
    tower = registry.build("model", {"type": "tower", "norm": {"type": "rms", "eps": 0.5}})
    record = provenance(tower.kwargs["norm"])
    assert (record.category, record.name, record.path) == ("norm", "rms", "model.norm")
    assert dict(record.hyperparameters) == {"eps": 0.5, "affine": True}


def test_the_provenance_of_an_outer_object_records_its_nested_spec(registry: Registry) -> None:
    tower = registry.build("model", {"type": "tower", "norm": {"type": "rms", "eps": 0.5}})
    nested = provenance(tower).as_dict()["hyperparameters"]["norm"]
    assert nested["component"]["category"] == "norm"
    assert nested["component"]["hyperparameters"] == {"eps": 0.5, "affine": True}


def test_a_local_registration_has_no_distribution_in_its_provenance(registry: Registry) -> None:
    registry.register("model", "local", local_builder)
    record = provenance(registry.build("model", {"type": "local", "size": 3}))
    assert (record.distribution, record.version) == (None, None)
    assert record.target == f"{local_builder.__module__}:local_builder"
    assert dict(record.hyperparameters) == {"size": 3}


def test_an_object_that_refuses_attributes_but_is_weakly_referenceable_has_provenance(
    registry: Registry,
) -> None:
    built = registry.build("model", {"type": "slotted", "value": 5})
    assert not hasattr(built, "__dict__")
    assert provenance(built).hyperparameters == {"value": 5}


def test_each_built_object_keeps_its_own_provenance(registry: Registry) -> None:
    first = registry.build("model", {"type": "slotted", "value": 1})
    second = registry.build("model", {"type": "slotted", "value": 2})
    assert provenance(first).hyperparameters == {"value": 1}
    assert provenance(second).hyperparameters == {"value": 2}


def test_an_equal_object_not_built_by_the_registry_has_no_provenance(registry: Registry) -> None:
    built = registry.build("model", {"type": "point", "value": 7})
    lookalike = type(built)(7)
    assert lookalike == built
    with pytest.raises(NoProvenanceError):
        provenance(lookalike)


@pytest.mark.parametrize("name", ["number", "pair", "text"])
def test_a_built_object_that_cannot_carry_a_record_has_no_provenance(
    registry: Registry, name: str
) -> None:
    built = registry.build("model", name)
    with pytest.raises(NoProvenanceError):
        provenance(built)


@pytest.mark.parametrize("obj", [3, None, "text", (1, 2), object()], ids=repr)
def test_an_object_not_built_by_a_registry_has_no_provenance(obj: object) -> None:
    with pytest.raises(NoProvenanceError, match=r"Registry\.build"):
        provenance(obj)


def test_no_provenance_is_a_torchplug_error_and_a_lookup_error() -> None:
    assert issubclass(NoProvenanceError, TorchplugError)
    assert issubclass(NoProvenanceError, LookupError)


def test_as_dict_carries_the_fingerprint(registry: Registry) -> None:
    record = provenance(registry.build("model", "net"))
    assert record.as_dict()["fingerprint"] == record.fingerprint()


# ----------------------------------------------------------------------------- fingerprints


def test_a_fingerprint_is_a_sha256_hex_digest(registry: Registry) -> None:
    assert re.fullmatch("[0-9a-f]{64}", torchplug.fingerprint("net", "model", registry=registry))


def test_a_fingerprint_is_the_sha256_of_the_canonical_json_of_the_identity(
    registry: Registry,
) -> None:
    record = provenance(registry.build("model", {"type": "tower", "width": 3}))
    canonical = json.dumps(record.identity(), sort_keys=True, separators=(",", ":"))
    assert record.fingerprint() == hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def test_the_identity_covers_provider_and_hyperparameters_only(registry: Registry) -> None:
    identity = provenance(registry.build("model", "net")).identity()
    assert identity == {
        "category": "model",
        "distribution": PACK,
        "target": "tp_id.builders:net",
        "hyperparameters": {"width": 8, "lr": 1e-3, "act": "relu", "bias": True, "layers": [1, 2]},
    }


@pytest.mark.parametrize(
    ("category", "spec", "args"),
    [
        ("model", "net", ()),
        ("model", {"type": "net", "width": 3, "act": "gelu"}, ()),
        ("model", {"type": "tower", "norm": {"type": "rms", "eps": 0.5}}, ()),
        ("model", "tower", ()),
        ("norm", {"type": "rms", "eps": 1e-5}, (16,)),
        ("norm", "rms", (16,)),
    ],
    ids=str,
)
def test_the_fingerprint_of_a_spec_is_that_of_the_object_built_from_it(
    registry: Registry, category: str, spec: object, args: tuple[object, ...]
) -> None:
    expected = torchplug.fingerprint(spec, category, registry=registry)
    assert torchplug.fingerprint(registry.build(category, spec, *args)) == expected


def test_an_object_its_provenance_and_its_factory_share_one_fingerprint(
    registry: Registry,
) -> None:
    factory = registry.builder("model", {"type": "net", "width": 3})
    built = factory()
    assert torchplug.fingerprint(built) == torchplug.fingerprint(provenance(built))
    assert torchplug.fingerprint(built) == torchplug.fingerprint(factory)


def test_the_fingerprint_of_a_spec_needs_its_category(registry: Registry) -> None:
    with pytest.raises(TypeError, match="category"):
        torchplug.fingerprint("net", registry=registry)


def test_an_object_without_provenance_has_no_fingerprint() -> None:
    with pytest.raises(NoProvenanceError):
        torchplug.fingerprint(object())


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ({"type": "net", "width": 3, "lr": 0.5}, {"lr": 0.5, "width": 3, "type": "net"}),
        ("net", "network"),
        ({"type": "net", "width": 3}, {"type": "network", "width": 3}),
        ("net", f"{PACK}:net"),
        ("net", {"type": "net"}),
        ("net", {"type": "net", "lr": 1e-3}),
        ("net", {"type": "net", "width": 8, "act": "relu", "bias": True, "layers": [1, 2]}),
        ({"type": "net", "lr": 1}, {"type": "net", "lr": 1.0}),
        ({"type": "net", "layers": [3, 4]}, {"type": "net", "layers": (3, 4)}),
        ("tower", {"type": "tower", "norm": "rms"}),
        ({"type": "tower", "norm": {"affine": True, "type": "rms"}}, "tower"),
    ],
    ids=[
        "key-order",
        "alias",
        "alias-in-table",
        "qualified",
        "name-or-table",
        "default-written",
        "all-defaults-written",
        "int-for-float",
        "list-or-tuple",
        "nested-default-written",
        "nested-defaults-written",
    ],
)
def test_equal_configurations_have_equal_fingerprints(
    registry: Registry, first: object, second: object
) -> None:
    fingerprint = torchplug.fingerprint
    assert fingerprint(first, "model", registry=registry) == fingerprint(
        second, "model", registry=registry
    )


def test_a_deprecated_name_has_the_fingerprint_of_its_replacement(registry: Registry) -> None:
    registry.deprecate("model", "old_net", "net")
    with pytest.warns(DeprecationWarning):
        old = torchplug.fingerprint({"type": "old_net", "width": 2}, "model", registry=registry)
    assert old == torchplug.fingerprint({"type": "net", "width": 2}, "model", registry=registry)


@pytest.mark.parametrize(
    "change",
    [
        {"width": 9},
        {"lr": 1e-4},
        {"act": "gelu"},
        {"bias": False},
        {"layers": [2, 1]},
        {"layers": [1, 2, 3]},
        {"lr": 0.0011},
        {"act": "8"},
    ],
    ids=str,
)
def test_a_changed_hyperparameter_changes_the_fingerprint(
    registry: Registry, change: dict[str, object]
) -> None:
    base = torchplug.fingerprint("net", "model", registry=registry)
    changed = torchplug.fingerprint({"type": "net", **change}, "model", registry=registry)
    assert changed != base


def test_a_changed_nested_hyperparameter_changes_the_fingerprint(registry: Registry) -> None:
    def tower(eps: float) -> str:
        spec = {"type": "tower", "norm": {"type": "rms", "eps": eps}}
        return torchplug.fingerprint(spec, "model", registry=registry)

    assert tower(1e-6) != tower(1e-5)


def test_a_changed_callable_hyperparameter_changes_the_fingerprint(registry: Registry) -> None:
    def caller(fn: object) -> str:
        return torchplug.fingerprint({"type": "caller", "fn": fn}, "model", registry=registry)

    assert caller(json.dumps) != caller(json.loads)


def test_another_builder_has_another_fingerprint(registry: Registry) -> None:
    fingerprint = torchplug.fingerprint
    assert fingerprint("net", "model", registry=registry) != fingerprint(
        "slotted", "model", registry=registry
    )


def test_another_provider_of_the_same_target_has_another_fingerprint(
    torchplug_site: FakeSite,
) -> None:
    add_pack(torchplug_site, "tp-id-pack")
    add_pack(torchplug_site, "tp-id-fork")
    registry = torchplug_site.registry()
    original = torchplug.fingerprint(f"{PACK}:net", "model", registry=registry)
    fork = torchplug.fingerprint("tp-id-fork:net", "model", registry=registry)
    assert original != fork


FINGERPRINT_IN_A_PROCESS = """\
import json, sys, torchplug
registry = torchplug.Registry(sys.argv[1])
print(torchplug.fingerprint(json.loads(sys.argv[2]), "model", registry=registry))
"""


@pytest.mark.parametrize(
    "spec",
    [
        {"type": "net", "width": 3, "act": "gelu", "layers": [5, 6]},
        {"type": "tower", "norm": {"type": "rms", "eps": 0.25}},
        {"type": "tagged"},  # a frozenset default: its iteration order follows the hash seed
    ],
    ids=["flat", "nested", "frozenset-default"],
)
def test_a_fingerprint_is_the_same_in_every_process(
    registry: Registry, torchplug_site: FakeSite, spec: dict[str, object]
) -> None:
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                FINGERPRINT_IN_A_PROCESS,
                torchplug_site.namespace,
                json.dumps(spec),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={
                **os.environ,
                "PYTHONPATH": str(torchplug_site.root),
                "PYTHONHASHSEED": seed,
                "TORCHPLUG_CACHE": "0",
            },
        )
        for seed in ("1", "2", "3")
    ]
    printed = set()
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        printed.add(out.strip())
    assert printed == {torchplug.fingerprint(spec, "model", registry=registry)}


# ----------------------------------------------------------------------------- real torch components


@pytest.fixture
def torch_registry(monkeypatch: pytest.MonkeyPatch) -> Registry:
    monkeypatch.setenv("TORCHPLUG_CACHE", "0")
    return Registry()


def test_a_torch_optimizer_records_its_hyperparameters_but_not_its_parameters(
    torch_registry: Registry,
) -> None:
    import torch

    model = torch.nn.Linear(2, 2)
    optimizer = torch_registry.build("optimizer", {"type": "adamw", "lr": 0.01}, model.parameters())
    record = provenance(optimizer)
    assert (record.distribution, record.target) == ("torchplug-torch", "torch.optim:AdamW")
    assert record.hyperparameters["lr"] == 0.01
    assert "weight_decay" in record.hyperparameters  # a default, filled in
    assert "params" not in record.hyperparameters


def test_adamw_with_its_default_lr_written_out_has_the_fingerprint_of_plain_adamw(
    torch_registry: Registry,
) -> None:
    written = torchplug.fingerprint(
        {"type": "adamw", "lr": 1e-3}, "optimizer", registry=torch_registry
    )
    assert written == torchplug.fingerprint("adamw", "optimizer", registry=torch_registry)


def test_provenance_is_a_frozen_record() -> None:
    record = Provenance("model", "net", None, None, "m:net")
    with pytest.raises(AttributeError):
        record.name = "other"  # type: ignore[misc]
