"""``torchplug entry-points``: write a pack's component entry points instead of hand-listing them.

A pack that exposes a whole library (157 optimizers, schedulers and losses; 1,372 models) cannot
keep one hand-written line per name in step with every upstream release. This command writes the
``[project.entry-points."<namespace>.<category>"]`` tables of the pack's pyproject.toml from two
sources, and with ``--check`` tells the pack's CI when they are stale:

- **registrations in the pack's source**, read without importing it (`._registrations`):
  ``@torchplug.registry.register_optimizer("lion")`` on ``class Lion`` becomes
  ``lion = "pkg.optim:Lion"``;
- **enumerators**: callables named ``module:attribute`` (``--from`` or the pyproject table
  ``[tool.torchplug.entry-points]``) that the command imports and calls at authoring time. The
  contract, for pack authors:

  * it takes no arguments and returns a mapping ``{category: {name: "module:attribute"}}``;
  * it runs in the author's environment, so it may import the upstream library and read its own
    list of components (its registry, ``__all__``, subclasses of a base class);
  * every name must be a valid component name and every category a component category (not
    ``hooks``, ``contracts``, ``deprecated`` or ``commands``); each target is loaded once, as
    ``get`` would load it, so a target that does not resolve is an error here, not in a user's run;
  * it must be deterministic: the same installed library gives the same mapping, or ``--check``
    could never pass.

Only groups this command generates are rewritten (`._pyproject` marks them); every other table,
group and comment of the file is left byte for byte, and a second run changes nothing.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._errors import TorchplugError
from .._names import category_problem, component_problem
from . import _pyproject
from ._registrations import Registration, find_registrations

if TYPE_CHECKING:
    from .._registry import Registry

#: The pyproject table that records how a pack's entry points are generated.
CONFIG_TABLE = "[tool.torchplug.entry-points]"
_CONFIG_KEYS = ("from", "sources")


class EntryPointsError(TorchplugError):
    """A pack's entry points cannot be generated: a bad enumerator, a clash, a bad setting."""


@dataclass(frozen=True)
class _Entry:
    target: str
    origin: str  # where it comes from, for messages: "src/pkg/optim.py:12" or "pkg._enum:names"


@dataclass(frozen=True)
class _Settings:
    """How to generate one pack's entry points: the command line over the pyproject table."""

    enumerators: tuple[str, ...]
    roots: tuple[tuple[Path, bool], ...]  # (import root, packages only), scanned for registrations


def _string_list(value: Any, key: str, pyproject: Path) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [str(v) for v in value]
    raise EntryPointsError(
        f"{pyproject}: {CONFIG_TABLE} {key} must be a string or a list of strings, got {value!r}."
    )


def _settings(args: argparse.Namespace, document: Any, pyproject: Path) -> _Settings:
    config = document.get("tool", {}).get("torchplug", {}).get("entry-points", {})
    if not isinstance(config, Mapping):
        raise EntryPointsError(f"{pyproject}: {CONFIG_TABLE} must be a table.")
    unknown = sorted(set(config) - set(_CONFIG_KEYS))
    if unknown:
        raise EntryPointsError(
            f"{pyproject}: unknown key(s) {unknown} in {CONFIG_TABLE}; it takes "
            f"{list(_CONFIG_KEYS)}: `from`, the enumerators (module:callable), and `sources`, the "
            "directories whose modules are read for registrations."
        )
    pack = pyproject.parent
    enumerators = args.enumerators or _string_list(config.get("from", []), "from", pyproject)
    sources = args.sources or _string_list(config.get("sources", []), "sources", pyproject)
    if sources:
        roots = tuple((pack / s, False) for s in sources)
        for root, _ in roots:
            if not root.is_dir():
                raise EntryPointsError(
                    f"source directory {root} does not exist; give the directories that hold the "
                    "pack's modules (an import root, such as src)."
                )
    elif (pack / "src").is_dir():
        roots = ((pack / "src", False),)
    else:
        roots = ((pack, True),)
    return _Settings(tuple(enumerators), roots)


@contextmanager
def _on_sys_path(roots: tuple[tuple[Path, bool], ...]) -> Iterator[None]:
    """The pack's own source first on sys.path, so its enumerator is the one in this tree."""
    saved = list(sys.path)
    sys.path[:0] = [str(root) for root, _ in roots]
    importlib.invalidate_caches()
    try:
        yield
    finally:
        sys.path[:] = saved


def _load_target(target: str) -> Any:
    """The object `target` names, loaded exactly as torchplug loads an entry point."""
    import importlib_metadata

    return importlib_metadata.EntryPoint(name="_", value=target, group="_").load()


def _call_enumerator(spec: str) -> Mapping[Any, Any]:
    module, _, attribute = spec.partition(":")
    if not module or not attribute:
        raise EntryPointsError(
            f"enumerator {spec!r} is not 'module:callable', e.g. "
            "--from torchplug_mypack._enumerate:components."
        )
    try:
        enumerator = _load_target(spec)
    except Exception as exc:
        raise EntryPointsError(
            f"cannot load the enumerator {spec!r}: {type(exc).__name__}: {exc}. It is imported "
            "from the pack's source directory first, then from the installed packages."
        ) from exc
    try:
        result = enumerator()
    except Exception as exc:
        raise EntryPointsError(
            f"the enumerator {spec!r} raised {type(exc).__name__}: {exc} "
            "(run with --traceback to see where)."
        ) from exc
    if not isinstance(result, Mapping) or not all(isinstance(v, Mapping) for v in result.values()):
        raise EntryPointsError(
            f"the enumerator {spec!r} returned {type(result).__name__}; it must return a mapping "
            '{category: {name: "module:attribute"}}.'
        )
    return result


