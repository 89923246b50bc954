"""Scanning ``sys.path`` for the namespace's entry points: what a registry does when no stored scan holds.

Above the metadata records and the entry-point grammar (`_metadata`), below the keyed index: it
reads installed distributions with importlib-metadata and never imports them. Every problem in the
metadata is recorded instead of raised, so that listing survives any broken pack.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from ._metadata import (
    EntryRecord,
    InstalledDistribution,
    InstalledIndex,
    MetadataProblem,
    accepted,
    content_digest,
    declarations_digest,
    entry_point_sections,
    folder_name,
    settled_signature,
    target_problem,
)
from ._names import normalize_distribution
from ._settings import DISABLE as _DISABLE

#: The type of a distribution's folder on disk, as importlib-metadata makes it.
_PATH_TYPE = type(Path())

TYPE_CHECKING = False  # typing costs milliseconds to import; mypy reads this as True
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any


def _location(dist: Any) -> str:
    path = getattr(dist, "_path", None)  # the dist-info folder; not public, but stable for years
    return str(path) if path is not None else str(dist.locate_file(""))


def _exists(dist: Any, filename: str) -> bool:
    path = getattr(dist, "_path", None)
    try:
        return path is not None and (path / filename).exists()
    except (OSError, TypeError):
        return False


def _distribution_key(dist: Any) -> str | None:
    # The folder name gives the normalised name without reading METADATA, as importlib-metadata's
    # own de-duplication does; fall back to METADATA for layouts where it cannot.
    try:
        key = dist._normalized_name
    except Exception:
        key = None
    return normalize_distribution(key) if key else None


def _skipped(problem: str, location: str, distribution: str, where: str) -> MetadataProblem:
    return MetadataProblem(
        f"{problem}; the entry point is skipped", location, distribution, where, "warning"
    )


def _unreadable(location: str, exc: Exception) -> MetadataProblem:
    name = folder_name(location)
    return MetadataProblem(
        f"entry_points.txt of {name} cannot be read: {exc}",
        location,
        name,
        hint=f"Reinstall {name} (pip install --force-reinstall {name}) or delete {location}. "
        "importlib.metadata.entry_points() fails on this file, and so does every program that "
        f"calls it (torch does when it is imported); {_DISABLE} cannot help with that.",
    )


def _watch(dist: Any, watched: list[tuple[str, int]]) -> None:
    """Note the modification times of a legacy egg-info folder's files, before they are read."""
    path = getattr(dist, "_path", None)
    if path is None or not str(path).endswith(".egg-info"):
        return
    for name in ("entry_points.txt", "PKG-INFO"):
        file = os.path.join(str(path), name)
        try:
            watched.append((file, os.stat(file).st_mtime_ns))
        except OSError:
            watched.append((file, -1))


def _read_text(dist: Any, filename: str, seen: _Seen | None = None) -> str | None:
    """`dist.read_text(filename)`, read without pathlib for a folder on disk (what nearly every
    distribution is): the same text, universal newlines included, and the same None or error.
    For such a folder, `seen` (when given) records the file's digest and stat signature."""
    path = getattr(dist, "_path", None)
    if type(path) is not _PATH_TYPE:
        return dist.read_text(filename)  # type: ignore[no-any-return]
    try:
        handle = os.open(os.path.join(str(path), filename), os.O_RDONLY)
    except (FileNotFoundError, NotADirectoryError, PermissionError, IsADirectoryError):
        return None
    try:
        stat = os.fstat(handle) if seen is not None else None  # before the bytes it vouches for
        chunks = []
        while chunk := os.read(handle, 1 << 16):
            chunks.append(chunk)
    except IsADirectoryError:
        return None
    finally:
        os.close(handle)
    data = b"".join(chunks)
    if seen is not None and stat is not None:
        seen.files[str(path)] = (content_digest(data), settled_signature(stat, seen.started))
    text = data.decode("utf-8")
    if "\r" in text:  # what a text-mode read does
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def _name_and_version(dist: Any) -> tuple[str | None, str | None]:
    """METADATA's Name and Version, as ``dist.metadata[...]`` gives them, without the email
    parser when the header lines are plain ``Key: value`` lines (they are, as tools write them).
    Anything else is left to importlib-metadata, which also raises what it raises."""
    text = _read_text(dist, "METADATA") or _read_text(dist, "PKG-INFO")
    if text:
        found: dict[str, str] = {}
        for line in text.split("\n"):
            if not line:
                break  # the end of the headers
            key, colon, value = line.partition(":")
            if not colon or not key or key[0] in " \t" or " " in key or "\t" in key:
                found = {}
                break  # a continuation or an odd line: the parser decides
            key = key.lower()
            if key in ("name", "version") and key not in found:
                found[key] = value.lstrip(" \t")  # as the email parser's compat32 policy
        else:
            found = {}  # no blank line after the headers: the parser decides
        if "name" in found and "version" in found and all(found.values()):
            return found["name"], found["version"]
    metadata = dist.metadata  # parsed once: each access re-reads and re-parses METADATA
    return metadata["Name"], metadata["Version"]


