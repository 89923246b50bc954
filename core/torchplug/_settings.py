"""The user's settings outside any command line: environment variables, the project's file, the
user's file.

Just above the bottom layer: the environment variables torchplug reads are named and parsed here,
each in one place. The project's settings are the nearest ``torchplug.toml`` (table ``[prefer]``)
or ``pyproject.toml`` with a ``[tool.torchplug]`` table, found walking up from the working
directory as pytest and ruff find theirs; the user's are ``$XDG_CONFIG_HOME/torchplug/config.toml``.
Read when a registry first needs them (variables at each scan, so that a test or a launcher can set
them after importing), never at ``import torchplug``; anything malformed is a `ConfigError` naming
the file.
"""

from __future__ import annotations

import marshal
import os
import sys

from . import _store
from ._errors import ConfigError

TYPE_CHECKING = False  # typing costs milliseconds to import; mypy reads this as True
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

    from ._preferences import PreferenceRule

#: Comma-separated distributions whose entry points are never imported.
DISABLE = "TORCHPLUG_DISABLE"
#: "0" turns entry-point discovery off: only local registrations exist.
AUTOLOAD = "TORCHPLUG_AUTOLOAD"
#: "0" turns the on-disk cache off: stored scans and settings files' parsed copies.
CACHE = "TORCHPLUG_CACHE"
#: Preferences among providers: "PATTERN=DIST[,DIST...];PATTERN=DIST", e.g. "optimizer.*=torchplug-torch".
PREFER = "TORCHPLUG_PREFER"
#: "1" makes the command line show the Python traceback of an error.
TRACEBACK = "TORCHPLUG_TRACEBACK"

_FALSE = frozenset({"0", "false", "no", "off"})
_TRUE = frozenset({"1", "true", "yes", "on"})


def flag(name: str, default: bool) -> bool:
    """A yes/no variable: ``0/false/no/off`` and ``1/true/yes/on`` in any case; else `default`."""
    value = os.environ.get(name, "").strip().lower()
    if value in _FALSE:
        return False
    if value in _TRUE:
        return True
    return default


def names(name: str) -> list[str]:
    """A comma-separated list variable, blanks dropped."""
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


#: How long a deep check waits for one plugin's import, in seconds (``check --deep --timeout``).
#: A generous bound: importing torch takes seconds, a plugin compiling kernels at import longer.
DEFAULT_IMPORT_TIMEOUT = 60.0

#: The keys a settings table may hold: ``entry-points`` is a pack author's, read by
#: ``torchplug entry-points``.
_KEYS = ("prefer", "entry-points")


#: A settings file's parsed copy in the cache directory, valid for the very bytes it was parsed
#: from by this very parser: importing a TOML parser (tomllib pulls in typing, re, datetime) costs
#: a warm build more than everything else it does.
_MEMO_AFFIXES = ("toml-", ".tpt")  # a copy's file name: prefix, key, suffix
_MEMO_FORMAT = 2
#: Copies are only kept where the parser is the interpreter's own (tomllib, 3.11+): the full
#: version names it, so another Python, whose parser may accept other files, keeps its own copies.
_PARSER = sys.version if sys.version_info >= (3, 11) else None


