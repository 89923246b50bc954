"""Rules for names (`torchplug._names`): categories, components, namespaces, distributions, hints."""

from __future__ import annotations

import pytest
from torchplug import InvalidNameError, TorchplugError
from torchplug._names import (
    category_problem,
    check_category,
    check_component,
    check_namespace,
    component_problem,
    normalize_distribution,
    not_found_hint,
    split_qualified,
    suggest,
)


@pytest.mark.parametrize(
    ("name", "normalized"),
    [
        ("torchplug-extra", "torchplug-extra"),
        ("Torchplug_Extra", "torchplug-extra"),
        ("torchplug.extra", "torchplug-extra"),
        ("TORCHPLUG__EXTRA", "torchplug-extra"),
        ("torchplug-_.extra", "torchplug-extra"),
        ("Pillow", "pillow"),
        ("zope.interface", "zope-interface"),
    ],
)
def test_normalize_distribution_follows_pep_503(name: str, normalized: str) -> None:
    assert normalize_distribution(name) == normalized


@pytest.mark.parametrize("category", ["model", "optimizer", "lr_scheduler", "loss2", "x"])
def test_lowercase_identifiers_are_valid_categories(category: str) -> None:
    assert category_problem(category) is None
    assert check_category(category) == category


@pytest.mark.parametrize(
    "category",
    [
        "",
        "Model",
        "MODEL",
        "2d",
        "_private",
        "lr-scheduler",
        "lr.scheduler",
        "loss fn",
        "modèle",
        "model\n",
        None,
    ],
)
def test_other_categories_are_invalid(category: str) -> None:
    assert category_problem(category) is not None
    with pytest.raises(InvalidNameError):
        check_category(category)


def test_hooks_is_a_reserved_category() -> None:
    with pytest.raises(InvalidNameError, match="reserved"):
        check_category("hooks")


@pytest.mark.parametrize(
    "name", ["adamw", "AdamW", "resnet-50", "vit_b.16", "x", "lr@1e-3", "名前", "a.b-c_D"]
)
def test_component_names_may_use_case_dashes_dots_and_unicode(name: str) -> None:
    assert component_problem(name) is None
    assert check_component(name) == name


@pytest.mark.parametrize(
    "name", ["", "adam w", "adam\tw", " adamw", "adamw\n", "lion:v2", "torch:adamw", None]
)
def test_empty_whitespace_and_colon_names_are_invalid(name: str) -> None:
    assert component_problem(name) is not None
    with pytest.raises(InvalidNameError):
        check_component(name)


@pytest.mark.parametrize("namespace", ["torchplug", "myfw", "myfw.vision", "fw2_x.a1"])
def test_dotted_lowercase_identifiers_are_valid_namespaces(namespace: str) -> None:
    assert check_namespace(namespace) == namespace


@pytest.mark.parametrize(
    "namespace", ["", "MyFW", "my-fw", "myfw.", ".myfw", "myfw..vision", "1fw", "my fw", "myfw\n"]
)
def test_other_namespaces_are_invalid(namespace: str) -> None:
    with pytest.raises(InvalidNameError):
        check_namespace(namespace)


def test_invalid_name_error_is_a_torchplug_error_and_a_value_error() -> None:
    with pytest.raises(InvalidNameError) as caught:
        check_component("")
    assert isinstance(caught.value, TorchplugError)
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    ("qualified", "expected"),
    [
        ("adamw", (None, "adamw")),
        ("torchplug-extra:adamw", ("torchplug-extra", "adamw")),
        ("Torchplug_Extra:adamw", ("torchplug-extra", "adamw")),
        ("torchplug.extra:AdamW", ("torchplug-extra", "AdamW")),
        ("pack:resnet-50", ("pack", "resnet-50")),
    ],
)
def test_split_qualified_normalizes_the_distribution_only(
    qualified: str, expected: tuple[str | None, str]
) -> None:
    assert split_qualified(qualified) == expected


@pytest.mark.parametrize(
    ("wanted", "candidates", "expected"),
    [
        ("AdamW", ["adamw", "sgd"], ["adamw"]),
        ("ADAMW", ["adamw", "sgd"], ["adamw"]),
        ("res_net", ["res-net", "vit"], ["res-net"]),
        ("res-net", ["res_net", "vit"], ["res_net"]),
        ("adamm", ["adam", "sgd"], ["adam"]),
        ("optimiser", ["optimizer", "model"], ["optimizer"]),
    ],
)
def test_suggest_catches_case_separator_and_spelling_slips(
    wanted: str, candidates: list[str], expected: list[str]
) -> None:
    assert suggest(wanted, candidates) == expected


def test_suggest_offers_nothing_when_nothing_is_close() -> None:
    assert suggest("transformer", ["adamw", "sgd"]) == []


def test_not_found_hint_lists_what_is_available_sorted() -> None:
    assert not_found_hint("zzz", ["sgd", "adamw"]) == "Available: ['adamw', 'sgd']."


def test_not_found_hint_says_what_was_probably_meant() -> None:
    assert "Did you mean 'adamw'?" in not_found_hint("AdamW", ["adamw", "sgd"])


def test_glob_match_is_fnmatchcase() -> None:
    """Globs with only ``*`` are matched by hand (`fnmatch` imports `re`); every pattern and text
    over a small alphabet, up to a length, against `fnmatch.fnmatchcase`."""
    import itertools
    from fnmatch import fnmatchcase

    from torchplug._names import glob_match

    texts = ["".join(t) for n in range(6) for t in itertools.product("ab/", repeat=n)]
    patterns = ["".join(p) for n in range(6) for p in itertools.product("ab/*?", repeat=n)]
    patterns += ["[ab]*", "*[!a]", "a*[b/]"]
    for pattern in patterns:
        for text in texts:
            assert glob_match(text, pattern) is fnmatchcase(text, pattern), (text, pattern)
    assert len(patterns) * len(texts) > 1_000_000
