"""Category contracts: the call each category's builders must accept, and a category's default type.

A training loop calls an optimizer builder as ``fn(params, **hyperparameters)``, a norm as
``fn(dim, eps=...)``; a builder whose signature cannot take that call fails at the call site, deep in
a run. Contracts make that mismatch a finding of ``check(deep=True)`` instead. The core declares
none: the code that calls a category's builders declares its contract, in the entry-point group
``torchplug.contracts`` (the training loop's pack declares model, optimizer, scheduler, ...).
"""

from __future__ import annotations

from .._errors import ConfigError
from .._record import Record

TYPE_CHECKING = False  # typing costs milliseconds to import; mypy reads this as True
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from .._catalog import Catalog


class Contract(Record):
    """What the call site of a category passes to its builders.

    `inputs` are the runtime inputs passed positionally, in order (``("params",)`` for optimizers);
    `keywords` are keyword arguments the call site may pass and every builder must accept;
    everything else a builder takes is a hyperparameter from the config. `default_type` is the
    name used when a spec omits ``type``.

    Attributes:
        category: The category it describes.
        inputs: Runtime inputs, passed positionally in this order: ``("dim", "num_heads")``.
        keywords: Keyword arguments the call site may pass (a norm's ``eps``).
        returns: What the call site expects back, for messages and docs; never checked.
        default_type: The name `Registry.build` uses when a spec gives no ``type``.
    """

    __slots__ = _fields = ("category", "inputs", "keywords", "returns", "default_type")
    category: str
    inputs: tuple[str, ...]
    keywords: tuple[str, ...]
    returns: str
    default_type: str | None

    def __init__(
        self,
        category: str,
        inputs: tuple[str, ...] = (),
        keywords: tuple[str, ...] = (),
        returns: str = "",
        default_type: str | None = None,
    ) -> None:
        set_field = object.__setattr__
        set_field(self, "category", category)
        set_field(self, "inputs", inputs)
        set_field(self, "keywords", keywords)
        set_field(self, "returns", returns)
        set_field(self, "default_type", default_type)

    def describe(self) -> str:
        """The call as the docs write it, e.g. ``fn(params, **hp) -> torch.optim.Optimizer``."""
        args = [*self.inputs, *(f"{k}=..." for k in self.keywords), "**hp"]
        call = f"fn({', '.join(args)})"
        return f"{call} -> {self.returns}" if self.returns else call

    def violations(self, builder: Callable[..., Any]) -> list[str]:
        """Why `builder` cannot be called the way this category's call site calls it."""
        import inspect

        try:
            signature = inspect.signature(builder)
        except (TypeError, ValueError):
            return []  # no introspectable signature (some C callables): nothing to hold against it
        params = list(signature.parameters.values())
        positional = [
            p
            for p in params
            if p.kind
            in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        ]
        takes_varargs = any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in params)
        takes_varkw = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params)
        problems = []
        if len(positional) < len(self.inputs) and not takes_varargs:
            problems.append(
                f"takes {len(positional)} positional argument(s) but the {self.category} call site "
                f"passes {len(self.inputs)} ({', '.join(self.inputs)})"
            )
        names = {p.name for p in params if p.kind is not inspect.Parameter.POSITIONAL_ONLY}
        for keyword in self.keywords:
            if keyword not in names and not takes_varkw:
                problems.append(f"does not accept the keyword {keyword!r} its call site may pass")
        extra_required = [
            p.name
            for p in params[len(self.inputs) :]
            if p.default is inspect.Parameter.empty and p.kind is inspect.Parameter.POSITIONAL_ONLY
        ]
        if extra_required:
            problems.append(
                f"requires positional-only argument(s) {extra_required} that no config can give"
            )
        return problems


def installed_contract(catalog: Catalog, category: str) -> Contract | None:
    """The contract installed packs declare for `category` (imported now), or None.

    Several packs may declare the same contract (two training loops calling optimizers alike):
    only declarations that load to different contracts are a conflict.
    """
    sources = catalog.group_of("contracts", category)
    contracts: list[Contract] = []
    for source in {s.provider.target: s for s in sources}.values():
        contract, _ = source.load("contracts", category, catalog.namespace)
        if not isinstance(contract, Contract):
            raise ConfigError(
                f"the contract entry point of {source.provider.describe()} is a "
                f"{type(contract).__name__}, not a torchplug.Contract",
                path=category,
            )
        contracts.append(contract)
    if len(set(contracts)) > 1:
        from .._resolution import duplicate_error

        raise duplicate_error(catalog.namespace, "contracts", category, sources)
    return contracts[0] if contracts else None
