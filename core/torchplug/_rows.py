"""What `Registry.entries` and ``torchplug list`` show of every name: rows straight from the index.

Above the catalog, below the registry. Listing ten thousand names must not make ten thousand
sources, providers and records: while nothing of a category is loaded, disabled or registered
locally, its rows are those the index keeps (`_keyed.listing_of`, stored by the cache), served as
they are; otherwise a name with one enabled installed provider and no local registration becomes
its row from its entry. Any other name is described as `Registry.info` describes it. A row is the
fields of a `ComponentInfo` in order, its providers as ``(distribution, version, target,
location)`` tuples; a category's rows come sorted by name.
"""

from __future__ import annotations

from ._keyed import installed_row

TYPE_CHECKING = False  # typing costs milliseconds to import; mypy reads this as True
if TYPE_CHECKING:
    from ._catalog import Catalog
    from ._info import ComponentInfo
    from ._keyed import Row


def rows(catalog: Catalog, category: str) -> list[Row]:
    """One row per installed or local name of `category`, disabled and conflicted ones too,
    sorted by name."""
    local = catalog.local.get(category, {})
    disabled = catalog.disabled
    sources = catalog.sources
    if not local and not disabled and not any(key[0] == category for key in sources):
        stored, shared = catalog.tables.listing(category)
        if not shared:
            return list(stored)
        found = [*stored, *(row_of(catalog.describe(category, n)) for n in shared)]
        found.sort(key=_by_name)
        return found
    found = []
    entries = catalog.tables.entries(category)
    for name, provided in entries.items():
        if len(provided) == 1 and name not in local and provided[0][1] not in disabled:
            row = installed_row(category, name, provided[0])
            value, distribution, version, location, _ = provided[0]
            source = sources.get((category, distribution, version, location, value))
            if source is not None:  # made earlier: it may be loaded, or remember a failure
                problem = source.static_problem
                status = "broken" if problem else "ok"
                row = (category, name, status, row[3], row[4], source.loaded, problem, None, None)
            found.append(row)
        else:
            found.append(row_of(catalog.describe(category, name)))
    found.extend(row_of(catalog.describe(category, n)) for n in local if n not in entries)
    found.sort(key=_by_name)
    return found


def _by_name(row: Row) -> str:
    return row[1]


def row_of(info: ComponentInfo) -> Row:
    cells = tuple((p.distribution, p.version, p.target, p.location) for p in info.providers)
    return (
        info.category,
        info.name,
        info.status,
        cells,
        info.aliases,
        info.loaded,
        info.problem,
        info.preferred,
        info.settled_by,
    )


def info_of(row: Row) -> ComponentInfo:
    from ._info import ComponentInfo
    from ._loading import Provider

    category, name, status, cells, aliases, loaded, problem, preferred, settled_by = row
    providers = tuple(Provider(*cell) for cell in cells)
    return ComponentInfo(
        category, name, status, providers, aliases, loaded, problem, preferred, settled_by
    )
