"""Identity of built components: provenance records and stable fingerprints.

A fingerprint is a SHA-256 over canonical JSON of (category, distribution, target, resolved
hyperparameters): the same on every process and machine, blind to key order, aliases, and whether a
default was written out, and different when any hyperparameter differs. No pickle is involved.
"""

from __future__ import annotations

import math
import re
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .._errors import NoProvenanceError

PROVENANCE_ATTRIBUTE = "__torchplug_provenance__"
# For objects that refuse new attributes but can be weakly referenced: keyed by identity (an
# equal object is not the same build), each entry dropped when its object dies.
_side_table: dict[int, tuple[weakref.ref[Any], Provenance]] = {}
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


@dataclass(frozen=True)
class Provenance:
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

    category: str
    name: str
    distribution: str | None  # None for a local registration
    version: str | None
    target: str
    hyperparameters: Mapping[str, Any] = field(default_factory=dict)
    path: str = ""  # the config path it was built from, e.g. "model.mlp"

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
        if math.isfinite(value) and value.is_integer():
            return int(value)  # `lr = 1` in TOML and a default of 1.0 are the same setting
        return value if math.isfinite(value) else repr(value)
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
    if _ADDRESS.search(text):  # a memory address differs on every run: keep only the type
        return {"object": kind}
    return {"object": kind, "repr": text}


def attach(obj: Any, record: Provenance) -> None:
    """Record how `obj` was built, beside it rather than in it.

    A weak side table first: an attribute would show up in the object's own state (an LR
    scheduler's ``state_dict`` is its ``__dict__``) and in its checkpoints. Objects that cannot be
    weakly referenced get an attribute instead, when they take one.
    """
    try:
        key = id(obj)
        reference = weakref.ref(obj, lambda _, key=key: _side_table.pop(key, None))  # type: ignore[misc]
    except TypeError:
        try:
            object.__setattr__(obj, PROVENANCE_ATTRIBUTE, record)
        except (AttributeError, TypeError):
            pass  # ints, tuples and the like: `provenance` will say it has none
        return
    _side_table[key] = (reference, record)


def provenance(obj: Any) -> Provenance:
    """How `obj` was built: category, name, provider, version and resolved hyperparameters."""
    entry = _side_table.get(id(obj))
    found = entry[1] if entry is not None and entry[0]() is obj else None
    if found is None:
        record = getattr(obj, PROVENANCE_ATTRIBUTE, None)
        found = record if isinstance(record, Provenance) else None
    if found is None:
        raise NoProvenanceError(
            f"{type(obj).__qualname__} object has no provenance: only objects returned by "
            "Registry.build carry one (and only if they accept attributes or weak references)."
        )
    return found
