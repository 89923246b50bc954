"""The installed index as the registry uses it: loadable sources by category and name, made on need.

Above the cache and the loader, below resolution: it groups, it never chooses. The index it reads
(a fresh scan, or a stored one read a piece at a time) holds plain tuples; a `Source` is made for
a name only when something asks for that name, so resolving one name of ten thousand installed
packs makes a handful of objects. A provider is one `Source` whatever name it is asked for by
(its aliases share it), and a loaded source is kept over a refresh while the same provider is
still installed.
"""

from __future__ import annotations

from ._loading import Source
from ._metadata import EntryRecord, target_problem

TYPE_CHECKING = False  # typing costs milliseconds to import; mypy reads this as True
if TYPE_CHECKING:
    from ._cache import Index
    from ._keyed import Entry, Listing, Reserved
    from ._metadata import InstalledDistribution, MetadataProblem

    #: category, distribution, version, location, value: what makes two entries one provider.
    SourceKey = tuple[str, str, str, str, str]


class Installed:
    """One scan's installed sources, made as they are asked for; replaced whole on refresh."""

    def __init__(self, index: Index, sources: dict[SourceKey, Source]) -> None:
        self._index = index
        self._sources = sources  # shared with the catalog: loaded ones outlive a refresh
        self._names: dict[tuple[str, str], list[Source]] = {}
        self._tables: dict[str, dict[str, list[Source]]] = {}
        self._groups: dict[str, dict[str, list[Source]]] = {}
        self._deprecated: dict[tuple[str, str], tuple[str, str]] | None = None

    @property
    def index(self) -> Index:
        return self._index

    def _source(self, category: str, name: str, entry: Entry) -> Source:
        value, distribution, version, location, names = entry
        key = (category, distribution, version, location, value)
        source = self._sources.get(key)
        if source is None:
            problem = target_problem(value)
            record = EntryRecord(category, name, value, distribution, version, location, problem)
            source = self._sources.setdefault(key, Source.from_entry(record))
        source.names = list(names)
        return source

    def providers(self, category: str, name: str) -> list[Source]:
        """Every installed provider of a bare name, in ``sys.path`` order."""
        table = self._tables.get(category)
        if table is not None:
            return table.get(name, [])
        found = self._names.get((category, name))
        if found is None:
            entries = self._index.bucket(category, name)
            found = [self._source(category, name, entry) for entry in entries]
            self._names[(category, name)] = found
        return found

    def table(self, category: str) -> dict[str, list[Source]]:
        """Every name of a category and its providers."""
        table = self._tables.get(category)
        if table is None:
            table = {
                name: self._names.get((category, name))
                or [self._source(category, name, entry) for entry in entries]
                for name, entries in self._index.table(category).items()
            }
            self._tables[category] = table
        return table

    def entries(self, category: str) -> dict[str, tuple[Entry, ...]]:
        """The raw entries of a category, for readers that need no `Source` (listing)."""
        return self._index.table(category)

    def listing(self, category: str) -> Listing:
        """The category's rows as installed, before anything is loaded (`_keyed.Listing`)."""
        return self._index.listing(category)

    def categories(self) -> tuple[str, ...]:
        """The component categories something is installed in."""
        return self._index.categories()

    def has_category(self, category: str) -> bool:
        """Whether something installed declares `category` (cheaper than `categories`)."""
        return self._index.has_category(category)

    def distributions(self) -> tuple[InstalledDistribution, ...]:
        return self._index.distributions()

    def problems(self) -> tuple[MetadataProblem, ...]:
        return self._index.problems()

    def groups(self) -> tuple[str, ...]:
        """Every entry-point group a distribution on the path declares, any namespace's."""
        return self._index.groups()

    def reserved(self, group: str) -> tuple[Reserved, ...]:
        """The raw records of a reserved group (``hooks``, ``contracts``, ``commands``,
        ``deprecated``)."""
        return self._index.reserved(group)

    def _group(self, group: str) -> dict[str, list[Source]]:
        """The sources of a reserved group by name. A provider declared under several names of
        the group is one source, listed under the first (its other names are its aliases)."""
        found = self._groups.get(group)
        if found is None:
            found = {}
            made: dict[tuple[str, str, str, str], Source] = {}
            aliases: dict[int, list[str]] = {}
            for record in self._index.reserved(group):
                _, name, value, distribution, version, location, _ = record
                key = (distribution, version, location, value)
                source = made.get(key)
                if source is None:
                    entry = (value, distribution, version, location, ())
                    source = made[key] = self._source(group, name, entry)
                    found.setdefault(name, []).append(source)
                aliases.setdefault(id(source), []).append(name)
            for source in made.values():
                source.names = aliases[id(source)]
            self._groups[group] = found
        return found

    def group_of(self, group: str, name: str) -> list[Source]:
        """The sources of `name` in a reserved group (as `_group` lists them), made without the
        rest of the group."""
        if group in self._groups:
            return self._groups[group].get(name, [])
        found = self._names.get((group, name))
        if found is None:
            records = self._index.reserved(group)
            names: dict[tuple[object, ...], list[str]] = {}
            for record in records:
                names.setdefault((record[3], record[4], record[5], record[2]), []).append(record[1])
            found = []
            for (distribution, version, location, value), aliases in names.items():
                if aliases[0] == name:  # listed under its first name only
                    entry = (value, distribution, version, location, tuple(aliases))
                    found.append(self._source(group, name, entry))  # type: ignore[arg-type]
            self._names[(group, name)] = found
        return found

    @property
    def hooks(self) -> list[Source]:
        """The hook plugins, in ``sys.path`` order."""
        return [s for sources in self._group("hooks").values() for s in sources]

    @property
    def contracts(self) -> dict[str, list[Source]]:
        """Packs' Contract objects by category, loaded on need."""
        return self._group("contracts")

    @property
    def commands(self) -> dict[str, list[Source]]:
        """Command-line subcommands (group ``<namespace>.commands``)."""
        return self._group("commands")

    @property
    def deprecated(self) -> dict[tuple[str, str], tuple[str, str]]:
        """(category, old name) -> (new name, the distribution that says so)."""
        found = self._deprecated
        if found is None:
            found = {}
            for record in self._index.reserved("deprecated"):
                _, name, value, distribution = record[:4]
                category, _, old = name.partition(".")
                found[(category, old)] = (value.strip(), distribution)
            self._deprecated = found
        return found
