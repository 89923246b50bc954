"""Preferences: which distribution answers a name that several installed packs provide.

A rule maps a pattern, ``category.name`` with ``*`` globs (``"optimizer.lion"``, ``"scheduler.*"``,
``"*"``), to distributions in priority order. Rules come from places ranked by how close they are
to the one command being run: the API, a lock, the ``--prefer`` flag, TORCHPLUG_PREFER, a training
config, the project's settings, the user's. A rule from a higher place wins; within one place the
most specific pattern; within a rule, the first listed distribution that provides the name. A rule
that names no candidate of a conflict does not settle it, and the next rule is asked.
"""

from __future__ import annotations

from ._errors import ConfigError
from ._names import glob_match, normalize_distribution

TYPE_CHECKING = False  # typing costs milliseconds to import; mypy reads this as True
if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

#: The places a rule can come from, highest first, and the rank each has.
LEVELS = {
    "api": 70,  # registry.prefer(...) in the process itself
    "lock": 60,  # a lock file being followed (`torchplug run --locked`)
    "flag": 50,  # --prefer on the command line
    "env": 40,  # TORCHPLUG_PREFER
    "config": 30,  # a [torchplug.prefer] table of a training config
    "project": 20,  # torchplug.toml or pyproject.toml [tool.torchplug], nearest the working dir
    "user": 10,  # $XDG_CONFIG_HOME/torchplug/config.toml
}

#: ``category.name``, either part a glob; or ``*`` alone for every name. Checked by hand:
#: importing `re` costs more than a warm build spends.
_CATEGORY_START = frozenset("abcdefghijklmnopqrstuvwxyz*")
_CATEGORY_REST = _CATEGORY_START | frozenset("0123456789_")


class PreferenceRule:
    """One preference: names matching `pattern` go to the first of `distributions` providing them."""

    __slots__ = ("distributions", "level", "origin", "pattern")

    def __init__(self, pattern: str, distributions: Sequence[str], origin: str, level: str) -> None:
        self.pattern = pattern
        self.distributions = tuple(normalize_distribution(d) for d in distributions)
        self.origin = origin  # where it was written: a file, "--prefer", "TORCHPLUG_PREFER", ...
        self.level = level

    def __repr__(self) -> str:
        return f"PreferenceRule({self.pattern!r}, {list(self.distributions)!r}, origin={self.origin!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PreferenceRule) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def _key(self) -> tuple[str, tuple[str, ...], str, str]:
        return (self.pattern, self.distributions, self.origin, self.level)

    @property
    def specificity(self) -> tuple[int, int]:
        """More literal characters first, then fewer wildcards: ``optimizer.lion`` > ``*``."""
        return (len(self.pattern.replace("*", "")), -self.pattern.count("*"))

    def matches(self, category: str, name: str) -> bool:
        if self.pattern == "*":
            return True
        return glob_match(f"{category}.{name}", self.pattern)

    def describe(self) -> str:
        """``"optimizer.*" = ["torchplug-torch"] (from /project/torchplug.toml)``."""
        wanted = ", ".join(f'"{d}"' for d in self.distributions)
        return f'"{self.pattern}" = [{wanted}] (from {self.origin})'

    def as_dict(self) -> dict[str, object]:
        return {
            "pattern": self.pattern,
            "distributions": list(self.distributions),
            "origin": self.origin,
            "level": self.level,
        }


def _is_pattern(pattern: str) -> bool:
    """``*``, or a category of lowercase letters, digits, ``_`` and ``*`` (not starting with a
    digit or ``_``), a dot, and a name with no whitespace or ``:`` that does not start with a dot."""
    if pattern == "*":
        return True
    category, dot, name = pattern.partition(".")
    return (
        bool(dot and category and name)
        and category[0] in _CATEGORY_START
        and _CATEGORY_REST.issuperset(category)
        and name[0] != "."
        and ":" not in name
        and not any(c.isspace() for c in name)
    )


def pattern_problem(pattern: object) -> str | None:
    """Why `pattern` is not a valid rule pattern, or None."""
    if not isinstance(pattern, str) or not _is_pattern(pattern):
        return (
            f"{pattern!r} is not a pattern of the form CATEGORY.NAME ('*' globs allowed, e.g. "
            "'optimizer.lion', 'scheduler.*', '*')"
        )
    return None


def parse_rules(table: object, origin: str, level: str) -> list[PreferenceRule]:
    """Rules from a ``{pattern: distribution or [distributions]}`` table; errors name `origin`."""
    from _collections_abc import Mapping  # collections.abc's, without importing `collections`

    if not isinstance(table, Mapping):
        raise ConfigError(
            f"the preferences must be a table of PATTERN = DISTRIBUTION(S), got {table!r}",
            path=origin,
        )
    rules = []
    for pattern, value in table.items():
        problem = pattern_problem(pattern)
        if problem:
            raise ConfigError(f"{problem}; fix or remove this preference", path=origin)
        names = [value] if isinstance(value, str) else value
        if (
            not isinstance(names, list)
            or not names
            or not all(isinstance(n, str) and n.strip() for n in names)
        ):
            raise ConfigError(
                f"the preference {pattern!r} must name a distribution or a list of them in priority "
                f'order, e.g. "{pattern}" = ["torchplug-torch"]; got {value!r}',
                path=origin,
            )
        rules.append(PreferenceRule(pattern, [n.strip() for n in names], origin, level))
    return rules


def parse_assignments(items: Iterable[str], origin: str, level: str) -> list[PreferenceRule]:
    """Rules from ``PATTERN=DIST[,DIST...]`` strings, as --prefer and TORCHPLUG_PREFER write them."""
    table: dict[str, list[str]] = {}
    for item in items:
        pattern, sep, value = item.partition("=")
        if not sep or not pattern.strip() or not value.strip():
            raise ConfigError(
                f"expected PATTERN=DIST[,DIST...], e.g. optimizer.adamw=torchplug-torch; got {item!r}",
                path=origin,
            )
        table[pattern.strip()] = [d.strip() for d in value.split(",") if d.strip()]
    return parse_rules(table, origin, level)


class Preferences:
    """Every rule in force, ordered so that the first matching rule with a candidate decides."""

    def __init__(self, rules: Iterable[PreferenceRule] = ()) -> None:
        self.rules: list[PreferenceRule] = []
        self.add(rules)

    def add(self, rules: Iterable[PreferenceRule]) -> None:
        added = [r for r in rules if r not in self.rules]
        # Stable: among equals, the rule written first stays first.
        self.rules = sorted(
            [*self.rules, *added],
            key=lambda r: (-LEVELS[r.level], tuple(-x for x in r.specificity)),
        )

    def remove(self, *, level: str, origin: str | None = None, pattern: str | None = None) -> None:
        self.rules = [
            r
            for r in self.rules
            if not (
                r.level == level and origin in (None, r.origin) and pattern in (None, r.pattern)
            )
        ]

    def choose(
        self, category: str, name: str, candidates: Iterable[str | None]
    ) -> tuple[str, PreferenceRule] | None:
        """The distribution the first deciding rule picks among `candidates`, and that rule."""
        offered = set(candidates)
        for rule in self.rules:
            if rule.matches(category, name):
                for distribution in rule.distributions:
                    if distribution in offered:
                        return distribution, rule
        return None

    def __bool__(self) -> bool:
        return bool(self.rules)
