"""Every activation the pack declares builds without arguments and keeps its input's shape."""

from __future__ import annotations

import warnings

import importlib_metadata
import pytest
import torch
from torch import nn
from torch.nn.modules import activation

PACK = "torchplug-torch"
ACTIVATIONS = sorted(
    importlib_metadata.distribution(PACK).entry_points.select(group="torchplug.activation").names
)

#: torch activation modules deliberately not declared; the pack's README says the same.
LEFT_OUT = {
    "GLU": "halves the last dimension",
    "MultiheadAttention": "an attention layer",
    "Threshold": "threshold and value are required",
}


def build(registry, name: str, **hyperparameters) -> nn.Module:
    return registry.get("activation", f"{PACK}:{name}")(**hyperparameters)


def test_every_torch_activation_has_a_name_or_a_reason(torchplug_registry):
    torch_classes = {name: getattr(nn, name) for name in activation.__all__}
    provided = {type(build(torchplug_registry, name)) for name in ACTIVATIONS}
    undecided = sorted(
        name
        for name, cls in torch_classes.items()
        if name not in LEFT_OUT and not any(issubclass(p, cls) for p in provided)
    )
    assert undecided == [], f"declare these activations or add them to LEFT_OUT: {undecided}"
    assert set(LEFT_OUT) <= set(torch_classes), "LEFT_OUT names a class torch no longer has"


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_keeps_the_shape(torchplug_registry, name):
    module = build(torchplug_registry, name)
    x = torch.randn(2, 3, 4, 5)  # 4-D, as Softmax2d needs
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. softmax's implicit dimension
        y = module(x)
    assert isinstance(module, nn.Module)
    assert y.shape == x.shape
    assert torch.isfinite(y).all()


@pytest.mark.parametrize(("name", "total"), [("softmax", 1.0), ("softmin", 1.0)])
def test_softmax_family_defaults_to_the_last_dimension(torchplug_registry, name, total):
    y = build(torchplug_registry, name)(torch.randn(2, 3, 4))
    assert torch.allclose(y.sum(-1), torch.full((2, 3), total))


def test_log_softmax_defaults_to_the_last_dimension(torchplug_registry):
    y = build(torchplug_registry, "log_softmax")(torch.randn(2, 3, 4))
    assert torch.allclose(y.exp().sum(-1), torch.ones(2, 3))


def test_softmax_takes_another_dimension(torchplug_registry):
    y = build(torchplug_registry, "softmax", dim=1)(torch.randn(2, 3, 4))
    assert torch.allclose(y.sum(1), torch.ones(2, 4))
