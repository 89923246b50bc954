"""``torchplug show``: where a component is defined, its signature and docstring, read from source."""

from __future__ import annotations

import argparse
import json
import shutil

from .. import _settings
from .._registry import Registry
from ._listing import info_json
from ._output import stdout_for_results


class Show:
    """Show where a component is defined, its signature and docstring, without importing it.

    A signature wider than the terminal (80 columns when piped, or COLUMNS) is printed one
    parameter a line; a class shows its own docstring and its __init__'s.

    example:
      torchplug show optimizer adamw
    """

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("category", help="the component's category")
        parser.add_argument("name", help="its name, or DISTRIBUTION:NAME for one provider")
        parser.add_argument(
            "--import",
            dest="imported",
            action="store_true",
            help="import the target and read it with inspect (runs the plugin's code; needed for "
            "compiled modules and names made at import time)",
        )
        parser.add_argument("--json", action="store_true", help="print JSON instead of text")

    def run(self, registry: Registry, args: argparse.Namespace) -> int:
        from ._source import inspect_imported, read_source

        info = registry.info(args.category, args.name)
        blocks = []
        with stdout_for_results():  # what an imported plugin prints goes to stderr
            for provider in info.providers:
                disabled = provider.distribution in registry.disabled
                reading = (
                    inspect_imported(provider.target)
                    if args.imported and not disabled
                    else read_source(provider.target, provider.location)
                )
                blocks.append((provider, disabled, reading))
        if args.json:
            described = info_json(info)
            payload = {
                **{k: v for k, v in described.items() if k not in ("providers", "target")},
                "providers": [
                    {
                        "distribution": p.distribution,
                        "version": p.version,
                        "disabled": d,
                        **r.as_dict(),
                    }
                    for p, d, r in blocks
                ],
            }
            print(json.dumps(payload, indent=2))
            return 0
        width = shutil.get_terminal_size().columns  # COLUMNS, the terminal's, or 80
        state = f"{info.status}: {info.problem}" if info.problem else info.status
        print(f"{info.category} {info.name!r} ({state})")
        if info.aliases:
            print(f"aliases       {', '.join(info.aliases)}")
        if info.settled_by:
            print(f"settled by    {info.settled_by}")
        for provider, disabled, reading in blocks:
            who = (
                f"{provider.distribution} {provider.version}"
                if provider.distribution
                else "(local)"
            )
            print(f"\nprovider      {who}" + (" [disabled]" if disabled else ""))
            if disabled and args.imported:
                print(
                    f"note          not imported: {_settings.DISABLE} blocks {provider.distribution}"
                )
            print(reading.format(width))
        return 0
