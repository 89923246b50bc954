"""Resolution: which provider answers a name, and what to say when none can.

The order is fixed: a qualified ``"distribution:name"`` picks that distribution's provider; a local
registration wins over installed ones; among the enabled installed providers one is the answer, and
several need a preference, providers that are the same object, or a ``torchplug_resolve_conflict``
hook. Nothing here imports a provider:
it works on the index and the state it is given, so listing and checking share it with `get`.
"""

from __future__ import annotations

import os

from . import _settings
from ._errors import (
    ComponentDisabledError,
    ComponentNotFoundError,
    DuplicateComponentError,
    TorchplugError,
)
from ._loading import Provider, Source
from ._metadata import describe_entry
from ._names import normalize_distribution, split_qualified

TYPE_CHECKING = False  # typing costs milliseconds to import; mypy reads this as True
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any

    from ._info import ComponentInfo
    from ._preferences import Preferences

    #: Asks the hook plugins to choose: (category, name, providers) -> a provider, a
    #: distribution or None.
    AskHooks = Callable[[str, str, list[Provider]], Any]


def providers_text(installed: Sequence[Source], local: Source | None) -> str:
    providers = [s.provider for s in installed] + ([local.provider] if local else [])
    return "; ".join(p.describe() for p in providers)


def resolve(
    namespace: str,
    category: str,
    name: str,
    installed: Sequence[Source],
    local: Source | None,
    disabled: frozenset[str],
    preferences: Preferences | None,
    ask_hooks: AskHooks | None,
    load: Callable[[Source], Any] | None = None,
) -> tuple[Source, str | None] | None:
    """The source `get` uses for `name` and how several were settled (None when one was all
    there was); None when nothing here provides it; or raise why not.

    `installed` are the installed providers of the bare name. A conflict is settled, in order, by
    a preference, by every candidate naming the same target, by `ask_hooks` (hook plugins load only
    when they could matter), and, given `load`, by every candidate importing to the same object.
    """
    distribution, bare = split_qualified(name)
    if distribution is not None:
        matches = [s for s in installed if s.provider.distribution == distribution]
        if not matches:
            if installed or local is not None:
                raise ComponentNotFoundError(
                    f"{category} {bare!r} is not provided by distribution {distribution!r}. "
                    "Its providers: " + providers_text(installed, local),
                    category=category,
                    name=name,
                )
            return None
        if distribution in disabled:
            raise disabled_error(category, name, matches)
        if len(matches) > 1:
            raise duplicate_error(namespace, category, bare, matches)
        return matches[0], f"the qualified name {name!r}" if len(installed) > 1 else None
    if local is not None:
        return local, None
    enabled = [s for s in installed if s.provider.distribution not in disabled]
    if not enabled:
        if installed:
            raise disabled_error(category, name, installed)
        return None
    if len(enabled) == 1:
        return enabled[0], None
    chosen, why = settle(category, bare, enabled, preferences)
    if chosen is not None:
        return chosen, why
    providers = [s.provider for s in enabled]
    if ask_hooks is not None and len({p.distribution for p in providers}) == len(providers):
        answer = ask_hooks(category, bare, list(providers))
        if answer is not None:
            return _hook_choice(
                category, bare, enabled, answer
            ), "a torchplug_resolve_conflict hook"
    if load is not None and _same_object(enabled, load):
        return enabled[0], "equivalence: every provider imports the same object"
    raise duplicate_error(namespace, category, bare, enabled)


def settle(
    category: str, name: str, candidates: Sequence[Source], preferences: Preferences | None
) -> tuple[Source | None, str | None]:
    """Settle several enabled providers without importing anything: the chosen one and why."""
    found = (
        preferences.choose(category, name, (s.provider.distribution for s in candidates))
        if preferences
        else None
    )
    if found is not None:
        distribution, rule = found
        chosen = [s for s in candidates if s.provider.distribution == distribution]
        if len(chosen) == 1:
            return chosen[0], f"preference {rule.describe()}"
    if len({s.provider.target for s in candidates}) == 1:
        return candidates[0], f"equivalence: every provider names {candidates[0].provider.target}"
    if all(s.loaded for s in candidates) and len({id(s.obj) for s in candidates}) == 1:
        return candidates[0], "equivalence: every provider imports the same object"
    return None, None


def _same_object(candidates: Sequence[Source], load: Callable[[Source], Any]) -> bool:
    """Import every candidate; True when they all turn out to be one object."""
    try:
        objects = [load(s) for s in candidates]
    except TorchplugError:
        return False  # a candidate that cannot load is reported as the conflict it is
    return all(o is objects[0] for o in objects)


