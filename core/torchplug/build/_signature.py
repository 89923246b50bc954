"""Reading a builder's signature: its parameters, their types, and which are nested components.

Parsed once per builder and cached: `build` checks every config key against this before it calls
anything, and the overhead of that check is on every build's path.
"""

from __future__ import annotations

import functools
import inspect
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Union

_EMPTY = inspect.Parameter.empty
_VARIADIC = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)


@dataclass(frozen=True)
class Component:
    """Marks a builder parameter as a nested component of `category`, built through the registry.

    Written as the parameter's default, with the spec used when the config gives none::

        def build_gpt(dim: int, norm: Callable[..., nn.Module] = Component("norm", "rmsnorm")): ...

    (or, equivalently, ``norm: Annotated[Callable[..., nn.Module], Component("norm")] = "rmsnorm"``).
    `Registry.build` turns the spec given for ``norm`` (a name or a ``{"type": ...}`` table) into a
    `ComponentFactory` that the builder calls with runtime inputs, e.g. ``norm(dim)``. A marker is
    callable only so that the first form type-checks; calling one says how to build instead.
    """

    category: str
    default: Any = field(default=None, hash=False)  # the spec when the config names none

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        require_factory(self, "<nested component>", self.category)


def require_factory(value: object, parameter: str, category: str) -> Callable[..., Any]:
    """Return `value` if it can build a nested `category` component, else raise what to do.

    A builder calls this on each nested-component argument: `Registry.build` passes a factory, but a
    direct caller may pass a raw spec (``"rmsnorm"``) or nothing at all.
    """
    if callable(value) and not isinstance(value, Component):
        return value
    spec = value.default if isinstance(value, Component) else value
    raise TypeError(
        f"{parameter}={spec!r} is a config spec of a nested {category!r} component, but the "
        "builder was called directly, not through torchplug.registry.build, so nothing turned "
        "it into a factory. Build from a config with torchplug.registry.build(...), or pass a "
        f"callable that returns a new {category} object on each call, e.g. "
        f'torchplug.registry.get("{category}", "<name>") or a functools.partial of it.'
    )


@dataclass(frozen=True)
class Parameter:
    """One parameter of a builder, with its hint resolved and its nested category, if any."""

    name: str
    kind: inspect._ParameterKind
    default: Any
    annotation: Any  # resolved type hint, or _EMPTY
    component: str | None  # the category of a nested component

    @property
    def required(self) -> bool:
        return self.default is _EMPTY and self.kind not in _VARIADIC


def _hints(builder: Callable[..., Any]) -> dict[str, Any]:
    target = builder.__init__ if inspect.isclass(builder) else builder
    try:
        return typing.get_type_hints(target, include_extras=True)
    except Exception:
        pass
    # One unresolvable annotation (say a return type imported under TYPE_CHECKING) must not
    # cost the others: resolve each on its own; what still fails is not type-checked.
    namespace = dict(getattr(target, "__globals__", {}))
    hints = {}
    for name, annotation in getattr(target, "__annotations__", {}).items():
        if not isinstance(annotation, str):
            hints[name] = annotation
            continue
        try:
            hints[name] = eval(annotation, namespace)  # what get_type_hints does, one at a time
        except Exception:
            continue
    return hints


def parameters(builder: Callable[..., Any]) -> list[Parameter] | None:
    """The builder's parameters with resolved hints, parsed once per builder."""
    try:
        return _parsed_parameters(builder)
    except TypeError:  # an unhashable callable: parse it every time
        return _parsed_parameters.__wrapped__(builder)


@functools.lru_cache(maxsize=1024)
def _parsed_parameters(builder: Callable[..., Any]) -> list[Parameter] | None:
    try:
        signature = inspect.signature(builder)
    except (TypeError, ValueError):
        return None  # no introspectable signature: the builder validates its own arguments
    hints = _hints(builder)
    result = []
    for p in signature.parameters.values():
        annotation = hints.get(p.name, p.annotation)
        component = None
        default = p.default
        if typing.get_origin(annotation) is typing.Annotated:
            metadata = getattr(annotation, "__metadata__", ())
            component = next((m.category for m in metadata if isinstance(m, Component)), None)
            annotation = typing.get_args(annotation)[0]
        if isinstance(default, Component):
            component = default.category
            if default.default is not None:  # else the marker stays: a spec the config must give
                default = default.default
        result.append(Parameter(p.name, p.kind, default, annotation, component))
    return result


@functools.lru_cache(maxsize=1024)
def call_signature(parameters: tuple[Parameter, ...]) -> inspect.Signature:
    """A signature to check a call against before making it (annotations left out)."""
    return inspect.Signature(
        [inspect.Parameter(p.name, p.kind, default=p.default) for p in parameters]
    )


def _type_name(annotation: Any) -> str:
    if isinstance(annotation, type):
        return annotation.__name__
    return str(annotation).replace("typing.", "")


def type_problem(value: Any, annotation: Any) -> str | None:
    """Why `value` does not fit a simple annotation; None when it fits or is not checkable."""
    if annotation is _EMPTY or annotation is Any:
        return None
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    wrong = f"expected {_type_name(annotation)}, got {type(value).__name__} {value!r}"
    if annotation is bool:
        return None if isinstance(value, bool) else wrong
    if annotation is int:
        return None if isinstance(value, int) and not isinstance(value, bool) else wrong
    if annotation is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        return None if ok else wrong
    if annotation is str:
        return None if isinstance(value, str) else wrong
    if origin is Literal:
        return None if value in args else f"expected one of {list(args)}, got {value!r}"
    if origin in (Union, types.UnionType):
        checks = [type_problem(value, a) for a in args]
        if any(c is None for c in checks):
            return None
        return wrong
    if annotation is type(None):
        return None if value is None else wrong
    if origin in (list, tuple) and isinstance(value, (list, tuple)):
        if origin is tuple and args and args[-1] is not Ellipsis:
            if len(value) != len(args):
                return f"expected {len(args)} items, got {len(value)}"
            pairs = list(zip(value, args, strict=True))
        else:
            element = args[0] if args else _EMPTY
            pairs = [(v, element) for v in value]
        for index, (item, item_type) in enumerate(pairs):
            problem = type_problem(item, item_type)
            if problem:
                return f"item {index}: {problem}"
        return None
    if origin in (list, tuple):
        return wrong
    return None  # anything richer (tensors, callables, classes) is the builder's to check
