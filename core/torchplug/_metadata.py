"""The records of installed metadata, and the grammar of entry points, read without importing.

Just above the bottom layer: it knows distributions, groups and entry-point strings, nothing of
registries, builders or torch. The scan that fills these records is `_scan`; what is here is also
what a warm process needs to check a stored scan against one distribution's ``entry_points.txt``.
"""

from __future__ import annotations

import os

from ._names import (
    RESERVED_CATEGORIES,
    category_problem,
    component_problem,
    normalize_distribution,
)
from ._record import Record

TYPE_CHECKING = False  # typing costs milliseconds to import; mypy reads this as True
if TYPE_CHECKING:
    from collections.abc import Iterable

#: The characters of ``[\w.]`` in an ASCII regular expression, and of its ``\s``.
_WORD = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.")
_SPACE = frozenset(" \t\n\r\f\v")
_PLAIN = _WORD | {":"}
#: What `str.splitlines` also breaks lines at, besides "\n" and "\r\n".
_BREAKS = frozenset("\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")


class EntryRecord(Record):
    """One entry point of the namespace, as declared by an installed distribution."""

    __slots__ = _fields = (
        "category",
        "name",
        "value",
        "distribution",
        "version",
        "location",
        "problem",
    )
    category: str  # the group without "<namespace>."; or "hooks", "contracts", "deprecated"
    name: str
    value: str  # the declared target, "module:attr"
    distribution: str  # PEP 503 normalised
    version: str
    location: str  # the dist-info (or egg-info) folder it was read from
    problem: str | None  # why it cannot be loaded, when that is known without importing

    def __init__(
        self,
        category: str,
        name: str,
        value: str,
        distribution: str,
        version: str,
        location: str,
        problem: str | None = None,
    ) -> None:
        set_field = object.__setattr__
        set_field(self, "category", category)
        set_field(self, "name", name)
        set_field(self, "value", value)
        set_field(self, "distribution", distribution)
        set_field(self, "version", version)
        set_field(self, "location", location)
        set_field(self, "problem", problem)

    @property
    def target(self) -> str:
        """The declared target as ``module:attr``: no spaces, no ``[extras]`` tail."""
        return normal_target(self.value)


class MetadataProblem(Record):
    """Something wrong in installed metadata that was skipped rather than crash a listing."""

    __slots__ = _fields = (
        "message",
        "location",
        "distribution",
        "entry_point",
        "severity",
        "hint",
    )
    message: str
    location: str
    distribution: str | None
    entry_point: str | None  # "[group] name = value" when one entry is at fault
    severity: str  # "error": something installed cannot work; "warning": skipped input
    hint: str | None  # what to do, when the usual "fix its entry points" is not it

    def __init__(
        self,
        message: str,
        location: str,
        distribution: str | None = None,
        entry_point: str | None = None,
        severity: str = "error",
        hint: str | None = None,
    ) -> None:
        set_field = object.__setattr__
        set_field(self, "message", message)
        set_field(self, "location", location)
        set_field(self, "distribution", distribution)
        set_field(self, "entry_point", entry_point)
        set_field(self, "severity", severity)
        set_field(self, "hint", hint)


class InstalledDistribution(Record):
    """A distribution that declares at least one entry point of the namespace."""

    __slots__ = _fields = ("name", "display_name", "version", "location")
    name: str  # PEP 503 normalised
    display_name: str  # as written in its METADATA
    version: str
    location: str

    def __init__(self, name: str, display_name: str, version: str, location: str) -> None:
        set_field = object.__setattr__
        set_field(self, "name", name)
        set_field(self, "display_name", display_name)
        set_field(self, "version", version)
        set_field(self, "location", location)


class InstalledIndex(Record):
    """Everything one scan of ``sys.path`` found for one namespace."""

    __slots__ = _fields = (
        "namespace",
        "entries",
        "distributions",
        "problems",
        "watched",
        "digests",
        "groups",
    )
    namespace: str
    entries: tuple[EntryRecord, ...]
    distributions: tuple[InstalledDistribution, ...]
    problems: tuple[MetadataProblem, ...]
    # Files rewritten in place by tools (a legacy ``*.egg-info`` folder: ``setup.py egg_info``
    # rewrites its files without touching the folder above), with their modification time as
    # it was before they were read: what a stored copy of this index must check besides sys.path.
    watched: tuple[tuple[str, int], ...]
    # What the scan saw of each found distribution's entry_points.txt: (location, its
    # `content_digest` and `settled_signature` where the scan read the file itself, else None,
    # and the `declarations_digest` of what it declares for the namespace). A stored copy of
    # this index holds while those declarations do: one stat, one read or one parse tells.
    digests: tuple[tuple[str, int | None, int | None, int], ...]
    # Every entry-point group some distribution on the path declares, of any namespace, sorted:
    # what lets a consumer skip a scan of its own for a group nobody declares.
    groups: tuple[str, ...]

    def __init__(
        self,
        namespace: str,
        entries: tuple[EntryRecord, ...] = (),
        distributions: tuple[InstalledDistribution, ...] = (),
        problems: tuple[MetadataProblem, ...] = (),
        watched: tuple[tuple[str, int], ...] = (),
        digests: tuple[tuple[str, int | None, int | None, int], ...] = (),
        groups: tuple[str, ...] = (),
    ) -> None:
        set_field = object.__setattr__
        set_field(self, "namespace", namespace)
        set_field(self, "entries", entries)
        set_field(self, "distributions", distributions)
        set_field(self, "problems", problems)
        set_field(self, "watched", watched)
        set_field(self, "digests", digests)
        set_field(self, "groups", groups)


