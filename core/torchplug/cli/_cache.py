"""``torchplug cache``: where the on-disk cache lives, what it holds, and emptying it."""

from __future__ import annotations

import argparse
import json

from .. import _cache, _settings
from .._registry import Registry


class Cache:
    """Show where the scan cache lives and what it holds (stored scans, and the parsed copies of
    settings files); --clear empties it.

    example:
      torchplug cache --clear
    """

    #: It reads metadata only: run by the script, it runs without cycle collection (`script`).
    imports_no_plugin = True

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--clear", action="store_true", help="delete every cache file")
        parser.add_argument("--json", action="store_true", help="print JSON instead of text")

    def run(self, registry: Registry, args: argparse.Namespace) -> int:
        removed = _cache.clear() if args.clear else None
        state = _cache.describe()
        if args.json:
            print(json.dumps({**state, "removed": removed}, indent=2))
            return 0
        if removed is not None:
            print(f"Removed {removed} cache file(s).")
        status = "enabled" if state["enabled"] else f"disabled by {_settings.CACHE}"
        print(f"Scan cache: {state['directory']} ({status})")
        print(f"{state['files']} file(s), {state['bytes']} bytes")
        return 0
