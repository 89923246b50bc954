"""Every optimizer the pack declares builds on a small model and takes a step that moves it."""

from __future__ import annotations

import importlib_metadata
import pytest
import torch
from torch import nn

PACK = "torchplug-torch"
OPTIMIZERS = sorted(
    importlib_metadata.distribution(PACK).entry_points.select(group="torchplug.optimizer").names
)


def torch_optimizer_classes() -> set[type]:
    """The public optimizers of torch.optim, without the base class."""
    exported = (getattr(torch.optim, name) for name in torch.optim.__all__)
    return {
        obj
        for obj in exported
        if isinstance(obj, type)
        and issubclass(obj, torch.optim.Optimizer)
        and obj is not torch.optim.Optimizer
    }


def test_every_torch_optimizer_has_a_name(torchplug_registry):
    provided = {torchplug_registry.get("optimizer", f"{PACK}:{name}") for name in OPTIMIZERS}
    missing = sorted(cls.__name__ for cls in torch_optimizer_classes() - provided)
    assert missing == [], f"torch.optim has optimizers that the pack does not declare: {missing}"


def model_and_inputs(name: str) -> tuple[nn.Module, torch.Tensor]:
    if name == "sparse_adam":  # SparseAdam accepts sparse gradients only
        return nn.Embedding(10, 4, sparse=True), torch.tensor([1, 2, 3])
    return nn.Linear(4, 2), torch.randn(8, 4)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_optimizer_step_changes_the_weights(torchplug_registry, name):
    build = torchplug_registry.get("optimizer", f"{PACK}:{name}")
    torch.manual_seed(0)
    model, inputs = model_and_inputs(name)
    params = list(model.parameters())
    if name == "muon":  # Muon updates matrices only; the bias would go to another optimizer
        params = [p for p in params if p.ndim == 2]
    before = [p.detach().clone() for p in params]
    optimizer = build(params)

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        loss = model(inputs).pow(2).mean()
        loss.backward()
        return loss

    if name == "lbfgs":  # LBFGS re-evaluates the loss itself
        optimizer.step(closure)
    else:
        closure()
        optimizer.step()

    assert isinstance(optimizer, torch.optim.Optimizer)
    assert all(not torch.equal(old, p.detach()) for old, p in zip(before, params, strict=True))


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_optimizer_takes_hyperparameters_as_keywords(torchplug_registry, name):
    build = torchplug_registry.get("optimizer", f"{PACK}:{name}")
    weight = nn.Parameter(torch.randn(2, 4))
    optimizer = build([weight], lr=0.5)
    assert optimizer.param_groups[0]["lr"] == 0.5
