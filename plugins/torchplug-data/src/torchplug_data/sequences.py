"""Algorithmic next-token tasks that a tiny language model learns in seconds on a CPU.

Each sample is ``symbols SEP answer``: `seq_len // 2` random symbols, a separator, then the
symbols transformed (copied, reversed). A model reads it left to right and predicts each next
token. The symbols themselves are random, so only the answer carries signal: targets are
``IGNORE_INDEX`` over the first half and the loss measures the answer alone, from ``log(vocab)``
for a guess down to 0 for a model that has learnt the task.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch.utils.data import TensorDataset

#: The target of positions that carry no signal; ``F.cross_entropy`` skips it by default.
IGNORE_INDEX = -100
#: The token between the symbols and the answer; symbols are ``1 .. vocab_size - 1``.
SEPARATOR = 0


def _algorithmic(
    num_samples: int,
    seq_len: int,
    vocab_size: int,
    seed: int,
    answer: Callable[[torch.Tensor], torch.Tensor],
) -> TensorDataset:
    if num_samples < 1:
        raise ValueError(f"num_samples={num_samples} must be at least 1.")
    if seq_len < 2 or seq_len % 2:
        raise ValueError(
            f"seq_len={seq_len} must be even and at least 2: half symbols, half answer."
        )
    if vocab_size < 3:
        raise ValueError(
            f"vocab_size={vocab_size} must be at least 3: a separator and two symbols."
        )
    half = seq_len // 2
    generator = torch.Generator().manual_seed(seed)
    symbols = torch.randint(1, vocab_size, (num_samples, half), generator=generator)
    separator = torch.full((num_samples, 1), SEPARATOR)
    tokens = torch.cat([symbols, separator, answer(symbols)], dim=1)  # (num_samples, seq_len + 1)
    inputs = tokens[:, :-1].clone()
    targets = tokens[:, 1:].clone()
    # Positions 0 .. half-1 predict the next random symbol (and the separator): nothing to learn.
    targets[:, :half] = IGNORE_INDEX
    return TensorDataset(inputs, targets)


def build_sequence_copy(
    num_samples: int = 4096, seq_len: int = 32, vocab_size: int = 16, seed: int = 0
) -> TensorDataset:
    """``a b c SEP a b c``: repeat the symbols; items are (inputs, targets) of `seq_len` tokens."""
    return _algorithmic(num_samples, seq_len, vocab_size, seed, lambda symbols: symbols)


def build_sequence_reverse(
    num_samples: int = 4096, seq_len: int = 32, vocab_size: int = 16, seed: int = 0
) -> TensorDataset:
    """``a b c SEP c b a``: reverse the symbols; harder than copying, it takes a longer run."""
    return _algorithmic(num_samples, seq_len, vocab_size, seed, lambda symbols: symbols.flip(1))
