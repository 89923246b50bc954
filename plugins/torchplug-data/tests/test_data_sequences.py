"""The sequence tasks: layout of a sample, determinism by seed, and a tiny gpt that learns one."""

from __future__ import annotations

import itertools

import pytest
import torch
from torch.utils.data import DataLoader
from torchplug_data.sequences import (
    IGNORE_INDEX,
    SEPARATOR,
    build_sequence_copy,
    build_sequence_reverse,
)


def epochs(loader):
    """The loader's batches, one reshuffled epoch after another."""
    return itertools.chain.from_iterable(itertools.repeat(loader))


BUILDERS = {"sequence_copy": build_sequence_copy, "sequence_reverse": build_sequence_reverse}
NAMES = sorted(BUILDERS)


@pytest.mark.parametrize("name", NAMES)
def test_items_are_token_pairs_of_seq_len(name):
    dataset = BUILDERS[name](num_samples=5, seq_len=12, vocab_size=7)
    assert len(dataset) == 5
    inputs, targets = dataset[3]
    assert inputs.shape == targets.shape == (12,)
    assert inputs.dtype == targets.dtype == torch.int64
    assert 0 <= inputs.min() and inputs.max() < 7


@pytest.mark.parametrize("name", NAMES)
def test_targets_are_the_inputs_shifted_with_the_symbols_ignored(name):
    inputs, targets = BUILDERS[name](num_samples=50, seq_len=10).tensors
    assert (targets[:, :5] == IGNORE_INDEX).all()
    assert (inputs[:, 5] == SEPARATOR).all()
    assert (inputs[:, :5] != SEPARATOR).all()
    torch.testing.assert_close(targets[:, 5:-1], inputs[:, 6:])


@pytest.mark.parametrize(
    ("name", "answer"),
    [("sequence_copy", lambda symbols: symbols), ("sequence_reverse", lambda s: s.flip(1))],
)
def test_the_answer_is_the_symbols_transformed(name, answer):
    inputs, targets = BUILDERS[name](num_samples=50, seq_len=10).tensors
    torch.testing.assert_close(targets[:, 5:], answer(inputs[:, :5]))


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_tensors(name):
    first, second = BUILDERS[name](seed=7), BUILDERS[name](seed=7)
    for a, b in zip(first.tensors, second.tensors, strict=True):
        assert torch.equal(a, b)


@pytest.mark.parametrize("name", NAMES)
def test_different_seeds_differ(name):
    first, second = BUILDERS[name](seed=0), BUILDERS[name](seed=1)
    assert not torch.equal(first.tensors[0], second.tensors[0])


@pytest.mark.parametrize("name", NAMES)
def test_does_not_touch_the_global_random_state(name):
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    BUILDERS[name]()
    assert torch.equal(torch.rand(3), expected)


@pytest.mark.parametrize(
    ("hyperparameters", "message"),
    [
        ({"seq_len": 7}, "seq_len=7 must be even"),
        ({"seq_len": 0}, "seq_len=0 must be even and at least 2"),
        ({"vocab_size": 2}, "vocab_size=2 must be at least 3"),
        ({"num_samples": 0}, "num_samples=0 must be at least 1"),
    ],
)
@pytest.mark.parametrize("name", NAMES)
def test_rejects_a_task_that_cannot_be_built(name, hyperparameters, message):
    with pytest.raises(ValueError, match=message):
        BUILDERS[name](**hyperparameters)


@pytest.mark.parametrize("name", NAMES)
def test_builds_from_a_config_through_registry_build(torchplug_registry, name):
    spec = {"type": name, "num_samples": 8, "seq_len": 6, "vocab_size": 5, "seed": 3}
    dataset = torchplug_registry.build("dataset", spec)
    expected = BUILDERS[name](num_samples=8, seq_len=6, vocab_size=5, seed=3)
    assert torch.equal(dataset.tensors[0], expected.tensors[0])


def test_a_misspelt_key_is_a_config_error(torchplug_registry):
    import torchplug

    with pytest.raises(torchplug.ConfigError, match="seq_len"):
        torchplug_registry.build("dataset", {"type": "sequence_copy", "seqlen": 16})


def test_a_tiny_gpt_learns_to_copy(torchplug_registry, one_thread):
    pytest.importorskip("torchplug_transformer")
    pytest.importorskip("torchplug_torch")
    task = {"type": "sequence_copy", "seq_len": 16, "vocab_size": 16}
    train = torchplug_registry.build("dataset", {**task, "num_samples": 2048, "seed": 0})
    held_out = torchplug_registry.build("dataset", {**task, "num_samples": 256, "seed": 1})
    torch.manual_seed(0)
    model = torchplug_registry.build(
        "model",
        {
            "type": "gpt",
            "vocab_size": 16,
            "dim": 64,
            "num_layers": 2,
            "num_heads": 4,
            "max_seq_len": 16,
        },
    )
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.0)
    loss_fn = torchplug_registry.build("loss", "chunked_cross_entropy")

    def held_out_loss() -> float:
        with torch.no_grad():
            return loss_fn(model(held_out.tensors[0]), held_out.tensors[1]).item()

    loader = DataLoader(
        train, batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0)
    )
    before = held_out_loss()
    for inputs, targets in itertools.islice(epochs(loader), 150):
        loss = loss_fn(model(inputs), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    after = held_out_loss()
    assert before == pytest.approx(torch.log(torch.tensor(16.0)).item(), abs=0.2)
    assert after < 0.4 * before, (before, after)
