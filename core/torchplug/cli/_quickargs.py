"""The commonest command lines, parsed without argparse: a command and its positional arguments.

``torchplug list optimizer`` must cost little more than starting Python, and importing argparse
(with re and gettext) costs about half of that again. When no argument starts with ``-`` (no
option, no help), nothing argparse does but assigning positional values and defaults happens, so
`QuickParser` records what a command's ``add_arguments`` declares and does just that. Anything it
does not know (an action class, a type, choices, subparsers...), and any line it cannot place, is
left to argparse, which also words every error.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # typing costs milliseconds to import; mypy reads this as True
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

#: What `parse` returns: argparse.Namespace's C sibling, without importing anything.
Namespace: Any = type(sys.implementation)

#: Option actions whose default is all a line without options needs, and that default.
_OPTION_DEFAULTS = {"store": None, "store_true": False, "store_false": True, "append": None}


class QuickParser:
    """Stands in for an `argparse.ArgumentParser` while a command declares its arguments."""

    def __init__(self) -> None:
        self.understood = True  # False once something was declared that only argparse does
        self._positionals: list[tuple[str, Any, Any]] = []  # dest, nargs, default
        self._defaults: dict[str, Any] = {}

    def add_argument(self, *names: str, **options: Any) -> None:
        action = options.get("action", "store")
        if not names or not isinstance(action, str) or "type" in options or "choices" in options:
            self.understood = False
            return
        if names[0].startswith("-"):
            if action not in _OPTION_DEFAULTS:
                self.understood = False
                return
            long = next((n for n in names if n.startswith("--")), names[0])
            dest = options.get("dest") or long.lstrip("-").replace("-", "_")
            default = options.get("default", _OPTION_DEFAULTS[action])
            if default != "==SUPPRESS==":  # argparse.SUPPRESS: no attribute at all
                self._defaults[dest] = default
            return
        nargs = options.get("nargs")
        if action != "store" or nargs not in (None, "?", "*", "+"):
            self.understood = False
            return
        self._positionals.append((options.get("dest", names[0]), nargs, options.get("default")))

    def set_defaults(self, **defaults: Any) -> None:
        self._defaults.update(defaults)

    def add_argument_group(self, *args: Any, **kwargs: Any) -> QuickParser:
        return self  # groups only change how --help prints the options

    add_mutually_exclusive_group = add_argument_group

    def __getattr__(self, name: str) -> Any:
        """Anything else a command asks of its parser: leave the line to argparse."""

        def unknown(*args: Any, **kwargs: Any) -> None:
            self.understood = False

        return unknown

    def has_option(self, dest: str) -> bool:
        return dest in self._defaults

    def parse(self, arguments: Sequence[str]) -> Any:
        """The namespace argparse would make of `arguments` (positional only), or None."""
        if not self.understood or any(a.startswith("-") for a in arguments):
            return None
        values: dict[str, Any] = dict(self._defaults)
        remaining = list(arguments)
        for index, (dest, nargs, default) in enumerate(self._positionals):
            later = sum(1 for _, n, _ in self._positionals[index + 1 :] if n in (None, "+"))
            available = len(remaining) - later
            if nargs is None:
                if available < 1:
                    return None
                values[dest], remaining = remaining[0], remaining[1:]
            elif nargs == "?":
                taken = remaining[:1] if available >= 1 else []
                values[dest] = taken[0] if taken else default
                remaining = remaining[len(taken) :]
            else:  # "*" and "+": as many as the positionals after it leave
                if nargs == "+" and available < 1:
                    return None
                taken = remaining[: max(available, 0)]
                values[dest] = taken if taken or default is None else default
                remaining = remaining[len(taken) :]
        if remaining:
            return None  # argparse says "unrecognized arguments"
        return Namespace(**values)
