"""Every optimizer the pack declares builds from its name with default hyperparameters and steps.

Some need more than ``fn(model.parameters())`` and ``loss.backward(); step()``; the tables below
say what, and the test gives it: a closure, a graph for Hessian products, flagged param groups, a
process group. The one skipped when its optional dependency is missing is ``demo`` (einops).
"""

from __future__ import annotations

import importlib.util
import inspect
import warnings
from collections.abc import Iterator

import importlib_metadata
import pytest
import torch
import torch.distributed as dist
from torch import nn

PACK = "torchplug-pytorch-optimizer"
OPTIMIZERS = sorted(
    importlib_metadata.distribution(PACK).entry_points.select(group="torchplug.optimizer").names
)

#: Hyperparameters that have no default.
REQUIRED = {"bsam": {"num_data": 8}, "ranger21": {"num_iterations": 10}}
#: ``step(closure)``: the optimizer evaluates the loss itself (SAM-like ones twice).
NEEDS_CLOSURE = {"alig", "bsam", "lbfgs"}
#: ``loss.backward(create_graph=True)``: they take Hessian-vector products.
NEEDS_GRAPH = {"adahessian", "sophiah"}
#: Param groups flagged ``use_muon`` (``pytorch_optimizer.prepare_muon_parameters`` makes them).
NEEDS_MUON_GROUPS = {"adago", "adamuon", "distributedmuon", "muon", "muonclip", "normuon"}
#: Matrices only.
NEEDS_2D = {"spectralsphere"}
#: An initialised torch.distributed process group (one process with gloo is enough).
NEEDS_PROCESS_GROUP = {"distributedmuon"}
#: Updates only weights whose initial magnitude is below ``threshold`` (1e-3).
NEEDS_SMALL_WEIGHTS = {"sara"}
#: Optional dependencies pytorch-optimizer does not install.
NEEDS_MODULE = {"demo": "einops"}
#: Steps before the weights move: some spend the first ones collecting statistics.
MAX_STEPS = 12


@pytest.fixture
def process_group(request: pytest.FixtureRequest) -> Iterator[None]:
    if request.node.callspec.params["name"] not in NEEDS_PROCESS_GROUP:
        yield
        return
    dist.init_process_group("gloo", store=dist.HashStore(), rank=0, world_size=1)
    try:
        yield
    finally:
        dist.destroy_process_group()


def model_and_params(name: str) -> tuple[nn.Linear, list[nn.Parameter], object]:
    """A tiny model, the parameters that must move, and what the optimizer is given."""
    model = nn.Linear(4, 2)
    if name in NEEDS_SMALL_WEIGHTS:
        with torch.no_grad():
            for p in model.parameters():
                p.mul_(1e-4)
    if name in NEEDS_2D:
        return model, [model.weight], [model.weight]
    if name in NEEDS_MUON_GROUPS:
        groups = [
            {"params": [model.weight], "use_muon": True},
            {"params": [model.bias], "use_muon": False},
        ]
        return model, list(model.parameters()), groups
    return model, list(model.parameters()), model.parameters()


