"""Preference rules (`torchplug._preferences`): patterns, their order, and which distribution wins."""

from __future__ import annotations

import pytest
from torchplug import ConfigError
from torchplug._preferences import (
    PreferenceRule,
    Preferences,
    parse_assignments,
    parse_rules,
    pattern_problem,
)


def rule(
    pattern: str, *dists: str, level: str = "project", origin: str = "f.toml"
) -> PreferenceRule:
    return PreferenceRule(pattern, dists, origin, level)


@pytest.mark.parametrize(
    ("pattern", "category", "name", "matches"),
    [
        ("optimizer.lion", "optimizer", "lion", True),
        ("optimizer.lion", "optimizer", "lion2", False),
        ("optimizer.*", "optimizer", "adamw", True),
        ("optimizer.*", "scheduler", "cosine", False),
        ("*.lion", "optimizer", "lion", True),
        ("*", "loss", "cross_entropy", True),
        ("optimizer.ada*", "optimizer", "adamw", True),
        ("optimizer.ada*", "optimizer", "sgd", False),
        ("Optimizer.lion", "optimizer", "lion", False),  # case-sensitive, like names
    ],
)
def test_a_pattern_matches_category_dot_name(
    pattern: str, category: str, name: str, matches: bool
) -> None:
    if pattern_problem(pattern) is None:
        assert rule(pattern, "d").matches(category, name) is matches
    else:
        assert not matches


def test_star_patterns_match_exactly_as_fnmatch_does() -> None:
    """Patterns with ``*`` are matched by hand (importing `fnmatch` imports `re`): every pattern
    and text over a small alphabet, up to a length, against `fnmatch.fnmatchcase`."""
    import itertools
    from fnmatch import fnmatchcase

    texts = ["".join(t) for n in range(5) for t in itertools.product("ab.", repeat=n)]
    patterns = ["".join(p) for n in range(1, 6) for p in itertools.product("ab.*", repeat=n)]
    checked = 0
    for pattern in patterns:
        if "*" not in pattern or pattern == "*":
            continue
        candidate = rule(pattern, "d")
        for text in texts:
            if "." not in text:
                continue
            text_category, _, text_name = text.partition(".")
            got = candidate.matches(text_category, text_name)
            assert got is fnmatchcase(text, pattern), (pattern, text)
            checked += 1
    assert checked > 10_000


def test_question_marks_and_brackets_still_match_as_fnmatch_does() -> None:
    assert rule("optimizer.ada?", "d").matches("optimizer", "adam")
    assert not rule("optimizer.ada?", "d").matches("optimizer", "adamw")
    assert rule("optimizer.[al]*", "d").matches("optimizer", "lion")
    assert not rule("optimizer.[al]*", "d").matches("optimizer", "sgd")


def test_pattern_checks_agree_with_the_documented_grammar() -> None:
    """``*``, or ``[a-z*][a-z0-9_*]*`` then a dot then a name of no whitespace and no colon that
    does not start with a dot: checked by hand (importing `re` costs a warm build more than
    everything else it does), here against the regular expression."""
    import itertools
    import re

    grammar = re.compile(r"\*|[a-z*][a-z0-9_*]*\.[^\s:.][^\s:]*")
    alphabet = "a1_*.: \tZ\u00e9\n\u2003-"
    checked = 0
    for n in range(6):
        for chars in itertools.product(alphabet, repeat=n):
            pattern = "".join(chars)
            assert (pattern_problem(pattern) is None) is bool(grammar.fullmatch(pattern)), pattern
            checked += 1
    assert checked > 100_000


@pytest.mark.parametrize(
    "pattern", ["optimizer", "", "optimizer.", ".lion", "optimizer lion", "dist:lion", 3, "OPT.x"]
)
def test_a_malformed_pattern_says_what_a_pattern_is(pattern: object) -> None:
    assert "CATEGORY.NAME" in (pattern_problem(pattern) or "")


