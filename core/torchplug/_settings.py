"""The user's settings outside any command line: TORCHPLUG_PREFER, the project's file, the user's file.

The project's settings are the nearest ``torchplug.toml`` (table ``[prefer]``) or ``pyproject.toml``
with a ``[tool.torchplug]`` table, found walking up from the working directory as pytest and ruff
find theirs; the user's are ``$XDG_CONFIG_HOME/torchplug/config.toml``. Read when a registry first
needs them, never at ``import torchplug``; anything malformed is a `ConfigError` naming the file.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from . import _env
from ._errors import ConfigError
from ._preferences import PreferenceRule, parse_assignments, parse_rules

#: The keys a settings table may hold: ``entry-points`` is a pack author's, read by
#: ``torchplug entry-points``.
_KEYS = ("prefer", "entry-points")


def _read_toml(file: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib
    try:
        with file.open("rb") as handle:
            data: dict[str, Any] = tomllib.load(handle)
            return data
    except OSError as exc:
        raise ConfigError(
            f"cannot read the settings: {exc.strerror or exc}", path=str(file)
        ) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"not valid TOML: {exc}", path=str(file)) from None


def _table(file: Path, data: dict[str, Any], where: str) -> dict[str, Any]:
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
    try:
        here = (start or Path.cwd()).resolve()
    except OSError:
        return None
    for folder in (here, *here.parents):
        candidate = folder / "torchplug.toml"
        if candidate.is_file():
            return candidate, ""
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and b"[tool.torchplug" in _head(pyproject):
            tool = _read_toml(pyproject).get("tool", {})
            if isinstance(tool, dict) and "torchplug" in tool:
                return pyproject, "tool.torchplug"
    return None


def _head(file: Path) -> bytes:
    """The file's bytes, to skip parsing a pyproject.toml that has no torchplug table at all."""
    try:
        return file.read_bytes()
    except OSError:
        return b""


def user_file() -> Path:
    """``$XDG_CONFIG_HOME/torchplug/config.toml``, or ``~/.config/torchplug/config.toml``."""
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "torchplug" / "config.toml"


def _file_rules(file: Path, where: str, level: str) -> list[PreferenceRule]:
    table = _table(file, _read_toml(file), where)
    prefix = f"{where}." if where else ""
    return parse_rules(table.get("prefer", {}), f"{file} [{prefix}prefer]", level)


def preference_rules() -> list[PreferenceRule]:
    """The rules of TORCHPLUG_PREFER, the project's settings and the user's settings."""
    rules: list[PreferenceRule] = []
    raw = os.environ.get(_env.PREFER, "")
    items = [item.strip() for item in raw.split(";") if item.strip()]
    rules += parse_assignments(items, _env.PREFER, "env")
    found = project_file()
    if found is not None:
        rules += _file_rules(*found, "project")
    user = user_file()
    if user.is_file():
        rules += _file_rules(user, "", "user")
    return rules
