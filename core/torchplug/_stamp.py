"""Whether the distributions on ``sys.path`` are still those a stored scan found: the cache's stamp.

Bottom layer: it knows directories and files, nothing of entry points. A stamp holds, for each
``sys.path`` entry, a fast part and a slow part. The fast part is the entry's identity and
modification time: installing, removing, upgrading or reinstalling a distribution adds or deletes
a ``*.dist-info`` folder in that directory, which changes it. It also changes when anything else
is saved there (a module in the current directory, which ``python -c`` and ``-m`` put on
``sys.path``), so when the fast part differs the slow part decides: the name, inode and
modification time of each metadata folder in the directory, which only a change of distributions
alters (a reinstall of the same version writes a new folder: another inode, another time).
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # typing costs milliseconds to import; mypy reads this as True
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    #: One entry's fast part: (device, inode, modification time, size), or None when missing.
    Fast = tuple[int, int, int, int] | None
    #: One directory's metadata folders: (name, inode, modification time), sorted by name.
    Slow = tuple[tuple[str, int, int], ...] | None

_METADATA_SUFFIXES = (".dist-info", ".egg-info")


def fast(path: Sequence[str]) -> tuple[Fast, ...]:
    """The fast part of each entry: one ``stat`` each."""
    found: list[Fast] = []
    for entry in path:
        try:
            info = os.stat(entry or os.curdir)
        except (OSError, ValueError):
            found.append(None)
            continue
        found.append((info.st_dev, info.st_ino, info.st_mtime_ns, info.st_size))
    return tuple(found)


def slow(entry: str) -> Slow:
    """The metadata folders in directory `entry` (None if it is not a readable directory).

    What importlib-metadata would look at: children named ``*.dist-info`` or ``*.egg-info`` in
    any case, and the ``EGG-INFO`` folder of an ``.egg`` directory on the path.
    """
    folder = entry or os.curdir
    is_egg = folder.lower().endswith(".egg")
    found = []
    try:
        with os.scandir(folder) as children:
            for child in children:
                low = child.name.lower()
                if low.endswith(_METADATA_SUFFIXES) or (is_egg and low == "egg-info"):
                    try:
                        info = child.stat()
                    except OSError:
                        continue
                    found.append((child.name, info.st_ino, info.st_mtime_ns))
    except (OSError, ValueError):
        return None
    return tuple(sorted(found))


def take(path: Sequence[str]) -> tuple[tuple[Fast, ...], tuple[Slow, ...]]:
    """The stamp of `path` now: taken before a scan, so that a change during it is not missed."""
    quick = fast(path)
    return quick, tuple(
        slow(entry) if entry_fast is not None else None
        for entry, entry_fast in zip(path, quick, strict=True)
    )


def changed_entries(path: Sequence[str], stored: Sequence[Fast]) -> list[int]:
    """The indexes of the entries whose fast part differs from `stored`."""
    now = fast(path)
    return [i for i, (a, b) in enumerate(zip(now, stored, strict=True)) if a != b]


def unchanged(path: Sequence[str], stored_slow: Mapping[int, Slow], entries: Sequence[int]) -> bool:
    """True if each of `entries` (indexes into `path`) still holds the metadata folders it held
    (`stored_slow`: the stored slow part of each of them, by index).

    A file on the path (a zip archive) has no slow part: any change to it is a change.
    """
    for index in entries:
        before = stored_slow[index]
        if before is None:
            entry = path[index] or os.curdir
            if os.path.isdir(entry) and slow(entry):
                return False  # a directory that now holds distributions
            if not os.path.isdir(entry) and os.path.exists(entry):
                return False  # a file (a zip archive) that is new or was replaced
            continue
        if slow(path[index]) != before:
            return False
    return True