def _entry_points(text: str, prefix: str) -> list[tuple[str, str, str]] | None:
    """(group, name, value) of the groups starting with `prefix`, parsed as importlib-metadata
    parses entry_points.txt; None where it would fail (a line without "=" in a section)."""
    found = []
    group = None
    for line in text.splitlines():
        line = line.strip()
        if not line or line[0] == "#":
            continue
        if line[0] == "[" and line[-1] == "]":
            group = line.strip("[]")
            continue
        if group is None:
            continue
        name, sep, value = line.partition("=")
        if not sep:
            return None
        if group.startswith(prefix):
            found.append((group, name.strip(), value.strip()))
    return found


_UNREAD = (None, None)


class _Seen:
    """What a scan saw of the entry_points.txt files it read: by location, (digest, signature)
    and the names of the sections (groups) of each; and every group of all of them."""

    __slots__ = ("files", "groups", "sections", "started")

    def __init__(self) -> None:
        self.started = time.time_ns()
        self.files: dict[str, tuple[int, int | None]] = {}
        self.sections: dict[str, set[str]] = {}
        self.groups: set[str] = set()

    def note_sections(self, location: str, text: str) -> None:
        sections = self.sections[location] = entry_point_sections(text)
        self.groups.update(sections)


def _scan_distribution(
    dist: Any,
    namespace: str,
    entries: list[EntryRecord],
    problems: list[MetadataProblem],
    seen: _Seen,
) -> InstalledDistribution | None:
    location = _location(dist)
    prefix = namespace + "."
    try:
        text = _read_text(dist, "entry_points.txt", seen)
    except Exception as exc:  # not UTF-8, a broken zip and the like
        problems.append(_unreadable(location, exc))
        return None
    if text is None and _exists(dist, "entry_points.txt"):
        # importlib-metadata answers None for a file it cannot read (permissions, a directory).
        problems.append(
            MetadataProblem(
                "entry_points.txt exists but cannot be read; its entry points are skipped. "
                "Check its permissions, or reinstall the distribution.",
                location,
            )
        )
        return None
    if not text:
        return None
    seen.note_sections(location, text)
    if prefix not in text:
        return None  # the common case: a distribution with nothing for us, decided in one read

    try:
        display_name, version = _name_and_version(dist)
    except Exception as exc:
        display_name, version = None, None
        detail = f" ({exc})"
    else:
        detail = ""
    if not display_name:
        problems.append(
            MetadataProblem(
                f"METADATA is missing, empty or corrupt{detail}; its entry points are skipped. "
                "Reinstall the distribution (pip install --force-reinstall) or remove this folder.",
                location,
            )
        )
        return None
    name = normalize_distribution(display_name)
    version = version or "0+unknown"
    try:
        declared = _entry_points(text, prefix)
        if declared is None:  # importlib-metadata says what is wrong, in its own words
            declared = [(ep.group, ep.name, ep.value) for ep in dist.entry_points]
    except Exception as exc:
        problems.append(
            MetadataProblem(
                f"entry_points.txt cannot be parsed: {exc}; its entry points are skipped",
                location,
                name,
            )
        )
        return None

    found = False
    for group, entry_name, value in declared:
        category, problem = accepted(group, entry_name, prefix)
        if category is None:
            if problem:
                where = f"[{group}] {entry_name} = {value}"
                problems.append(_skipped(problem, location, name, where))
            continue
        # A deprecation's value is the new name, not an importable target.
        problem = None if category == "deprecated" else target_problem(value)
        entries.append(EntryRecord(category, entry_name, value, name, version, location, problem))
        found = True
    if not found:
        seen_group = any(group.startswith(prefix) for group, _, _ in declared)
        if "[" + prefix in text and not seen_group:
            problems.append(
                MetadataProblem(
                    f"entry_points.txt names a '{prefix}*' group but no entry point of it could "
                    "be parsed (a malformed section header?); fix the distribution's metadata",
                    location,
                    name,
                )
            )
        return None
    return InstalledDistribution(name, display_name, version, location)


