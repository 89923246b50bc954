"""The ``torchplug`` command line: one small handler per command, the work done in its module.

``list``, ``show``, ``plugins`` and ``check`` read metadata and source text only (``check --deep``
and ``show --import`` excepted), so none of them imports torch or a plugin module; ``run`` and
``lock`` build a config; ``new-pack`` scaffolds a pack; ``cache`` manages the scan cache. Errors go
to stderr with a non-zero exit; ``--traceback`` shows the Python traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from collections.abc import Sequence
from typing import Any

from ._component import ComponentInfo
from ._conflicts import ENV_DISABLE
from ._errors import TorchplugError
from ._names import render_table
from ._registry import ENV_AUTOLOAD, Registry

_EPILOG = f"""\
environment:
  {ENV_DISABLE}=dist-a,dist-b   never import these distributions' entry points
  {ENV_AUTOLOAD}=0              ignore installed packs (local registrations only)
  TORCHPLUG_CACHE=0                do not read or write the scan cache
  XDG_CACHE_HOME                   the scan cache lives in $XDG_CACHE_HOME/torchplug

examples:
  torchplug list                  every installed component
  torchplug list optimizer --json
  torchplug plugins               which installed packs provide what
  torchplug check --deep          import every entry point and report failures
  torchplug show optimizer adamw  signature and docstring, read from source
  torchplug new-pack mypack       the source tree of a new pack, to start from
  torchplug --namespace myfw list a framework's own registry (groups myfw.<category>)
