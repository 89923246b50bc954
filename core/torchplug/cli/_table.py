"""Tables as every command prints them: left-aligned columns under a header and a rule.

A table printed to a terminal fits its width and may be coloured; one printed to a pipe or a file
keeps every cell whole and plain, because whatever reads it (grep, a log, a wider window later)
cannot see what a cut removed, and a pipe has no width to fit. ``--json`` is the complete form.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # typing costs milliseconds to import; mypy reads this as True
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence
    from typing import TextIO

#: SGR codes of the styles a `render_table` colour function may name.
STYLES = {
    "bold": "1",
    "dim": "2",
    "red": "31",
    "green": "32",
    "yellow": "33",
    "cyan": "36",
    "bold red": "1;31",
}

#: An SGR escape sequence (compiled on first use: `re` costs more to import than a listing).
_SGR = r"\x1b\[[0-9;]*m"

#: An optional column is truncated to fit rather than dropped only if this many characters remain.
_MIN_KEPT = 12


def is_terminal(stream: TextIO) -> bool:
    """Whether `stream` is an interactive terminal (a closed or odd stream is not)."""
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def colour_allowed(stream: TextIO) -> bool:
    """Colour only on a terminal, never with NO_COLOR set (https://no-color.org) or TERM=dumb."""
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return is_terminal(stream)


def render_table(
    rows: Iterable[Sequence[str]],
    header: Sequence[str],
    *,
    optional: Sequence[str] = (),
    colour: Callable[[str, str], str | None] | None = None,
    stream: TextIO | None = None,
    width: int | None = None,
) -> str:
    """Left-aligned columns under a header and a rule, fitted to where they are printed.

    When `stream` (default: ``sys.stdout``) is a terminal, no line is wider than it
    (`shutil.get_terminal_size`, which honours COLUMNS): the columns named in `optional` give
    way first, in order (truncated when enough of one still fits, else dropped), then the widest
    cells are cut with an ellipsis, down to their header's width. Anywhere else every cell is
    printed whole. `width` fits the table to that many characters wherever it goes.

    `colour(column, cell)` names the style of a body cell: ``"bold"``, ``"dim"``, ``"red"``,
    ``"bold red"``, ``"green"``, ``"yellow"``, ``"cyan"``, or None for none. Styles are drawn only
    on a terminal, and never with NO_COLOR set (https://no-color.org) or TERM=dumb.
    """
    stream = sys.stdout if stream is None else stream
    if width is None and is_terminal(stream):
        import shutil

        width = shutil.get_terminal_size().columns
    styled = colour if colour is not None and colour_allowed(stream) else None
    if width is None and styled is None:
        return plain_table([tuple(map(str, row)) for row in rows], header)
    table = [list(header), *(list(map(str, r)) for r in rows)]
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    kept = list(range(len(header)))
    if width is not None:
        kept = _fit(widths, list(header), [header.index(c) for c in optional if c in header], width)
    ellipsis = _ellipsis(stream)
    lines = []
    for number, row in enumerate(table):
        cells = []
        for i in kept:
            text = _cut(row[i], widths[i], ellipsis)
            style = STYLES.get(styled(header[i], row[i]) or "") if styled and number else None
            padding = " " * (widths[i] - len(text))
            cells.append(f"\x1b[{style}m{text}\x1b[0m{padding}" if style else text + padding)
        lines.append("  ".join(cells).rstrip())
    lines.insert(1, "  ".join("-" * widths[i] for i in kept))
    if width is not None:  # columns can shrink no further: cut the lines themselves
        lines = [_cut_line(line, width, ellipsis) for line in lines]
    return "\n".join(lines)


def plain_table(rows: Iterable[tuple[str, ...]], header: Sequence[str]) -> str:
    """Every cell whole and plain, for a pipe or a file: the same table, made a line at a time by
    one formatting operation rather than a cell at a time (listings run to ten thousand rows).
    Each cell must be a string already: `render_table` converts, a listing makes them so."""
    table = [tuple(header), *rows]
    columns = list(zip(*table, strict=True))
    widths = [max(map(len, column)) for column in columns]
    line = "  ".join(f"%-{w}s" for w in widths[:-1]) + "  %s" if len(widths) > 1 else "%s"
    lines = [line % row for row in table]
    if any(not cell or cell[-1].isspace() for cell in columns[-1]):
        lines = [each.rstrip() for each in lines]  # only the last cell is unpadded
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _fit(widths: list[int], header: list[str], optional: list[int], width: int) -> list[int]:
    """Shrink `widths` in place so that the columns kept fit in `width`; returns those kept."""
    kept = list(range(len(header)))

    def excess() -> int:
        return sum(widths[i] for i in kept) + 2 * (len(kept) - 1) - width

    for column in optional:
        over = excess()
        if over <= 0:
            break
        if widths[column] - over >= _MIN_KEPT:
            widths[column] -= over
            break
        kept.remove(column)
    # The widest cells lose a character at a time, so that each column keeps the most it can.
    while excess() > 0:
        shrinkable = [i for i in kept if widths[i] > len(header[i])]
        if not shrinkable:
            break
        widths[max(shrinkable, key=lambda i: widths[i])] -= 1
    return kept


def _ellipsis(stream: TextIO) -> str:
    """'…' where the stream can encode it, else '...'."""
    try:
        "\u2026".encode(getattr(stream, "encoding", None) or "ascii")
    except (UnicodeEncodeError, LookupError):
        return "..."
    return "\u2026"


def _cut(text: str, width: int, ellipsis: str) -> str:
    if len(text) <= width:
        return text
    if width <= len(ellipsis):
        return text[:width]
    return text[: width - len(ellipsis)] + ellipsis


def _cut_line(line: str, width: int, ellipsis: str) -> str:
    """`line` if it fits in `width`; else its text, uncoloured, cut with an ellipsis."""
    import re

    plain = re.sub(_SGR, "", line)
    return line if len(plain) <= width else _cut(plain, width, ellipsis)
