"""The ``torchplug`` script: global options, the installed commands, and one place for errors.

Subcommands come from the entry-point group ``torchplug.commands``: ``torchplug --help`` lists them
with the first line of each class docstring, read from source, so listing imports no command. Only
the command that runs is imported; a command that cannot be imported is reported like any broken
pack and never stops the others. Errors go to stderr as one paragraph with exit status 2;
``--traceback`` (or TORCHPLUG_TRACEBACK=1) shows the Python traceback instead.
"""

from __future__ import annotations

import sys

from .. import _settings
from .._errors import TorchplugError
from .._names import did_you_mean

TYPE_CHECKING = False  # typing costs milliseconds to import; mypy reads this as True
if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence
    from typing import Any

    from .._loading import Provider
    from .._registry import Registry

#: Commands of first-party packs, named when the pack that provides them is not installed.
_ELSEWHERE = {"run": "torchplug-train", "lock": "torchplug-train", "plot": "torchplug-train"}

_ENVIRONMENT = f"""\
environment:
  {_settings.DISABLE}=dist-a,dist-b   never import these distributions' entry points
  {_settings.AUTOLOAD}=0              ignore installed packs (local registrations only)
  {_settings.CACHE}=0                 do not read or write the cache (scans, parsed settings)
  {_settings.PREFER}="P=D;P=D"        settle names several packs provide, e.g. "optimizer.*=torchplug-torch"
  {_settings.TRACEBACK}=1             show the Python traceback of an error
  XDG_CACHE_HOME                   the scan cache lives in $XDG_CACHE_HOME/torchplug
"""


class CommandLineError(TorchplugError):
    """The command line itself is wrong: an unknown command, or one that cannot be loaded."""