def parse_target(value: str) -> tuple[str, str | None] | None:
    r"""``module``, ``module:attr.path`` and an optional ``[extras]`` tail, as the entry-point spec
    allows: the regular expression ``^([\w.]+)\s*(?::\s*([\w.]+)\s*)?(?:\[[^\]]*\]\s*)?$``
    (ASCII), matched by hand because importing `re` costs more than torchplug's own modules."""
    text = value.strip()
    if _PLAIN.issuperset(text):  # no space, no extras: split on the colon, the common case
        head, colon, tail = text.partition(":")
        if head and (not colon or (tail and ":" not in tail)):
            return head, tail if colon else None
        return None
    end = len(text)
    i = 0
    while i < end and text[i] in _WORD:
        i += 1
    if i == 0:
        return None
    module = text[:i]
    attr: str | None = None
    while i < end and text[i] in _SPACE:
        i += 1
    if i < end and text[i] == ":":
        i += 1
        while i < end and text[i] in _SPACE:
            i += 1
        start = i
        while i < end and text[i] in _WORD:
            i += 1
        if i == start:
            return None
        attr = text[start:i]
        while i < end and text[i] in _SPACE:
            i += 1
    if i < end and text[i] == "[":
        close = text.find("]", i + 1)
        if close < 0:
            return None
        i = close + 1
        while i < end and text[i] in _SPACE:
            i += 1
    return (module, attr) if i == end else None


def describe_entry(record: EntryRecord, namespace: str) -> str:
    """``[torchplug.optimizer] lion = pack.optim:build_lion`` — how a pack author wrote it."""
    return f"[{namespace}.{record.category}] {record.name} = {record.value}"


def target_problem(value: str) -> str | None:
    """Why an entry-point value cannot name an importable object, or None when it can."""
    if parse_target(value) is None:
        return f"malformed entry-point value {value!r}; expected 'package.module:attribute'"
    return None


def split_target(value: str) -> tuple[str, str | None]:
    """``"pkg.mod:obj.attr [x]"`` -> ``("pkg.mod", "obj.attr")``; the attribute may be absent."""
    parsed = parse_target(value)
    if parsed is None:
        raise ValueError(target_problem(value))
    return parsed


def normal_target(value: str) -> str:
    """An entry point's value as ``module:attr`` (no spaces, no extras); stripped if malformed."""
    parsed = parse_target(value)
    if parsed is None:
        return value.strip()
    module, attr = parsed
    return f"{module}:{attr}" if attr else module


def folder_name(location: str) -> str:
    """``.../bad_pack-1.0.dist-info`` -> ``bad-pack``: a distribution named without its METADATA."""
    name = os.path.basename(location.rstrip("/\\"))
    for suffix in (".dist-info", ".egg-info"):
        name = name.removesuffix(suffix)
    return normalize_distribution(name.split("-")[0]) if name else location


def accepted(group: str, name: str, prefix: str) -> tuple[str | None, str | None]:
    """The category of an entry point the scan keeps, or None and why it is skipped (None: it
    is not this namespace's, or is a nested namespace's such as "torchplug.sub.model")."""
    category, problem = _group_category(group, prefix)
    if category is None:
        return None, problem
    problem = component_problem(name)
    return (None, problem) if problem else (category, None)


def _group_category(group: str, prefix: str) -> tuple[str | None, str | None]:
    """The category of a group the scan keeps, or None and why it is skipped."""
    if not group.startswith(prefix) or "." in group[len(prefix) :]:
        return None, None
    category = group[len(prefix) :]
    problem = None if category in RESERVED_CATEGORIES else category_problem(category)
    return (None, problem) if problem else (category, None)


def content_digest(data: bytes) -> int:
    """A digest of a metadata file's bytes: CRC-32, Adler-32 and the length, two checksums of
    different algebra taken in a microsecond (`hashlib` alone costs 12 ms to import), cheap
    enough to take of every entry_points.txt that a listing relies on."""
    import zlib

    return zlib.crc32(data) << 64 | zlib.adler32(data) << 32 | len(data) & 0xFFFFFFFF


#: A file changed less than this before a scan began is checked by its bytes, not its stat:
#: a later change within the same tick of a coarse file-system clock could keep every time.
_SETTLING_NS = 2_000_000_000


def stat_signature(stat: os.stat_result) -> int:
    """A hash of a file's ``(inode, size, mtime, ctime)``: equal ones say the file was not
    written in between, for any write moves the ctime, which no program can set back."""
    return hash((stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns))


