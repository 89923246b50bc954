"""Rules for names: categories, components, distributions, and did-you-mean suggestions.

Bottom layer: plain strings in, plain strings out.
"""

from __future__ import annotations

from ._errors import InvalidNameError

TYPE_CHECKING = False  # typing costs milliseconds to import; mypy reads this as True
if TYPE_CHECKING:
    from collections.abc import Iterable

_LOWER = frozenset("abcdefghijklmnopqrstuvwxyz")
_IDENTIFIER = _LOWER | frozenset("0123456789_")
#: What PEP 503 folds into one "-": runs of these.
_SEPARATORS = str.maketrans("_.", "--")
#: Groups that are not categories of components: pluggy hook plugins, contracts that packs declare
#: for the categories they call, deprecated names (``"<category>.<old>" = "<new>"``) and command-line
#: subcommands.
RESERVED_CATEGORIES = frozenset({"hooks", "contracts", "deprecated", "commands"})


def normalize_distribution(name: str) -> str:
    """PEP 503 normalisation, so ``Torchplug_Extra`` and ``torchplug-extra`` are one distribution.

    ``re.sub(r"[-_.]+", "-", name).lower()``, without importing `re`.
    """
    folded = name.translate(_SEPARATORS)
    while "--" in folded:
        folded = folded.replace("--", "-")
    return folded.lower()


def _is_identifier(text: str) -> bool:
    """A lowercase identifier: ``^[a-z][a-z0-9_]*$``."""
    return bool(text) and text[0] in _LOWER and _IDENTIFIER.issuperset(text)


def category_problem(category: str) -> str | None:
    """Why `category` is not a valid category name, or None when it is."""
    if not isinstance(category, str) or not _is_identifier(category):
        return (
            f"category {category!r} is not a lowercase identifier "
            "(letters, digits and '_', starting with a letter)"
        )
    if category in RESERVED_CATEGORIES:
        return f"category {category!r} is reserved (the group of {category} declarations)"
    return None


def component_problem(name: str) -> str | None:
    """Why `name` is not a valid component name, or None when it is."""
    if not isinstance(name, str) or not name:
        return f"component name {name!r} is empty or not a string"
    if name.split() != [name]:  # str.split() splits on exactly what str.isspace() calls space
        return f"component name {name!r} contains whitespace"
    if ":" in name:
        return f"component name {name!r} contains ':', which is reserved for 'distribution:name'"
    return None


def check_category(category: str) -> str:
    """Return `category` or raise `InvalidNameError` saying what is wrong with it."""
    problem = category_problem(category)
    if problem:
        raise InvalidNameError(problem)
    return category


def check_component(name: str) -> str:
    """Return `name` or raise `InvalidNameError` saying what is wrong with it."""
    problem = component_problem(name)
    if problem:
        raise InvalidNameError(problem)
    return name


def check_namespace(namespace: str) -> str:
    """Return `namespace` or raise `InvalidNameError` saying what is wrong with it."""
    if not isinstance(namespace, str) or not all(map(_is_identifier, namespace.split("."))):
        raise InvalidNameError(
            f"namespace {namespace!r} must be lowercase identifiers joined by dots, e.g. 'myfw'"
        )
    return namespace


def split_qualified(name: str) -> tuple[str | None, str]:
    """Split ``"dist:name"`` into its normalised distribution and the bare name."""
    distribution, sep, bare = name.rpartition(":")
    if not sep:
        return None, name
    return normalize_distribution(distribution), bare


def glob_match(text: str, pattern: str) -> bool:
    """`fnmatch.fnmatchcase(text, pattern)`: case-sensitive shell globbing. Patterns whose only
    wildcard is ``*``, as most are, are matched by hand: `fnmatch` imports `re`, which costs a
    short command more than everything else it does."""
    if "?" in pattern or "[" in pattern:
        from fnmatch import fnmatchcase

        return fnmatchcase(text, pattern)
    if "*" not in pattern:
        return text == pattern
    first, *middle, last = pattern.split("*")
    if len(text) < len(first) + len(last) or not (text.startswith(first) and text.endswith(last)):
        return False
    position, end = len(first), len(text) - len(last)
    for piece in middle:  # the pieces between two stars, each found leftmost
        found = text.find(piece, position, end)
        if found < 0:
            return False
        position = found + len(piece)
    return True


def _fold(name: str) -> str:
    return name.lower().replace("-", "_")


def suggest(wanted: str, candidates: Iterable[str], limit: int = 3) -> list[str]:
    """Names close to `wanted`: case and '-'/'_' slips first, then small edit distances."""
    pool = sorted(set(candidates))
    folded = _fold(wanted)
    exact = [c for c in pool if _fold(c) == folded and c != wanted]
    by_folded: dict[str, list[str]] = {}
    for c in pool:
        by_folded.setdefault(_fold(c), []).append(c)
    import difflib  # deferred: only a name that is not found needs it

    close = difflib.get_close_matches(folded, list(by_folded), n=limit, cutoff=0.75)
    found = exact + [c for key in close for c in by_folded[key] if c not in exact and c != wanted]
    return found[:limit]


def did_you_mean(wanted: str, candidates: Iterable[str]) -> str:
    """`` Did you mean 'x' or 'y'?`` for the closest candidates, or an empty string."""
    guesses = suggest(wanted, candidates)
    return f" Did you mean {' or '.join(repr(g) for g in guesses)}?" if guesses else ""


#: Names a not-found message lists before it gives the count and the command that lists all.
_LISTED = 20


def not_found_hint(
    wanted: str,
    candidates: Iterable[str],
    also_known: Iterable[str] = (),
    *,
    listing: str | None = None,
) -> str:
    """The tail of a not-found message: what was probably meant, then what exists.

    `also_known` names are suggested but not listed (categories that exist but are empty). A long
    list is cut to its first names, the total and `listing`, the command that shows them all.
    """
    pool = sorted(set(candidates))
    guess = did_you_mean(wanted, {*pool, *also_known}).strip()
    if len(pool) <= _LISTED:
        available = f"Available: {pool}."
    else:
        rest = f"; see `{listing}` for all" if listing else ""
        available = f"Available ({len(pool)}, first {_LISTED}): {pool[:_LISTED]}{rest}."
    return f"{guess} {available}" if guess else available
