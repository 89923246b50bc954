"""``torchplug list`` and ``torchplug plugins``: what is installed, read from metadata alone."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from .._info import ComponentInfo
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


def _selected(registry: Registry, args: argparse.Namespace) -> list[ComponentInfo]:
    """`list`'s rows: the named categories (default: all), then those matching any --filter.

    A pattern containing '/' is matched against ``category/name``, any other against the name
    alone; matching is case-sensitive (`fnmatch.fnmatchcase`) on every platform.
    """
    from fnmatch import fnmatchcase

    categories = list(dict.fromkeys([*filter(None, [args.category]), *args.categories]))
    if categories:
        infos = [i for c in categories for i in registry.entries(c)]
    else:
        infos = registry.entries()
    if args.filter:
        infos = [
            i
            for i in infos
            if any(
                fnmatchcase(f"{i.category}/{i.name}" if "/" in p else i.name, p)
                for p in args.filter
            )
        ]
    return sorted(infos, key=lambda i: (i.category, i.name))


class List:
    """List installed components: category, name, provider, version, target, status.

    examples:
      torchplug list optimizer --json
      torchplug list --filter 'adam*' --filter 'norm/*rms*'
    """

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("category", nargs="?", help="only this category")
        parser.add_argument(
            "--category",
            dest="categories",
            action="append",
            default=[],
            metavar="CATEGORY",
            help="only this category (repeatable; adds to the positional one)",
        )
        parser.add_argument(
            "--filter",
            action="append",
            default=[],
            metavar="PATTERN",
            help="only names matching this shell-style pattern, e.g. 'adam*'; a pattern with '/' "
            "matches CATEGORY/NAME, e.g. 'norm/*rms*' (repeatable: any pattern may match)",
        )
        parser.add_argument("--json", action="store_true", help="print JSON instead of a table")

    def run(self, registry: Registry, args: argparse.Namespace) -> int:
        infos = _selected(registry, args)
        if args.json:
            print(json.dumps([info_json(i) for i in infos], indent=2))
            return 0
        if not infos and args.filter:
            print(f"No installed component matches {' or '.join(map(repr, args.filter))}.")
            return 0
        if not infos:
            what = f"{args.category} components" if args.category else "components"
            print(f"No {what} installed. Install a pack, e.g. pip install torchplug-torch.")
            return 0
        rows = [[i.category, i.name, *_provider_cells(i), _status(i)] for i in infos]
        header = ["CATEGORY", "NAME", "DISTRIBUTION", "VERSION", "TARGET", "STATUS"]
        print(render_table(rows, header))
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
        print(render_table(rows, header))
        return 0
