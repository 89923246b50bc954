"""Every loss the pack declares builds from its name and gives a finite scalar with a gradient."""

from __future__ import annotations

import warnings
from collections.abc import Callable

import importlib_metadata
import pytest
import torch
import torchplug

PACK = "torchplug-pytorch-optimizer"
LOSSES = sorted(
    importlib_metadata.distribution(PACK).entry_points.select(group="torchplug.loss").names
)
N, C = 8, 5  # batch size, number of classes or outputs


def labels() -> torch.Tensor:
    return torch.randint(0, C, (N,))


def binary() -> torch.Tensor:
    return torch.randint(0, 2, (N, C)).float()


#: The hyperparameters a loss cannot do without.
REQUIRED: dict[str, dict[str, object]] = {
    "binarybitemperedlogisticloss": {"t1": 0.8, "t2": 1.2},
    "bitemperedlogisticloss": {"t1": 0.8, "t2": 1.2},
    "jaccardloss": {"mode": "binary"},
    "ldamloss": {"num_class_list": [10] * C},
}

#: name -> logits -> the loss's two inputs. pytorch-optimizer's losses are mostly binary or
#: segmentation losses: several take probabilities, one a single channel.
INPUTS: dict[str, Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor]]] = {
    "bcefocalloss": lambda x: (x.sigmoid(), binary()),
    "bceloss": lambda x: (x.sigmoid(), binary()),
    "binarybitemperedlogisticloss": lambda x: (x[:, :1], binary()[:, :1]),
    "bitemperedlogisticloss": lambda x: (x, labels()),
    "diceloss": lambda x: (x, binary()),
    "focalcosineloss": lambda x: (x, labels()),
    "focalloss": lambda x: (x, binary()),
    "focaltverskyloss": lambda x: (x, binary()),
    "jaccardloss": lambda x: (x, binary()),
    "ldamloss": lambda x: (x, labels()),
    "lovaszhingeloss": lambda x: (x, binary()),
    "softf1loss": lambda x: (x.sigmoid(), binary()),
    "tverskyloss": lambda x: (x, binary()),
}


@pytest.mark.parametrize("name", LOSSES)
def test_loss_is_a_finite_scalar_with_a_gradient(torchplug_registry, name):
    assert name in INPUTS, f"add test inputs for loss {name!r} to INPUTS"
    loss_fn = torchplug_registry.build("loss", {"type": f"{PACK}:{name}", **REQUIRED.get(name, {})})
    torch.manual_seed(0)
    logits = torch.randn(N, C, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = loss_fn(*INPUTS[name](logits))
    loss.backward()

    assert loss.ndim == 0
    assert torch.isfinite(loss)
    assert logits.grad is not None and torch.isfinite(logits.grad).all()


def test_a_misspelt_key_is_refused_with_a_guess(torchplug_registry):
    with pytest.raises(torchplug.ConfigError) as caught:
        torchplug_registry.build("loss", {"type": f"{PACK}:focalloss", "gama": 2.0})
    assert "unknown key 'gama'" in str(caught.value)
    assert "Did you mean 'gamma'" in str(caught.value)
