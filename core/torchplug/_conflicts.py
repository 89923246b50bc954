"""What to say when a name has no usable single provider: two providers, or only blocked ones.

Every message names each provider (distribution, version, target) and the ways out.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from ._component import Provider, Source, describe_entry
from ._errors import ComponentDisabledError, DuplicateComponentError

#: Comma-separated distributions whose entry points are never imported.
ENV_DISABLE = "TORCHPLUG_DISABLE"


def providers_text(installed: list[Source], local: Source | None) -> str:
    providers = [s.provider for s in installed] + ([local.provider] if local else [])
    return "; ".join(p.describe() for p in providers)


def duplicate_error(
    namespace: str, category: str, name: str, sources: list[Source]
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
            f"or block it with {ENV_DISABLE}={first}."
        ]
    return [
        "Say which one to use, any of:",
        f'- the qualified name "{first}:{name}" (in a config: type = "{first}:{name}");',
        f'- registry.prefer("{category}", "{name}", "{first}");',
        "- a hook plugin implementing torchplug_resolve_conflict;",
        f"- uninstall one, or block it with {ENV_DISABLE}={last}.",
    ]


def disabled_error(category: str, name: str, sources: list[Source]) -> ComponentDisabledError:
    blocked = sorted({s.provider.distribution or "" for s in sources})
    return ComponentDisabledError(
        f"{category} {name!r} is provided only by disabled distribution(s) "
        f"{', '.join(blocked)}. Remove them from {ENV_DISABLE} (now "
        f"{os.environ.get(ENV_DISABLE, '')!r}) or call registry.enable(...).",
        category=category,
        name=name,
    )
