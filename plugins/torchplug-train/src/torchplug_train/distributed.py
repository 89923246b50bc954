"""Agreement across ranks: every rank of a torchrun job must resolve the same components.

A node with a different pack version is otherwise a silent divergence. Each rank contributes its
resolved set, or the error it hit while resolving, to one all-gather; every rank then raises the
same error, so no rank is left waiting in a collective that the others never reach.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from torchplug import TorchplugError

from .lock import Resolved, differences, from_json, to_json


class RankMismatchError(TorchplugError):
    """Ranks resolved different components, or some ranks could not resolve the config."""


def environment_rank() -> tuple[int, int, int]:
    """(rank, world size, local rank) as torchrun sets them; (0, 1, 0) for a plain process."""
    numbers = []
    for name, default in (("RANK", "0"), ("WORLD_SIZE", "1"), ("LOCAL_RANK", "0")):
        text = os.environ.get(name, default)
        try:
            numbers.append(int(text))
        except ValueError:
            raise TorchplugError(
                f"the environment variable {name} is {text!r}, not a number: torchrun sets RANK, "
                "WORLD_SIZE and LOCAL_RANK; unset them to train in one process"
            ) from None
    rank, world_size, local_rank = numbers
    return rank, world_size, local_rank


def init_process_group(device: Any, timeout_s: float = 300.0) -> None:
    """gloo on CPU, nccl on CUDA (`device`, this rank's GPU, is already current); the timeout
    bounds any wait on a rank that died."""
    import torch.distributed as dist

    backend = "nccl" if device.type == "cuda" else "gloo"
    dist.init_process_group(backend, timeout=timedelta(seconds=timeout_s))


def destroy_process_group() -> None:
    import torch.distributed as dist

    if dist.is_initialized():
        dist.destroy_process_group()


def agree(resolved: list[Resolved] | None, error: str | None, rank: int, world_size: int) -> None:
    """All-gather every rank's resolved set; raise the same error on every rank if they differ."""
    import torch.distributed as dist

    mine: dict[str, Any] = (
        {"error": error} if error is not None else {"resolved": to_json(resolved or [])}
    )
    gathered: list[Any] = [None] * world_size
    dist.all_gather_object(gathered, mine)
    failed = [(r, g["error"]) for r, g in enumerate(gathered) if "error" in g]
    if failed:
        raise RankMismatchError(
            "rank(s) "
            + ", ".join(str(r) for r, _ in failed)
            + " could not resolve the config:\n  "
            + "\n  ".join(f"rank {r}: " + message.replace("\n", "\n    ") for r, message in failed)
        )
    reference = from_json(gathered[0]["resolved"])
    report = []
    for other, payload in enumerate(gathered[1:], start=1):
        lines = differences(reference, from_json(payload["resolved"]))
        if lines:
            report.append(f"rank {other} differs from rank 0:\n    " + "\n    ".join(lines))
    if report:
        raise RankMismatchError(
            "the ranks resolved different components; install the same packs and versions on "
            "every node (or use TORCHPLUG_DISABLE identically):\n  " + "\n  ".join(report)
        )


def largest_across_ranks(value: int, device: Any = "cpu") -> int:
    """The largest `value` any rank holds (every rank must call it): ranks stop at the same step
    when any of them was asked to, or the others would wait in the next collective forever."""
    import torch
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()):
        return value
    tensor = torch.tensor([value], dtype=torch.int64, device=device)  # nccl: on the GPU
    dist.all_reduce(tensor, op=dist.ReduceOp.MAX)
    return int(tensor.item())


def from_main_rank(value: Any) -> Any:
    """Rank 0's `value` on every rank (every rank must call it)."""
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()):
        return value
    box = [value]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def barrier() -> None:
    """Wait for every rank (rank 0 writing the checkpoint before the others exit, say)."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.barrier()
