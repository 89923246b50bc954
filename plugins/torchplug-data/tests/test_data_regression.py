"""The regression set: shapes, determinism by seed, one function per function_seed, learnable."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torchplug_data.regression import build_regression


def test_items_are_float_feature_and_output_vectors():
    dataset = build_regression(num_samples=5, features=3, outputs=2)
    assert len(dataset) == 5
    inputs, targets = dataset[4]
    assert inputs.shape == (3,) and targets.shape == (2,)
    assert inputs.dtype == targets.dtype == torch.float32


def test_same_seed_same_tensors():
    first, second = build_regression(seed=7), build_regression(seed=7)
    for a, b in zip(first.tensors, second.tensors, strict=True):
        assert torch.equal(a, b)


def test_different_seeds_draw_different_inputs():
    first, second = build_regression(seed=0), build_regression(seed=1)
    assert not torch.equal(first.tensors[0], second.tensors[0])


def test_function_seed_changes_the_function_not_the_inputs():
    first, second = build_regression(function_seed=0), build_regression(function_seed=1)
    assert torch.equal(first.tensors[0], second.tensors[0])
    assert not torch.allclose(first.tensors[1], second.tensors[1], atol=0.1)


def test_noise_is_added_to_the_same_function_values():
    clean, noisy = build_regression(noise=0.0), build_regression(noise=0.5)
    assert torch.equal(clean.tensors[0], noisy.tensors[0])
    residual = noisy.tensors[1] - clean.tensors[1]
    assert residual.std().item() == pytest.approx(0.5, rel=0.1)


@pytest.mark.parametrize("function_seed", [0, 1, 2])
@pytest.mark.parametrize("outputs", [1, 3])
def test_the_function_has_unit_variance_per_output(function_seed, outputs):
    targets = build_regression(
        num_samples=8192, outputs=outputs, noise=0.0, function_seed=function_seed
    ).tensors[1]
    torch.testing.assert_close(targets.var(dim=0), torch.ones(outputs), atol=0.1, rtol=0)


def test_does_not_touch_the_global_random_state():
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    build_regression()
    assert torch.equal(torch.rand(3), expected)


@pytest.mark.parametrize(
    ("hyperparameters", "message"),
    [
        ({"num_samples": 0}, "must each be at least 1"),
        ({"features": 0}, "must each be at least 1"),
        ({"outputs": 0}, "must each be at least 1"),
        ({"noise": -0.1}, "noise=-0.1 must not be negative"),
    ],
)
def test_rejects_a_set_that_cannot_be_built(hyperparameters, message):
    with pytest.raises(ValueError, match=message):
        build_regression(**hyperparameters)


def test_builds_from_a_config_through_registry_build(torchplug_registry):
    spec = {"type": "regression", "num_samples": 16, "features": 4, "noise": 0.0, "seed": 2}
    dataset = torchplug_registry.build("dataset", spec)
    expected = build_regression(num_samples=16, features=4, noise=0.0, seed=2)
    assert torch.equal(dataset.tensors[1], expected.tensors[1])


def test_an_mlp_learns_what_a_linear_fit_cannot(one_thread):
    train_inputs, train_targets = build_regression(num_samples=2048, seed=0).tensors
    test_inputs, test_targets = build_regression(num_samples=1024, seed=1).tensors

    def with_bias(x: torch.Tensor) -> torch.Tensor:
        return torch.cat([x, torch.ones(len(x), 1)], dim=1)

    weights = torch.linalg.lstsq(with_bias(train_inputs), train_targets).solution
    linear_error = nn.functional.mse_loss(with_bias(test_inputs) @ weights, test_targets).item()

    torch.manual_seed(0)
    mlp = nn.Sequential(nn.Linear(8, 64), nn.GELU(), nn.Linear(64, 64), nn.GELU(), nn.Linear(64, 1))
    optimizer = torch.optim.Adam(mlp.parameters(), lr=1e-2)
    for _ in range(300):  # full batch
        loss = nn.functional.mse_loss(mlp(train_inputs), train_targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        mlp_error = nn.functional.mse_loss(mlp(test_inputs), test_targets).item()
    assert linear_error > 0.5
    assert mlp_error < 0.5 * linear_error, (linear_error, mlp_error)
