"""Checkpoint writing in-process: a save that fails is one error, keeps the previous file, leaves
nothing behind. (Kills, full disks and file-size limits are in test_interrupts.py.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from torchplug_train.checkpoint import save_atomically
from torchplug_train.errors import CheckpointError


class _Unsaveable:
    """An entry a hook plugin might add at checkpoint_start that torch.save cannot write."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def __reduce__(self) -> Any:
        raise self.error


@pytest.mark.parametrize(
    ("error", "says"),
    [
        (RuntimeError(), "(RuntimeError)"),  # no message at all
        (
            TypeError("cannot pickle 'lock' object\nmore"),
            "(TypeError: cannot pickle 'lock' object)",
        ),
    ],
    ids=["no-message", "message"],
)
def test_a_failed_save_keeps_the_previous_checkpoint_and_leaves_nothing(
    tmp_path: Path, error: Exception, says: str
) -> None:
    target = tmp_path / "checkpoint.pt"
    save_atomically({"step": 1}, target)
    before = target.read_bytes()
    with pytest.raises(CheckpointError) as raised:
        save_atomically({"step": 2, "plugin": _Unsaveable(error)}, target)
    assert f"cannot write the checkpoint {says}; the previous checkpoint is kept" in str(
        raised.value
    )
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint.pt"]
    assert torch.load(target, weights_only=True) == {"step": 1}
