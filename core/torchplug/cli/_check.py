"""``torchplug check``: conflicts, broken entry points and bad metadata, with an exit status for CI."""

from __future__ import annotations

import argparse
import json

from .._registry import Registry


class Check:
    """Report conflicts, broken entry points and bad metadata; exit 1 if any.

    example:
      torchplug check --deep
    """

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--deep", action="store_true", help="also import every entry point and report failures"
        )
        parser.add_argument("--json", action="store_true", help="print JSON instead of text")

    def run(self, registry: Registry, args: argparse.Namespace) -> int:
        report = registry.check(deep=args.deep)
        if args.json:
            print(json.dumps(report.as_dict(), indent=2))
        else:
            print(report.format())
        return 0 if report.ok else 1
