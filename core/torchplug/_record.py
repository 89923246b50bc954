"""Frozen records that cost nothing to define: what torchplug returns instead of dataclasses.

Bottom layer. ``import dataclasses`` pulls in `inspect` (and with it ast, dis, tokenize, enum, re)
and generates each class's methods with ``exec``: more than ``import torchplug`` may cost in all.
A `Record` is a ``__slots__`` class that behaves as a frozen dataclass does (keyword and
positional construction, ``==`` and `hash` over its fields, a dataclass-style `repr`, assignment
refused, pickling, ``match``), and still answers `dataclasses.fields`, `dataclasses.asdict` and
`dataclasses.replace`: those find a shadow dataclass's fields, made when they first ask.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing costs milliseconds to import; mypy reads this as True
if TYPE_CHECKING:
    from typing import Any


class FrozenRecordError(AttributeError):
    """Assigning to a field of a record: they are read-only, as frozen dataclasses are.

    The same class as ``dataclasses.FrozenInstanceError`` in spirit (both are `AttributeError`).
    """


class _DataclassFields:
    """``__dataclass_fields__`` of a record class, computed from a shadow dataclass on first use.

    Only the `dataclasses` functions read it; they import `dataclasses` themselves, so nothing
    is imported here before they ask.
    """

    def __get__(self, instance: object, owner: type[Record]) -> dict[str, Any]:
        if owner is Record:
            return {}  # the base has no fields; each record class caches its own
        import dataclasses

        code = owner.__init__.__code__
        positional = code.co_varnames[1 : code.co_argcount]  # after self
        given = owner.__init__.__defaults__ or ()
        defaults = dict(zip(positional[len(positional) - len(given) :], given, strict=True))
        defaults.update(owner.__init__.__kwdefaults__ or {})
        specs: list[Any] = []
        for name in owner._fields:
            if name in defaults:
                specs.append((name, object, dataclasses.field(default=defaults[name])))
            else:
                specs.append((name, object))
        shadow = dataclasses.make_dataclass(owner.__name__, specs, frozen=True)
        fields: dict[str, Any] = shadow.__dataclass_fields__  # type: ignore[attr-defined]
        type.__setattr__(owner, "__dataclass_fields__", fields)  # later reads skip this
        return fields


class Record:
    """Base of torchplug's read-only records: subclasses set `__slots__`, `_fields` (the fields
    in the order of their ``__init__`` parameters) and an ``__init__`` that sets each field
    with ``object.__setattr__``."""

    __slots__ = ()
    _fields: tuple[str, ...] = ()
    __dataclass_fields__ = _DataclassFields()

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self._fields)

    def __init_subclass__(cls) -> None:
        type.__setattr__(cls, "__match_args__", cls._fields)

    def __setattr__(self, name: str, value: object) -> None:
        raise FrozenRecordError(f"cannot assign to field {name!r} of a {type(self).__name__}")

    def __delattr__(self, name: str) -> None:
        raise FrozenRecordError(f"cannot delete field {name!r} of a {type(self).__name__}")

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{type(self).__qualname__}({fields})"

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return type(self), self._values()
