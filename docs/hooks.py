"""MkDocs hook: the parts of the docs that are read from the code at build time.

``cli.md`` gets ``torchplug --help`` and each command's ``--help`` from the argparse parser, and
``writing-a-pack.md`` the table of built-in category contracts, so neither can drift from the code.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from unittest import mock

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page

#: argparse wraps to the terminal and may colour its output: fix both so every build is the same.
_HELP_ENVIRONMENT = {"COLUMNS": "80", "NO_COLOR": "1", "PYTHON_COLORS": "0"}


def _subcommands(parser: argparse.ArgumentParser) -> list[tuple[str, argparse.ArgumentParser]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return list(action.choices.items())
    return []


def _help_section(command: str, parser: argparse.ArgumentParser) -> str:
    return f"## `{command}`\n\n```text\n{parser.format_help().rstrip()}\n```\n"


def cli_reference() -> str:
    """``torchplug --help`` and ``torchplug COMMAND --help`` for every command, as Markdown."""
    from torchplug._cli import build_parser

    with mock.patch.dict(os.environ, _HELP_ENVIRONMENT):
        parser = build_parser()
        sections = [_help_section("torchplug", parser)]
        sections += [_help_section(f"torchplug {name}", sub) for name, sub in _subcommands(parser)]
    return "\n".join(sections)


def contracts_table() -> str:
    """The built-in category contracts as a Markdown table."""
    from torchplug._contracts import BUILTIN_CONTRACTS

    rows = [
        f"| `{c.category}` | `{c.describe()}` | {f'`{c.default_type}`' if c.default_type else '-'} |"
        for c in BUILTIN_CONTRACTS.values()
    ]
    return "\n".join(["| category | call | default type |", "| --- | --- | --- |", *rows])


#: page -> (marker, what replaces it)
GENERATED: dict[str, tuple[str, Callable[[], str]]] = {
    "cli.md": ("<!-- cli-help -->", cli_reference),
    "writing-a-pack.md": ("<!-- contracts-table -->", contracts_table),
}


def on_page_markdown(markdown: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
    generated = GENERATED.get(page.file.src_uri)
    if generated is None:
        return markdown
    marker, render = generated
    if marker not in markdown:
        raise PluginError(
            f"{page.file.src_uri} lost its marker {marker}: the generated text has no place"
        )
    return markdown.replace(marker, render())
