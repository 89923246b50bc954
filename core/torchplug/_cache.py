"""An on-disk cache of the installed index, read a group at a time, so no process scans in vain.

Above the keyed layout, below loading. A stored scan is one file per interpreter, venv, namespace
and ``sys.path``, laid out so that resolving one name reads three small pieces of it (a header, a
pair of offsets, one group of names) whatever the number of installed packs; listing a category
reads that category only. Nothing is read that the answer does not need, and nothing read is
turned into an object per entry.

Whether a stored scan still holds is decided without a scan: the key of the file covers the
interpreter, the venv, the namespace and the exact ``sys.path``; the stamp (`_stamp`) says
whether the distributions on each ``sys.path`` entry are still those the scan found (a file saved
in the working directory changes nothing), and the modification times of the files of legacy
``*.egg-info`` folders, which ``setup.py egg_info`` rewrites in place, are kept too. An
``entry_points.txt`` edited in place is caught as it is read:

- before an entry is imported or described, its provider's folder must sit directly on
  ``sys.path``, be named for its distribution, and declare in its ``entry_points.txt`` exactly
  the stored entry points of that category and name (one small parse per provider), so nothing
  is ever imported on the word of a stored file alone;
- a listing is served from what was stored with the scan while the folders it comes from
  still declare what the scan found: the same stat signature of their ``entry_points.txt``
  when the file had settled before the scan, else the same bytes, else the same declarations
  and groups once parsed (`_Verifier.unchanged`). The rows of one category come from the
  folders that provide it; the categories and the installed groups from every providing
  folder, which a name the stored scan lacks also checks before it is said to be absent
  (any provider may have started to provide it in place). Ten thousand rows then cost a stat
  per providing distribution, not a parse of every entry; one category's rows, a stat per
  distribution that provides it.

A file that fails any check is a miss: the registry scans, and serves and stores that scan.

Writes are atomic replaces of files readable by their owner only; an unreadable, truncated or
corrupt file (every piece carries a checksum) is a miss; an unwritable directory only costs speed;
the directory keeps the 32 most recently written files.
"""

from __future__ import annotations

import _thread
import marshal
import os
import sys

from . import _settings, _stamp, _store
from ._metadata import (
    InstalledDistribution,
    MetadataProblem,
    content_digest,
    declarations_of,
    declared_entries,
    folder_name,
    read_bytes,
    stat_signature,
)
from ._store import checksum, directory

TYPE_CHECKING = False  # typing costs milliseconds to import; mypy reads this as True
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence
    from typing import Any, TypeAlias

    from ._keyed import Entry, Folders, Keyed, Listing, Reserved

    Index: TypeAlias = "Keyed | StoredIndex"

_FORMAT = 8  # bump when the stored layout changes: older files become misses
_MAGIC = b"torchplug index\n"
_PREFIX, _SUFFIX = "index-", ".tpi"
#: Names per group of a category's table: one group is read to resolve one name.
_GROUP = 8


class Damaged(Exception):
    """A stored index that cannot be what a scan wrote: truncated, corrupt or implausible."""


def enabled() -> bool:
    """False when TORCHPLUG_CACHE turns the cache off."""
    return _settings.flag(_settings.CACHE, default=True)


def _key(namespace: str, path: Sequence[str]) -> str:
    """The file's name stem, from what the stored scan is only valid for."""
    return _store.key(
        marshal.dumps((_FORMAT, namespace, sys.executable, sys.prefix, sys.version, tuple(path)))
    )


def _prime_at_least(n: int) -> int:
    n = max(n, 2)
    while any(n % d == 0 for d in range(2, int(n**0.5) + 1)):
        n += 1
    return n


def _group_of(name: str, groups: int) -> int:
    return int.from_bytes(name.encode("utf-8", "surrogatepass"), "little") % groups


# ----------------------------------------------------------------------------- writing


