"""Building components from config specs: validated keyword arguments and nested components."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Component:
    """Marks a builder parameter as a nested component of `category`.

    Written as ``norm: Annotated[Callable[..., nn.Module], Component("norm")] = "rmsnorm"``:
    `Registry.build` turns the spec given for ``norm`` (a name or a ``{"type": ...}`` table) into a
    factory that builds it through the registry when the builder calls it with runtime inputs,
    e.g. ``norm(dim)``. Direct callers of the builder pass such a callable themselves.
    """

    category: str
