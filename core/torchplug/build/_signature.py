"""Reading a builder's signature: its parameters, their types, and which are nested components.

Parsed once per builder and cached: `build` checks every config key against this before it calls
anything, and the overhead of that check is on every build's path. A plain function's (or a plain
class's ``__init__``) parameters are read from its code object; `inspect` (costly to import: ast,
dis, tokenize, enum) only reads what that cannot: decorated, partial, builtin and C callables. No
module is imported to read type hints: a hint that is a `typing` construct can only exist once its
module has imported `typing`, and is then read with `typing` itself.
"""

from __future__ import annotations

import sys

from .._record import Record

TYPE_CHECKING = False  # typing costs milliseconds to import; mypy reads this as True
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any


class _Empty:
    """No default, or no annotation: `inspect.Parameter.empty` without importing `inspect`."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<empty>"


_EMPTY: Any = _Empty()
#: Parameter kinds, with the values of `inspect.Parameter`'s.
POSITIONAL_ONLY, POSITIONAL_OR_KEYWORD, VAR_POSITIONAL, KEYWORD_ONLY, VAR_KEYWORD = range(5)
_VARIADIC = (VAR_POSITIONAL, VAR_KEYWORD)
_POSITIONAL = (POSITIONAL_ONLY, POSITIONAL_OR_KEYWORD)
_FUNCTION = type(_Empty.__repr__)  # types.FunctionType
if TYPE_CHECKING:
    from types import UnionType as _UNION_TYPE
else:
    _UNION_TYPE = type(int | str)  # types.UnionType, without importing `types`
_CO_VARARGS, _CO_VARKEYWORDS = 0x04, 0x08


class Component(Record):
    """Marks a builder parameter as a nested component of `category`, built through the registry.

    Written as the parameter's default, with the spec used when the config gives none::

        def build_gpt(dim: int, norm: Callable[..., nn.Module] = Component("norm", "rmsnorm")): ...

    (or, equivalently, ``norm: Annotated[Callable[..., nn.Module], Component("norm")] = "rmsnorm"``).
    `Registry.build` turns the spec given for ``norm`` (a name or a ``{"type": ...}`` table) into a
    `ComponentFactory` that the builder calls with runtime inputs, e.g. ``norm(dim)``. A marker is
    callable only so that the first form type-checks; calling one says how to build instead.
    """

    __slots__ = _fields = ("category", "default")
    category: str
    default: Any  # the spec when the config names none

    def __init__(self, category: str, default: Any = None) -> None:
        object.__setattr__(self, "category", category)
        object.__setattr__(self, "default", default)

    def __hash__(self) -> int:
        return hash((self.category,))  # the default may be a table: not part of the hash

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


class Parameter:
    """One parameter of a builder, with its hint resolved and its nested category, if any."""

    __slots__ = ("annotation", "component", "default", "kind", "name")

    def __init__(
        self, name: str, kind: int, default: Any, annotation: Any, component: str | None
    ) -> None:
        self.name = name
        self.kind = kind  # POSITIONAL_ONLY ... VAR_KEYWORD, as `inspect.Parameter.kind`
        self.default = default  # or _EMPTY
        self.annotation = annotation  # resolved type hint, or _EMPTY
        self.component = component  # the category of a nested component

    @property
    def required(self) -> bool:
        return self.default is _EMPTY and self.kind not in _VARIADIC


def _plain_function(target: object) -> bool:
    """A Python function that `inspect.signature` would read as its code says: not wrapped, no
    ``__signature__`` of its own."""
    return (
        type(target) is _FUNCTION
        and not hasattr(target, "__wrapped__")
        and not hasattr(target, "__signature__")
    )


def _init_of_plain_class(builder: Any) -> Any:
    """The ``__init__`` whose parameters (after self) a plain class's signature is, or None: a
    class of metaclass `type`, no ``__new__`` or ``__signature__`` of its own, a Python
    ``__init__``."""
    if type(builder) is not type:
        return None
    klass: Any = builder  # a class: its __new__ and __init__ as written, unchecked
    if klass.__new__ is not object.__new__:
        return None
    if any("__signature__" in vars(base) for base in klass.__mro__):
        return None
    init = klass.__init__
    return init if _plain_function(init) else None


def _from_code(function: Any, skip_first: bool) -> list[tuple[str, int, Any, Any]]:
    """(name, kind, default, raw annotation) of each parameter, read from the code object."""
    code = function.__code__
    names = code.co_varnames
    count, kwonly, posonly = code.co_argcount, code.co_kwonlyargcount, code.co_posonlyargcount
    defaults = function.__defaults__ or ()
    kwdefaults = function.__kwdefaults__ or {}
    annotations = function.__annotations__
    first_default = count - len(defaults)
    found = []
    for index in range(count):
        name = names[index]
        default = defaults[index - first_default] if index >= first_default else _EMPTY
        kind = POSITIONAL_ONLY if index < posonly else POSITIONAL_OR_KEYWORD
        found.append((name, kind, default, annotations.get(name, _EMPTY)))
    at = count + kwonly
    if code.co_flags & _CO_VARARGS:
        found.append((names[at], VAR_POSITIONAL, _EMPTY, annotations.get(names[at], _EMPTY)))
        at += 1
    for name in names[count : count + kwonly]:
        found.append(
            (name, KEYWORD_ONLY, kwdefaults.get(name, _EMPTY), annotations.get(name, _EMPTY))
        )
    if code.co_flags & _CO_VARKEYWORDS:
        found.append((names[at], VAR_KEYWORD, _EMPTY, annotations.get(names[at], _EMPTY)))
    return found[1:] if skip_first else found


def _from_inspect(builder: Callable[..., Any]) -> list[tuple[str, int, Any, Any]] | None:
    import inspect

    try:
        signature = inspect.signature(builder)
    except (TypeError, ValueError):
        return None  # no introspectable signature: the builder validates its own arguments
    empty = inspect.Parameter.empty
    return [
        (
            p.name,
            int(p.kind),
            _EMPTY if p.default is empty else p.default,
            _EMPTY if p.annotation is empty else p.annotation,
        )
        for p in signature.parameters.values()
    ]


def _hints(target: Any) -> dict[str, Any] | None:
    """Resolved hints with `typing` when it is already imported; None when it is not."""
    typing = sys.modules.get("typing")
    if typing is None:
        return None
    try:
        return typing.get_type_hints(target, include_extras=True)  # type: ignore[no-any-return]
    except Exception:
        return None


def _resolve(annotation: Any, namespace: dict[str, Any]) -> Any:
    """A hint as `typing.get_type_hints` resolves it, one at a time: what still fails (say a
    name imported under TYPE_CHECKING) stays the string it is, and is not type-checked."""
    if annotation is None:
        return type(None)
    if isinstance(annotation, str):
        try:
            return eval(annotation, namespace)  # what get_type_hints does
        except Exception:
            return annotation
    return annotation


def parameters(builder: Callable[..., Any]) -> list[Parameter] | None:
    """The builder's parameters with resolved hints, parsed once per builder."""
    try:
        found = _parsed.get(builder)
    except TypeError:  # an unhashable callable: parse it every time
        return _parse(builder)
    if found is None:
        if len(_parsed) >= 1024:
            _parsed.clear()
        found = _parsed[builder] = (_parse(builder),)
    return found[0]


