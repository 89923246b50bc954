"""`torchplug list [CATEGORY|PATTERN...] --filter PATTERN --category CATEGORY`: choosing rows.

A pattern is a shell-style wildcard (`fnmatch`, case-sensitive) matched against the name, or
against ``category/name`` when it contains a '/'; several patterns are OR-ed. A positional
argument is a category when one has that name and it has no wildcard, else a pattern.
``--category`` repeats and adds to the positional categories.
"""

from __future__ import annotations

import pytest
from torchplug.testing import FakeSite

COMPONENTS = {
    "optimizer": ["adam", "adamw", "sgd"],
    "norm": ["layernorm", "rmsnorm"],
    "scheduler": ["cosine"],
}


@pytest.fixture
def site(torchplug_site: FakeSite, journal) -> FakeSite:
    torchplug_site.add(
        "tp-pack",
        entry_points={c: {n: f"tp_pack.{c}:{n}" for n in names} for c, names in COMPONENTS.items()},
        modules={f"tp_pack.{c}": journal.plugin(*names) for c, names in COMPONENTS.items()},
    )
    return torchplug_site


def listed(cli, *args: str) -> list[str]:
    """``category/name`` of each row of ``torchplug list ARGS --json``."""
    ran = cli("list", *args, "--json")
    assert ran.returncode == 0, ran.stderr
    return [f"{row['category']}/{row['name']}" for row in ran.json()]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--filter", "adam*"], ["optimizer/adam", "optimizer/adamw"]),
        (["--filter", "adam?"], ["optimizer/adamw"]),
        (["--filter", "[lr]*norm"], ["norm/layernorm", "norm/rmsnorm"]),
        (
            ["--filter", "sgd", "--filter", "*norm"],
            ["norm/layernorm", "norm/rmsnorm", "optimizer/sgd"],
        ),
        (["--filter", "norm/*"], ["norm/layernorm", "norm/rmsnorm"]),
        (["--filter", "*/c*"], ["scheduler/cosine"]),
        (["--filter", "norm*"], []),  # without '/', the category is not part of the match
        (["--filter", "ADAM*"], []),  # case-sensitive on every platform
    ],
    ids=[
        "star",
        "question-mark",
        "set",
        "or",
        "category-slash",
        "any-category",
        "name-only",
        "case",
    ],
)
def test_filter_patterns(site, cli, args, expected):
    assert listed(cli, *args) == expected


def test_category_option_repeats(site, cli):
    assert listed(cli, "--category", "scheduler", "--category", "norm") == [
        "norm/layernorm",
        "norm/rmsnorm",
        "scheduler/cosine",
    ]


def test_positional_category_still_works(site, cli):
    assert listed(cli, "scheduler") == ["scheduler/cosine"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["*adam*"], ["optimizer/adam", "optimizer/adamw"]),
        (["optimizer", "ada*"], ["optimizer/adam", "optimizer/adamw"]),
        (["norm", "*"], ["norm/layernorm", "norm/rmsnorm"]),
        (["adamw"], ["optimizer/adamw"]),  # no category of that name: a name
        (["sgd", "cosine"], ["optimizer/sgd", "scheduler/cosine"]),
        (["norm/*rms*"], ["norm/rmsnorm"]),
        (
            ["optimizer", "scheduler"],
            ["optimizer/adam", "optimizer/adamw", "optimizer/sgd", "scheduler/cosine"],
        ),
        (["optim*"], []),  # a wildcard makes it a pattern of names, never a category
        (["*norm", "--filter", "sgd"], ["norm/layernorm", "norm/rmsnorm", "optimizer/sgd"]),
        (["optimizer", "--filter", "a*"], ["optimizer/adam", "optimizer/adamw"]),
    ],
    ids=[
        "pattern",
        "category-and-pattern",
        "category-and-star",
        "exact-name",
        "two-names",
        "category-slash",
        "two-categories",
        "wildcard-is-a-name",
        "with-filter",
        "category-with-filter",
    ],
)
def test_positional_arguments_are_categories_or_patterns(site, cli, args, expected):
    assert listed(cli, *args) == expected


def test_a_positional_pattern_imports_no_plugin_module(site, cli, journal):
    assert listed(cli, "optimizer", "*")
    assert journal.lines == []


def test_a_mistyped_category_matches_no_name_and_is_suggested(site, cli):
    ran = cli("list", "optimzer")
    assert ran.returncode == 0
    assert (
        ran.stdout.strip() == "No installed component matches 'optimzer'. Did you mean 'optimizer'?"
    )


def test_a_mistyped_name_is_suggested(site, cli):
    ran = cli("list", "optimizer", "cosin")
    assert ran.stdout.strip() == "No installed component matches 'cosin'. Did you mean 'cosine'?"


def test_positional_and_option_categories_add_up(site, cli):
    assert listed(cli, "scheduler", "--category", "norm", "--category", "scheduler") == [
        "norm/layernorm",
        "norm/rmsnorm",
        "scheduler/cosine",
    ]


def test_filters_apply_within_the_chosen_categories(site, cli):
    assert listed(cli, "optimizer", "--filter", "*s*", "--filter", "*norm") == ["optimizer/sgd"]


def test_no_match_says_so_and_succeeds(site, cli):
    ran = cli("list", "--filter", "lion*", "--filter", "*/lion")
    assert ran.returncode == 0
    assert ran.stdout.strip() == "No installed component matches 'lion*' or '*/lion'."


def test_filtered_table_has_only_matching_rows(site, cli):
    ran = cli("list", "--filter", "rms*")
    rows = ran.stdout.splitlines()[2:]
    assert [r.split()[:2] for r in rows] == [["norm", "rmsnorm"]]


def test_unknown_category_option_is_an_error_with_a_suggestion(site, cli):
    ran = cli("list", "--category", "optimzer")
    assert ran.returncode == 2
    assert "Did you mean 'optimizer'?" in ran.stderr
    assert "Traceback" not in ran.stderr


def test_listing_with_filters_imports_no_plugin_module(site, cli, journal):
    assert listed(cli, "--filter", "*", "--category", "optimizer")
    assert journal.lines == []