def _enumerated(spec: str) -> Iterator[tuple[str, str, _Entry]]:
    """(category, name, entry) for everything the enumerator `spec` lists, each target loaded."""
    for category, names in _call_enumerator(spec).items():
        for name, target in names.items():
            problem = category_problem(category) or component_problem(name)
            if not problem and not isinstance(target, str):
                problem = f"its target is {type(target).__name__} {target!r}, not 'module:attr'"
            if not problem:
                try:
                    _load_target(target)
                except Exception as exc:
                    problem = f"its target {target!r} does not load: {type(exc).__name__}: {exc}"
            if problem:
                raise EntryPointsError(
                    f"the enumerator {spec!r} lists {category!r} {name!r}, but {problem}."
                )
            yield category, name, _Entry(target, spec)


def _registered(registrations: list[Registration]) -> Iterator[tuple[str, str, _Entry]]:
    for registration in registrations:
        for name in registration.names:
            yield registration.category, name, _Entry(registration.target, registration.where)


def _wanted(settings: _Settings, namespace: str) -> _pyproject.Groups:
    """Every group the pack's sources produce, each name once (a clash is an error)."""
    entries: dict[tuple[str, str], _Entry] = {}
    # Registrations name torchplug's default registry, so they are entry points of its groups.
    registrations = find_registrations(settings.roots) if namespace == "torchplug" else []
    with _on_sys_path(settings.roots):
        found = [
            *_registered(registrations),
            *(item for spec in settings.enumerators for item in _enumerated(spec)),
        ]
    for category, name, entry in found:
        first = entries.setdefault((category, name), entry)
        if first.target != entry.target:
            raise EntryPointsError(
                f"{category} {name!r} is given two targets: {first.target!r} by {first.origin} "
                f"and {entry.target!r} by {entry.origin}. One name has one target in a pack; "
                "rename one of them, or drop it from one source."
            )
    groups: _pyproject.Groups = {}
    for (category, name), entry in sorted(entries.items()):
        groups.setdefault(f"{namespace}.{category}", {})[name] = entry.target
    return groups


def _is_component_group(group: str, namespace: str) -> bool:
    category = group.removeprefix(namespace + ".")
    return group.startswith(namespace + ".") and category_problem(category) is None


def _rerun(args: argparse.Namespace, namespace: str) -> str:
    """The command that rewrites what ``--check`` found stale, with the options it was given."""
    words = ["torchplug"] + (["--namespace", namespace] if namespace != "torchplug" else [])
    words += ["entry-points", args.path]
    words += [f"--from {spec}" for spec in args.enumerators]
    words += [f"--source {source}" for source in args.sources]
    return " ".join(words)


class EntryPointsCommand:
    """Write a pack's entry points into its pyproject.toml from its registrations and enumerators."""

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "path",
            nargs="?",
            default=".",
            help="the pack's directory or its pyproject.toml (default: the current directory)",
        )
        parser.add_argument(
            "--from",
            dest="enumerators",
            action="append",
            default=[],
            metavar="MODULE:CALLABLE",
            help="an enumerator: a callable returning {category: {name: 'module:attr'}}, "
            f"called at authoring time (repeatable; default: `from` in {CONFIG_TABLE})",
        )
        parser.add_argument(
            "--source",
            dest="sources",
            action="append",
            default=[],
            metavar="DIR",
            help="an import root whose modules are read (not imported) for registration calls "
            f"(repeatable; default: `sources` in {CONFIG_TABLE}, else src/, else the pack's "
            "packages)",
        )
        parser.add_argument(
            "--check",
            action="store_true",
            help="change nothing; print what differs and exit 1 if pyproject.toml is stale",
        )

    def run(self, registry: Registry, args: argparse.Namespace) -> int:
        path = Path(args.path)
        pyproject = path if path.name == "pyproject.toml" else path / "pyproject.toml"
        document = _pyproject.load(pyproject)
        settings = _settings(args, document, pyproject)
        namespace = registry.namespace
        wanted = _wanted(settings, namespace)
        marked = {
            g for g in _pyproject.marked_groups(document) if _is_component_group(g, namespace)
        }
        if marked - set(wanted) and not wanted:
            raise EntryPointsError(
                f"{pyproject} has generated groups ({', '.join(sorted(marked))}) but no "
                "registration or enumerator produced any entry point, so all of them would be "
                f"removed. Name the enumerator with --from MODULE:CALLABLE or `from` in "
                f"{CONFIG_TABLE}, or check --source."
            )
        owned = marked | set(wanted)
        changes = _pyproject.compare(_pyproject.read_groups(document), wanted, owned)
        count = sum(len(entries) for entries in wanted.values())
        for change in changes:
            print("\n".join(change.lines()))
        if args.check:
            if changes:
                print(
                    f"{pyproject}: the entry points are stale ({len(changes)} group(s) differ). "
                    f"Run `{_rerun(args, namespace)}` to rewrite them."
                )
                return 1
            print(f"{pyproject}: up to date, {count} entry points in {len(wanted)} group(s).")
            return 0
        original = pyproject.read_text(encoding="utf-8")
        _pyproject.rewrite(document, wanted, owned)
        text = _pyproject.dumps(document)
        if not original.endswith("\n\n"):  # a group appended at the end brings a blank line
            text = text.rstrip("\n") + "\n"
        if text != original:
            pyproject.write_text(text, encoding="utf-8")
            print(f"{pyproject}: wrote {count} entry points in {len(wanted)} group(s).")
        else:
            print(f"{pyproject}: up to date, {count} entry points in {len(wanted)} group(s).")
        return 0
