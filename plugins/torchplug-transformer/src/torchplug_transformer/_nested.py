"""Nested components: builder parameters that receive a factory of another registry component."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def require_factory(value: object, parameter: str, category: str) -> Callable[..., Any]:
    """Return `value` if it can build the nested `category` component, else explain the fix.

    `torchplug.registry.build` turns a name or ``{"type": ...}`` spec into such a factory; a
    direct caller of the builder must pass one itself.
    """
    if callable(value):
        return value
    raise TypeError(
        f"{parameter}={value!r} is a config spec of a nested {category!r} component, but the "
        "builder was called directly, not through torchplug.registry.build, so nothing turned "
        "it into a factory. Build from a config with torchplug.registry.build(...), or pass a "
        f"callable that returns a new {category} module on each call, e.g. "
        f'torchplug.registry.get("{category}", "<name>") or a functools.partial of it.'
    )
