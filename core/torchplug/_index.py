"""The installed index as the registry uses it: loadable sources by category and name.

Above the metadata reader and the loader, below resolution: it groups, it never chooses.

`find_entry_points` gives plain records; this groups them, keeps aliases together, and carries
loaded objects over a refresh when the same provider is still installed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ._loading import Source
from ._metadata import InstalledIndex


@dataclass(frozen=True)
class SourceIndex:
    """One scan's installed sources, indexed for lookups; replaced whole on refresh."""

    index: InstalledIndex
    components: dict[str, dict[str, list[Source]]]
    hooks: list[Source]
    contracts: dict[str, list[Source]]  # category -> packs' Contract objects, loaded on need
    commands: dict[str, list[Source]]  # command-line subcommands (group "<namespace>.commands")
    deprecated: dict[tuple[str, str], tuple[str, str]]  # (category, old) -> (new, distribution)


SourceKey = tuple[str, str, str, str, str]  # category, distribution, version, location, value


def source_key(source: Source) -> SourceKey | None:
    r = source.record
    return None if r is None else (r.category, r.distribution, r.version, r.location, r.value)


def loaded_sources(index: SourceIndex) -> dict[SourceKey, Source]:
    """The sources of `index` that hold a loaded object, to carry over into the next scan."""
    found = {}
    for source in [
        *index.hooks,
        *(s for n in index.components.values() for v in n.values() for s in v),
    ]:
        key = source_key(source)
        if key is not None and source.loaded:
            found[key] = source
    return found


def index_sources(index: InstalledIndex, reusable: Mapping[SourceKey, Source]) -> SourceIndex:
    """Group one scan's entry points into loadable sources by category and name.

    Entry points of one distribution with the same target in one category are aliases: they
    share a Source, so the module is imported once and `info` can list the other names.
    `reusable` sources (loaded before, same provider still installed) are kept, not reloaded.
    """
    by_key: dict[tuple[str, str, str, str, str], Source] = {}
    components: dict[str, dict[str, list[Source]]] = {}
    hooks: list[Source] = []
    contracts: dict[str, list[Source]] = {}
    commands: dict[str, list[Source]] = {}
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
            elif record.category == "commands":
                commands.setdefault(record.name, []).append(source)
        source.names.append(record.name)
        if record.category not in ("hooks", "contracts", "commands"):
            sources = components.setdefault(record.category, {}).setdefault(record.name, [])
            if source not in sources:
                sources.append(source)
    return SourceIndex(index, components, hooks, contracts, commands, deprecated)