_parsed: dict[Any, tuple[list[Parameter] | None]] = {}


def _parse(builder: Callable[..., Any]) -> list[Parameter] | None:
    init = None
    if _plain_function(builder):
        target: Any = builder
        raw: list[tuple[str, int, Any, Any]] | None = _from_code(builder, skip_first=False)
    elif (init := _init_of_plain_class(builder)) is not None:
        target, raw = init, _from_code(init, skip_first=True)
    else:
        target = builder.__init__ if isinstance(builder, type) else builder  # type: ignore[misc]
        raw = _from_inspect(builder)
    if raw is None:
        return None
    hints = _hints(target)
    namespace = getattr(target, "__globals__", {})
    typing = sys.modules.get("typing")
    old_optional = sys.version_info < (3, 11) and typing is not None
    result = []
    for name, kind, default, annotation in raw:
        if hints is not None:
            annotation = hints.get(name, annotation)
        elif annotation is not _EMPTY:
            annotation = _resolve(annotation, namespace)
            if old_optional and default is None and annotation is not type(None):
                annotation = typing.Optional[annotation]  # type: ignore[union-attr]  # <3.11 did
        component = None
        if typing is not None and typing.get_origin(annotation) is typing.Annotated:
            metadata = getattr(annotation, "__metadata__", ())
            component = next((m.category for m in metadata if isinstance(m, Component)), None)
            annotation = typing.get_args(annotation)[0]
        if isinstance(default, Component):
            component = default.category
            if default.default is not None:  # else the marker stays: a spec the config must give
                default = default.default
        result.append(Parameter(name, kind, default, annotation, component))
    return result


def bind_problem(
    parameters: list[Parameter], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> str | None:
    """Why calling with `args` and `kwargs` fails to bind, as `inspect.Signature.bind` says it;
    None when it binds."""
    import inspect

    signature = inspect.Signature(
        [
            inspect.Parameter(
                p.name,
                inspect._ParameterKind(p.kind),
                default=inspect.Parameter.empty if p.default is _EMPTY else p.default,
            )
            for p in parameters
        ]
    )
    try:
        signature.bind(*args, **kwargs)
    except TypeError as exc:
        return str(exc)
    return None


def _origin_and_args(annotation: Any) -> tuple[Any, tuple[Any, ...]]:
    typing = sys.modules.get("typing")
    if typing is not None:
        return typing.get_origin(annotation), typing.get_args(annotation)
    if type(annotation) is _UNION_TYPE:
        return _UNION_TYPE, annotation.__args__
    return getattr(annotation, "__origin__", None), getattr(annotation, "__args__", ())


def _type_name(annotation: Any) -> str:
    if isinstance(annotation, type):
        return annotation.__name__
    return str(annotation).replace("typing.", "")


def type_problem(value: Any, annotation: Any) -> str | None:
    """Why `value` does not fit a simple annotation; None when it fits or is not checkable."""
    typing = sys.modules.get("typing")
    if annotation is _EMPTY or (typing is not None and annotation is typing.Any):
        return None
    origin, args = _origin_and_args(annotation)
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
    if typing is not None and origin is typing.Literal:
        return None if value in args else f"expected one of {list(args)}, got {value!r}"
    if origin is _UNION_TYPE or (typing is not None and origin is typing.Union):
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
