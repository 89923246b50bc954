"""MkDocs hook: the parts of the docs that are read from the code at build time.

``cli.md`` gets ``torchplug --help`` and each command's ``--help`` from the argparse parser,
``contracts.md`` the table of the category contracts the installed packs declare, and
``catalogue.md`` every installed first-party pack's components, so none of them can drift from
the code. Nothing here imports a pack: the catalogue is read from metadata and source text, so
the build needs no torch.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable
from typing import TYPE_CHECKING
from unittest import mock

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page

if TYPE_CHECKING:
    from torchplug import ComponentInfo, Contract, DistributionInfo

#: argparse wraps to the terminal and may colour its output: fix both so every build is the same.
_HELP_ENVIRONMENT = {"COLUMNS": "80", "NO_COLOR": "1", "PYTHON_COLORS": "0"}
#: The catalogue lists the installed distributions whose names start with this.
FIRST_PARTY_PREFIX = "torchplug-"


# --------------------------------------------------------------------------- private imports
# The only places that import torchplug's private modules. When a module moves, repoint the
# import here; nothing else in this file names a private module.


def _command_help() -> list[tuple[str, str]]:
    """``("torchplug", help)`` and ``("torchplug NAME", help)`` for every installed command."""
    from torchplug import registry
    from torchplug.cli._main import command_parser, help_text, load_command

    helps = [("torchplug", help_text())]
    for name in registry.commands():
        helps.append((f"torchplug {name}", command_parser(name, load_command(name)).format_help()))
    return helps


def _declared_contracts() -> dict[str, Contract]:
    """Category -> the contract the installed packs declare for it (the table on contracts.md)."""
    from torchplug import registry

    found = {c: registry.contract(c) for c in registry.categories()}
    return {category: contract for category, contract in found.items() if contract is not None}


def _read_source(target: str, location: str | None) -> tuple[str | None, str | None]:
    """``(docstring, note)`` of `target`, read from its source text without importing it; the
    note says why no docstring could be read."""
    from torchplug.cli._source import read_source

    source = read_source(target, location)
    return source.docstring, source.note


# --------------------------------------------------------------------------- the generated text


def cli_reference() -> str:
    """``torchplug --help`` and ``torchplug COMMAND --help`` for every installed command, as
    Markdown: the core's commands and those of the first-party packs installed here."""
    with mock.patch.dict(os.environ, _HELP_ENVIRONMENT):
        helps = _command_help()
    return "\n".join(f"## `{title}`\n\n```text\n{text.rstrip()}\n```\n" for title, text in helps)


def contracts_table() -> str:
    """The category contracts the installed packs declare, as a Markdown table."""
    rows = [
        f"| `{c.category}` | `{c.describe()}` | {f'`{c.default_type}`' if c.default_type else '-'} |"
        for c in _declared_contracts().values()
    ]
    return "\n".join(["| category | call | default type |", "| --- | --- | --- |", *rows])


def _cell(text: str) -> str:
    """`text` on one line, safe inside a Markdown table cell."""
    return " ".join(text.split()).replace("|", "\\|")


def _summary(target: str, location: str | None, missing: set[str]) -> str:
    """The first paragraph of the target's docstring, read from its source without importing it.

    A target whose top-level package is not installed here is added to `missing` instead.
    """
    top = target.split(":", 1)[0].split(".", 1)[0]
    if importlib.util.find_spec(top) is None:  # finds a top-level package, imports nothing
        missing.add(top)
        return "-"
    docstring, note = _read_source(target, location)
    if docstring:
        return _cell(docstring.split("\n\n", 1)[0])
    if note:
        return _cell(f"(no docstring read: {note})")
    return "(no docstring)"


def _deprecations(distribution: str, namespace: str) -> list[tuple[str, str]]:
    """``("mlp.silu", "swiglu")`` for each name the distribution declares deprecated."""
    import importlib_metadata

    group = f"{namespace}.deprecated"
    declared = importlib_metadata.distribution(distribution).entry_points.select(group=group)
    return sorted((ep.name, ep.value.strip()) for ep in declared)


def _pack_section(pack: DistributionInfo, entries: list[ComponentInfo], namespace: str) -> str:
    """One pack's heading, summary, and a table of names per category."""
    import importlib_metadata

    contracts = _declared_contracts()
    missing: set[str] = set()
    tables = []
    for category in pack.components:
        lines = [f"### {pack.name}: {category}", ""]
        contract = contracts.get(category)
        if contract is not None:
            lines += [f"Called as `{contract.describe()}`.", ""]
        lines += ["| name | target | summary |", "| --- | --- | --- |"]
        for info in (i for i in entries if i.category == category):
            for provider in (p for p in info.providers if p.distribution == pack.name):
                name = f"`{info.name}`"
                if info.aliases:
                    name += " (also " + ", ".join(f"`{a}`" for a in info.aliases) + ")"
                text = _summary(provider.target, provider.location, missing)
                lines.append(f"| {name} | `{provider.target}` | {text} |")
        tables.append("\n".join(lines))
    summary = importlib_metadata.distribution(pack.display_name).metadata["Summary"] or ""
    notes = [_cell(summary)]
    if missing:
        packages = ", ".join(f"`{m}`" for m in sorted(missing))
        notes.append(
            f"Targets in {packages} have no summary below: that package is not installed where "
            "this page was built. `torchplug show CATEGORY NAME` reads them where it is."
        )
    deprecated = _deprecations(pack.display_name, namespace)
    if deprecated:
        renames = ", ".join(f"`{old}` is now `{new}`" for old, new in deprecated)
        notes.append(f"Deprecated names, still accepted with a warning: {renames}.")
    if pack.hooks:
        notes.append(f"It also declares {pack.hooks} hook plugin(s).")
    return "\n\n".join([f"## {pack.name} {pack.version}", *notes, *tables]) + "\n"


def pack_catalogue() -> str:
    """Each installed first-party pack: its categories, names, targets and one-line summaries."""
    from torchplug import Registry

    with mock.patch.dict(os.environ, {"TORCHPLUG_CACHE": "0"}):  # leave no cache file behind
        registry = Registry(autoload=True)
        packs = [d for d in registry.distributions() if d.name.startswith(FIRST_PARTY_PREFIX)]
        entries = registry.entries()
    if not packs:
        raise PluginError(
            f"catalogue.md: no installed distribution is named {FIRST_PARTY_PREFIX}*; install the "
            "packs in plugins/ into the docs environment (pip install --no-deps -e ...)"
        )
    return "\n".join(_pack_section(pack, entries, registry.namespace) for pack in packs)


#: page -> (marker, what replaces it)
GENERATED: dict[str, tuple[str, Callable[[], str]]] = {
    "cli.md": ("<!-- cli-help -->", cli_reference),
    "contracts.md": ("<!-- contracts-table -->", contracts_table),
    "catalogue.md": ("<!-- pack-catalogue -->", pack_catalogue),
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
