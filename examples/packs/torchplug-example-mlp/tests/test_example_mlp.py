"""tiny_mlp as a user meets it: found by name, built from a config, its activation chosen by name."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch
import torchplug
from torch import nn
from torchplug_example_mlp.model import build_tiny_mlp

PACK = "torchplug-example-mlp"


def test_the_entry_point_loads_through_the_registry(torchplug_registry):
    assert "tiny_mlp" in torchplug_registry.list("model")
    assert torchplug_registry.get("model", "tiny_mlp") is build_tiny_mlp
    assert torchplug_registry.info("model", "tiny_mlp").distribution == PACK


def test_importing_the_package_does_not_import_torch():
    code = "import sys, torchplug_example_mlp; print('torch' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


@pytest.mark.parametrize("layers", [0, 1, 3])
def test_maps_features_to_outputs(torchplug_registry, layers):
    spec = {"type": "tiny_mlp", "in_features": 5, "out_features": 2, "layers": layers}
    model = torchplug_registry.build("model", spec)
    assert model(torch.randn(7, 5)).shape == (7, 2)
    assert sum(isinstance(m, nn.Linear) for m in model) == layers + 1
    assert torchplug.provenance(model).distribution == PACK


def test_the_default_activation_is_gelu(torchplug_registry):
    model = torchplug_registry.build(
        "model", {"type": "tiny_mlp", "in_features": 4, "out_features": 1}
    )
    assert [type(m) for m in model if not isinstance(m, nn.Linear)] == [nn.GELU, nn.GELU]


def test_builds_a_nested_activation_spec_once_per_layer(torchplug_registry):
    spec = {
        "type": "tiny_mlp",
        "in_features": 4,
        "out_features": 1,
        "layers": 3,
        "activation": {"type": "prelu", "num_parameters": 16},
        "hidden": 16,
    }
    activations = [m for m in torchplug_registry.build("model", spec) if isinstance(m, nn.PReLU)]
    assert len(activations) == 3
    assert len({id(a.weight) for a in activations}) == 3  # each layer has its own parameters
    assert all(a.num_parameters == 16 for a in activations)


def test_a_misspelt_key_names_the_key_and_a_guess(torchplug_registry):
    spec = {"type": "tiny_mlp", "in_features": 4, "out_features": 1, "hiden": 8}
    with pytest.raises(torchplug.ConfigError, match=r"'hiden'.*Did you mean 'hidden'"):
        torchplug_registry.build("model", spec)


def test_a_missing_size_is_a_config_error(torchplug_registry):
    with pytest.raises(torchplug.ConfigError, match="out_features"):
        torchplug_registry.build("model", {"type": "tiny_mlp", "in_features": 4})


def test_an_unknown_activation_is_a_config_error(torchplug_registry):
    spec = {"type": "tiny_mlp", "in_features": 4, "out_features": 1, "activation": "gleu"}
    with pytest.raises(torchplug.ConfigError, match="gleu"):
        torchplug_registry.build("model", spec)


def test_called_directly_it_wants_a_callable_activation():
    with pytest.raises(TypeError, match=r"activation='gelu' is a config spec"):
        build_tiny_mlp(4, 1)
    model = build_tiny_mlp(4, 1, activation=nn.Tanh)
    assert isinstance(model[1], nn.Tanh)
