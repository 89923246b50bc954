"""The installed index keyed for lookups: category -> name -> entries, as plain tuples.

Above the metadata reader and the hook scanner, below the cache: one scan's records, regrouped so
that resolving one name reads one small group and listing a category reads that category only.
The same layout is kept in memory after a scan and stored on disk by the cache, which reads it
back a group at a time. Tuples rather than objects: at ten thousand installed packs there are a
hundred thousand entries, and an object each is what a warm build must not pay for.

A component entry is ``(value, distribution, version, location, names)``, where `names` are every
name of the same provider in the category (its aliases, itself included). The reserved groups
(hooks, contracts, commands, deprecations) are few: each is a `Reserved` tuple
``(category, name, value, distribution, version, location, hooks)``, `hooks` being, for a hook
plugin, the core hooks its source names (None where its source could not be read).
"""

from __future__ import annotations

from ._metadata import parse_target, target_problem
from ._names import RESERVED_CATEGORIES

TYPE_CHECKING = False  # typing costs milliseconds to import; mypy reads this as True
if TYPE_CHECKING:
    from collections.abc import Callable

    from ._metadata import InstalledDistribution, InstalledIndex, MetadataProblem

    Entry = tuple[str, str, str, str, tuple[str, ...]]
    Reserved = tuple[str, str, str, str, str, str, "tuple[str, ...] | None"]
    #: What the hook scanner answers for a hook plugin: (value, location) -> hooks it names.
    HooksOf = Callable[[str, str], "tuple[str, ...] | None"]

    ProviderCells = tuple[str | None, str | None, str, str | None]
    #: category, name, status, providers, aliases, loaded, problem, preferred, settled_by
    Row = tuple[
        str,
        str,
        str,
        tuple[ProviderCells, ...],
        tuple[str, ...],
        bool,
        str | None,
        str | None,
        str | None,
    ]
    #: What a scan saw of a folder's entry_points.txt: its `content_digest` and
    #: `settled_signature` (None where the scan did not read the file itself, or the
    #: signature proves nothing), and the `declarations_digest` of what it declares.
    Seen = tuple["int | None", "int | None", int]
    #: Providing folders, as columns (a listing checks thousands): locations, distributions,
    #: and what the scan saw of each (`Seen`, a column each).
    Folders = tuple[
        tuple[str, ...],
        tuple[str, ...],
        tuple["int | None", ...],
        tuple["int | None", ...],
        tuple[int, ...],
    ]
    #: A category as a listing shows it before anything is loaded: the rows of the names one
    #: provider answers (sorted by name), and the names several providers share.
    Listing = tuple[tuple[Row, ...], tuple[str, ...]]


def _no_source(value: str, location: str) -> tuple[str, ...] | None:
    return None


class Keyed:
    """One scan's index in the keyed layout, held in memory."""

    __slots__ = (
        "_listings",
        "_tables",
        "digests",
        "distributions_",
        "groups_",
        "namespace",
        "problems_",
        "reserved_",
        "watched",
    )

    def __init__(
        self,
        namespace: str,
        tables: dict[str, dict[str, tuple[Entry, ...]]],
        reserved: dict[str, tuple[Reserved, ...]],
        distributions: tuple[InstalledDistribution, ...],
        problems: tuple[MetadataProblem, ...],
        watched: tuple[tuple[str, int], ...],
        digests: dict[str, Seen] | None = None,
        groups: tuple[str, ...] = (),
    ) -> None:
        self.namespace = namespace
        self._tables = tables
        self.reserved_ = reserved
        self.distributions_ = distributions
        self.problems_ = problems
        self.watched = watched
        self.digests = digests or {}
        self.groups_ = groups
        self._listings: dict[str, Listing] = {}

    # The reading interface, shared with the cache's stored index (`_cache.StoredIndex`).

    def categories(self) -> tuple[str, ...]:
        """The component categories something is declared in, sorted."""
        return tuple(sorted(self._tables))

    def has_category(self, category: str) -> bool:
        return category in self._tables

    def bucket(self, category: str, name: str) -> tuple[Entry, ...]:
        """The entries of one name (none when nothing declares it)."""
        return self._tables.get(category, {}).get(name, ())

    def table(self, category: str) -> dict[str, tuple[Entry, ...]]:
        """Every name of a category and its entries."""
        return self._tables.get(category, {})

    def listing(self, category: str) -> Listing:
        """The category as ``torchplug list`` shows it before anything is loaded (`Listing`)."""
        found = self._listings.get(category)
        if found is None:
            found = self._listings[category] = listing_of(category, self.table(category))
        return found

    def folders(self, category: str | None = None) -> Folders:
        """Every folder that provides something (a component, or a reserved group's record),
        or with `category` those that provide one of its components, for the cache to store."""
        tables = self._tables.values() if category is None else (self.table(category),)
        found = {
            entry[3]: entry[1]
            for table in tables
            for entries in table.values()
            for entry in entries
        }
        if category is None:
            for records in self.reserved_.values():
                for record in records:
                    found.setdefault(record[5], record[3])
        seen = [self.digests.get(location, _UNSEEN) for location in found]
        return (
            tuple(found),
            tuple(found.values()),
            tuple(each[0] for each in seen),
            tuple(each[1] for each in seen),
            tuple(each[2] for each in seen),
        )

    def reserved(self, group: str) -> tuple[Reserved, ...]:
        """The records of one reserved group: ``hooks``, ``contracts``, ``commands`` or
        ``deprecated``."""
        return self.reserved_.get(group, ())

    def reserved_groups(self) -> dict[str, tuple[Reserved, ...]]:
        """Every reserved group, for the cache to store."""
        return self.reserved_

    def distributions(self) -> tuple[InstalledDistribution, ...]:
        return self.distributions_

    def groups(self) -> tuple[str, ...]:
        """Every entry-point group a distribution on the path declares, any namespace's."""
        return self.groups_

    def problems(self) -> tuple[MetadataProblem, ...]:
        return self.problems_

    def tables(self) -> dict[str, dict[str, tuple[Entry, ...]]]:
        """Every category's table, for the cache to store."""
        return self._tables