def find_entry_points(namespace: str, path: Sequence[str] | None = None) -> InstalledIndex:
    """Scan the distributions on `path` (default ``sys.path``) for groups ``"<namespace>.*"``.

    A distribution found twice counts once: the first one on the path wins, as it does for import
    (a later copy that declares other entry points of the namespace is reported as hidden).
    Nothing is imported; every problem in the metadata is recorded instead of raised.
    """
    import importlib_metadata  # deferred: it costs milliseconds that `import torchplug` must not

    entries: list[EntryRecord] = []
    problems: list[MetadataProblem] = []
    found: list[InstalledDistribution] = []
    watched: list[tuple[str, int]] = []
    seen_files = _Seen()
    seen: dict[str, Any] = {}  # normalised name -> the distribution that counts
    search_path = list(sys.path if path is None else path)
    problems.extend(_broken_archives(search_path))
    for dist in importlib_metadata.distributions(path=search_path):
        key = _distribution_key(dist)
        if key is not None:
            if key in seen:
                hidden = _hidden(dist, seen[key], namespace)
                if hidden is not None:
                    problems.append(hidden)
                continue
            seen[key] = dist
        _watch(dist, watched)
        installed = _scan_distribution(dist, namespace, entries, problems, seen_files)
        if installed is None:
            continue
        if key is None:  # no name from the folder: de-duplicate on METADATA's name instead
            if installed.name in seen:
                entries[:] = [e for e in entries if e.location != installed.location]
                continue
            seen[installed.name] = dist
        found.append(installed)
    declared: dict[str, list[tuple[str, str, str]]] = {}
    for record in entries:
        declared.setdefault(record.location, []).append(
            (record.category, record.name, record.value)
        )
    files = seen_files.files
    sections = seen_files.sections
    kept = tuple(
        (
            d.location,
            *files.get(d.location, _UNREAD),
            declarations_digest(declared[d.location], sections.get(d.location, ())),
        )
        for d in found
    )
    return InstalledIndex(
        namespace,
        tuple(entries),
        tuple(found),
        tuple(problems),
        tuple(watched),
        kept,
        tuple(sorted(seen_files.groups)),
    )


def _namespace_lines(dist: Any, namespace: str) -> list[str] | None:
    """The lines of the namespace's sections of `dist`'s entry_points.txt (None: unreadable)."""
    try:
        text = dist.read_text("entry_points.txt") or ""
    except Exception:
        return None
    lines, inside = [], False
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("["):
            inside = line.startswith(f"[{namespace}.")
        if inside and line and not line.startswith(("#", ";")):
            lines.append(line)
    return lines


def _hidden(dist: Any, first: Any, namespace: str) -> MetadataProblem | None:
    """A warning for a later copy of an installed distribution that declares entry points of the
    namespace the first copy does not (the same install seen twice, as setuptools' editable
    installs are, declares the same ones and is not reported)."""
    hidden_lines = _namespace_lines(dist, namespace)
    if not hidden_lines or hidden_lines == _namespace_lines(first, namespace):
        return None
    location, first_location = _location(dist), _location(first)
    name = _distribution_key(dist) or folder_name(location)
    return MetadataProblem(
        f"a second copy of {name} is hidden by the one at {first_location}, earlier on sys.path "
        "(import uses that one too); the entry points only the hidden copy declares are ignored",
        location,
        name,
        severity="warning",
        hint=f"Uninstall the copy you do not use (pip uninstall {name} removes the first one), "
        "or reorder sys.path.",
    )


def _broken_archives(path: Sequence[str]) -> list[MetadataProblem]:
    """sys.path entries that are files but not readable zip archives: nothing in them can be
    imported or discovered, which importlib skips without a word."""
    import zipfile

    problems = []
    for entry in path:
        if not entry or not os.path.isfile(entry):
            continue
        try:
            with zipfile.ZipFile(entry) as archive:
                archive.namelist()
        except (OSError, zipfile.BadZipFile, ValueError) as exc:
            problems.append(
                MetadataProblem(
                    f"the sys.path entry {entry} is not a readable zip archive ({exc}); "
                    "nothing in it can be imported, and its distributions are not seen",
                    entry,
                    severity="warning",
                    hint="Replace or remove the file, or take it off sys.path (PYTHONPATH, a "
                    ".pth file).",
                )
            )
    return problems
