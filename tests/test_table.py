"""`torchplug.cli.render_table`: columns under a header, fitted to a width, coloured on a terminal.

What a terminal shows is tested through a real pseudo-terminal in test_cli.py; here the width is
given, and the stream is a `StringIO` (not a terminal) or one that says it is.
"""

from __future__ import annotations

import io

import pytest
from torchplug.cli import render_table

HEADER = ["CATEGORY", "NAME", "DISTRIBUTION", "VERSION", "TARGET", "STATUS"]
ROWS = [
    ["optimizer", "adamw", "torchplug-torch", "0.1.0", "torch.optim:AdamW", "ok"],
    [
        "attention",
        "causal",
        "torchplug-transformer",
        "0.1.0",
        "torchplug_transformer.attention:build_causal",
        "conflict",
    ],
]


class Terminal(io.StringIO):
    """A stream that says it is a terminal, as `sys.stdout` does in a terminal window."""

    encoding = "utf-8"

    def isatty(self) -> bool:
        return True


def widest(table: str) -> int:
    return max(map(len, table.splitlines()))


def test_columns_are_left_aligned_under_a_header_and_a_rule() -> None:
    table = render_table([["a", "bb"], ["ccc", "d"]], ["X", "Y"], stream=io.StringIO())
    assert table.splitlines() == ["X    Y", "---  --", "a    bb", "ccc  d"]


def test_cells_that_are_not_strings_print_as_str_does_on_a_pipe_and_a_terminal() -> None:
    rows = [["adamw", 3, None], ["lion", 12, 0.5]]
    header = ["NAME", "COUNT", "LR"]
    piped = render_table(rows, header, stream=io.StringIO())
    assert piped.splitlines() == [
        "NAME   COUNT  LR",
        "-----  -----  ----",
        "adamw  3      None",
        "lion   12     0.5",
    ]
    assert render_table(rows, header, stream=Terminal(), width=80) == piped


def test_a_last_cell_that_is_empty_or_ends_in_spaces_leaves_no_trailing_space() -> None:
    table = render_table([["a", ""], ["bb", "x  "]], ["X", "Y"], stream=io.StringIO())
    assert table.splitlines() == ["X   Y", "--  ---", "a", "bb  x"]


def test_a_pipe_gets_every_cell_whole_however_narrow_the_terminal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "30")
    table = render_table(ROWS, HEADER, optional=["TARGET"], stream=io.StringIO())
    assert "torchplug_transformer.attention:build_causal" in table
    assert widest(table) > 30


def test_a_terminal_gets_a_table_as_wide_as_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    table = render_table(ROWS, HEADER, optional=["TARGET", "VERSION"], stream=Terminal())
    assert widest(table) <= 60
    assert "TARGET" not in table


def test_a_table_that_fits_is_left_as_it_is() -> None:
    assert render_table(ROWS, HEADER, width=200) == render_table(ROWS, HEADER, stream=io.StringIO())


def test_an_optional_column_is_truncated_when_enough_of_it_fits() -> None:
    full = widest(render_table(ROWS, HEADER, width=1000))
    table = render_table(ROWS, HEADER, optional=["TARGET"], width=full - 10)
    assert widest(table) == full - 10
    assert "torchplug_transformer.attention:b\u2026" in table


def test_optional_columns_are_dropped_in_order_until_the_table_fits() -> None:
    without_target = render_table(ROWS, HEADER, optional=["TARGET", "VERSION"], width=70)
    assert without_target.splitlines()[0].split() == [
        "CATEGORY",
        "NAME",
        "DISTRIBUTION",
        "VERSION",
        "STATUS",
    ]
    without_both = render_table(ROWS, HEADER, optional=["TARGET", "VERSION"], width=55)
    assert without_both.splitlines()[0].split() == ["CATEGORY", "NAME", "DISTRIBUTION", "STATUS"]
    assert widest(without_both) <= 55


def test_then_the_widest_cells_are_cut_with_an_ellipsis() -> None:
    table = render_table(ROWS, HEADER, optional=["TARGET", "VERSION"], width=45)
    assert widest(table) <= 45
    assert "torchplug-trans\u2026" in table  # DISTRIBUTION was the widest
    assert "attention" in table  # narrower columns keep their text


@pytest.mark.parametrize("width", [1, 5, 12, 20, 33, 47, 64, 80])
def test_no_line_is_ever_wider_than_the_width(width: int) -> None:
    assert widest(render_table(ROWS, HEADER, optional=["TARGET"], width=width)) <= width


def test_an_ascii_stream_gets_three_dots() -> None:
    class Ascii(Terminal):
        encoding = "ascii"

    table = render_table(ROWS, HEADER, stream=Ascii(), width=60)
    assert "..." in table
    assert "\u2026" not in table


def status_colour(column: str, cell: str) -> str | None:
    return "red" if column == "STATUS" and cell == "conflict" else None


def test_a_terminal_gets_the_styles_the_colour_function_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    table = render_table(ROWS, HEADER, colour=status_colour, stream=Terminal(), width=200)
    assert "\x1b[31mconflict\x1b[0m" in table
    assert table.count("\x1b[") == 2  # one cell: the header and the ok row stay plain


@pytest.mark.parametrize(
    ("stream", "env"),
    [
        (io.StringIO(), {}),
        (Terminal(), {"NO_COLOR": "1"}),
        (Terminal(), {"TERM": "dumb"}),
    ],
    ids=["pipe", "NO_COLOR", "dumb-terminal"],
)
def test_no_colour_off_a_terminal_or_when_asked(
    monkeypatch: pytest.MonkeyPatch, stream: io.StringIO, env: dict[str, str]
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    table = render_table(ROWS, HEADER, colour=status_colour, stream=stream, width=200)
    assert "\x1b[" not in table
