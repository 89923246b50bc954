"""``torchplug check``: conflicts, broken entry points and bad metadata, with an exit status for CI."""

from __future__ import annotations

import argparse
import json

from .._loading import DEFAULT_IMPORT_TIMEOUT
from .._registry import Registry
from ._output import stdout_for_results


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
        parser.add_argument(
            "--timeout",
            type=_seconds,
            default=DEFAULT_IMPORT_TIMEOUT,
            metavar="SECONDS",
            help="with --deep, how long to wait for one plugin's import before reporting it as a "
            f"timeout and going on (default: {DEFAULT_IMPORT_TIMEOUT:g}; 0 waits as long as it "
            "takes)",
        )

    def run(self, registry: Registry, args: argparse.Namespace) -> int:
        # What plugins print while a deep check imports them goes to stderr, never into the report.
        with stdout_for_results() as out:
            report = registry.check(deep=args.deep, timeout=args.timeout or None)
            if args.json:
                print(json.dumps(report.as_dict(), indent=2), file=out)
            else:
                print(report.format(), file=out)
        return 0 if report.ok else 1


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:  # also refuses nan
        raise argparse.ArgumentTypeError(f"expected a number of seconds >= 0, got {text!r}")
    return value