def _global_parser() -> argparse.ArgumentParser:
    import argparse

    parser = argparse.ArgumentParser(
        prog="torchplug",
        description="Discover, inspect and check the torchplug components of installed packs.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        add_help=False,
    )
    parser.add_argument("-h", "--help", action="store_true", help="show this help and exit")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    parser.add_argument(
        "--traceback", action="store_true", help="show the Python traceback of an error"
    )
    parser.add_argument(
        "--namespace",
        default="torchplug",
        help="read the entry-point groups NAMESPACE.<category> of a framework's own registry "
        "(default: torchplug)",
    )
    _add_prefer(parser)
    parser.add_argument("command", nargs="?", metavar="COMMAND", help="the command to run")
    parser.add_argument("arguments", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    return parser


def _add_prefer(parser: Any) -> None:
    parser.add_argument(
        "--prefer",
        action="append",
        default=[],
        metavar="PATTERN=DIST[,DIST]",
        help="settle a name several packs provide, for this command: PATTERN is CATEGORY.NAME with "
        "'*' globs, DIST the distribution(s) to use in priority order, e.g. "
        "--prefer optimizer.adamw=torchplug-torch (repeatable; outranks TORCHPLUG_PREFER and "
        "torchplug.toml)",
    )


def _apply_preferences(registry: Registry, items: list[str]) -> None:
    if not items:
        return
    table: dict[str, list[str]] = {}
    for item in items:
        pattern, sep, value = item.partition("=")
        if not sep or not pattern.strip() or not value.strip():
            raise CommandLineError(
                f"--prefer expects PATTERN=DIST[,DIST...], e.g. --prefer "
                f"optimizer.adamw=torchplug-torch; got {item!r}"
            )
        table[pattern.strip()] = [d.strip() for d in value.split(",") if d.strip()]
    registry.add_preferences(table, origin="--prefer", place="flag")


def _one_line_help(provider: Provider) -> str:
    """The first line of the command class's docstring, read from source: nothing is imported."""
    from ._source import read_source

    docstring = read_source(provider.target, provider.location).docstring or ""
    return docstring.strip().splitlines()[0] if docstring.strip() else ""


def _help(parser: argparse.ArgumentParser, commands: dict[str, list[Provider]]) -> str:
    rows = []
    for name, providers in commands.items():
        rows.append(f"  {name:<14}{_one_line_help(providers[0])}")
    listed = "\n".join(rows) or "  (none installed: reinstall torchplug)"
    missing = sorted(set(_ELSEWHERE) - set(commands))
    if missing:
        packs = sorted({_ELSEWHERE[m] for m in missing})
        listed += f"\n  ({', '.join(missing)}: install {', '.join(packs)})"
    return (
        parser.format_help().rstrip()
        + f"\n\ncommands (torchplug COMMAND --help for each):\n{listed}\n\n{_ENVIRONMENT}"
    )


def _registry_for(namespace: str) -> Registry:
    from .._registry import Registry, default_registry

    return default_registry if namespace == "torchplug" else Registry(namespace)


def _version() -> str:
    import importlib_metadata

    try:
        return importlib_metadata.version("torchplug")
    except importlib_metadata.PackageNotFoundError:
        return "unknown (not installed)"


def _unknown(
    name: str, commands: dict[str, list[Provider]], registry: Registry
) -> CommandLineError:
    if name in _ELSEWHERE:
        pack = _ELSEWHERE[name]
        if pack in registry.disabled:
            return CommandLineError(
                f"'{name}' is a command of the {pack} pack, which {_settings.DISABLE} blocks. Remove "
                f"{pack} from {_settings.DISABLE} to run it."
            )
        return CommandLineError(
            f"'{name}' is a command of the {pack} pack, which is not installed. Install it with "
            f"`pip install {pack}` (from a torchplug checkout: `python -m pip install -c "
            f"tests/constraints.txt ./plugins/{pack}`), then run `torchplug {name}` again."
        )
    return CommandLineError(
        f"unknown command {name!r}.{did_you_mean(name, commands)} Installed commands: "
        f"{', '.join(commands) or 'none'}; `torchplug --help` describes each."
    )


def _load(registry: Registry, name: str, providers: list[Provider]) -> Any:
    command = registry.load_command(name)()
    if not callable(getattr(command, "run", None)) or not callable(
        getattr(command, "add_arguments", None)
    ):
        provider = providers[0]
        raise CommandLineError(
            f"the command {name!r} of {provider.describe()} is not a torchplug command: it "
            "needs the methods add_arguments(parser) and run(registry, args). Fix or reinstall "
            f"{provider.distribution}, or block it with {_settings.DISABLE}={provider.distribution}."
        )
    return command


def help_text() -> str:
    """What ``torchplug --help`` prints: the global options and every installed command."""
    return _help(_global_parser(), _registry_for("torchplug").commands())


def command_parser(name: str, command: Any) -> argparse.ArgumentParser:
    """The parser of one loaded command: its docstring is the description, an example included."""
    import argparse
    import inspect

    parser = argparse.ArgumentParser(
        prog=f"torchplug {name}",
        description=inspect.cleandoc(type(command).__doc__ or ""),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    command.add_arguments(parser)
    if not any("--prefer" in action.option_strings for action in parser._actions):
        _add_prefer(parser)
    return parser


def load_command(name: str) -> Any:
    """The installed command `name`, instantiated; raises a `TorchplugError` naming what to do."""
    commands_from = _registry_for("torchplug")
    commands = commands_from.commands()
    if name not in commands:
        raise _unknown(name, commands, commands_from)
    return _load(commands_from, name, commands[name])


def _quick(argv: list[str], registry: Registry | None) -> int | None:
    """Run a line of a command and positional arguments only, without argparse (see
    `_quickargs`); None when argparse is needed after all."""
    if not argv or any(arg.startswith("-") for arg in argv):
        return None
    from ._quickargs import QuickParser

    command = load_command(argv[0])
    parser = QuickParser()
    command.add_arguments(parser)
    if not parser.has_option("prefer"):
        parser.set_defaults(prefer=[])
    arguments = parser.parse(argv[1:])
    if arguments is None:
        return None
    if registry is None:
        registry = _registry_for("torchplug")
    if not type(command).__module__.startswith(__package__ + "."):
        _show_deprecations()  # the core's own commands resolve no name: they never warn
    _apply_preferences(registry, arguments.prefer)
    return _execute(command, registry, arguments)


#: `script` calls in progress: a command run by the outermost one is the process's last work.
_script_depth = 0


def _execute(command: Any, registry: Registry, arguments: Any) -> int:
    cls = type(command)
    quick = cls.__module__.startswith(__package__ + ".") and cls.__dict__.get("imports_no_plugin")
    if quick is not True or _script_depth != 1:
        return int(command.run(registry, arguments))
    import gc

    if not gc.isenabled():
        return int(command.run(registry, arguments))
    gc.disable()
    try:
        return int(command.run(registry, arguments))
    finally:
        gc.freeze()  # first: collecting again, now or at exit, would walk all the run made
        gc.enable()


def script() -> int:
    """The ``torchplug`` script and ``python -m torchplug``: `main`, with one difference. One of
    the core's commands that import no plugin (``list``, ``plugins``, ``cache``) runs without
    collecting reference cycles, and what it made is never walked again, at exit either.

    Each collection walks every object alive (ten thousand listed rows, every module) to find
    cycles those commands do not make, and the last one only frees memory the process is about
    to hand back: together 15% of a listing's time. Everything else, from loading a pack's
    command to running it, and a command run by a command, keeps Python's usual collection.
    """
    global _script_depth
    _script_depth += 1
    try:
        return main()
    finally:
        _script_depth -= 1


def _show_deprecations() -> None:
    """A deprecated component name in a config must be seen by the person running it. (The
    filter matches the message, which imports `re`: a listing does without.)"""
    import warnings

    warnings.filterwarnings(
        "default", message=r".* is deprecated; use ", category=DeprecationWarning
    )


def _run(argv: list[str], registry: Registry | None) -> int:
    status = _quick(argv, registry)
    if status is not None:
        return status
    _show_deprecations()
    parser = _global_parser()
    options = parser.parse_args(argv)
    if options.version:
        print(f"torchplug {_version()}")
        return 0
    if options.help or options.command is None:
        print(help_text())
        return 0
    command = load_command(options.command)
    if registry is None:
        registry = _registry_for(options.namespace)
    arguments = command_parser(options.command, command).parse_args(options.arguments)
    _apply_preferences(registry, [*options.prefer, *getattr(arguments, "prefer", [])])
    return _execute(command, registry, arguments)


def main(argv: Sequence[str] | None = None, registry: Registry | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    show_traceback = "--traceback" in args[: _command_position(args)] or _settings.flag(
        _settings.TRACEBACK, default=False
    )
    try:
        return _run(args, registry)
    except TorchplugError as exc:
        if show_traceback:
            raise
        print(f"torchplug: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `torchplug list | head`
        return 0
    except KeyboardInterrupt:  # the user's Ctrl-C (a plugin's own KeyboardInterrupt is contained)
        if show_traceback:
            raise
        print("torchplug: interrupted", file=sys.stderr)
        return 130


def _command_position(args: list[str]) -> int:
    """Where the command name stands: global options come before it."""
    for index, arg in enumerate(args):
        if not arg.startswith("-") and (index == 0 or args[index - 1] != "--namespace"):
            return index
    return len(args)