def settled_signature(stat: os.stat_result, scan_started_ns: int) -> int | None:
    """`stat_signature` of a file a scan read, or None for one changed too close to the scan
    for its stat to prove anything later (its bytes decide)."""
    if os.name == "nt" or stat.st_ctime_ns >= scan_started_ns - _SETTLING_NS:
        return None  # on Windows st_ctime is the creation time: a write need not move it
    return stat_signature(stat)


def declarations_digest(declared: Iterable[tuple[str, str, str]], sections: Iterable[str]) -> int:
    """A stable digest of what a folder's entry_points.txt declares: its ``(category, name,
    value)`` entries of the namespace and the names of all its sections, in any order."""
    text = repr((sorted(set(declared)), sorted(set(sections))))
    return content_digest(text.encode("utf-8", "surrogatepass"))


def entry_point_sections(text: str) -> set[str]:
    """The section (group) names of an entry_points.txt, as importlib-metadata reads them."""
    found: set[str] = set()
    if "[" not in text:
        return found
    for line in text.splitlines():
        line = line.strip()
        if line[:1] == "[" and line[-1:] == "]":
            found.add(line.strip("[]"))
    return found


def declarations_of(data: bytes | None, namespace: str) -> int | None:
    """`declarations_digest` of an entry_points.txt's bytes (None: unreadable or not UTF-8)."""
    text = _decoded(data)
    if text is None:
        return None
    return declarations_digest(_declarations(text, namespace + "."), entry_point_sections(text))


def _decoded(data: bytes | None) -> str | None:
    try:
        return data.decode("utf-8") if data is not None else None
    except ValueError:
        return None


def read_bytes(file: str) -> bytes | None:
    """A small file's bytes, read at the os level (a file object costs more); None: unreadable."""
    try:
        handle = os.open(file, os.O_RDONLY)
        try:
            chunks = []
            while chunk := os.read(handle, 1 << 16):
                chunks.append(chunk)
        finally:
            os.close(handle)
    except OSError:
        return None
    return b"".join(chunks)


def declared_entries(folder: str, namespace: str) -> set[tuple[str, str, str]] | None:
    """(category, name, value) of what a dist-info folder's entry_points.txt declares for the
    namespace and a scan keeps, parsed as importlib-metadata does (None: unreadable). Cheaper
    than a scan: it reads one file, and only the namespace's sections line by line; the scan
    cache checks a stored index against it."""
    text = _decoded(read_bytes(os.path.join(folder, "entry_points.txt")))
    return None if text is None else _declarations(text, namespace + ".")


def _declarations(text: str, prefix: str) -> set[tuple[str, str, str]]:
    if "[" + prefix not in text:
        return set()
    found = _declared_by_sections(text, prefix)
    return found if found is not None else _declared_by_lines(text.splitlines(), prefix, None)


def _declared_by_sections(text: str, prefix: str) -> set[tuple[str, str, str]] | None:
    """`declared_entries` for files laid out as tools write them (each section header alone at
    the start of its line): the sections of other groups are skipped whole, not read line by
    line (a distribution declares many groups). None: another layout, for `_declared_by_lines`."""
    if "\n " in text or "\n\t" in text:
        return None  # an indented line might be a header
    for odd in _BREAKS:
        if odd in text:
            return None  # str.splitlines breaks lines there too
    if "\r" in text and text.count("\r") != text.count("\r\n"):
        return None
    text = "\n" + text
    first = text.find("\n[")
    if "=" in text[:first]:
        return None  # entries before any section: line by line decides
    found: set[tuple[str, str, str]] = set()
    start = first
    while start != -1:
        end = text.find("\n", start + 1)
        header = text[start + 1 : end if end != -1 else len(text)].strip()
        if not header.endswith("]"):
            return None  # "[" opening a line that is no header
        following = text.find("\n[", start + 1) if end != -1 else -1
        if header.startswith("[" + prefix):
            category = _header_category(header, prefix)
            if category is not None and end != -1:
                body = text[end : following if following != -1 else len(text)]
                _declared_by_lines(body.splitlines(), prefix, category, found)
        start = following
    return found


def _header_category(header: str, prefix: str) -> str | None:
    """The category of a section header line such as ``[torchplug.model]`` (memoised: the same
    few headers recur in every distribution)."""
    key = (header, prefix)
    if key not in _headers:
        _headers[key] = _group_category(header.strip("[]"), prefix)[0]
    return _headers[key]


_headers: dict[tuple[str, str], str | None] = {}


def _declared_by_lines(
    lines: list[str],
    prefix: str,
    category: str | None,
    found: set[tuple[str, str, str]] | None = None,
) -> set[tuple[str, str, str]]:
    """The declarations in `lines`, the first of them in the section of `category`."""
    found = set() if found is None else found
    for line in lines:
        line = line.strip()
        if not line or line[0] == "#":
            continue
        if line[0] == "[" and line[-1] == "]":
            category = _group_category(line.strip("[]"), prefix)[0]
            continue
        if category is None:
            continue
        name, sep, value = line.partition("=")
        name = name.strip()
        # component_problem(name) is None, inlined: it runs for every declaration read
        if sep and name and ":" not in name and name.split() == [name]:
            found.add((category, name, value.strip()))
    return found
