"""``torchplug list`` and ``torchplug plugins``: what is installed, read from metadata alone."""

from __future__ import annotations

import sys

from .._names import did_you_mean, glob_match
from ._table import is_terminal, plain_table, render_table

TYPE_CHECKING = False  # typing costs milliseconds to import; mypy reads this as True
if TYPE_CHECKING:
    import argparse
    from typing import Any

    from .._info import ComponentInfo
    from .._keyed import Row
    from .._registry import Registry


def info_json(info: ComponentInfo) -> dict[str, Any]:
    """One component as ``--json`` prints it."""
    from .._rows import row_of

    return row_json(row_of(info))


def row_json(row: Row) -> dict[str, Any]:
    """One row of `list` as ``--json`` prints it."""
    category, name, status, providers, aliases, _, problem, _, settled_by = row
    chosen = providers[0] if status in ("ok", "broken") else (None, None, None, None)
    return {
        "category": category,
        "name": name,
        "distribution": chosen[0],
        "version": chosen[1],
        "target": chosen[2],
        "status": status,
        "aliases": list(aliases),
        "problem": problem,
        "settled_by": settled_by,
        "providers": [{"distribution": d, "version": v, "target": t} for d, v, t, _ in providers],
    }


def _provider_cells(row: Row) -> list[str]:
    providers = row[3]
    if row[2] in ("ok", "broken"):
        distribution, version, target, _ = providers[0]
        return [distribution or "(local)", version or "", target]
    return [
        ", ".join(d or "(local)" for d, _, _, _ in providers),
        ", ".join(v or "" for _, v, _, _ in providers),
        ", ".join(t for _, _, t, _ in providers),
    ]


def _cells(rows: list[Row]) -> list[tuple[str, ...]]:
    """The table's cells: the common row (one installed provider, nothing settled) taken as it
    is, in one tight loop, for listings run to ten thousand rows."""
    cells: list[tuple[str, ...]] = []
    add = cells.append
    for row in rows:
        category, name, status, providers, _, _, _, _, settled_by = row
        if settled_by is None and (status == "ok" or status == "broken"):
            distribution, version, target, _ = providers[0]
            if distribution is not None and version is not None:
                add((category, name, distribution, version, target, status))
                continue
        add((category, name, *_provider_cells(row), _status(row)))
    return cells


def _status(row: Row) -> str:
    """``ok``, or ``ok (preferred)`` / ``ok (equivalent)`` when several providers were settled."""
    status, preferred, settled_by = row[2], row[7], row[8]
    if status != "ok" or not settled_by:
        return status
    if preferred:
        return "ok (preferred)"
    return "ok (equivalent)" if settled_by.startswith("equivalence") else "ok (settled)"


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
    """Known as `Registry.list` knows categories (those that packs declare a contract for but
    nothing provides yet too), without reading the category's names."""
    return registry._is_known(name)


def _selected(registry: Registry, categories: list[str], patterns: list[str]) -> list[Row]:
    """`list`'s rows: the named categories (default: all), then those matching any pattern.

    A pattern containing '/' is matched against ``category/name``, any other against the name
    alone; matching is case-sensitive (`fnmatch.fnmatchcase`) on every platform.
    """
    if categories:
        rows = [row for c in categories for row in registry._rows(c)]
        rows.sort(key=_by_category_and_name)
    else:
        rows = registry._rows()  # sorted
    if patterns:
        rows = [
            row
            for row in rows
            if any(glob_match(f"{row[0]}/{row[1]}" if "/" in p else row[1], p) for p in patterns)
        ]
    return rows


def _by_category_and_name(row: Row) -> tuple[str, str]:
    return row[0], row[1]


def _nothing_matches(registry: Registry, patterns: list[str]) -> str:
    """What `list` says when no row matches: the patterns, and a category or name they resemble."""
    hints = [
        did_you_mean(p, [*registry.categories(), *{row[1] for row in registry._rows()}])
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

    #: It reads metadata only: run by the script, it runs without cycle collection (`script`).
    imports_no_plugin = True

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
        rows = _selected(registry, categories, patterns)
        if args.json:
            import json

            print(json.dumps([row_json(row) for row in rows], indent=2))
            return 0
        if not rows and patterns:
            print(_nothing_matches(registry, patterns))
            return 0
        if not rows:
            what = f"{' or '.join(categories)} components" if categories else "components"
            print(f"No {what} installed. Install a pack, e.g. pip install torchplug-torch.")
            return 0
        cells = _cells(rows)
        header = ["CATEGORY", "NAME", "DISTRIBUTION", "VERSION", "TARGET", "STATUS"]
        if is_terminal(sys.stdout):
            print(render_table(cells, header, optional=["TARGET", "VERSION"], colour=_status_style))
        else:  # every cell is a string already: no conversion of ten thousand rows
            print(plain_table(cells, header))
        for category, name, status, providers, _, _, problem, _, settled_by in rows:
            if status != "ok" and problem:
                print(f"{status}: {category} {name!r}: {problem}", file=sys.stderr)
            elif settled_by:
                chosen = (providers[0][0] if status in ("ok", "broken") else None) or "(local)"
                print(
                    f"settled: {category} {name!r} -> {chosen}, by {settled_by}",
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

    #: It reads metadata only: run by the script, it runs without cycle collection (`script`).
    imports_no_plugin = True

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--json", action="store_true", help="print JSON instead of a table")

    def run(self, registry: Registry, args: argparse.Namespace) -> int:
        dists = registry.distributions()
        if args.json:
            import json

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