def keyed(index: InstalledIndex, hooks_of: HooksOf = _no_source) -> Keyed:
    """Regroup a scan's records; `hooks_of` reads which core hooks a hook plugin implements.

    The providers of a name keep the order of the scan (``sys.path`` order), as resolution and
    its messages expect; entries of one distribution with the same target in one category are
    one provider under several names.
    """
    reserved: dict[str, list[Reserved]] = {}
    components = []
    aliases: dict[tuple[str, str, str, str, str], list[str]] = {}
    for record in index.entries:
        if record.category in RESERVED_CATEGORIES:
            hooks = hooks_of(record.value, record.location) if record.category == "hooks" else ()
            reserved.setdefault(record.category, []).append(
                (
                    record.category,
                    record.name,
                    record.value,
                    record.distribution,
                    record.version,
                    record.location,
                    hooks,
                )
            )
            continue
        key = (record.category, record.distribution, record.version, record.location, record.value)
        aliases.setdefault(key, []).append(record.name)
        components.append((key, record.name))
    tables: dict[str, dict[str, list[Entry]]] = {}
    entries: dict[tuple[str, str, str, str, str], Entry] = {}
    for key, name in components:
        entry = entries.get(key)
        if entry is None:
            entry = entries[key] = (key[4], key[1], key[2], key[3], tuple(aliases[key]))
        providers = tables.setdefault(key[0], {}).setdefault(name, [])
        if not any(e is entry for e in providers):
            providers.append(entry)
    return Keyed(
        index.namespace,
        {c: {n: tuple(e) for n, e in names.items()} for c, names in tables.items()},
        {group: tuple(records) for group, records in reserved.items()},
        index.distributions,
        index.problems,
        index.watched,
        {each[0]: each[1:] for each in index.digests},
        index.groups,
    )


#: What stands for a folder the scan saw nothing of (a hand-made index): always re-read.
_UNSEEN: Seen = (None, None, -1)


def listing_of(category: str, table: dict[str, tuple[Entry, ...]]) -> Listing:
    """A category's `Listing`: computed once per scan, so that listing ten thousand names makes
    no object per name beyond its row, and a stored scan serves the rows themselves."""
    rows: list[Row] = []
    shared: list[str] = []
    texts: dict[str, str] = {}  # one object per repeated string: marshal stores it once
    for name in sorted(table):
        provided = table[name]
        if len(provided) != 1:
            shared.append(name)
            continue
        value, distribution, version, location, names = provided[0]
        entry = (
            value,
            texts.setdefault(distribution, distribution),
            texts.setdefault(version, version),
            texts.setdefault(location, location),
            names,
        )
        rows.append(installed_row(category, name, entry))
    return tuple(rows), tuple(shared)


def installed_row(category: str, name: str, entry: Entry) -> Row:
    """The row of a name that one installed provider answers, before anything is loaded."""
    value, distribution, version, location, names = entry
    parsed = parse_target(value)
    if parsed is None:
        target, problem = value.strip(), target_problem(value)
    else:
        target = f"{parsed[0]}:{parsed[1]}" if parsed[1] else parsed[0]
        problem = None
    cells = ((distribution, version, target, location),)
    aliases = tuple(n for n in names if n != name)
    status = "broken" if problem else "ok"
    return (category, name, status, cells, aliases, False, problem, None, None)