def _read_toml(file: str | Path) -> dict[str, Any]:
    try:
        with open(file, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise ConfigError(
            f"cannot read the settings: {exc.strerror or exc}", path=str(file)
        ) from None
    return _parsed(str(file), data)


def _parsed(file: str, data: bytes, *, pyproject: bool = False) -> dict[str, Any]:
    """The TOML document `data`, read from `file`: its parsed copy when one holds, else parsed
    (and the copy written, unless TORCHPLUG_CACHE is off)."""
    memo = None
    if _PARSER is not None and flag(CACHE, default=True):
        prefix, suffix = _MEMO_AFFIXES
        memo = os.path.join(_store.directory(), f"{prefix}{_memo_key(file)}{suffix}")
        found = _remembered(memo, file, data)
        if found is not None:
            return found
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib
    try:
        document: dict[str, Any] = tomllib.loads(data.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        why = f"not valid TOML: {exc}"
        if pyproject:  # the user may not know that torchplug reads it
            why += (
                ". torchplug looks in it for a [tool.torchplug] table; fix the file, or put a "
                "torchplug.toml beside it, which is read instead"
            )
        raise ConfigError(why, path=file) from None
    if memo is not None:
        try:
            blob = marshal.dumps((_MEMO_FORMAT, _PARSER, file, data, document))
        except ValueError:  # a date or time value: such a file is parsed every time
            return document
        _store.write(memo, _store.checksum(blob).to_bytes(8, "little") + blob, *_MEMO_AFFIXES)
    return document


def _memo_key(file: str) -> str:
    return _store.key(marshal.dumps((_MEMO_FORMAT, _PARSER, os.path.abspath(file))))


def _remembered(memo: str, file: str, data: bytes) -> dict[str, Any] | None:
    """The parsed copy of `data` stored in `memo`; None if there is none, or another, or a
    damaged one, or one that no TOML parser could have made."""
    try:
        with open(memo, "rb") as handle:
            stored = handle.read()
        if int.from_bytes(stored[:8], "little") != _store.checksum(stored[8:]):
            return None
        form, parser, stored_file, stored_data, document = marshal.loads(stored[8:])
    except (OSError, ValueError, EOFError, TypeError):
        return None
    if (form, parser, stored_file, stored_data) != (_MEMO_FORMAT, _PARSER, file, data):
        return None
    return document if _is_toml_table(document) else None


def _is_toml_table(document: object) -> bool:
    """Whether `document` is what a TOML parser returns: a table of string keys and TOML values.
    Walked without recursion, so that no nesting a forged copy holds can overflow the stack."""
    if type(document) is not dict:
        return False
    pending: list[object] = [document]
    while pending:
        value = pending.pop()
        if type(value) is dict:
            if not all(type(key) is str for key in value):
                return False
            pending.extend(value.values())
        elif type(value) is list:
            pending.extend(value)
        elif type(value) not in (str, int, float, bool):
            return False
    return True


def remembered_files() -> list[str]:
    """The settings files' parsed copies in the cache directory (``torchplug cache`` lists and
    clears them with the stored scans)."""
    return _store.files(_store.directory(), *_MEMO_AFFIXES)


def _table(file: str | Path, data: dict[str, Any], where: str) -> dict[str, Any]:
    """The settings table of a file, its keys checked."""
    table = data
    for key in where.split(".") if where else ():
        table = table.get(key, {})
    if not isinstance(table, dict):
        raise ConfigError(f"[{where}] must be a table", path=str(file))
    unknown = sorted(set(table) - set(_KEYS))
    if unknown:
        from ._names import did_you_mean

        label = f"[{where}]" if where else "the file"
        raise ConfigError(
            f"unknown key {unknown[0]!r} in {label}; torchplug settings have {list(_KEYS)}."
            + did_you_mean(unknown[0], _KEYS),
            path=str(file),
        )
    return table


def project_file(start: Path | None = None) -> tuple[Path, str] | None:
    """The nearest project settings file from `start` (default: the working directory) upward,
    and the table that holds the settings in it (``""`` or ``"tool.torchplug"``)."""
    found = _project_file(None if start is None else str(start))
    if found is None:
        return None
    from pathlib import Path

    return Path(found[0]), found[1]


def _project_file(start: str | None) -> tuple[str, str, dict[str, Any] | None] | None:
    """`project_file` in plain strings (`pathlib` costs more to import than a warm build may
    spend, and most folders hold no settings file), with the document when it had to be parsed
    to be found: a pyproject.toml's."""
    try:
        here = os.path.realpath(os.getcwd() if start is None else start)
    except OSError:
        return None
    while True:
        candidate = os.path.join(here, "torchplug.toml")
        if os.path.isfile(candidate):
            return candidate, "", None
        pyproject = os.path.join(here, "pyproject.toml")
        data = _head(pyproject) if os.path.isfile(pyproject) else b""
        if _may_name_torchplug(data):
            document = _parsed(pyproject, data, pyproject=True)
            tool = document.get("tool", {})
            if isinstance(tool, dict) and "torchplug" in tool:
                return pyproject, "tool.torchplug", document
        parent = os.path.dirname(here)
        if parent == here:
            return None
        here = parent


#: What may stand right before and right after a bare key ``torchplug``, and what may follow a
#: quoted one: TOML's whitespace, dots, brackets, braces, commas and equals signs.
_BEFORE_KEY = frozenset(b" \t\r\n.[{,")
_AFTER_KEY = frozenset(b" \t\r\n.=]")
_QUOTES = frozenset(b"\"'")
_BLANKS = frozenset(b" \t")  # within a line
_SPACE = _BLANKS | frozenset(b"\r\n")


def _may_name_torchplug(data: bytes) -> bool:
    """False when no key of the TOML document can be ``torchplug``, so that a pyproject.toml
    that only depends on torchplug (``"torchplug>=1"``, ``["torchplug"]``) is not parsed, and
    never stops torchplug for a syntax its parser lacks. True for the word as a bare or quoted
    key in any of TOML's ways to write one (``[ tool . "torchplug" ]``, ``torchplug.prefer = ``
    under ``[tool]``, inline tables), and for any escape, which may spell it."""
    if b"\\u" in data or b"\\U" in data or b"\\x" in data:
        return True
    at = data.find(b"torchplug")
    while at >= 0:
        before = data[at - 1] if at else ord("\n")
        end = at + len(b"torchplug")
        after = data[end] if end < len(data) else ord("\n")
        if before in _QUOTES and after == before:  # "torchplug": a key if a dot or = follows,
            following = _byte(data, _skip(data, end + 1, 1, _SPACE))  # or ] in a header
            if following in (ord("."), ord("=")):
                return True
            if following == ord("]") and _in_header(data, at - 2):
                return True
        elif before in _BEFORE_KEY and after in _AFTER_KEY:
            return True
        at = data.find(b"torchplug", end)
    return False


def _in_header(data: bytes, index: int) -> bool:
    """Whether a quoted key whose opening quote is just after `index` ends a table header:
    after a dot (``[tool."torchplug"]``) or after the brackets that open a line
    (``["torchplug"]``, ``[[ 'torchplug' ]]``), not in an array (``deps = ["torchplug"]``)."""
    index = _skip(data, index, -1, _BLANKS)
    if _byte(data, index) == ord("."):
        return True
    for _ in range(2):  # [ or [[
        if _byte(data, index) != ord("["):
            return False
        index = _skip(data, index - 1, -1, _BLANKS)
        if _byte(data, index) in (-1, ord("\n"), ord("\r")):
            return True
    return False


def _skip(data: bytes, index: int, step: int, over: frozenset[int]) -> int:
    """The first index from `index` on, going by `step`, whose byte is not one of `over`."""
    while 0 <= index < len(data) and data[index] in over:
        index += step
    return index


def _byte(data: bytes, index: int) -> int:
    """The byte at `index`, or -1 past either end."""
    return data[index] if 0 <= index < len(data) else -1


def _head(file: str | Path) -> bytes:
    """The file's bytes, to skip parsing a pyproject.toml that has no torchplug table at all."""
    try:
        with open(file, "rb") as handle:
            return handle.read()
    except OSError:
        return b""


def user_file() -> Path:
    """``$XDG_CONFIG_HOME/torchplug/config.toml``, or ``~/.config/torchplug/config.toml``."""
    from pathlib import Path

    return Path(_user_file())


def _user_file() -> str:
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return os.path.join(base, "torchplug", "config.toml")


def _file_rules(
    file: str, where: str, document: dict[str, Any] | None, level: str
) -> list[PreferenceRule]:
    """The rules of a settings file: `document` if it was parsed already, else read now."""
    from ._preferences import parse_rules

    table = _table(file, _read_toml(file) if document is None else document, where)
    prefix = f"{where}." if where else ""
    return parse_rules(table.get("prefer", {}), f"{file} [{prefix}prefer]", level)


def preference_rules() -> list[PreferenceRule]:
    """The rules of TORCHPLUG_PREFER, the project's settings and the user's settings."""
    rules: list[PreferenceRule] = []
    raw = os.environ.get(PREFER, "")
    items = [item.strip() for item in raw.split(";") if item.strip()]
    if items:
        from ._preferences import parse_assignments

        rules += parse_assignments(items, PREFER, "env")
    found = _project_file(None)
    if found is not None:
        rules += _file_rules(*found, "project")
    user = _user_file()
    if os.path.isfile(user):
        rules += _file_rules(user, "", None, "user")
    return rules
