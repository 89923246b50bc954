"""Identity of built components: provenance records and stable fingerprints.

A fingerprint is a SHA-256 over canonical JSON of (category, distribution, target, resolved
hyperparameters): the same on every process and machine, blind to key order, aliases, and whether a
default was written out, and different when any hyperparameter differs. No pickle is involved.
"""

from __future__ import annotations

from _collections_abc import Mapping  # collections.abc's, without importing `collections`
from _weakref import ref  # weakref.ref, without importing `weakref`

from .._errors import NoProvenanceError
from .._record import Record

TYPE_CHECKING = False  # typing costs milliseconds to import; mypy reads this as True
if TYPE_CHECKING:
    from typing import Any

    from ._factory import ComponentFactory

PROVENANCE_ATTRIBUTE = "__torchplug_provenance__"
# For objects that refuse new attributes but can be weakly referenced: keyed by identity (an
# equal object is not the same build), each entry dropped when its object dies. The record is
# made when first asked for: most built objects are never asked.
_side_table: dict[int, tuple[ref[Any], Any]] = {}


class Provenance(Record):
    """Where a built object came from and with which hyperparameters (runtime inputs excluded).

    Attributes:
        category: The category it was built in.
        name: The name the config wrote.
        distribution: The providing distribution; None for a local registration.
        version: The providing distribution's version.
        target: The builder, as ``"module:attr"``.
        hyperparameters: Resolved: defaults filled in, runtime inputs left out, nested
            components as their factories.
        path: The config path it was built from, e.g. ``model.mlp``.
    """

    __slots__ = _fields = (
        "category",
        "name",
        "distribution",
        "version",
        "target",
        "hyperparameters",
        "path",
    )
    category: str
    name: str
    distribution: str | None  # None for a local registration
    version: str | None
    target: str
    hyperparameters: Mapping[str, Any]
    path: str  # the config path it was built from, e.g. "model.mlp"

    def __init__(
        self,
        category: str,
        name: str,
        distribution: str | None,
        version: str | None,
        target: str,
        hyperparameters: Mapping[str, Any] | None = None,
        path: str = "",
    ) -> None:
        set_field = object.__setattr__
        set_field(self, "category", category)
        set_field(self, "name", name)
        set_field(self, "distribution", distribution)
        set_field(self, "version", version)
        set_field(self, "target", target)
        set_field(self, "hyperparameters", {} if hyperparameters is None else hyperparameters)
        set_field(self, "path", path)

    def identity(self) -> dict[str, Any]:
        """What the fingerprint covers: the provider's identity and canonical hyperparameters."""
        return {
            "category": self.category,
            "distribution": self.distribution,
            "target": self.target,
            "hyperparameters": canonical(self.hyperparameters),
        }

    def fingerprint(self) -> str:
        """The SHA-256 hex digest of `identity`: what `torchplug.fingerprint` returns."""
        import hashlib  # deferred, like every import not needed by `import torchplug`

        return hashlib.sha256(_canonical_json(self.identity()).encode("utf-8")).hexdigest()

    def as_dict(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "name": self.name,
            "distribution": self.distribution,
            "version": self.version,
            "target": self.target,
            "hyperparameters": canonical(self.hyperparameters),
            "path": self.path,
            "fingerprint": self.fingerprint(),
        }


def _canonical_json(value: Any) -> str:
    import json

    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def canonical(value: Any) -> Any:
    """A JSON-ready form in which equal configurations are equal, whatever their spelling."""
    if isinstance(value, Provenance):
        return {"component": value.identity()}
    provenance_of = getattr(value, "provenance", None)
    if isinstance(provenance_of, Provenance):  # a nested component's factory
        return {"component": provenance_of.identity()}
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        finite = value - value == 0  # math.isfinite, without importing math
        if finite and value.is_integer():
            return int(value)  # `lr = 1` in TOML and a default of 1.0 are the same setting
        return value if finite else repr(value)
    if isinstance(value, Mapping):
        return {str(k): canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [canonical(v) for v in value]
    if isinstance(value, (set, frozenset)):  # iteration order varies with PYTHONHASHSEED
        items = [canonical(v) for v in value]
        return {"set": sorted(items, key=_canonical_json)}
    qualname = getattr(value, "__qualname__", None)
    module = getattr(value, "__module__", None)
    if callable(value) and isinstance(qualname, str) and isinstance(module, str):
        return {"callable": f"{module}:{qualname}"}  # functions and classes, by where they live
    kind = f"{type(value).__module__}.{type(value).__qualname__}"
    text = repr(value)
    import re

    if re.search(
        r" at 0x[0-9a-fA-F]+", text
    ):  # a memory address differs on every run: keep only the type
        return {"object": kind}
    return {"object": kind, "repr": text}


def attach(obj: Any, record: Provenance) -> None:
    """Record how `obj` was built, beside it rather than in it.

    A weak side table first: an attribute would show up in the object's own state (an LR
    scheduler's ``state_dict`` is its ``__dict__``) and in its checkpoints. Objects that cannot be
    weakly referenced get an attribute instead, when they take one.
    """
    _attach(obj, record, None)


def attach_pending(
    obj: Any, factory: ComponentFactory, positional: int, keywords: tuple[str, ...]
) -> None:
    """`attach` the provenance of a call of `factory`, made only when `provenance` asks for it."""
    _attach(obj, factory, (positional, keywords))


def _attach(obj: Any, record: Any, call: tuple[int, tuple[str, ...]] | None) -> None:
    try:
        key = id(obj)
        reference = ref(obj, lambda _, key=key: _side_table.pop(key, None))  # type: ignore[misc]
    except TypeError:
        if call is not None:
            record = record.provenance_of_call(*call)
        try:
            object.__setattr__(obj, PROVENANCE_ATTRIBUTE, record)
        except (AttributeError, TypeError):
            pass  # ints, tuples and the like: `provenance` will say it has none
        return
    _side_table[key] = (reference, record if call is None else (record, call))


def provenance(obj: Any) -> Provenance:
    """How `obj` was built: category, name, provider, version and resolved hyperparameters."""
    key = id(obj)
    entry = _side_table.get(key)
    found = None
    if entry is not None and entry[0]() is obj:
        found = entry[1]
        if not isinstance(found, Provenance):  # (factory, call): made now, kept from now on
            factory, call = found
            found = factory.provenance_of_call(*call)
            _side_table[key] = (entry[0], found)
    if found is None:
        record = getattr(obj, PROVENANCE_ATTRIBUTE, None)
        found = record if isinstance(record, Provenance) else None
    if found is None:
        raise NoProvenanceError(
            f"{type(obj).__qualname__} object has no provenance: only objects returned by "
            "Registry.build carry one (and only if they accept attributes or weak references)."
        )
    return found