def _hook_choice(category: str, name: str, candidates: Sequence[Source], answer: Any) -> Source:
    for source in candidates:
        if answer is source.provider or (
            isinstance(answer, str)
            and normalize_distribution(answer) == source.provider.distribution
        ):
            return source
    raise TorchplugError(
        f"A torchplug_resolve_conflict hook chose {answer!r} for {category} {name!r}, "
        "which is not one of its candidates: "
        + "; ".join(s.provider.describe() for s in candidates)
    )


def describe(
    category: str,
    name: str,
    installed: Sequence[Source],
    local: Source | None,
    disabled: frozenset[str],
    preferences: Preferences | None,
) -> ComponentInfo:
    """What `resolve` would answer for a bare name, as a record; imports and asks no hook."""
    from ._info import ComponentInfo

    enabled = [s for s in installed if s.provider.distribution not in disabled]
    others = tuple(s.provider for s in installed)
    if local is not None:
        aliases = tuple(n for n in local.names if n != name)
        return ComponentInfo(
            category, name, "ok", (local.provider, *others), aliases=aliases, loaded=True
        )
    if not enabled:
        blocked = ", ".join(sorted({p.distribution or "" for p in others}))
        return ComponentInfo(
            category, name, "disabled", others, problem=f"disabled distribution(s): {blocked}"
        )
    chosen, why = enabled[0], None
    if len(enabled) > 1:
        settled, why = settle(category, name, enabled, preferences)
        if settled is None:
            return ComponentInfo(
                category,
                name,
                "conflict",
                others,
                problem=f"provided by {len(enabled)} entry points; choose one",
            )
        chosen = settled
    return chosen_info(category, name, chosen, installed, why)


def chosen_info(
    category: str, name: str, chosen: Source, installed: Sequence[Source], why: str | None
) -> ComponentInfo:
    """The record of a name resolved to `chosen` among `installed`, for whatever reason `why`."""
    from ._info import ComponentInfo

    others = (s.provider for s in installed if s is not chosen)
    problem = chosen.static_problem
    return ComponentInfo(
        category,
        name,
        "broken" if problem else "ok",
        (chosen.provider, *others),
        aliases=tuple(n for n in chosen.names if n != name),
        loaded=chosen.loaded,
        problem=problem,
        preferred=chosen.provider.distribution if why and why.startswith("preference") else None,
        settled_by=why,
    )


def duplicate_error(
    namespace: str, category: str, name: str, sources: Sequence[Source]
) -> DuplicateComponentError:
    lines = [f"{category} {name!r} is provided by {len(sources)} installed entry points:"]
    lines += [
        f"  - {s.provider.describe()}, entry point "
        f"{describe_entry(s.record, namespace) if s.record else s.provider.target}"
        for s in sources
    ]
    fixes = conflict_fixes(category, name, [s.provider for s in sources])
    lines += [f"  {fix}" for fix in fixes]
    return DuplicateComponentError("\n".join(lines), category=category, name=name)


def conflict_fixes(category: str, name: str, providers: Sequence[Provider]) -> list[str]:
    """The ways to settle a conflict, each ready to paste, the lasting one first."""
    distributions = sorted({p.distribution or "" for p in providers})
    first, last = distributions[0], distributions[-1]
    if len(distributions) < len(providers):
        return [
            f"{first} declares the name twice with different targets: fix its entry points, "
            f"or block it with {_settings.DISABLE}={first}."
        ]
    qualified = " or ".join(f'"{d}:{name}"' for d in distributions)
    return [
        "Say once which one to use, for every command: add to torchplug.toml beside your project",
        "    [prefer]",
        f'    "{category}.{name}" = "{first}"',
        f"  (or [tool.torchplug.prefer] in pyproject.toml); for one command: --prefer "
        f"{category}.{name}={first};",
        f"  in a config, a qualified name: type = {qualified};",
        f'  in code, registry.prefer("{category}", "{name}", "{first}") or a '
        "torchplug_resolve_conflict hook;",
        f"  or uninstall one, or block it with {_settings.DISABLE}={last}.",
    ]


def disabled_error(category: str, name: str, sources: Sequence[Source]) -> ComponentDisabledError:
    blocked = sorted({s.provider.distribution or "" for s in sources})
    return ComponentDisabledError(
        f"{category} {name!r} is provided only by disabled distribution(s) "
        f"{', '.join(blocked)}. Remove them from {_settings.DISABLE} (now "
        f"{os.environ.get(_settings.DISABLE, '')!r}) or call registry.enable(...).",
        category=category,
        name=name,
    )
