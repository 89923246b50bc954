"""Tables as every command prints them: left-aligned columns under a header and a rule."""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def render_table(rows: Iterable[Sequence[str]], header: Sequence[str]) -> str:
    """Left-aligned columns under a header and a rule."""
    table = [list(header), *(list(map(str, r)) for r in rows)]
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
