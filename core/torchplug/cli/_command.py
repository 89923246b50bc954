"""What a command-line subcommand is: a class named in the entry-point group ``torchplug.commands``.

The ``torchplug`` script lists the installed commands from metadata and their source text alone; a
command's module is imported only when it runs (or its ``--help`` is asked for).
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing costs milliseconds to import; mypy reads this as True
if TYPE_CHECKING:
    import argparse
    from typing import Protocol

    from .._registry import Registry
else:
    Protocol = object  # the class documents the protocol; nothing checks it at run time


class Command(Protocol):
    """A ``torchplug`` subcommand, declared as ``name = "package.module:Class"`` in the group
    ``torchplug.commands`` and instantiated without arguments when it runs.

    The class docstring is its help: the first line is what ``torchplug --help`` lists, the whole
    text the description of ``torchplug NAME --help`` (put an example there).
    """

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        """Add the command's own options to its parser."""

    def run(self, registry: Registry, args: argparse.Namespace) -> int:
        """Do the work and return the exit status; raise a `TorchplugError` for bad input."""
        raise NotImplementedError
