"""Checkpoints: written so that no failure leaves a partial file, read so that no file gives a traceback.

Writing goes to an unnamed file (``O_TMPFILE``, where the file system has it) that is fsynced and
only then given a name and renamed over ``checkpoint.pt``, the directory fsynced after: a kill or a
full disk at any moment leaves the previous checkpoint whole and no ``.partial`` file behind (where
``O_TMPFILE`` is missing, a hidden temporary name is used, removed on failure and swept by the next
save). Reading refuses pickled objects (``weights_only=True``) and checks every key ``--resume``
uses, so a malformed file is one message naming the file and the key. torch is imported on use.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from .errors import CheckpointError, first_line
from .lock import Resolved, from_json

FORMAT = 1
FILE_NAME = "checkpoint.pt"
_TEMP_GLOB = f".{FILE_NAME}.*.tmp"


def checkpoint_path(run_dir: str | Path) -> Path:
    return Path(run_dir) / FILE_NAME


def _fsync_directory(directory: Path) -> None:
    with contextlib.suppress(OSError):  # not every platform can open a directory
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def _unnamed_file(directory: Path) -> Iterator[tuple[int, Path | None]]:
    """A file to write: unnamed when the file system allows (nothing to clean up after a kill),
    else a hidden temporary name, removed if anything fails."""
    flag = getattr(os, "O_TMPFILE", 0)
    fd, temp = -1, None
    if flag:
        with contextlib.suppress(OSError):
            fd = os.open(directory, flag | os.O_WRONLY, 0o666)
    if fd < 0:
        temp = directory / f".{FILE_NAME}.{os.getpid()}.tmp"
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
    try:
        yield fd, temp
    except BaseException:
        if temp is not None:
            temp.unlink(missing_ok=True)
        raise
    finally:
        with contextlib.suppress(OSError):
            os.close(fd)


def _give_name(fd: int, temp: Path | None, directory: Path) -> Path:
    """Link an unnamed file into `directory` under a hidden temporary name."""
    if temp is not None:
        return temp
    named = directory / f".{FILE_NAME}.{os.getpid()}.tmp"
    named.unlink(missing_ok=True)
    proc = os.open("/proc/self/fd", os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.link(str(fd), named, src_dir_fd=proc, follow_symlinks=True)
    finally:
        os.close(proc)
    return named


def sweep_temporaries(directory: Path) -> None:
    """Remove temporary files a killed save left behind (only possible without ``O_TMPFILE``)."""
    for leftover in directory.glob(_TEMP_GLOB):
        with contextlib.suppress(OSError):
            leftover.unlink()


class _Writer:
    """The file as torch.save sees it, keeping the OSError of a failed write: torch reports a
    full disk as "unexpected pos ..." and the reason would be lost."""

    def __init__(self, handle: Any) -> None:
        self._handle = handle
        self.error: OSError | None = None

    def write(self, data: Any) -> int:
        try:
            return int(self._handle.write(data))
        except OSError as exc:
            self.error = exc
            raise

    def flush(self) -> None:
        self._handle.flush()


def save_atomically(state: Mapping[str, Any], final: Path) -> None:
    """Write `state` to `final` so that `final` is always the old or the new checkpoint, whole."""
    import torch

    directory = final.parent
    sweep_temporaries(directory)
    named: Path | None = None
    writer: _Writer | None = None
    try:
        with _unnamed_file(directory) as (fd, temp):
            with os.fdopen(os.dup(fd), "wb") as handle:
                writer = _Writer(handle)
                torch.save(dict(state), writer)
                handle.flush()
                os.fsync(handle.fileno())
            named = _give_name(fd, temp, directory)
            os.replace(named, final)
            named = None
        _fsync_directory(directory)
    except Exception as exc:
        if named is not None:
            named.unlink(missing_ok=True)
        failed = writer.error if writer is not None and writer.error is not None else exc
        reason = failed.strerror if isinstance(failed, OSError) and failed.strerror else None
        kept = "the previous checkpoint is kept" if final.exists() else "no checkpoint was written"
        raise CheckpointError(
            f"{final}: cannot write the checkpoint ({reason or first_line(exc)}); {kept} and no "
            "partial file is left. Free space on that disk (or choose another train.output_dir) "
            "and resume from the last checkpoint."
        ) from exc


# ------------------------------------------------------------------------------------ reading

#: Every key `--resume` reads, with the types it needs.
_REQUIRED: dict[str, tuple[type, ...]] = {
    "step": (int,),
    "model": (Mapping,),
    "optimizer": (Mapping,),
    "config": (Mapping,),
    "lock": (list,),
}


def resolve_resume_path(given: str | Path) -> Path:
    """``--resume`` takes a checkpoint file or the run directory that holds ``checkpoint.pt``."""
    path = Path(given)
    if path.is_dir():
        inside = path / FILE_NAME
        if not inside.is_file():
            raise CheckpointError(
                f"{path}: this directory has no {FILE_NAME}; give the checkpoint file or a run "
                "directory that holds one"
            )
        return inside
    return path


def _malformed(path: Path, what: str) -> CheckpointError:
    return CheckpointError(
        f"{path}: not a checkpoint this run can resume from: {what}. Give the {FILE_NAME} of a "
        "run directory written by `torchplug run`."
    )


def read_checkpoint(given: str | Path) -> dict[str, Any]:
    """Load and check a checkpoint for ``--resume``; every problem is a `CheckpointError`."""
    import torch

    path = resolve_resume_path(given)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint file; check the path given to --resume")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise _malformed(path, f"torch.load cannot read it ({first_line(exc, 200)})") from None
    if not isinstance(state, dict) or "torchplug_checkpoint" not in state:
        raise _malformed(path, "it holds no 'torchplug_checkpoint' format number")
    if state["torchplug_checkpoint"] != FORMAT:
        raise _malformed(
            path,
            f"it has format {state['torchplug_checkpoint']!r}; this torchplug-train reads {FORMAT}",
        )
    for key, types in _REQUIRED.items():
        if key not in state:
            raise _malformed(path, f"the key {key!r} is missing")
        value = state[key]
        if not isinstance(value, types) or isinstance(value, bool):
            raise _malformed(
                path, f"{key!r} is a {type(value).__name__}, not a {types[0].__name__}"
            )
    if state["step"] < 0:
        raise _malformed(path, f"'step' is {state['step']}")
    if state.get("scheduler") is not None and not isinstance(state["scheduler"], Mapping):
        raise _malformed(path, "'scheduler' is neither a state dict nor None")
    if state.get("data_rng") is not None:  # checkpoints before it have none: batches reshuffle
        try:
            torch.Generator().set_state(state["data_rng"])
        except (TypeError, RuntimeError) as exc:
            what = f"'data_rng' is no generator state ({first_line(exc, 200)})"
            raise _malformed(path, what) from None
    recorded_set(state, path)  # a malformed lock fails here, not halfway through the run
    state["path"] = str(path)
    return state


def recorded_set(state: Mapping[str, Any], path: str | Path = "") -> list[Resolved]:
    """The resolved set a checkpoint was trained with."""
    try:
        return from_json(state["lock"])
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise _malformed(
            Path(path or state.get("path", "checkpoint")), f"its 'lock' is malformed ({exc})"
        ) from None
