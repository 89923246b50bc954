"""The batches a run trains and evaluates on: this rank's share, shuffled so that a resume goes on.

Training batches are reshuffled every epoch: by `DistributedSampler` from (seed, epoch) under
torchrun, else by one generator seeded with ``train.seed`` that each epoch draws its order from.
A checkpoint keeps that generator as the epoch of its last step began (``data_rng``), and a
resumed run replays that epoch's order, skipping the batches already trained on at the sampler,
without loading them: it trains on the batches a run never stopped would have. Imports torch.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import torch
from torch.utils.data import BatchSampler, DataLoader, DistributedSampler, RandomSampler
from torchplug import ConfigError
from torchplug.build import ComponentFactory

from .config import TrainSettings
from .errors import describe


class _SkippingBatches(BatchSampler):
    """A DataLoader's batches of indices, whose next pass first skips `skip` of them."""

    skip = 0

    def __iter__(self) -> Iterator[list[int]]:
        skip, self.skip = self.skip, 0
        return itertools.islice(super().__iter__(), skip, None)


class Batches:
    """The training and evaluation batches of one rank."""

    def __init__(
        self,
        dataset: Any,
        held_out: Any,
        settings: TrainSettings,
        rank: int,
        world_size: int,
        data_rng: Any = None,
    ) -> None:
        self.generator = torch.Generator().manual_seed(settings.seed)
        if data_rng is not None:  # a resume (checkpoints before data_rng have none)
            self.generator.set_state(data_rng)
        #: The generator as the epoch under way began: what a checkpoint keeps as ``data_rng``.
        self.epoch_rng = self.generator.get_state()
        self._sampler: Any = (
            DistributedSampler(dataset, world_size, rank, shuffle=True, seed=settings.seed)
            if world_size > 1
            else None
        )
        # What DataLoader(shuffle=True, generator=...) builds, with batches that can be skipped;
        # it draws from the generator in the same order, so the shuffles are the same.
        self._batches = _SkippingBatches(
            self._sampler or RandomSampler(dataset, generator=self.generator),
            settings.batch_size,
            drop_last=len(dataset) >= settings.batch_size * world_size,
        )
        self._loader = DataLoader(
            dataset,
            batch_sampler=self._batches,
            generator=self.generator if self._sampler is None else None,
        )
        self._eval_loader = DataLoader(
            held_out if held_out is not None else dataset,
            batch_size=settings.batch_size,
            shuffle=False,
        )
        self._eval_batches = settings.eval_batches

    @property
    def steps_per_epoch(self) -> int:
        return max(len(self._loader), 1)

    def training(self, done: int) -> Iterator[Any]:
        """Training batches, epoch after epoch, for the steps after the first `done`.

        After a resume, the epoch of the last step done is replayed from its order, skipping
        the batches it trained on (all of them, when it ended an epoch: the generator is
        drawn from again as an epoch runs out, so the next one shuffles as it would have).
        """
        epoch = (done - 1) // self.steps_per_epoch if done else 0
        self._batches.skip = done - epoch * self.steps_per_epoch
        while True:
            if self._sampler is not None:
                self._sampler.set_epoch(epoch)
            self.epoch_rng = self.generator.get_state()
            yield from self._loader
            epoch += 1

    def evaluation(self) -> Iterator[Any]:
        """The first ``train.eval_batches`` batches of the held-out data, the same each time."""
        return itertools.islice(self._eval_loader, self._eval_batches)


def pair(batch: Any, factory: ComponentFactory, table: str) -> tuple[Any, Any]:
    """A loader's batch as the loop uses it: (inputs, targets), two tensors."""
    if (
        isinstance(batch, (tuple, list))
        and len(batch) == 2
        and all(isinstance(part, torch.Tensor) for part in batch)
    ):
        return batch[0], batch[1]
    if isinstance(batch, (tuple, list)):
        got = f"a {type(batch).__name__} of {len(batch)}: " + ", ".join(map(describe, batch[:3]))
    else:
        got = describe(batch)
    raise ConfigError(
        f"a batch of the dataset is {got}; the loop needs samples that are (inputs, targets) "
        f"pairs of tensors or numbers ({factory.component}). Choose a dataset that gives them.",
        path=table,
    )
