"""Regression on a fixed random smooth function: ``fn(...)`` -> (inputs, targets) of floats.

The function is a sum of ``COMPONENTS`` sinusoids of random projections of the input, drawn from
`function_seed` and scaled to unit variance per output; the inputs and the noise are drawn from
`seed`. Two datasets with the same `function_seed` and different seeds are a training set and a
held-out set of the same task. Predicting the mean scores a mean squared error of about 1, the
best linear fit about 0.65 (with the defaults), a model that learns f approaches ``noise ** 2``.
"""

from __future__ import annotations

import math

import torch
from torch.utils.data import TensorDataset

#: Sinusoids in the function: enough that a linear fit leaves most of the variance unexplained.
COMPONENTS = 32
#: The spread of the projections' frequencies, per unit-variance input direction.
FREQUENCY = 1.5
#: Inputs on which each output of the function is scaled to unit variance.
REFERENCE_SAMPLES = 4096


def build_regression(
    num_samples: int = 4096,
    features: int = 8,
    outputs: int = 1,
    noise: float = 0.1,
    seed: int = 0,
    function_seed: int = 0,
) -> TensorDataset:
    """``targets = f(inputs) + noise * N(0, 1)`` for inputs drawn from N(0, 1); f has unit variance."""
    if num_samples < 1 or features < 1 or outputs < 1:
        raise ValueError(
            f"num_samples={num_samples}, features={features} and outputs={outputs} must each be "
            "at least 1."
        )
    if noise < 0:
        raise ValueError(f"noise={noise} must not be negative.")
    function = torch.Generator().manual_seed(function_seed)
    frequencies = torch.randn(features, COMPONENTS, generator=function) * (
        FREQUENCY / math.sqrt(features)
    )
    phases = torch.rand(COMPONENTS, generator=function) * (2 * math.pi)
    amplitudes = torch.randn(COMPONENTS, outputs, generator=function)
    # Scaled to unit variance on a reference sample that belongs to the function, not to `seed`.
    reference = torch.randn(REFERENCE_SAMPLES, features, generator=function)
    amplitudes /= (torch.sin(reference @ frequencies + phases) @ amplitudes).std(dim=0)
    samples = torch.Generator().manual_seed(seed)
    inputs = torch.randn(num_samples, features, generator=samples)
    clean = torch.sin(inputs @ frequencies + phases) @ amplitudes
    targets = clean + noise * torch.randn(num_samples, outputs, generator=samples)
    return TensorDataset(inputs, targets)
