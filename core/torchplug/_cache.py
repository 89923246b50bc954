"""An on-disk cache of the installed index, so a process lists names without scanning every distribution.

A hit is validated without a scan: the cache key covers the interpreter, the venv, the
namespace and the exact ``sys.path``; the stored stamp (`_stamp`) says whether the
distributions on each ``sys.path`` entry are still those the scan found (pip adds or deletes
``*.dist-info`` folders whenever it installs, removes, upgrades or downgrades one; a file saved
in the working directory changes nothing), and holds the modification times of the files of
legacy ``*.egg-info`` folders, which ``setup.py egg_info`` rewrites in place. What a hit serves is never
taken on trust: each provider's folder must sit on ``sys.path`` and be named for it, and its
``entry_points.txt`` must declare exactly the stored entry points (one small read per providing
distribution), so a stored file can only say what the installed metadata says. Writes are atomic
replaces; an unreadable, corrupt or implausible file is a miss; an unwritable directory only
costs speed.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from . import _env, _stamp
from ._metadata import (
    EntryRecord,
    InstalledDistribution,
    InstalledIndex,
    MetadataProblem,
    declared_entries,
    folder_name,
    target_problem,
)

_FORMAT = 3  # bump when the stored layout changes: older files become misses
_KEEP = 32  # files kept in the cache directory; the least recently written go first


def enabled() -> bool:
    """False when TORCHPLUG_CACHE turns the cache off."""
    return _env.flag(_env.CACHE, default=True)


def directory() -> Path:
    """``$XDG_CACHE_HOME/torchplug``, or ``~/.cache/torchplug``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "torchplug"


def _key(namespace: str, path: Sequence[str]) -> str:
    import hashlib

    identity = json.dumps(
        [_FORMAT, namespace, sys.executable, sys.prefix, sys.version, list(path)],
        separators=(",", ":"),
    )
    return hashlib.sha256(identity.encode("utf-8")).hexdigest()[:24]


def _json_stamp(stamp: tuple[Any, Any]) -> list[Any]:
    return [
        [list(f) if f else None for f in stamp[0]],
        [[list(child) for child in s] if s is not None else None for s in stamp[1]],
    ]


def _fresh(stored: Any, path: Sequence[str]) -> bool:
    """True while the distributions on `path` are those the stored stamp saw (see `_stamp`)."""
    quick = [tuple(f) if f else None for f in stored[0]]
    changed = _stamp.changed_entries(path, quick)
    if not changed:
        return True
    slow = [tuple(tuple(c) for c in s) if s is not None else None for s in stored[1]]
    return _stamp.unchanged(path, slow, changed)


def _encode(index: InstalledIndex) -> dict[str, Any]:
    return {
        "namespace": index.namespace,
        "entries": [list(vars(e).values()) for e in index.entries],
        "distributions": [list(vars(d).values()) for d in index.distributions],
        "problems": [list(vars(p).values()) for p in index.problems],
        "watched": [list(w) for w in index.watched],
    }


def _typed(record: Any, optional: frozenset[str] = frozenset()) -> Any:
    """`record` if every field is a string (or None where allowed); else the file is damaged."""
    for name, value in vars(record).items():
        if not (isinstance(value, str) or (value is None and name in optional)):
            raise ValueError(f"{type(record).__name__}.{name} is {value!r}")
    return record


def _decode(data: dict[str, Any]) -> InstalledIndex:
    return InstalledIndex(
        str(data["namespace"]),
        tuple(_typed(EntryRecord(*e), frozenset({"problem"})) for e in data["entries"]),
        tuple(_typed(InstalledDistribution(*d)) for d in data["distributions"]),
        tuple(
            _typed(MetadataProblem(*p), frozenset({"distribution", "entry_point", "hint"}))
            for p in data["problems"]
        ),
        tuple(_watched(file, mtime) for file, mtime in data["watched"]),
    )


def _watched(file: Any, mtime: Any) -> tuple[str, int]:
    if not isinstance(file, str) or not isinstance(mtime, int):
        raise ValueError(f"watched file {file!r} {mtime!r}")
    return file, mtime


