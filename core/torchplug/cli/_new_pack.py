"""``torchplug new-pack``: the source tree of a new pack, to start from."""

from __future__ import annotations

import argparse
import json

from .._registry import Registry


class NewPack:
    """Write a new pack: pyproject.toml, one example component per category, tests, tox.ini.

    example:
      torchplug new-pack torchplug-lion --category optimizer --category scheduler
    """

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("name", help="the distribution name, e.g. torchplug-lion")
        parser.add_argument(
            "--directory",
            metavar="DIR",
            help="where to write the pack (default: ./NAME); must not exist or be empty",
        )
        parser.add_argument(
            "--category",
            dest="categories",
            action="append",
            default=[],
            metavar="CATEGORY",
            help="write an example component of this category (repeatable; default: scheduler)",
        )
        parser.add_argument("--json", action="store_true", help="print JSON instead of text")

    def run(self, registry: Registry, args: argparse.Namespace) -> int:
        from .._scaffold import create_pack

        pack = create_pack(args.name, args.directory, args.categories, namespace=registry.namespace)
        print(json.dumps(pack.as_dict(), indent=2) if args.json else pack.format())
        return 0
