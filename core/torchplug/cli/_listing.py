"""``torchplug list`` and ``torchplug plugins``: what is installed, read from metadata alone."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from .._errors import ComponentNotFoundError
from .._info import ComponentInfo
from .._names import did_you_mean
from .._registry import Registry
from ._table import render_table


def info_json(info: ComponentInfo) -> dict[str, Any]:
    """One component as ``--json`` prints it."""
    return {
        "category": info.category,
        "name": info.name,
        "distribution": info.distribution,
        "version": info.version,
        "target": info.target,
        "status": info.status,
        "aliases": list(info.aliases),
        "problem": info.problem,
        "settled_by": info.settled_by,
        "providers": [
            {"distribution": p.distribution, "version": p.version, "target": p.target}
            for p in info.providers
        ],
    }


def _provider_cells(info: ComponentInfo) -> list[str]:
    if info.provider is not None:
        p = info.provider
        return [p.distribution or "(local)", p.version or "", p.target]
    return [
        ", ".join(p.distribution or "(local)" for p in info.providers),
        ", ".join(p.version or "" for p in info.providers),
        ", ".join(p.target for p in info.providers),
    ]


def _status(info: ComponentInfo) -> str:
    """``ok``, or ``ok (preferred)`` / ``ok (equivalent)`` when several providers were settled."""
    if info.status != "ok" or not info.settled_by:
        return info.status
    if info.preferred:
        return "ok (preferred)"
    return "ok (equivalent)" if info.settled_by.startswith("equivalence") else "ok (settled)"


#: On a terminal, the rows that need a look stand out; ``ok`` stays plain.
_STATUS_STYLES = {
    "conflict": "bold red",
    "broken": "red",
    "disabled": "dim",
    "ok (preferred)": "yellow",
    "ok (settled)": "yellow",
    "ok (equivalent)": "cyan",
}


def _status_style(column: str, cell: str) -> str | None:
    return _STATUS_STYLES.get(cell) if column == "STATUS" else None


_GLOB = frozenset("*?[")


def _terms(registry: Registry, args: argparse.Namespace) -> tuple[list[str], list[str]]:
    """``(categories, name patterns)`` of the command line.

    A positional argument is a category when it names one and has no wildcard; any other is a
    name pattern, like those of --filter.
    """
    categories, patterns = list(args.categories), list(args.filter)
    for term in args.terms:
        if _GLOB.isdisjoint(term) and "/" not in term and _is_category(registry, term):
            categories.append(term)
        else:
            patterns.append(term)
    return list(dict.fromkeys(categories)), patterns


def _is_category(registry: Registry, name: str) -> bool:
    try:
        registry.list(name)  # knows the categories that packs declare but nothing provides yet
    except ComponentNotFoundError:
        return False
    return True


def _selected(
    registry: Registry, categories: list[str], patterns: list[str]
) -> list[ComponentInfo]:
    """`list`'s rows: the named categories (default: all), then those matching any pattern.

    A pattern containing '/' is matched against ``category/name``, any other against the name
    alone; matching is case-sensitive (`fnmatch.fnmatchcase`) on every platform.
    """
    from fnmatch import fnmatchcase

    if categories:
        infos = [i for c in categories for i in registry.entries(c)]
    else:
        infos = registry.entries()
    if patterns:
        infos = [
            i
            for i in infos
            if any(
                fnmatchcase(f"{i.category}/{i.name}" if "/" in p else i.name, p) for p in patterns
            )
        ]
    return sorted(infos, key=lambda i: (i.category, i.name))


def _nothing_matches(registry: Registry, patterns: list[str]) -> str:
    """What `list` says when no row matches: the patterns, and a category or name they resemble."""
    hints = [
        did_you_mean(p, [*registry.categories(), *{i.name for i in registry.entries()}])
        for p in patterns
        if _GLOB.isdisjoint(p) and "/" not in p
    ]
    return f"No installed component matches {' or '.join(map(repr, patterns))}." + "".join(hints)


class List:
    """List installed components: category, name, provider, version, target, status.

    Each positional argument is a category when one has that name, else a NAME pattern
    (shell-style: '*', '?', '[...]'; quote it). On a terminal the table fits the window (TARGET,
    then VERSION give way) and statuses other than ok are coloured; piped, every cell is whole.

    examples:
      torchplug list optimizer
      torchplug list '*adam*'
      torchplug list optimizer 'ada*' --json
      torchplug list --filter 'norm/*rms*' --category scheduler
    """

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "terms",
            nargs="*",
            metavar="CATEGORY|PATTERN",
            help="a category, or a pattern of names such as 'adam*' (any number; patterns add "
            "to --filter, categories to --category)",
        )
        parser.add_argument(
            "--category",
            dest="categories",
            action="append",
            default=[],
            metavar="CATEGORY",
            help="only this category (repeatable)",
        )
        parser.add_argument(
            "--filter",
            action="append",
            default=[],
            metavar="PATTERN",
            help="only names matching this shell-style pattern, e.g. 'adam*'; a pattern with '/' "
            "matches CATEGORY/NAME, e.g. 'norm/*rms*' (repeatable: any pattern may match)",
        )
        parser.add_argument(
            "--json", action="store_true", help="print JSON instead of a table (every field)"
        )

    def run(self, registry: Registry, args: argparse.Namespace) -> int:
        categories, patterns = _terms(registry, args)
        infos = _selected(registry, categories, patterns)
        if args.json:
            print(json.dumps([info_json(i) for i in infos], indent=2))
            return 0
        if not infos and patterns:
            print(_nothing_matches(registry, patterns))
            return 0
        if not infos:
            what = f"{' or '.join(categories)} components" if categories else "components"
            print(f"No {what} installed. Install a pack, e.g. pip install torchplug-torch.")
            return 0
        rows = [[i.category, i.name, *_provider_cells(i), _status(i)] for i in infos]
        header = ["CATEGORY", "NAME", "DISTRIBUTION", "VERSION", "TARGET", "STATUS"]
        print(render_table(rows, header, optional=["TARGET", "VERSION"], colour=_status_style))
        for info in infos:
            if info.status != "ok" and info.problem:
                print(
                    f"{info.status}: {info.category} {info.name!r}: {info.problem}", file=sys.stderr
                )
            elif info.settled_by:
                chosen = info.distribution or "(local)"
                print(
                    f"settled: {info.category} {info.name!r} -> {chosen}, by {info.settled_by}",
                    file=sys.stderr,
                )
        return 0


def _state_style(column: str, cell: str) -> str | None:
    return "dim" if column == "STATE" and cell == "disabled" else None


class Plugins:
    """List installed distributions that provide components, hooks or commands, with counts.

    example:
      torchplug plugins --json
    """

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--json", action="store_true", help="print JSON instead of a table")

    def run(self, registry: Registry, args: argparse.Namespace) -> int:
        dists = registry.distributions()
        if args.json:
            payload = [
                {
                    "distribution": d.name,
                    "version": d.version,
                    "location": d.location,
                    "disabled": d.disabled,
                    "components": d.components,
                    "hooks": d.hooks,
                    "commands": d.commands,
                }
                for d in dists
            ]
            print(json.dumps(payload, indent=2))
            return 0
        if not dists:
            print("No installed distribution provides torchplug components, hooks or commands.")
            return 0
        rows = [
            [
                d.name,
                d.version,
                ", ".join(f"{c}: {n}" for c, n in d.components.items()) or "-",
                str(d.hooks),
                str(d.commands),
                "disabled" if d.disabled else "enabled",
            ]
            for d in dists
        ]
        header = ["DISTRIBUTION", "VERSION", "COMPONENTS", "HOOKS", "COMMANDS", "STATE"]
        print(render_table(rows, header, colour=_state_style))
        return 0