def test_the_most_specific_pattern_of_one_place_decides() -> None:
    prefs = Preferences(
        [rule("*", "generic"), rule("optimizer.*", "family"), rule("optimizer.lion", "exact")]
    )
    assert prefs.choose("optimizer", "lion", ["generic", "family", "exact"])[0] == "exact"
    assert prefs.choose("optimizer", "adamw", ["generic", "family", "exact"])[0] == "family"
    assert prefs.choose("loss", "ce", ["generic", "family", "exact"])[0] == "generic"


def test_a_higher_place_wins_over_a_more_specific_pattern_of_a_lower_one() -> None:
    prefs = Preferences(
        [rule("optimizer.lion", "from-project"), rule("*", "from-flag", level="flag")]
    )
    assert prefs.choose("optimizer", "lion", ["from-project", "from-flag"])[0] == "from-flag"


@pytest.mark.parametrize(
    ("level", "beats"),
    [
        ("api", "lock"),
        ("lock", "flag"),
        ("flag", "env"),
        ("env", "config"),
        ("config", "project"),
        ("project", "user"),
    ],
)
def test_the_places_rank_from_the_api_down_to_the_user(level: str, beats: str) -> None:
    prefs = Preferences([rule("*", "low", level=beats), rule("*", "high", level=level)])
    assert prefs.choose("optimizer", "lion", ["low", "high"])[0] == "high"


def test_within_a_rule_the_first_installed_candidate_wins() -> None:
    prefs = Preferences([rule("optimizer.*", "not-installed", "second", "first-listed-last")])
    assert prefs.choose("optimizer", "lion", ["first-listed-last", "second"])[0] == "second"


def test_a_rule_naming_no_candidate_leaves_the_choice_to_the_next_rule() -> None:
    prefs = Preferences([rule("optimizer.lion", "elsewhere"), rule("*", "pack-b")])
    chosen, deciding = prefs.choose("optimizer", "lion", ["pack-a", "pack-b"])
    assert (chosen, deciding.pattern) == ("pack-b", "*")


def test_no_rule_no_choice() -> None:
    assert Preferences([rule("scheduler.*", "a")]).choose("optimizer", "lion", ["a", "b"]) is None


def test_distribution_names_are_normalised() -> None:
    assert rule("*", "Torchplug_Torch").distributions == ("torchplug-torch",)


def test_a_table_takes_a_name_or_a_list_in_priority_order() -> None:
    rules = parse_rules({"*": ["a", "b"], "optimizer.lion": "c"}, "f.toml", "project")
    assert [(r.pattern, r.distributions) for r in rules] == [
        ("*", ("a", "b")),
        ("optimizer.lion", ("c",)),
    ]


@pytest.mark.parametrize(
    "table",
    [{"*": 3}, {"*": []}, {"*": [""]}, {"*": ["a", 2]}, {"opt": "a"}, ["*", "a"], {"*": {"a": 1}}],
)
def test_a_malformed_table_is_a_config_error_naming_its_origin(table: object) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_rules(table, "/p/torchplug.toml [prefer]", "project")
    assert caught.value.path == "/p/torchplug.toml [prefer]"


def test_assignments_parse_like_the_flag_and_the_variable() -> None:
    rules = parse_assignments(["optimizer.*=a,b", " scheduler.cosine = c "], "--prefer", "flag")
    assert [(r.pattern, r.distributions) for r in rules] == [
        ("optimizer.*", ("a", "b")),
        ("scheduler.cosine", ("c",)),
    ]


@pytest.mark.parametrize("item", ["optimizer.lion", "=a", "optimizer.lion=", "optimizer.lion=,"])
def test_an_assignment_without_both_sides_is_refused(item: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_assignments([item], "TORCHPLUG_PREFER", "env")
    assert caught.value.path == "TORCHPLUG_PREFER"


def test_a_rule_says_where_it_was_written() -> None:
    text = rule("optimizer.*", "a", "b", origin="/p/torchplug.toml [prefer]").describe()
    assert text == '"optimizer.*" = ["a", "b"] (from /p/torchplug.toml [prefer])'
