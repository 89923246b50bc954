"""The installed index as the registry uses it: loadable sources by category and name.

`find_entry_points` gives plain records; this groups them, keeps aliases together, and carries
loaded objects over a refresh when the same provider is still installed.
"""

from __future__ import annotations

from dataclasses import dataclass

from ._component import Source
from ._discovery import InstalledIndex


@dataclass(frozen=True)
class SourceIndex:
    """One scan's installed sources, indexed for lookups; replaced whole on refresh."""

    index: InstalledIndex
    components: dict[str, dict[str, list[Source]]]
    hooks: list[Source]
    contracts: dict[str, list[Source]]  # category -> packs' Contract objects, loaded on need
    deprecated: dict[tuple[str, str], tuple[str, str]]  # (category, old) -> (new, distribution)


def index_sources(index: InstalledIndex, previous: SourceIndex | None) -> SourceIndex:
    """Group one scan's entry points into loadable sources by category and name.

    Entry points of one distribution with the same target in one category are aliases: they
    share a Source, so the module is imported once and `info` can list the other names.
    """
    reusable: dict[tuple[str, str, str, str, str], Source] = {}
    if previous is not None:  # keep what was loaded when the same provider is still installed
        for names in previous.components.values():
            for sources in names.values():
                for s in sources:
                    if s.record is not None and s.loaded:
                        r = s.record
                        reusable[(r.category, r.distribution, r.version, r.location, r.value)] = s
    by_key: dict[tuple[str, str, str, str, str], Source] = {}
    components: dict[str, dict[str, list[Source]]] = {}
    hooks: list[Source] = []
    contracts: dict[str, list[Source]] = {}
    deprecated: dict[tuple[str, str], tuple[str, str]] = {}
    for record in index.entries:
        if record.category == "deprecated":
            category, _, old = record.name.partition(".")
            deprecated[(category, old)] = (record.value.strip(), record.distribution)
            continue
        key = (record.category, record.distribution, record.version, record.location, record.value)
        source = by_key.get(key)
        if source is None:
            source = reusable.get(key) or Source.from_entry(record)
            source.names.clear()
            by_key[key] = source
            if record.category == "hooks":
                hooks.append(source)
            elif record.category == "contracts":
                contracts.setdefault(record.name, []).append(source)
        source.names.append(record.name)
        if record.category not in ("hooks", "contracts"):
            sources = components.setdefault(record.category, {}).setdefault(record.name, [])
            if source not in sources:
                sources.append(source)
    return SourceIndex(index, components, hooks, contracts, deprecated)
