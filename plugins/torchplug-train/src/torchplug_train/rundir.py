"""The run directory: one per run, never overwritten, holding everything needed to look at it later.

``train.output_dir`` (default ``runs/<config stem>``) names the first run's directory; a later run
of the same config gets ``<output_dir>-2``, ``-3``, ... A directory is claimed only if it is new or
empty, by creating its ``config.toml`` exclusively, so two runs started together never share one.
``--resume`` continues in the checkpoint's own directory. The directory holds:

- ``config.toml``: the config as run, ``--set`` applied and ``[train]`` complete with defaults;
- ``lock.json``: the resolved components, as ``torchplug lock`` writes them;
- ``metrics.jsonl`` (or ``.csv``), ``checkpoint.pt`` and ``tensorboard/``, from the loop and its
  hook plugins;
- ``summary.json``: written when the run ends, finished or interrupted.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

from .config import TrainSettings
from .errors import RunDirectoryError
from .lock import Resolved, write_lock

CONFIG_FILE = "config.toml"
SUMMARY_FILE = "summary.json"


def _refuse(path: Path, why: str) -> RunDirectoryError:
    return RunDirectoryError(
        f"cannot use {path} as the run directory: {why}. Choose another with "
        '--set train.output_dir="DIR"',
        path="train.output_dir",
    )


def _claim(directory: Path) -> bool | None:
    """Take `directory` for this run if it is new or empty: True if this run created it, False
    if it was there (empty), None if another run has it."""
    try:
        directory.mkdir(parents=True)
        created = True
    except FileExistsError:
        if not directory.is_dir():
            raise _refuse(directory, "it (or a parent of it) is a file") from None
        created = False
    except NotADirectoryError:
        raise _refuse(directory, "a parent of it is a file") from None
    except OSError as exc:
        raise _refuse(directory, exc.strerror or str(exc)) from None
    if any(directory.iterdir()):
        return None
    try:
        with (directory / CONFIG_FILE).open("x", encoding="utf-8"):
            pass
    except FileExistsError:
        return None
    except OSError as exc:
        raise _refuse(directory, f"it is not writable ({exc.strerror or exc})") from None
    return created


def claim_run_directory(base: str | Path) -> tuple[Path, bool]:
    """A new run directory: `base` if it is new or empty, else the first free `base`-N; and
    whether this run created it (see `discard_run_directory`)."""
    base = Path(base)
    if not base.name:  # "." or "/": number the directory by its real name
        base = base.resolve()
    for candidate in (base, *(base.with_name(f"{base.name}-{n}") for n in range(2, 10_000))):
        created = _claim(candidate)
        if created is not None:
            return candidate, created
    raise _refuse(base, "it and 9,998 numbered siblings are all taken")


def discard_run_directory(directory: Path, created: bool) -> None:
    """Undo the claim of a run that trained nothing: remove what it wrote, and the directory if
    the run created it. Everything inside is this run's (it was claimed empty); the directory
    itself may be the user's (``output_dir = "."``, a mount point) and then stays, empty."""
    for child in directory.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)
    if created:
        with contextlib.suppress(OSError):
            directory.rmdir()


def check_resume_directory(directory: Path) -> None:
    """A resumed run writes into its checkpoint's directory: it must be writable."""
    probe = directory / f".torchplug-write-test.{os.getpid()}"
    try:
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise _refuse(directory, f"it is not writable ({exc.strerror or exc})") from None


def write_text_atomically(path: Path, text: str) -> None:
    """Replace `path` with `text` whole: a kill leaves the old file or the new one."""
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temp.write_text(text, encoding="utf-8")
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise


def resolved_config(config: Mapping[str, Any], settings: TrainSettings) -> dict[str, Any]:
    """The config as run: overrides applied, ``[train]`` complete with its defaults (output_dir
    the base, not the numbered directory, so that running it again makes a new one)."""
    train = {k: v for k, v in asdict(settings).items() if v is not None}
    return {"train": train, **{k: v for k, v in config.items() if k != "train"}}


def write_config(
    directory: Path, config: Mapping[str, Any], command: str, source: str | Path
) -> Path:
    import tomlkit

    document = tomlkit.document()
    document.add(tomlkit.comment(f"The config as run, from {source}: {command}"))
    document.add(tomlkit.comment("Run it again with: torchplug run <this file>"))
    for key, value in config.items():
        document[key] = value
    target = directory / CONFIG_FILE
    write_text_atomically(target, tomlkit.dumps(document))
    return target


def write_lock_file(directory: Path, resolved: Iterable[Resolved], source: str | Path) -> Path:
    return write_lock(directory / "lock.json", resolved, source)


def write_summary(directory: Path, summary: Mapping[str, Any]) -> Path:
    target = directory / SUMMARY_FILE
    write_text_atomically(target, json.dumps(summary, indent=2, default=str) + "\n")
    return target
