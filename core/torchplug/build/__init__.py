"""Turning config specs into objects: signatures checked, nested components built, identity recorded.

The public half of building, for training loops and tools that build from configs as `torchplug run`
does: a spec is a name or a ``{"type": name, **hyperparameters}`` table; `Registry.builder` resolves
one into a `ComponentFactory`; a built object carries its `Provenance` (``torchplug.fingerprint`` hashes it).
"""

from .._names import did_you_mean
from ._contracts import Contract
from ._factory import ComponentFactory, Resolver, split_spec
from ._identity import Provenance, canonical, provenance
from ._signature import Component, require_factory, type_problem

__all__ = [
    "Component",
    "ComponentFactory",
    "Contract",
    "Provenance",
    "Resolver",
    "canonical",
    "did_you_mean",
    "provenance",
    "require_factory",
    "split_spec",
    "type_problem",
]
