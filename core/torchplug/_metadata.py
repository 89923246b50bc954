"""Reading installed packaging metadata into an index of entry points, without importing them.

This is the bottom layer: it knows distributions, groups and entry-point strings, nothing of
registries, builders or torch. Its output is plain data so that it can also be cached on disk.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ._names import (
    RESERVED_CATEGORIES,
    category_problem,
    component_problem,
    normalize_distribution,
)

#: ``module``, ``module:attr.path`` and an optional ``[extras]`` tail, as the entry-point spec allows.
_ENTRY_POINT_VALUE = re.compile(
    r"^(?P<module>[\w.]+)\s*(?::\s*(?P<attr>[\w.]+)\s*)?(?:\[[^\]]*\]\s*)?$", re.ASCII
)


@dataclass(frozen=True)
class EntryRecord:
    """One entry point of the namespace, as declared by an installed distribution."""

    category: str  # the group without "<namespace>."; or "hooks", "contracts", "deprecated"
    name: str
    value: str  # the declared target, "module:attr"
    distribution: str  # PEP 503 normalised
    version: str
    location: str  # the dist-info (or egg-info) folder it was read from
    problem: str | None = None  # why it cannot be loaded, when that is known without importing

    @property
    def target(self) -> str:
        """The declared target as ``module:attr``: no spaces, no ``[extras]`` tail."""
        try:
            module, attr = split_target(self.value)
        except ValueError:
            return self.value.strip()
        return f"{module}:{attr}" if attr else module


@dataclass(frozen=True)
class MetadataProblem:
    """Something wrong in installed metadata that was skipped rather than crash a listing."""

    message: str
    location: str
    distribution: str | None = None
    entry_point: str | None = None  # "[group] name = value" when one entry is at fault
    severity: str = "error"  # "error": something installed cannot work; "warning": skipped input


@dataclass(frozen=True)
class InstalledDistribution:
    """A distribution that declares at least one entry point of the namespace."""

    name: str  # PEP 503 normalised
    display_name: str  # as written in its METADATA
    version: str
    location: str


@dataclass(frozen=True)
class InstalledIndex:
    """Everything one scan of ``sys.path`` found for one namespace."""

    namespace: str
    entries: tuple[EntryRecord, ...] = ()
    distributions: tuple[InstalledDistribution, ...] = ()
    problems: tuple[MetadataProblem, ...] = field(default=())


def target_problem(value: str) -> str | None:
    """Why an entry-point value cannot name an importable object, or None when it can."""
    if not _ENTRY_POINT_VALUE.match(value.strip()):
        return f"malformed entry-point value {value!r}; expected 'package.module:attribute'"
    return None


def split_target(value: str) -> tuple[str, str | None]:
    """``"pkg.mod:obj.attr [x]"`` -> ``("pkg.mod", "obj.attr")``; the attribute may be absent."""
    match = _ENTRY_POINT_VALUE.match(value.strip())
    if match is None:
        raise ValueError(target_problem(value))
    return match.group("module"), match.group("attr")


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


def _scan_distribution(
    dist: Any, namespace: str, entries: list[EntryRecord], problems: list[MetadataProblem]
) -> InstalledDistribution | None:
    location = _location(dist)
    prefix = namespace + "."
    try:
        text = dist.read_text("entry_points.txt")
    except Exception as exc:  # a broken zip and the like
        problems.append(MetadataProblem(f"cannot read entry_points.txt: {exc}", location))
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
    if not text or prefix not in text:
        return None  # the common case: a distribution with nothing for us, decided in one read

    try:
        metadata = dist.metadata  # parsed once: each access re-reads and re-parses METADATA
        display_name = metadata["Name"]
        version = metadata["Version"]
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
        declared = list(dist.entry_points)
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
    for ep in declared:
        if not ep.group.startswith(prefix):
            continue
        category = ep.group[len(prefix) :]
        if "." in category:
            continue  # the group of a nested namespace such as "torchplug.sub.model"
        where = f"[{ep.group}] {ep.name} = {ep.value}"
        if category not in RESERVED_CATEGORIES:
            problem = category_problem(category)
            if problem:
                problems.append(_skipped(problem, location, name, where))
                continue
        problem = component_problem(ep.name)
        if problem:
            problems.append(_skipped(problem, location, name, where))
            continue
        # A deprecation's value is the new name, not an importable target.
        problem = None if category == "deprecated" else target_problem(ep.value)
        entries.append(EntryRecord(category, ep.name, ep.value, name, version, location, problem))
        found = True
    if not found:
        seen_group = any(ep.group.startswith(prefix) for ep in declared)
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

    A distribution found twice counts once: the first one on the path wins, as it does for import.
    Nothing is imported; every problem in the metadata is recorded instead of raised.
    """
    import importlib_metadata  # deferred: it costs milliseconds that `import torchplug` must not

    entries: list[EntryRecord] = []
    problems: list[MetadataProblem] = []
    found: list[InstalledDistribution] = []
    seen: set[str] = set()
    search_path = list(sys.path if path is None else path)
    for dist in importlib_metadata.distributions(path=search_path):
        key = _distribution_key(dist)
        if key is not None:
            if key in seen:
                continue
            seen.add(key)
        installed = _scan_distribution(dist, namespace, entries, problems)
        if installed is None:
            continue
        if key is None:  # no name from the folder: de-duplicate on METADATA's name instead
            if installed.name in seen:
                entries[:] = [e for e in entries if e.location != installed.location]
                continue
            seen.add(installed.name)
        found.append(installed)
    return InstalledIndex(namespace, tuple(entries), tuple(found), tuple(problems))