def test_every_optimizer_has_its_needs_listed_or_none():
    listed = {*REQUIRED, *NEEDS_CLOSURE, *NEEDS_GRAPH, *NEEDS_MUON_GROUPS, *NEEDS_2D, *NEEDS_MODULE}
    assert listed <= set(OPTIMIZERS), "a table names an optimizer the pack no longer declares"


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_optimizer_builds_from_its_name_and_steps(torchplug_registry, process_group, name):
    if name in NEEDS_MODULE and importlib.util.find_spec(NEEDS_MODULE[name]) is None:
        pytest.skip(f"{name} needs {NEEDS_MODULE[name]}, which pytorch-optimizer does not install")
    torch.manual_seed(0)
    model, params, given = model_and_params(name)
    inputs = torch.randn(8, 4)
    before = [p.detach().clone() for p in params]
    optimizer = torchplug_registry.build(
        "optimizer", {"type": f"{PACK}:{name}", **REQUIRED.get(name, {})}, given
    )

    def closure() -> torch.Tensor:
        with torch.enable_grad():  # some call it from inside their no_grad step
            optimizer.zero_grad()
            loss = model(inputs).pow(2).mean()
            loss.backward(create_graph=name in NEEDS_GRAPH)
        return loss

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # upstream's advice, e.g. "prefer prepare_muon_parameters"
        for _ in range(MAX_STEPS):
            closure()  # SAM-like optimizers read the gradients before they call the closure
            if name in NEEDS_CLOSURE:
                optimizer.step(closure)
            else:
                optimizer.step()
            if any(not torch.equal(old, p.detach()) for old, p in zip(before, params, strict=True)):
                break

    assert isinstance(optimizer, torch.optim.Optimizer)
    assert any(not torch.equal(old, p.detach()) for old, p in zip(before, params, strict=True))
    assert all(torch.isfinite(p).all() for p in params)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_a_misspelt_hyperparameter_is_refused_with_a_guess(torchplug_registry, name):
    import torchplug

    builder = torchplug_registry.get("optimizer", f"{PACK}:{name}")
    parameters = list(inspect.signature(builder).parameters.values())
    if any(p.kind is p.VAR_KEYWORD for p in parameters):
        pytest.skip(f"{name} takes **kwargs on purpose (see _builders.KEEPS_KWARGS)")
    first = parameters[1].name  # after params
    spec = {"type": f"{PACK}:{name}", **REQUIRED.get(name, {}), f"{first}x": 1}
    with pytest.raises(torchplug.ConfigError) as caught:
        torchplug_registry.builder("optimizer", spec)
    assert f"unknown key '{first}x'" in str(caught.value)
    assert f"Did you mean '{first}'" in str(caught.value)


def test_the_builder_refuses_a_misspelt_keyword_when_called_directly(torchplug_registry):
    import pytorch_optimizer

    adamp = torchplug_registry.get("optimizer", f"{PACK}:adamp")
    weight = nn.Parameter(torch.ones(2))
    pytorch_optimizer.AdamP([weight], weight_decy=0.1)  # upstream takes it and ignores it
    with pytest.raises(TypeError, match="weight_decy"):
        adamp([weight], weight_decy=0.1)
    assert adamp([weight], weight_decay=0.1).param_groups[0]["weight_decay"] == 0.1


def test_a_builder_has_the_signature_of_its_class_without_kwargs(torchplug_registry):
    import pytorch_optimizer

    adamp = torchplug_registry.get("optimizer", f"{PACK}:adamp")
    upstream = inspect.signature(pytorch_optimizer.AdamP).parameters
    assert list(inspect.signature(adamp).parameters) == [n for n in upstream if n != "kwargs"]
    assert adamp.__module__ == "torchplug_pytorch_optimizer.optimizers"
    assert "AdamP" in adamp.__doc__


def test_a_hidden_keyword_is_declared(torchplug_registry):
    """ScheduleFreeAdamW reads ``use_palm`` out of its ``**kwargs``; the builder lists it."""
    builder = torchplug_registry.get("optimizer", f"{PACK}:schedulefreeadamw")
    assert inspect.signature(builder).parameters["use_palm"].default is False
    optimizer = builder([nn.Parameter(torch.ones(2))], use_palm=True)
    assert optimizer.param_groups[0]["use_palm"] is True


def test_a_built_optimizer_records_every_hyperparameter(torchplug_registry):
    import torchplug

    spec = {"type": f"{PACK}:adamp", "weight_decay": 0.1}
    optimizer = torchplug_registry.build("optimizer", spec, nn.Linear(2, 2).parameters())
    provenance = torchplug.provenance(optimizer)
    assert provenance.distribution == PACK
    assert provenance.target == "torchplug_pytorch_optimizer.optimizers:adamp"
    assert provenance.hyperparameters["weight_decay"] == 0.1
    assert provenance.hyperparameters["lr"] == 1e-3  # defaults too: the signature lists them


def test_a_builder_made_on_first_access_pickles_by_name(torchplug_registry):
    """Processes that receive a builder (spawned workers) get the same one back."""
    import pickle

    adamp = torchplug_registry.get("optimizer", f"{PACK}:adamp")
    assert pickle.loads(pickle.dumps(adamp)) is adamp