"""


def _info_json(info: ComponentInfo) -> dict[str, Any]:
    return {
        "category": info.category,
        "name": info.name,
        "distribution": info.distribution,
        "version": info.version,
        "target": info.target,
        "status": info.status,
        "aliases": list(info.aliases),
        "problem": info.problem,
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


def _cmd_list(registry: Registry, args: argparse.Namespace) -> int:
    infos = _selected(registry, args)
    if args.json:
        print(json.dumps([_info_json(i) for i in infos], indent=2))
        return 0
    if not infos and args.filter:
        print(f"No installed component matches {' or '.join(map(repr, args.filter))}.")
        return 0
    if not infos:
        what = f"{args.category} components" if args.category else "components"
        print(f"No {what} installed. Install a pack, e.g. pip install torchplug-torch.")
        return 0
    rows = [[i.category, i.name, *_provider_cells(i), i.status] for i in infos]
    print(render_table(rows, ["CATEGORY", "NAME", "DISTRIBUTION", "VERSION", "TARGET", "STATUS"]))
    for info in infos:
        if info.status != "ok" and info.problem:
            print(f"{info.status}: {info.category} {info.name!r}: {info.problem}", file=sys.stderr)
    return 0


def _cmd_show(registry: Registry, args: argparse.Namespace) -> int:
    from ._source import inspect_imported, read_source

    info = registry.info(args.category, args.name)
    blocks = []
    for provider in info.providers:
        disabled = provider.distribution in registry.disabled
        reading = (
            inspect_imported(provider.target)
            if args.imported and not disabled
            else read_source(provider.target, provider.location)
        )
        blocks.append((provider, disabled, reading))
    if args.json:
        payload = {
            **{k: v for k, v in _info_json(info).items() if k not in ("providers", "target")},
            "providers": [
                {"distribution": p.distribution, "version": p.version, "disabled": d, **r.as_dict()}
                for p, d, r in blocks
            ],
        }
        print(json.dumps(payload, indent=2))
        return 0
    state = f"{info.status}: {info.problem}" if info.problem else info.status
    print(f"{info.category} {info.name!r} ({state})")
    if info.aliases:
        print(f"aliases       {', '.join(info.aliases)}")
    for provider, disabled, reading in blocks:
        who = f"{provider.distribution} {provider.version}" if provider.distribution else "(local)"
        print(f"\nprovider      {who}" + (" [disabled]" if disabled else ""))
        if disabled and args.imported:
            print(f"note          not imported: {ENV_DISABLE} blocks {provider.distribution}")
        print(reading.format())
    return 0


def _cmd_new_pack(registry: Registry, args: argparse.Namespace) -> int:
    from .cli._new_pack import NewPack

    return NewPack().run(registry, args)


def _cmd_plugins(registry: Registry, args: argparse.Namespace) -> int:
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
            }
            for d in dists
        ]
        print(json.dumps(payload, indent=2))
        return 0
    if not dists:
        print("No installed distribution provides torchplug components or hooks.")
        return 0
    rows = [
        [
            d.name,
            d.version,
            ", ".join(f"{c}: {n}" for c, n in d.components.items()) or "-",
            str(d.hooks),
            "disabled" if d.disabled else "enabled",
        ]
        for d in dists
    ]
    print(render_table(rows, ["DISTRIBUTION", "VERSION", "COMPONENTS", "HOOKS", "STATE"]))
    return 0


def _cmd_check(registry: Registry, args: argparse.Namespace) -> int:
    report = registry.check(deep=args.deep)
    if args.json:
        print(json.dumps(report.as_dict(), indent=2))
    else:
        print(report.format())
    return 0 if report.ok else 1


def _cmd_cache(registry: Registry, args: argparse.Namespace) -> int:
    from . import _cache

    removed = _cache.clear() if args.clear else None
    state = _cache.describe()
    if args.json:
        print(json.dumps({**state, "removed": removed}, indent=2))
        return 0
    if removed is not None:
        print(f"Removed {removed} cache file(s).")
    status = "enabled" if state["enabled"] else f"disabled by {_cache.ENV_CACHE}"
    print(f"Scan cache: {state['directory']} ({status})")
    print(f"{state['files']} file(s), {state['bytes']} bytes")
    return 0


def _cmd_run(registry: Registry, args: argparse.Namespace) -> int:
    from ._run import RunOptions, run_command

    options = RunOptions(
        args.config,
        tuple(args.set),
        dry_run=args.dry_run,
        resume=args.resume,
        locked=args.locked or args.lock_file is not None,
        lock_file=args.lock_file,
        allow_mismatch=args.allow_mismatch,
        device=args.device,
    )
    run_command(registry, options)
    return 0


def _cmd_lock(registry: Registry, args: argparse.Namespace) -> int:
    from ._run import lock_command

    lock_command(registry, args.config, tuple(args.set), args.output, sys.stdout)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser; the CLI reference in the docs is written from its help texts."""
    parser = argparse.ArgumentParser(
        prog="torchplug",
        description="Discover, inspect and check the torchplug components of installed packs.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--traceback", action="store_true", help="show the Python traceback of an error"
    )
    parser.add_argument(
        "--namespace",
        default="torchplug",
        help="read the entry-point groups NAMESPACE.<category> of a framework's own registry "
        "(default: torchplug)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    def add(name: str, help_text: str, example: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(
            name,
            help=help_text,
            description=help_text,
            epilog=f"example:\n  {example}",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        sub.add_argument("--json", action="store_true", help="print JSON instead of a table")
        return sub

    listing = add(
        "list",
        "List installed components: category, name, provider, version, target, status.",
        "torchplug list optimizer --json\n  torchplug list --filter 'adam*' --filter 'norm/*rms*'",
    )
    listing.add_argument("category", nargs="?", help="only this category")
    listing.add_argument(
        "--category",
        dest="categories",
        action="append",
        default=[],
        metavar="CATEGORY",
        help="only this category (repeatable; adds to the positional one)",
    )
    listing.add_argument(
        "--filter",
        action="append",
        default=[],
        metavar="PATTERN",
        help="only names matching this shell-style pattern, e.g. 'adam*'; a pattern with '/' "
        "matches CATEGORY/NAME, e.g. 'norm/*rms*' (repeatable: any pattern may match)",
    )
    listing.set_defaults(run=_cmd_list)

    show = add(
        "show",
        "Show where a component is defined, its signature and docstring, without importing it.",
        "torchplug show optimizer adamw",
    )
    show.add_argument("category", help="the component's category")
    show.add_argument("name", help="its name, or DISTRIBUTION:NAME for one provider")
    show.add_argument(
        "--import",
        dest="imported",
        action="store_true",
        help="import the target and read it with inspect (runs the plugin's code; needed for "
        "compiled modules and names made at import time)",
    )
    show.set_defaults(run=_cmd_show)

    new_pack = add(
        "new-pack",
        "Write a new pack: pyproject.toml, one example component per category, tests, tox.ini.",
        "torchplug new-pack torchplug-lion --category optimizer --category scheduler",
    )
    new_pack.add_argument("name", help="the distribution name, e.g. torchplug-lion")
    new_pack.add_argument(
        "--directory",
        metavar="DIR",
        help="where to write the pack (default: ./NAME); must not exist or be empty",
    )
    new_pack.add_argument(
        "--category",
        dest="categories",
        action="append",
        default=[],
        metavar="CATEGORY",
        help="write an example component of this category (repeatable; default: scheduler); "
        "a category no installed pack declares is written as a new one, with a warning",
    )
    new_pack.set_defaults(run=_cmd_new_pack)

    plugins = add(
        "plugins",
        "List installed distributions that provide components or hooks, with counts.",
        "torchplug plugins --json",
    )
    plugins.set_defaults(run=_cmd_plugins)

    check = add(
        "check",
        "Report conflicts, broken entry points and bad metadata; exit 1 if any.",
        "torchplug check --deep",
    )
    check.add_argument(
        "--deep", action="store_true", help="also import every entry point and report failures"
    )
    check.set_defaults(run=_cmd_check)

    run = add(
        "run",
        "Train from a TOML config: every component is built through the registry, checked "
        "for conflicts and, under torchrun, agreed on by every rank before step 0.",
        "torchplug run examples/quickstart.toml --set train.steps=50\n"
        "  torchrun --nproc-per-node 2 -m torchplug run examples/quickstart.toml",
    )
    run.add_argument("config", help="the TOML config file")
    run.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a config value, e.g. --set optimizer.lr=3e-4 (repeatable)",
    )
    run.add_argument(
        "--dry-run", action="store_true", help="resolve, validate and print the components only"
    )
    run.add_argument("--resume", metavar="CKPT", help="continue from a checkpoint file")
    run.add_argument(
        "--allow-mismatch",
        action="store_true",
        help="resume even if installed providers or versions differ from the checkpoint's",
    )
    run.add_argument(
        "--locked",
        action="store_true",
        help="refuse to start unless the config resolves exactly as its lock file says",
    )
    run.add_argument(
        "--lock-file", metavar="FILE", help="the lock file to verify (default: CONFIG.lock.json)"
    )
    run.add_argument(
        "--device", choices=["auto", "cpu", "cuda"], default="auto", help="where to train"
    )
    run.set_defaults(run=_cmd_run)

    lock = add(
        "lock",
        "Resolve a config and write its providers, versions, targets and fingerprints to a "
        "lock file for `run --locked`.",
        "torchplug lock examples/quickstart.toml",
    )
    lock.add_argument("config", help="the TOML config file")
    lock.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="override a value"
    )
    lock.add_argument(
        "-o", "--output", metavar="FILE", help="where to write (default: CONFIG.lock.json)"
    )
    lock.set_defaults(run=_cmd_lock)

    cache = add(
        "cache",
        "Show where the scan cache lives and what it holds; --clear empties it.",
        "torchplug cache --clear",
    )
    cache.add_argument("--clear", action="store_true", help="delete every cache file")
    cache.set_defaults(run=_cmd_cache)
    return parser


def _registry_for(namespace: str) -> Registry:
    if namespace == "torchplug":
        from . import registry

        return registry
    return Registry(namespace)


def main(argv: Sequence[str] | None = None, registry: Registry | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    # A deprecated component name in a config must be seen by the person running it.
    warnings.filterwarnings(
        "default", message=r".* is deprecated; use ", category=DeprecationWarning
    )
    try:
        if registry is None:
            registry = _registry_for(args.namespace)
        return int(args.run(registry, args))
    except TorchplugError as exc:
        if args.traceback:
            raise
        print(f"torchplug: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `torchplug list | head`
        return 0
