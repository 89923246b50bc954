"""The ``torchplug`` command line, whose subcommands are plugins like any component.

Commands are classes named in the entry-point group ``torchplug.commands`` (see `Command`); the
core declares ``list``, ``show``, ``plugins``, ``check``, ``cache`` and ``new-pack``, packs add theirs
(``torchplug-train`` adds ``run`` and ``lock``). `render_table` prints tables the way they all do.
"""

from ._command import Command
from ._main import main
from ._table import render_table

__all__ = ["Command", "main", "render_table"]