def _table_bytes(table: dict[str, tuple[Entry, ...]]) -> bytes:
    """One category: a group count, an offset per group, then each group (checksum, marshal)."""
    groups = _prime_at_least(len(table) // _GROUP + 1)
    members: list[list[tuple[str, tuple[Entry, ...]]]] = [[] for _ in range(groups)]
    for name, entries in table.items():
        members[_group_of(name, groups)].append((name, entries))
    blobs = []
    for group in members:
        data = marshal.dumps(tuple(group))
        blobs.append(checksum(data).to_bytes(8, "little") + data)
    offsets = [4 + 4 * (groups + 1)]
    for blob in blobs:
        offsets.append(offsets[-1] + len(blob))
    head = groups.to_bytes(4, "little") + b"".join(o.to_bytes(4, "little") for o in offsets)
    return head + b"".join(blobs)


def _file_bytes(index: Keyed, path: Sequence[str], stamp: tuple[Any, Any]) -> bytes:
    return _assembled(_sections(index, stamp), index.namespace, path, stamp, index.watched)


def _sections(index: Keyed, stamp: tuple[Any, Any]) -> dict[str, bytes]:
    """Every section of a stored scan, by name, each as it is written."""
    sections: dict[str, bytes] = {
        # One section per sys.path entry: a save in the script's folder reads that folder's.
        **{f"s:{index}": marshal.dumps(slow) for index, slow in enumerate(stamp[1])},
        "dists": marshal.dumps(tuple(d._values() for d in index.distributions())),
        "problems": marshal.dumps(tuple(p._values() for p in index.problems())),
        "groups": marshal.dumps(index.groups()),
    }
    for group, records in index.reserved_groups().items():
        sections["r:" + group] = marshal.dumps(records)
    for category, table in index.tables().items():
        sections["c:" + category] = _table_bytes(table)
        sections["l:" + category] = marshal.dumps(_listing_columns(index.listing(category)))
        sections["f:" + category] = marshal.dumps(index.folders(category))
    sections["folders"] = marshal.dumps(index.folders())
    return sections


def _assembled(
    sections: dict[str, bytes],
    namespace: str,
    path: Sequence[str],
    stamp: tuple[Any, Any],
    watched: tuple[tuple[str, int], ...],
) -> bytes:
    """The file: its magic, format and header (a directory of checksummed sections), then the
    sections."""
    directory_: dict[str, tuple[int, int, int]] = {}
    offset = 0
    for name, data in sections.items():
        # A table's checksum covers its offsets; each of its groups has its own.
        covered = (
            data[: 4 + 4 * (int.from_bytes(data[:4], "little") + 1)] if name[:2] == "c:" else data
        )
        directory_[name] = (offset, len(data), checksum(covered))
        offset += len(data)
    header = marshal.dumps((namespace, tuple(path), stamp[0], watched, directory_, offset))
    start = (
        _MAGIC
        + _FORMAT.to_bytes(4, "little")
        + len(header).to_bytes(4, "little")
        + checksum(header).to_bytes(8, "little")
    )
    return start + header + b"".join(sections.values())


# ----------------------------------------------------------------------------- reading


class _Verifier:
    """Checks stored entries against the installed metadata, each providing folder read once."""

    __slots__ = ("_by_value", "_declared", "_namespace", "_on_path", "_path", "_placed", "_same")

    def __init__(self, namespace: str, path: Sequence[str]) -> None:
        self._namespace = namespace
        self._path = path
        self._on_path: set[str] | None = None  # the path's directories, normalised, on need
        self._placed: dict[tuple[str, str], bool] = {}
        self._same: set[str] = set()  # folders whose entry_points.txt is the one scanned
        self._declared: dict[str, dict[str, dict[str, set[str]]] | None] = {}
        self._by_value: dict[tuple[str, str], dict[str, set[str]]] = {}

    def placed(self, location: object, distribution: object) -> bool:
        """The folder sits directly on the path and is named for the distribution."""
        key: Any = (location, distribution)
        found = self._placed.get(key)
        if found is None:
            if not (isinstance(location, str) and isinstance(distribution, str)):
                return False
            on_path = self._on_path
            if on_path is None:
                on_path = self._on_path = {os.path.abspath(e or os.curdir) for e in self._path}
            folder = os.path.normpath(location)
            found = os.path.dirname(folder) in on_path and folder_name(folder) == distribution
            self._placed[key] = found
        return found

    def unchanged(self, folders: Folders) -> bool:
        """Whether every one of the `_keyed.Folders` still declares for the namespace what the
        scan found: its entry_points.txt has the same settled stat signature (one stat), else
        the same bytes (one read), else the same declarations of the namespace and the same
        section names (one parse). Where the folders are needs no check: the file's key is the
        exact sys.path, and the stamp holds the names and inodes of the metadata folders."""
        if type(folders) is not tuple or len(folders) != 5:
            raise Damaged("folders")
        locations, signatures = folders[0], folders[3]
        now = _signatures_now(locations)  # one stat each, in one tight pass
        if now is not None and now == signatures:
            self._same.update(locations)
            return True
        same = self._same
        for index, (location, _, digest, signature, declared) in enumerate(
            zip(*folders, strict=True)
        ):
            if location in same:
                continue
            if signature is not None and now is not None and now[index] == signature:
                same.add(location)
                continue
            data = read_bytes(os.path.join(location, "entry_points.txt"))
            if data is None or digest is None or content_digest(data) != digest:
                if declarations_of(data, self._namespace) != declared:
                    return False
            same.add(location)
        return True

    def declared(self, location: str, category: str) -> dict[str, set[str]]:
        """What the folder's entry_points.txt declares in `category`: name -> values."""
        if location not in self._declared:
            found = declared_entries(location, self._namespace)
            by_category: dict[str, dict[str, set[str]]] | None = None
            if found is not None:
                by_category = {}
                for each_category, name, value in found:
                    by_category.setdefault(each_category, {}).setdefault(name, set()).add(value)
            self._declared[location] = by_category
        declared = self._declared[location]
        if declared is None:
            raise Damaged(f"{location}: entry_points.txt cannot be read")
        return declared.get(category, {})

    def _names_of(self, location: str, category: str, value: str) -> set[str]:
        """The names the folder declares for one target in `category` (a provider's aliases)."""
        key = (location, category)
        by_value = self._by_value.get(key)
        if by_value is None:
            by_value = {}
            for name, values in self.declared(location, category).items():
                for each in values:
                    by_value.setdefault(each, set()).add(name)
            self._by_value[key] = by_value
        return by_value.get(value, set())

    def _entry(self, category: str, entry: object) -> Entry:
        """One stored entry: placed right, and its names are every name its folder declares for
        its target."""
        value, distribution, _, location, names = checked = _entry_fields(entry)
        if not self.placed(location, distribution):
            raise Damaged(f"{location} is not a folder of {distribution} on sys.path")
        if self._names_of(location, category, value) != set(names):
            raise Damaged(f"{location}: the names of {value} differ")
        return checked

    def entries(self, category: str, name: str, entries: object) -> None:
        """The providers of one name are those their folders declare, with the same aliases."""
        if not isinstance(entries, tuple):
            raise Damaged("entries")
        stored: dict[str, set[str]] = {}
        for entry in entries:
            value, _, _, location, _ = self._entry(category, entry)
            stored.setdefault(location, set()).add(value)
        for location, values in stored.items():
            if self.declared(location, category).get(name) != values:
                raise Damaged(f"{location}: {category} {name!r} differs")

    def table(self, category: str, table: dict[str, tuple[Entry, ...]]) -> None:
        """Every provider of the category declares exactly its stored names there, no more.

        A listing checks every entry of a category (ten thousand at N=1000): one tight pass,
        each providing folder's declarations prepared once."""
        prepared: dict[str, tuple[str, dict[str, set[str]], dict[str, set[str]]]] = {}
        counts: dict[str, int] = {}  # location -> (name, value) pairs stored
        for name, entries in table.items():
            if type(entries) is not tuple:
                raise Damaged("entries")
            if len(entries) > 1 and len({(e[3], e[0]) for e in entries}) != len(entries):
                raise Damaged(f"{category} {name!r}: an entry is stored twice")
            for entry in entries:
                if type(entry) is not tuple or len(entry) != 5:
                    raise Damaged("entry")
                value, distribution, version, location, names = entry
                state = prepared.get(location)
                if state is None:
                    if not self.placed(location, distribution):
                        raise Damaged(f"{location} is not a folder of {distribution} on sys.path")
                    declared = self.declared(location, category)
                    by_value: dict[str, set[str]] = {}
                    for each, values in declared.items():
                        for one in values:
                            by_value.setdefault(one, set()).add(each)
                    state = prepared[location] = (distribution, declared, by_value)
                owner, declared, by_value = state
                if distribution != owner or type(version) is not str:
                    raise Damaged(f"{location}: {category} {name!r} differs")
                if value not in declared.get(name, ()) or by_value.get(value) != set(names):
                    raise Damaged(f"{location}: {category} {name!r} differs")
                counts[location] = counts.get(location, 0) + 1
        for location, count in counts.items():  # each is declared: as many means the same
            declared = prepared[location][1]
            if sum(len(values) for values in declared.values()) != count:
                raise Damaged(f"{location}: {category} differs")

    def reserved(self, group: str, records: object) -> None:
        """Hook plugins, contracts, commands or deprecations, as declared."""
        if not isinstance(records, tuple):
            raise Damaged("reserved")
        stored: dict[str, set[tuple[str, str]]] = {}
        for record in records:
            if not (isinstance(record, tuple) and len(record) == 7):
                raise Damaged("reserved record")
            category, name, value, distribution, _, location, hooks = record
            if category != group or not all(isinstance(f, str) for f in record[:6]):
                raise Damaged("reserved record")
            if not (hooks is None or isinstance(hooks, tuple)):
                raise Damaged("reserved record")
            if not self.placed(location, distribution):
                raise Damaged(f"{location} is not a folder of {distribution} on sys.path")
            stored.setdefault(location, set()).add((name, value))
        for location, pairs in stored.items():
            declared = self.declared(location, group)
            if {(n, v) for n, values in declared.items() for v in values} != pairs:
                raise Damaged(f"{location}: {group} differs")


def _entry_fields(entry: object) -> Entry:
    if not (isinstance(entry, tuple) and len(entry) == 5):
        raise Damaged("entry")
    value, distribution, version, location, names = entry
    if not (
        isinstance(value, str)
        and isinstance(distribution, str)
        and isinstance(version, str)
        and isinstance(location, str)
        and isinstance(names, tuple)
        and all(isinstance(n, str) for n in names)
    ):
        raise Damaged("entry")
    return entry


class StoredIndex:
    """A stored scan, read a piece at a time and checked as it is read.

    The reading interface is `Keyed`'s. When a piece is damaged or disagrees with the installed
    metadata, the whole stored scan is dropped: `rescan` scans (and stores the result), and
    every later read is served from that scan.
    """

    def __init__(
        self,
        fd: int,
        namespace: str,
        path: Sequence[str],
        sections: dict[str, tuple[int, int, int]],
        start: int,
        rescan: Callable[[], Keyed],
    ) -> None:
        self.namespace = namespace
        self._fd = fd
        self._sections = sections
        self._start = start  # where the sections begin
        self._rescan = rescan
        self._scanned: Keyed | None = None
        self._guard = _thread.allocate_lock()
        self._verify = _Verifier(namespace, path)
        self._tables: dict[str, dict[str, tuple[Entry, ...]]] = {}
        self._listings: dict[str, Listing] = {}
        self._every_folder_unchanged = False  # see `_check_every_folder`
        self._reserved: dict[str, tuple[Reserved, ...]] = {}

    def __del__(self) -> None:
        try:
            os.close(self._fd)
        except (OSError, AttributeError, TypeError):
            pass

    def _fallback(self) -> Keyed:
        """The scan that replaces this stored one, made once."""
        with self._guard:
            if self._scanned is None:
                self._scanned = self._rescan()
            return self._scanned

    def _read(self, offset: int, length: int) -> bytes:
        return _pread(self._fd, self._start + offset, length)

    def _section(self, name: str) -> bytes:
        return _section(self._fd, self._start, self._sections, name)

    def _group(self, category: str, offset: int, start: int, end: int) -> dict[str, Any]:
        data = self._read(offset + start, end - start)
        if end - start < 8 or int.from_bytes(data[:8], "little") != checksum(data[8:]):
            raise Damaged(category)
        return dict(marshal.loads(data[8:]))

    def categories(self) -> tuple[str, ...]:
        """Those stored, once every providing folder is checked: an edit in place can declare
        a category the stored scan never saw."""
        self._check_every_folder()
        if self._scanned is not None:
            return self._scanned.categories()
        return tuple(sorted(name[2:] for name in self._sections if name[:2] == "c:"))

    def has_category(self, category: str) -> bool:
        """Whether something declares `category`; a stored one is read (and checked) as used."""
        if self._scanned is None and "c:" + category in self._sections:
            return True
        return category in self.categories()

    def bucket(self, category: str, name: str) -> tuple[Entry, ...]:
        if self._scanned is not None:
            return self._scanned.bucket(category, name)
        table = self._tables.get(category)
        try:
            entries = (
                table.get(name, ()) if table is not None else self._stored_bucket(category, name)
            )
        except (Damaged, OSError, ValueError, EOFError, TypeError, KeyError, IndexError):
            return self._fallback().bucket(category, name)
        if not entries:  # an edit in place may have added it: every provider is checked
            self._check_every_folder()
            if self._scanned is not None:
                return self._scanned.bucket(category, name)
        return entries

    def _stored_bucket(self, category: str, name: str) -> tuple[Entry, ...]:
        """The stored entries of one name, checked against their providers' metadata: three
        small reads (offsets, bounds, one group) of the category's table."""
        section = self._sections.get("c:" + category)
        if section is None:
            return ()
        offset = section[0]
        groups = int.from_bytes(self._read(offset, 4), "little")
        bounds = self._read(offset + 4 + 4 * _group_of(name, groups), 8)
        entries = self._group(
            category,
            offset,
            int.from_bytes(bounds[:4], "little"),
            int.from_bytes(bounds[4:], "little"),
        ).get(name, ())
        self._verify.entries(category, name, entries)
        return entries  # type: ignore[no-any-return]

    def table(self, category: str) -> dict[str, tuple[Entry, ...]]:
        if self._scanned is not None:
            return self._scanned.table(category)
        table = self._tables.get(category)
        if table is not None:
            return table
        # `_Verifier.table` parses each folder that provides the category; one that starts to
        # provide it in place is the documented limitation, as for `listing`.
        if "c:" + category not in self._sections:
            return {}
        try:
            table = self._read_table(category)
            self._verify.table(category, table)
        except (Damaged, OSError, ValueError, EOFError, TypeError, KeyError, IndexError):
            return self._fallback().table(category)
        self._tables[category] = table
        return table

    def _check_every_folder(self) -> None:
        """Drop the stored scan (for one made now) if any providing folder declares something
        else than it did: an edit in place can add a category, a name or a group anywhere."""
        self._check_folders("folders")
        self._every_folder_unchanged = self._scanned is None

    def _check_folders(self, section: str) -> None:
        """Drop the stored scan (for one made now) unless every folder stored in `section`
        (``folders``: every providing folder; ``f:CATEGORY``: those that provide one category)
        declares what it did."""
        if self._scanned is not None or self._every_folder_unchanged:
            return
        try:
            if self._verify.unchanged(marshal.loads(self._section(section))):
                return
        except (Damaged, OSError, ValueError, EOFError, TypeError, KeyError, IndexError):
            pass
        self._fallback()

    def listing(self, category: str) -> Listing:
        """Served as stored while every folder that provides the category declares what it did
        (`_Verifier.unchanged`), else from a scan. A folder that starts to provide it by an
        edit in place is looked for by `categories` (a whole listing) and by a name `bucket`
        lacks, not here: cache.md, "the one limitation"."""
        found = self._listings.get(category)  # its folders were checked when it was read
        if found is not None and self._scanned is None:
            return found
        if "f:" + category in self._sections:
            self._check_folders("f:" + category)
        else:
            self._check_every_folder()
        if self._scanned is not None:
            return self._scanned.listing(category)
        if "l:" + category not in self._sections:
            return ((), ())
        try:
            found = _listing_rows(marshal.loads(self._section("l:" + category)), category)
        except (Damaged, OSError, ValueError, EOFError, TypeError, KeyError, IndexError):
            return self._fallback().listing(category)
        self._listings[category] = found
        return found

    def _read_table(self, category: str) -> dict[str, tuple[Entry, ...]]:
        offset, length, expected = self._sections["c:" + category]
        data = self._read(offset, length)
        groups = int.from_bytes(data[:4], "little")
        head = 4 + 4 * (groups + 1)
        if checksum(data[:head]) != expected:
            raise Damaged(category)
        table: dict[str, tuple[Entry, ...]] = {}
        bounds = [int.from_bytes(data[i : i + 4], "little") for i in range(4, head, 4)]
        for group in range(groups):
            start, end = bounds[group], bounds[group + 1]
            blob = data[start:end]
            if end - start < 8 or int.from_bytes(blob[:8], "little") != checksum(blob[8:]):
                raise Damaged(category)
            table.update(marshal.loads(blob[8:]))
        return table

    def reserved(self, group: str) -> tuple[Reserved, ...]:
        if self._scanned is not None:
            return self._scanned.reserved(group)
        records = self._reserved.get(group)
        if records is None:
            if "r:" + group not in self._sections:
                return ()
            try:
                records = marshal.loads(self._section("r:" + group))
                self._verify.reserved(group, records)
            except (Damaged, OSError, ValueError, EOFError, TypeError, KeyError, IndexError):
                return self._fallback().reserved(group)
            self._reserved[group] = records
        return records

    def distributions(self) -> tuple[InstalledDistribution, ...]:
        if self._scanned is not None:
            return self._scanned.distributions()
        try:
            found = tuple(
                InstalledDistribution(*_strings(d, 4))
                for d in marshal.loads(self._section("dists"))
            )
            for dist in found:
                if not self._verify.placed(dist.location, dist.name):
                    raise Damaged(dist.location)
        except (Damaged, OSError, ValueError, EOFError, TypeError, KeyError, IndexError):
            return self._fallback().distributions()
        return found

    def groups(self) -> tuple[str, ...]:
        self._check_every_folder()
        if self._scanned is not None:
            return self._scanned.groups()
        try:
            return _strings(marshal.loads(self._section("groups")), None)
        except (Damaged, OSError, ValueError, EOFError, TypeError, KeyError, IndexError):
            return self._fallback().groups()

    def problems(self) -> tuple[MetadataProblem, ...]:
        if self._scanned is not None:
            return self._scanned.problems()
        try:
            return tuple(
                MetadataProblem(*_problem_fields(p))
                for p in marshal.loads(self._section("problems"))
            )
        except (Damaged, OSError, ValueError, EOFError, TypeError, KeyError, IndexError):
            return self._fallback().problems()


def _strings(record: object, count: int | None) -> tuple[str, ...]:
    """`record` as a tuple of strings (of `count` of them, unless None)."""
    if not (
        isinstance(record, tuple)
        and count in (None, len(record))
        and all(isinstance(f, str) for f in record)
    ):
        raise Damaged("record")
    return record


def _signatures_now(locations: object) -> tuple[int, ...] | None:
    """The `stat_signature` of each folder's entry_points.txt now, for `_Verifier.unchanged`
    to compare with the stored ones in one pass over a thousand folders; None when one cannot
    be taken (the full check of each folder then decides)."""
    if type(locations) is not tuple:
        return None
    stat, file = os.stat, os.sep + "entry_points.txt"  # `+`: os.path.join costs half a stat
    try:
        return tuple(stat_signature(stat(each + file)) for each in locations)
    except (OSError, TypeError, ValueError):
        return None


def _listing_columns(listing: Listing) -> tuple[tuple[Any, ...], ...]:
    """A `Listing` as it is stored: a column per field that varies (the rest are constants of
    `_keyed.installed_row`), then the shared names. Columns come back as rows of the one shape
    whatever a file holds, checked by a pass per column rather than a test per field."""
    rows, shared = listing
    cells = [row[3][0] for row in rows]
    return (
        tuple(row[1] for row in rows),
        tuple(row[2] for row in rows),
        *(tuple(cell[i] for cell in cells) for i in range(4)),
        tuple(row[4] for row in rows),
        tuple(row[6] for row in rows),
        shared,
    )


def _listing_rows(stored: object, category: str) -> Listing:
    """The `Listing` that `_listing_columns` stored; a file that holds anything else (forged by
    hand: a corrupt one fails its checksum) is `Damaged`, a miss rather than a crash of
    whatever prints the rows."""
    from itertools import chain, repeat

    if type(stored) is not tuple or len(stored) != 9 or any(type(c) is not tuple for c in stored):
        raise Damaged(category)
    names, statuses, distributions, versions, targets, locations, aliases, problems, shared = stored
    columns = stored[:8]
    strings = (names, distributions, versions, targets, locations, shared)
    if (
        len(set(map(len, columns))) > 1
        or not set(map(type, chain(*strings))) <= {str}
        or not set(statuses) <= _LISTED
        or not set(map(type, aliases)) <= {tuple}
        or not set(map(type, chain.from_iterable(aliases))) <= {str}
        or not set(map(type, problems)) <= {str, type(None)}
    ):
        raise Damaged(category)
    cells = zip(zip(distributions, versions, targets, locations, strict=True), strict=True)
    rows = zip(  # the columns are of one length, checked above; repeat() is endless
        repeat(category),
        names,
        statuses,
        cells,
        aliases,
        repeat(False),
        problems,
        repeat(None),
        repeat(None),
        strict=False,
    )
    return tuple(rows), shared


_LISTED = {"ok", "broken"}


def _problem_fields(record: object) -> tuple[Any, ...]:
    if not (isinstance(record, tuple) and len(record) == 6):
        raise Damaged("problem")
    message, location, distribution, entry_point, severity, hint = record
    if not (isinstance(message, str) and isinstance(location, str) and isinstance(severity, str)):
        raise Damaged("problem")
    if not all(f is None or isinstance(f, str) for f in (distribution, entry_point, hint)):
        raise Damaged("problem")
    return record


def _pread(fd: int, offset: int, length: int) -> bytes:
    data = os.pread(fd, length, offset)
    if len(data) != length:
        raise Damaged("truncated")
    return data


def _section(fd: int, start: int, sections: dict[str, tuple[int, int, int]], name: str) -> bytes:
    offset, length, expected = sections[name]
    data = _pread(fd, start + offset, length)
    if checksum(data) != expected:
        raise Damaged(name)
    return data


def _open(
    file: str, namespace: str, path: Sequence[str], rescan: Callable[[], Keyed]
) -> StoredIndex | None:
    """The stored scan in `file` if it is whole and its stamp holds; else None (a miss)."""
    try:
        fd = os.open(file, os.O_RDONLY)
    except (OSError, ValueError):
        return None
    try:
        first = os.pread(fd, 32 + 4096, 0)
        if first[:16] != _MAGIC or int.from_bytes(first[16:20], "little") != _FORMAT:
            raise Damaged("not a stored index of this format")
        length = int.from_bytes(first[20:24], "little")
        header = first[32 : 32 + length]
        if len(header) < length:
            header += _pread(fd, 32 + len(header), length - len(header))
        if checksum(header) != int.from_bytes(first[24:32], "little"):
            raise Damaged("header")
        stored_namespace, stored_path, fast, watched, sections, size = marshal.loads(header)
        if stored_namespace != namespace or stored_path != tuple(path):
            raise Damaged("another namespace or path")
        if not isinstance(sections, dict) or os.fstat(fd).st_size != 32 + length + size:
            raise Damaged("truncated")
        changed = _stamp.changed_entries(path, fast)
        if changed:
            slow = {
                i: marshal.loads(_section(fd, 32 + length, sections, f"s:{i}")) for i in changed
            }
            if not _stamp.unchanged(path, slow, changed):
                raise Damaged("something was installed, removed or changed on the path")
        if not _unchanged(watched):
            raise Damaged("a legacy egg-info folder was rewritten in place")
    except (Damaged, OSError, ValueError, EOFError, TypeError, KeyError, IndexError):
        os.close(fd)
        return None
    return StoredIndex(fd, namespace, path, sections, 32 + length, rescan)


def _unchanged(watched: Iterable[tuple[str, int]]) -> bool:
    """True while every watched file has the modification time it had before the scan."""
    for file, mtime in watched:
        try:
            now = os.stat(file).st_mtime_ns
        except OSError:
            now = -1
        if now != mtime:
            return False
    return True


def cached_scan(
    namespace: str, scan: Callable[[], Keyed], *, refresh: bool = False
) -> Keyed | StoredIndex:
    """The index of `namespace` from the cache when still valid, else from `scan` (and stored).

    The stamp is taken before scanning, so a change made during the scan invalidates the result.
    """
    if not enabled():
        return scan()
    path = tuple(sys.path)
    file = os.path.join(directory(), f"{_PREFIX}{_key(namespace, path)}{_SUFFIX}")

    def rescan() -> Keyed:
        stamp = _stamp.take(path)
        index = scan()
        _store.write(file, _file_bytes(index, path, stamp), _PREFIX, _SUFFIX)
        return index

    if not refresh:
        stored = _open(file, namespace, path, rescan)
        if stored is not None:
            return stored
    return rescan()


def describe() -> dict[str, Any]:
    """Where the cache is and what it holds, for ``torchplug cache``: stored scans and the
    settings files' parsed copies."""
    folder = directory()
    files = _files()
    size = 0
    for file in files:
        try:
            size += os.stat(file).st_size
        except OSError:
            pass
    return {"enabled": enabled(), "directory": folder, "files": len(files), "bytes": size}


def clear() -> int:
    """Delete every cache file; returns how many were removed."""
    removed = 0
    for file in _files():
        try:
            os.unlink(file)
            removed += 1
        except OSError:
            pass
    return removed


def _files() -> list[str]:
    return _store.files(directory(), _PREFIX, _SUFFIX) + _settings.remembered_files()
