"""Every norm the pack declares builds as ``fn(dim, eps=...)``, keeps shapes and normalises."""

from __future__ import annotations

import importlib_metadata
import pytest
import torch
from torch import nn
from torch.nn.modules import batchnorm, instancenorm, normalization

PACK = "torchplug-torch"
NORMS = sorted(
    importlib_metadata.distribution(PACK).entry_points.select(group="torchplug.norm").names
)
DIM = 256  # groupnorm's default 32 groups of 8
#: Norms over the batch: they take (batch, dim) inputs, the others any (..., dim).
BATCH_NORMS = {"batchnorm1d", "syncbatchnorm"}

#: torch norm layers deliberately not declared; the pack's README says the same.
LEFT_OUT = {
    "BatchNorm2d": "channels at dim 1 of images",
    "BatchNorm3d": "channels at dim 1 of volumes",
    "InstanceNorm1d": "normalises over the sequence, not the last dimension",
    "InstanceNorm2d": "channels at dim 1 of images",
    "InstanceNorm3d": "channels at dim 1 of volumes",
    "LazyBatchNorm1d": "takes no size",
    "LazyBatchNorm2d": "takes no size",
    "LazyBatchNorm3d": "takes no size",
    "LazyInstanceNorm1d": "takes no size",
    "LazyInstanceNorm2d": "takes no size",
    "LazyInstanceNorm3d": "takes no size",
    "LocalResponseNorm": "a window over channels, no dim or eps",
    "CrossMapLRN2d": "a window over channels, no dim or eps",
}


def build(registry, name: str, *args, **kwargs) -> nn.Module:
    return registry.get("norm", f"{PACK}:{name}")(*args, **kwargs)


def rms(x: torch.Tensor, dim: int | None = None) -> torch.Tensor:
    """Root mean square, of all of `x` or along `dim`: 1 for a normalised tensor."""
    squares = x.pow(2)
    return (squares.mean() if dim is None else squares.mean(dim)).sqrt()


def test_every_torch_norm_has_a_name_or_a_reason(torchplug_registry):
    names = [*normalization.__all__, *batchnorm.__all__, *instancenorm.__all__]
    torch_classes = {name: getattr(nn, name) for name in names}
    provided = {type(build(torchplug_registry, name, DIM)) for name in NORMS}
    undecided = sorted(
        name
        for name, cls in torch_classes.items()
        if name not in LEFT_OUT and not any(issubclass(p, cls) for p in provided)
    )
    assert undecided == [], f"declare these norms or add them to LEFT_OUT: {undecided}"
    assert set(LEFT_OUT) <= set(torch_classes), "LEFT_OUT names a class torch no longer has"


@pytest.mark.parametrize("name", NORMS)
def test_norm_takes_dim_and_eps(torchplug_registry, name):
    norm = build(torchplug_registry, name, DIM, eps=1e-3)
    assert isinstance(norm, nn.Module)
    assert norm.eps == 1e-3


@pytest.mark.parametrize("name", NORMS)
def test_norm_of_a_batch_keeps_its_shape_and_normalises_it(torchplug_registry, name):
    norm = build(torchplug_registry, name, DIM)
    torch.manual_seed(0)
    x = torch.randn(16, DIM) * 3 + 5
    y = norm(x)
    assert y.shape == x.shape
    assert torch.allclose(rms(y), torch.tensor(1.0), atol=1e-3)


@pytest.mark.parametrize("name", sorted(set(NORMS) - BATCH_NORMS))
def test_norm_normalises_the_last_dimension_at_every_position(torchplug_registry, name):
    norm = build(torchplug_registry, name, DIM)
    torch.manual_seed(0)
    x = torch.randn(2, 7, DIM) * 3 + 5
    y = norm(x)
    assert y.shape == x.shape
    assert torch.allclose(rms(y, dim=-1), torch.ones(2, 7), atol=1e-3)


def test_groupnorm_normalises_each_group(torchplug_registry):
    norm = build(torchplug_registry, "groupnorm", 8, num_groups=2)
    x = torch.randn(3, 5, 8) * 3 + 5
    groups = norm(x).reshape(3, 5, 2, 4)
    assert torch.allclose(groups.mean(-1), torch.zeros(3, 5, 2), atol=1e-5)
    assert torch.allclose(groups.var(-1, unbiased=False), torch.ones(3, 5, 2), atol=1e-3)


def test_groupnorm_has_the_state_dict_of_nn_groupnorm(torchplug_registry):
    norm = build(torchplug_registry, "groupnorm", DIM)
    assert norm.state_dict().keys() == nn.GroupNorm(32, DIM).state_dict().keys()
