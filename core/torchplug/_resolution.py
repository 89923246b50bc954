"""Resolution: which provider answers a name, and what to say when none can.

The order is fixed: a qualified ``"distribution:name"`` picks that distribution's provider; a local
registration wins over installed ones; among the enabled installed providers one is the answer, and
several need a preference or a ``torchplug_resolve_conflict`` hook. Nothing here imports a provider:
it works on the index and the state it is given, so listing and checking share it with `get`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from . import _env
from ._errors import (
    ComponentDisabledError,
    ComponentNotFoundError,
    DuplicateComponentError,
    TorchplugError,
)
from ._info import ComponentInfo
from ._loading import Provider, Source, describe_entry
from ._names import normalize_distribution, split_qualified

#: Asks the hook plugins to choose: (category, name, providers) -> a provider, a distribution or None.
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
    preferred: str | None,
    ask_hooks: AskHooks | None,
) -> Source | None:
    """The source `get` uses for `name`, None when nothing here provides it, or raise why not.

    `installed` are the installed providers of the bare name; `ask_hooks` is only called when a
    conflict remains after the preference, so hook plugins load only when they could matter.
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
        return matches[0]
    if local is not None:
        return local
    enabled = [s for s in installed if s.provider.distribution not in disabled]
    if not enabled:
        if installed:
            raise disabled_error(category, name, installed)
        return None
    if len(enabled) == 1:
        return enabled[0]
    return _choose(namespace, category, bare, enabled, preferred, ask_hooks)


def _choose(
    namespace: str,
    category: str,
    name: str,
    candidates: list[Source],
    preferred: str | None,
    ask_hooks: AskHooks | None,
) -> Source:
    if preferred is not None:
        chosen = [s for s in candidates if s.provider.distribution == preferred]
        if len(chosen) == 1:
            return chosen[0]
    providers = [s.provider for s in candidates]
    if ask_hooks is not None and len({p.distribution for p in providers}) == len(providers):
        answer = ask_hooks(category, name, list(providers))
        if answer is not None:
            for source in candidates:
                if answer is source.provider or (
                    isinstance(answer, str)
                    and normalize_distribution(answer) == source.provider.distribution
                ):
                    return source
            raise TorchplugError(
                f"A torchplug_resolve_conflict hook chose {answer!r} for {category} {name!r}, "
                "which is not one of its candidates: " + "; ".join(p.describe() for p in providers)
            )
    raise duplicate_error(namespace, category, name, candidates)


def describe(
    category: str,
    name: str,
    installed: Sequence[Source],
    local: Source | None,
    disabled: frozenset[str],
    preferred: Mapping[tuple[str, str], str],
) -> ComponentInfo:
    """What `resolve` would answer for a bare name, as a record; imports and asks no hook."""
    enabled = [s for s in installed if s.provider.distribution not in disabled]
    others = tuple(s.provider for s in installed)
    choice = preferred.get((category, name))
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
    chosen = enabled[0]
    if len(enabled) > 1:
        matching = [s for s in enabled if s.provider.distribution == choice]
        if len(matching) != 1:
            return ComponentInfo(
                category,
                name,
                "conflict",
                others,
                problem=f"provided by {len(enabled)} entry points; choose one",
            )
        chosen = matching[0]
    ordered = (chosen.provider, *(p for p in others if p is not chosen.provider))
    problem = chosen.static_problem
    return ComponentInfo(
        category,
        name,
        "broken" if problem else "ok",
        ordered,
        aliases=tuple(n for n in chosen.names if n != name),
        loaded=chosen.loaded,
        problem=problem,
        preferred=choice if len(enabled) > 1 else None,
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
    """The ways to settle a conflict, most local first."""
    distributions = sorted({p.distribution or "" for p in providers})
    first, last = distributions[0], distributions[-1]
    if len(distributions) < len(providers):
        return [
            f"{first} declares the name twice with different targets: fix its entry points, "
            f"or block it with {_env.DISABLE}={first}."
        ]
    return [
        "Say which one to use, any of:",
        f'- the qualified name "{first}:{name}" (in a config: type = "{first}:{name}");',
        f'- registry.prefer("{category}", "{name}", "{first}");',
        "- a hook plugin implementing torchplug_resolve_conflict;",
        f"- uninstall one, or block it with {_env.DISABLE}={last}.",
    ]


def disabled_error(category: str, name: str, sources: Sequence[Source]) -> ComponentDisabledError:
    blocked = sorted({s.provider.distribution or "" for s in sources})
    return ComponentDisabledError(
        f"{category} {name!r} is provided only by disabled distribution(s) "
        f"{', '.join(blocked)}. Remove them from {_env.DISABLE} (now "
        f"{os.environ.get(_env.DISABLE, '')!r}) or call registry.enable(...).",
        category=category,
        name=name,
    )
