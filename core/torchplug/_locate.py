"""Finding a module's file the way the import system would, without importing anything.

Just above the metadata reader: it knows ``sys.path``, packages and files. ``sys.path`` order,
packages and their ``__path__``, namespace packages, and setuptools' editable finders are
followed; parent packages are looked up, never imported. `torchplug show` reads the file it
finds (what the import system would load is what is shown), and a scan reads the source of hook
plugins to learn which hooks they implement.
"""

from __future__ import annotations

import sys
from importlib.machinery import BYTECODE_SUFFIXES, EXTENSION_SUFFIXES, SOURCE_SUFFIXES
from pathlib import Path

from ._record import Record

TYPE_CHECKING = False  # typing costs milliseconds to import; mypy reads this as True
if TYPE_CHECKING:
    from collections.abc import Sequence

#: The order in which the import system tries a name's files in one directory.
_FILE_KINDS = (
    ("extension", tuple(EXTENSION_SUFFIXES)),
    ("source", tuple(SOURCE_SUFFIXES)),
    ("bytecode", tuple(BYTECODE_SUFFIXES)),
)


class Unreadable(Exception):
    """The definition cannot be read without importing; the message says why."""


class ModuleFile(Record):
    """Where the import system would load a module from, found without importing anything."""

    __slots__ = _fields = ("name", "path", "kind", "search")
    name: str
    path: Path | None  # None for a namespace package
    kind: str  # "source", "bytecode", "extension", "namespace" or "builtin"
    search: tuple[Path, ...]  # where its submodules are looked for (packages only)

    def __init__(
        self, name: str, path: Path | None, kind: str, search: tuple[Path, ...] = ()
    ) -> None:
        set_field = object.__setattr__
        set_field(self, "name", name)
        set_field(self, "path", path)
        set_field(self, "kind", kind)
        set_field(self, "search", search)

    def describe(self) -> str:
        where = f" ({self.path})" if self.path else ""
        return {
            "bytecode": f"{self.name} is installed as bytecode only{where}",
            "extension": f"{self.name} is a compiled extension module{where}",
            "builtin": f"{self.name} is built into the interpreter",
        }.get(self.kind, f"{self.name}{where}")


def _find_in(directories: Sequence[Path], name: str, leaf: str) -> ModuleFile | None:
    """Mirror of the path-based finder: a package or module file wins, else a namespace package."""
    portions: list[Path] = []
    for directory in directories:
        package = directory / leaf
        if package.is_dir():
            for kind, suffixes in _FILE_KINDS:
                for suffix in suffixes:
                    init = package / f"__init__{suffix}"
                    if init.is_file():
                        return ModuleFile(name, init, kind, (package,))
            portions.append(package)
        for kind, suffixes in _FILE_KINDS:
            for suffix in suffixes:
                file = directory / f"{leaf}{suffix}"
                if file.is_file():
                    return ModuleFile(name, file, kind)
    if portions:
        return ModuleFile(name, None, "namespace", tuple(portions))
    return None


def editable_mappings(location: str | None) -> dict[str, str]:
    """Top-level package -> directory from a distribution's setuptools editable finders.

    Such an install puts no directory on ``sys.path``: an import hook maps names to the
    checkout. Its finder module (listed in RECORD) holds the map as a literal, read here with `ast`.
    """
    if not location:
        return {}
    import ast

    import importlib_metadata

    mappings: dict[str, str] = {}
    for file in importlib_metadata.Distribution.at(location).files or ():
        if not (file.name.startswith("__editable__") and file.name.endswith("_finder.py")):
            continue
        try:
            tree = ast.parse(Path(str(file.locate())).read_text("utf-8"))
        except (OSError, SyntaxError, ValueError):
            continue
        for stmt in tree.body:
            if isinstance(stmt, ast.Assign):
                targets, value = stmt.targets, stmt.value
            elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
                targets, value = [stmt.target], stmt.value
            else:
                continue
            if not any(isinstance(t, ast.Name) and t.id == "MAPPING" for t in targets):
                continue
            try:
                mapping = ast.literal_eval(value)
            except ValueError:
                continue
            if isinstance(mapping, dict):
                mappings.update({str(k): str(v) for k, v in mapping.items()})
    return mappings


def locate_module(
    module: str, path: Sequence[str] | None = None, editable: dict[str, str] | None = None
) -> ModuleFile:
    """The file `module` would be imported from, searching `path` (default ``sys.path``).

    Raises `Unreadable` when it cannot be found. Parent packages are looked up, never imported;
    a package that changes its own ``__path__`` at import time is beyond this.
    """
    parts = module.split(".")
    if module in sys.builtin_module_names:
        return ModuleFile(module, None, "builtin")
    directories = [Path(p or ".") for p in (sys.path if path is None else path)]
    found = _find_in([d for d in directories if d.is_dir()], parts[0], parts[0])
    if found is None and editable and parts[0] in editable:
        mapped = Path(editable[parts[0]])
        found = _find_in([mapped.parent], parts[0], mapped.name)
    for depth, part in enumerate(parts[1:], start=2):
        if found is None:
            break
        if not found.search:
            raise Unreadable(f"{found.name} is a module, not a package: it has no submodule {part}")
        found = _find_in(found.search, ".".join(parts[:depth]), part)
    if found is None:
        raise Unreadable(
            f"module {module} is not found on sys.path (it may come from an import hook or a zip "
            "archive)"
        )
    return found


# --------------------------------------------------------------------------- reading definitions