def _unchanged(watched: Sequence[tuple[str, int]]) -> bool:
    """True while every watched file has the modification time it had before the scan."""
    for file, mtime in watched:
        try:
            now = os.stat(file).st_mtime_ns
        except OSError:
            now = -1
        if now != mtime:
            return False
    return True


def _plausible(index: InstalledIndex, path: Sequence[str]) -> bool:
    """True if a scan of `path` could have found `index`: every provider is a folder directly on
    `path`, named for its distribution, and declares exactly the stored entry points.

    The cache file is the user's own (0600), but it is read by every process of the venv and
    may come from elsewhere (a restored CI cache): a stored target is imported later, so none
    is believed that the installed metadata does not declare.
    """
    on_path = {os.path.normpath(os.path.abspath(entry or os.curdir)) for entry in path}
    providers = {}
    for dist in index.distributions:
        folder = os.path.normpath(dist.location)
        if os.path.dirname(folder) not in on_path or folder_name(folder) != dist.name:
            return False
        providers[dist.location] = dist
    stored: dict[str, set[tuple[str, str, str]]] = {location: set() for location in providers}
    for entry in index.entries:
        provider = providers.get(entry.location)
        if provider is None or (entry.distribution, entry.version) != (
            provider.name,
            provider.version,
        ):
            return False
        expected = None if entry.category == "deprecated" else target_problem(entry.value)
        if entry.problem != expected:
            return False
        stored[entry.location].add((entry.category, entry.name, entry.value))
    return all(
        declared_entries(location, index.namespace) == entries
        for location, entries in stored.items()
    )


def _read(file: Path, path: Sequence[str], namespace: str) -> InstalledIndex | None:
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
        if data["format"] != _FORMAT or data["path"] != list(path):
            return None
        if not _fresh(data["stamp"], path):
            return None  # something was installed, removed or changed on the path
        index = _decode(data["index"])
    except (OSError, ValueError, KeyError, TypeError):
        return None  # missing, truncated, corrupt or from another layout: rebuild it
    if index.namespace != namespace or not _unchanged(index.watched):
        return None  # a legacy egg-info folder was rewritten in place
    return index if _plausible(index, path) else None


def _write(file: Path, path: Sequence[str], before: list[Any], index: InstalledIndex) -> None:
    import tempfile

    payload = {"format": _FORMAT, "path": list(path), "stamp": before, "index": _encode(index)}
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            "w", dir=file.parent, prefix=".tmp-", suffix=".json", delete=False, encoding="utf-8"
        ) as handle:
            json.dump(payload, handle, separators=(",", ":"))
        os.replace(handle.name, file)  # atomic: readers see the old file or the new, never half
        _prune(file.parent)
    except OSError:
        try:
            os.unlink(handle.name)
        except (OSError, UnboundLocalError):
            pass


def _prune(folder: Path) -> None:
    files = sorted(folder.glob("index-*.json"), key=lambda f: f.stat().st_mtime_ns, reverse=True)
    for old in files[_KEEP:]:
        try:
            old.unlink()
        except OSError:
            pass


def cached_scan(
    namespace: str, scan: Callable[[], InstalledIndex], *, refresh: bool = False
) -> InstalledIndex:
    """The index of `namespace` from the cache when still valid, else from `scan` (and stored).

    The stamp is taken before scanning, so a change made during the scan invalidates the result.
    """
    if not enabled():
        return scan()
    path = list(sys.path)
    file = directory() / f"index-{_key(namespace, path)}.json"
    if not refresh:
        index = _read(file, path, namespace)
        if index is not None:
            return index
    before = _json_stamp(_stamp.take(path))
    index = scan()
    _write(file, path, before, index)
    return index


def describe() -> dict[str, Any]:
    """Where the cache is and what it holds, for ``torchplug cache``."""
    folder = directory()
    files = sorted(folder.glob("index-*.json")) if folder.is_dir() else []
    return {
        "enabled": enabled(),
        "directory": str(folder),
        "files": len(files),
        "bytes": sum(f.stat().st_size for f in files),
    }


def clear() -> int:
    """Delete every cache file; returns how many were removed."""
    folder = directory()
    removed = 0
    for file in folder.glob("index-*.json") if folder.is_dir() else ():
        try:
            file.unlink()
            removed += 1
        except OSError:
            pass
    return removed
