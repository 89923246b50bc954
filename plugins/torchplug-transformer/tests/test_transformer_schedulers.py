"""The learning-rate curves at the steps that define them."""

from __future__ import annotations

import itertools
import math

import pytest
import torch
from torchplug_transformer.schedulers import build_warmup_cosine, build_wsd


def optimizer(lr=2.0):
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)


def learning_rates(scheduler, steps):
    """The rate each optimizer step uses, steps 0 .. steps - 1."""
    rates = []
    for _ in range(steps):
        rates.append(scheduler.optimizer.param_groups[0]["lr"])
        scheduler.optimizer.step()
        scheduler.step()
    return rates


@pytest.mark.parametrize(
    ("step", "factor"),
    [
        (0, 1 / 11),
        (4, 5 / 11),
        (9, 10 / 11),
        (10, 1.0),  # the peak
        (60, 0.1 + 0.9 * 0.5),  # halfway through the cosine
        (85, 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * 0.75))),
        (110, 0.1),  # total_steps: the floor
        (150, 0.1),  # and it stays there
    ],
)
def test_warmup_cosine_at_key_steps(step, factor):
    scheduler = build_warmup_cosine(
        optimizer(2.0), total_steps=110, warmup_steps=10, min_lr_ratio=0.1
    )
    assert learning_rates(scheduler, 151)[step] == pytest.approx(2.0 * factor)


def test_warmup_cosine_without_warmup_starts_at_the_base_rate_and_never_rises():
    rates = learning_rates(build_warmup_cosine(optimizer(1.0), total_steps=50), 60)
    assert rates[0] == 1.0
    assert all(later <= earlier for earlier, later in itertools.pairwise(rates))
    assert rates[-1] == pytest.approx(0.1)


@pytest.mark.parametrize(
    ("shape", "step", "factor"),
    [
        ("linear", 0, 1 / 11),
        ("linear", 10, 1.0),
        ("linear", 50, 1.0),  # stable
        ("linear", 80, 1.0),  # the decay starts at total - 0.2 * total
        ("linear", 90, 0.5),
        ("linear", 95, 0.25),
        ("linear", 100, 0.0),
        ("linear", 120, 0.0),
        ("cosine", 90, 0.5),
        ("cosine", 85, 0.5 * (1 + math.cos(math.pi * 0.25))),
        ("sqrt", 90, 1 - math.sqrt(0.5)),
        ("sqrt", 100, 0.0),
    ],
)
def test_wsd_at_key_steps(shape, step, factor):
    scheduler = build_wsd(
        optimizer(3.0), total_steps=100, warmup_steps=10, decay_fraction=0.2, decay_shape=shape
    )
    assert learning_rates(scheduler, 121)[step] == pytest.approx(3.0 * factor, abs=1e-12)


def test_wsd_decays_to_its_floor():
    scheduler = build_wsd(optimizer(1.0), total_steps=40, decay_fraction=0.5, min_lr_ratio=0.2)
    rates = learning_rates(scheduler, 41)
    assert rates[:20] == [1.0] * 20
    assert rates[30] == pytest.approx(0.6)
    assert rates[40] == pytest.approx(0.2)


def test_every_parameter_group_is_scaled_from_its_own_rate():
    params = [torch.nn.Parameter(torch.zeros(1)) for _ in range(2)]
    opt = torch.optim.SGD([{"params": [params[0]], "lr": 1.0}, {"params": [params[1]], "lr": 0.1}])
    scheduler = build_warmup_cosine(opt, total_steps=10, warmup_steps=4, min_lr_ratio=0.0)
    assert scheduler.get_last_lr() == pytest.approx([1 / 5, 0.1 / 5])


@pytest.mark.parametrize("build", [build_warmup_cosine, build_wsd])
def test_resumes_from_its_state_dict(build):
    first = build(optimizer(), total_steps=100, warmup_steps=10)
    learning_rates(first, 37)
    resumed = build(optimizer(), total_steps=100, warmup_steps=10)
    resumed.optimizer.load_state_dict(first.optimizer.state_dict())
    resumed.load_state_dict(first.state_dict())
    assert learning_rates(resumed, 20) == learning_rates(first, 20)


@pytest.mark.parametrize(
    ("build", "kwargs", "message"),
    [
        (build_warmup_cosine, {"total_steps": 10, "warmup_steps": 10}, "warmup_steps"),
        (build_warmup_cosine, {"total_steps": 10, "min_lr_ratio": 1.5}, "min_lr_ratio"),
        (build_wsd, {"total_steps": 10, "decay_fraction": 0.0}, "decay_fraction"),
        (build_wsd, {"total_steps": 10, "warmup_steps": 9, "decay_fraction": 0.5}, "decay_steps"),
        (build_wsd, {"total_steps": 10, "decay_shape": "exp"}, "decay_shape"),
    ],
)
def test_rejects_inconsistent_step_counts(build, kwargs, message):
    with pytest.raises(ValueError, match=message):
        build(optimizer(), **kwargs)
