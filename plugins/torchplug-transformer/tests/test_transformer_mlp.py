"""The dense MLPs: shapes, gradients, and each one against its formula."""

from __future__ import annotations

import pytest
import torch
from torch.nn import functional as F
from torchplug_transformer.mlp import build_standard_gelu, build_standard_relu, build_swiglu

BUILDERS = {
    "swiglu": build_swiglu,
    "standard_gelu": build_standard_gelu,
    "standard_relu": build_standard_relu,
}


def linear(x, layer):
    return x @ layer.weight.T + (layer.bias if layer.bias is not None else 0)


@pytest.mark.parametrize("name", BUILDERS)
@pytest.mark.parametrize("bias", [False, True])
def test_maps_batch_time_dim_to_the_same_shape(name, bias):
    mlp = BUILDERS[name](16, 40, bias=bias)
    assert mlp(torch.randn(3, 5, 16)).shape == (3, 5, 16)


@pytest.mark.parametrize("name", BUILDERS)
def test_gradients_reach_every_parameter(name):
    torch.manual_seed(0)
    mlp = BUILDERS[name](8, 24, bias=True)
    mlp(torch.randn(2, 7, 8)).square().sum().backward()
    for parameter_name, parameter in mlp.named_parameters():
        assert parameter.grad is not None and parameter.grad.abs().sum() > 0, parameter_name


def test_swiglu_matches_its_formula():
    torch.manual_seed(0)
    mlp = build_swiglu(8, 24).double()
    x = torch.randn(2, 5, 8, dtype=torch.float64)
    gate = linear(x, mlp.gate)
    expected = linear(gate * torch.sigmoid(gate) * linear(x, mlp.up), mlp.down)
    torch.testing.assert_close(mlp(x), expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize(
    ("build", "activation"),
    [
        (build_standard_relu, lambda h: h.clamp(min=0)),
        (build_standard_gelu, lambda h: 0.5 * h * (1 + torch.erf(h / 2**0.5))),
        (
            lambda dim, hidden, bias: build_standard_gelu(dim, hidden, bias, approximate="tanh"),
            lambda h: 0.5 * h * (1 + torch.tanh((2 / torch.pi) ** 0.5 * (h + 0.044715 * h**3))),
        ),
    ],
    ids=["relu", "gelu", "gelu_tanh"],
)
def test_standard_mlp_matches_its_formula(build, activation):
    torch.manual_seed(0)
    mlp = build(8, 24, True).double()
    x = torch.randn(2, 5, 8, dtype=torch.float64)
    expected = linear(activation(linear(x, mlp.up)), mlp.down)
    torch.testing.assert_close(mlp(x), expected, rtol=0, atol=1e-12)


def test_swiglu_is_the_silu_gate_of_torch():
    mlp = build_swiglu(8, 24)
    x = torch.randn(4, 8)
    expected = mlp.down(F.silu(mlp.gate(x)) * mlp.up(x))
    torch.testing.assert_close(mlp(x), expected)
