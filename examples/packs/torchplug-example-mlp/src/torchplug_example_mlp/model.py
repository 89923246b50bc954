"""``tiny_mlp``: a multilayer perceptron whose activation is any installed torchplug activation."""

from __future__ import annotations

from collections.abc import Callable

from torch import nn
from torchplug import Component, require_factory


def build_tiny_mlp(
    in_features: int,
    out_features: int,
    hidden: int = 64,
    layers: int = 2,
    activation: Callable[[], nn.Module] = Component("activation", "gelu"),
) -> nn.Sequential:
    """`layers` hidden layers of width `hidden`, each followed by `activation`, then an output layer."""
    # Through torchplug.registry.build, `activation` arrives as a factory built from the config's
    # spec ("gelu" or {type = "leaky_relu", negative_slope = 0.1}); a direct caller passes one.
    activation = require_factory(activation, "activation", "activation")
    if layers < 0 or hidden < 1:
        raise ValueError(f"layers={layers} must be at least 0 and hidden={hidden} at least 1.")
    modules: list[nn.Module] = []
    width = in_features
    for _ in range(layers):
        # One activation module per layer: some have parameters of their own (prelu).
        modules += [nn.Linear(width, hidden), activation()]
        width = hidden
    modules.append(nn.Linear(width, out_features))
    return nn.Sequential(*modules)
