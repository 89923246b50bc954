"""Building components from config specs: validated keyword arguments and nested components.

A spec is a name (``"adamw"``, ``"torchplug-torch:adamw"``) or a table ``{"type": name, **hp}``.
Before a builder runs, its config keys are checked against its signature, so a misspelt key is a
`ConfigError` naming the config path and the providing distribution, not a ``TypeError`` from deep
inside a constructor. Nothing here imports a module that no pack or registration declares.
"""

from __future__ import annotations

from _collections_abc import Mapping  # collections.abc's, without importing `collections`

from .._errors import ConfigError, TorchplugError
from .._names import did_you_mean
from ._identity import Provenance, attach_pending
from ._signature import (
    _EMPTY,
    _POSITIONAL,
    _VARIADIC,
    KEYWORD_ONLY,
    POSITIONAL_ONLY,
    POSITIONAL_OR_KEYWORD,
    VAR_KEYWORD,
    VAR_POSITIONAL,
    Component,
    bind_problem,
    parameters,
    type_problem,
)

TYPE_CHECKING = False  # typing costs milliseconds to import; mypy reads this as True
if TYPE_CHECKING:
    from collections.abc import Callable
    from collections.abc import Set as AbstractSet
    from typing import Any, Protocol

    from .._info import ComponentInfo
    from .._loading import Provider
    from ._contracts import Contract
else:
    Protocol = object


class Resolver(Protocol):
    """What a factory needs of a registry: nested specs become factories of their own."""

    def builder(self, category: str, spec: Any, *, at: str | None = None) -> ComponentFactory: ...


def split_spec(
    spec: Any, category: str, default_type: str | None, path: str
) -> tuple[str, dict[str, Any]]:
    """``"name"`` or ``{"type": name, **hp}`` -> (name, hyperparameters)."""
    if isinstance(spec, str):
        return spec, {}
    if not isinstance(spec, Mapping):
        raise ConfigError(
            f"expected a name or a table with a 'type' key for this {category}, got "
            f"{type(spec).__name__} {spec!r}",
            path=path,
        )
    config = {str(k): v for k, v in spec.items()}
    name = config.pop("type", None)
    if name is None:
        name = default_type
    if name is None:
        raise ConfigError(
            f"no 'type' given and category {category!r} has no default type; "
            f"set {path}.type to one of `torchplug list {category}`",
            path=path,
        )
    if not isinstance(name, str) or not name:
        raise ConfigError(
            f"'type' must be a non-empty {category} name, got {name!r}", path=f"{path}.type"
        )
    return name, config


class ComponentFactory:
    """A checked spec of one component: call it with the runtime inputs to build the object.

    `Registry.builder` returns one, and a builder receives one for each nested component. Each
    call builds a new object from the config, which carries its `provenance`.

    Attributes:
        category: The category of the component.
        name: The name as the spec wrote it.
        builder: The resolved class or function.
        info: The `ComponentInfo` of the provider it resolved to (and how, if several).
        config: The spec's hyperparameters; nested specs are already factories.
        path: The dotted config path, e.g. ``model.mlp``.
        contract: The category's `Contract`, or None.
    """

    def __init__(
        self,
        category: str,
        name: str,
        builder: Callable[..., Any],
        info: ComponentInfo | Callable[[], ComponentInfo],
        config: dict[str, Any],
        path: str,
        contract: Contract | None,
        *,
        provider: Provider | None = None,
        resolved_name: str | None = None,
    ) -> None:
        self.category = category
        self.name = name
        self.builder = builder
        # `info` may be given as the function that makes it (with the provider and the bare name
        # it resolved to): most builds never read it, and making it costs more than the build.
        if callable(info):
            self._info: ComponentInfo | None = None
            self._make_info: Callable[[], ComponentInfo] | None = info
            self._provider = provider
            self._resolved_name = resolved_name if resolved_name is not None else name
        else:
            self._info, self._make_info = info, None
            self._provider, self._resolved_name = info.provider, info.name
        self.config = config  # hyperparameters from the spec; nested specs are factories here
        self.path = path
        self.contract = contract
        self._parameters = parameters(builder)
        self._binds: dict[int, bool] = {}  # positional-argument count -> binds without keywords

    @property
    def info(self) -> ComponentInfo:
        """The `ComponentInfo` of the provider it resolved to (and how, if several)."""
        info = self._info
        if info is None:
            assert self._make_info is not None
            info = self._info = self._make_info()
        return info

    def __repr__(self) -> str:
        return f"<ComponentFactory {self.path}: {self.category} {self.name!r}>"

    @property
    def component(self) -> str:
        """``optimizer 'adamw' (torchplug-torch 0.1.0)``: how messages name the component."""
        provider = self._provider
        where = provider.describe() if provider is not None else "unknown provider"
        return f"{self.category} {self.name!r} from {where}"

    def _error(self, message: str, key: str | None = None) -> ConfigError:
        path = f"{self.path}.{key}" if key else self.path
        provider = self._provider
        return ConfigError(
            f"{message} ({self.component})",
            path=path,
            component=f"{self.category}:{self.name}",
            distribution=provider.distribution if provider is not None else None,
        )

    def _positional_names(self) -> list[str]:
        """The parameters positional arguments bind to, in order."""
        return [p.name for p in self._parameters or () if p.kind in _POSITIONAL]

    def _runtime_names(self) -> set[str]:
        """Parameters the call site fills: the contract's positional inputs and keywords."""
        if self._parameters is None or self.contract is None:
            return set()
        names = set(self._positional_names()[: len(self.contract.inputs)])
        return names | {k for k in self.contract.keywords if k not in self.config}

    def validate(self, registry: Resolver) -> None:
        """Check config keys, value types and nested specs; replace nested specs by factories."""
        params = self._parameters
        if params is None:
            return
        by_name = {p.name: p for p in params if p.kind != POSITIONAL_ONLY}
        takes_any = any(p.kind == VAR_KEYWORD for p in params)
        runtime = self._runtime_names()
        for key in list(self.config):
            if self.contract is not None and key in self.contract.inputs and key in runtime:
                raise self._error(
                    f"{key!r} is a runtime input that the {self.category} call site passes; "
                    "remove it from the config",
                    key,
                )
            if key not in by_name and not takes_any:
                inputs = set(self.contract.inputs) if self.contract else set()
                accepted = sorted(
                    n for n, p in by_name.items() if p.kind not in _VARIADIC and n not in inputs
                )
                hint = did_you_mean(key, accepted)
                raise self._error(f"unknown key {key!r}; accepted keys: {accepted}.{hint}", key)
        for p in params:
            if p.kind in _VARIADIC:
                continue
            value = self.config.get(p.name, p.default)
            if p.component is not None and isinstance(value, Component):
                raise self._error(
                    f"missing nested {p.component} {p.name!r}: give a name or a table with a "
                    "'type' key",
                    p.name,
                )
            if p.component is not None and isinstance(value, (str, Mapping)):
                self.config[p.name] = registry.builder(
                    p.component, value, at=f"{self.path}.{p.name}"
                )
                continue
            if p.component is not None and p.name in self.config and not callable(value):
                raise self._error(
                    f"expected a name or a table with a 'type' key for this {p.component}, got "
                    f"{type(value).__name__} {value!r}",
                    p.name,
                )
            if p.name in self.config:
                problem = type_problem(value, p.annotation)
                if problem:
                    raise self._error(problem, p.name)
            elif (
                p.required
                and p.name not in runtime
                and self.contract is not None
                and p.kind != POSITIONAL_ONLY
            ):
                raise self._error(f"missing required argument {p.name!r}", p.name)

    def hyperparameters(self, runtime_keys: AbstractSet[str] = frozenset()) -> dict[str, Any]:
        """Resolved hyperparameters: config values, defaults filled in, runtime inputs left out."""
        if self._parameters is None:
            return dict(self.config)
        skip = self._runtime_names() | set(runtime_keys)
        resolved: dict[str, Any] = {}
        for p in self._parameters:
            if p.kind in _VARIADIC or p.name in skip:
                continue
            if p.name in self.config:
                resolved[p.name] = self.config[p.name]
            elif p.default is not _EMPTY:
                resolved[p.name] = p.default
        for key, value in self.config.items():  # keys taken by **kwargs
            resolved.setdefault(key, value)
        return resolved

    def _provenance(self, runtime_keys: AbstractSet[str] = frozenset()) -> Provenance:
        provider = self._provider
        return Provenance(
            self.category,
            self._resolved_name,
            provider.distribution if provider is not None else None,
            provider.version if provider is not None else None,
            provider.target if provider is not None else "",
            self.hyperparameters(runtime_keys),
            self.path,
        )

    def provenance_of_call(self, positional: int, keywords: tuple[str, ...]) -> Provenance:
        """The provenance of an object built by a call with that many positional arguments and
        those keywords (the runtime inputs, left out of the hyperparameters)."""
        runtime = set(self._positional_names()[:positional]) | set(keywords)
        return self._provenance(runtime)

    @property
    def provenance(self) -> Provenance:
        """The provenance an object built from this spec will carry (fingerprint included)."""
        return self._provenance()

    def _binds_quickly(self, positional: int, keywords: Any) -> bool:
        """Whether a call with `positional` arguments and these keywords binds, decided without
        `inspect`; False also when unsure (then `inspect` decides, and words the error)."""
        params = self._parameters
        assert params is not None
        ordered = [p for p in params if p.kind in _POSITIONAL]
        if positional > len(ordered) and not any(p.kind == VAR_POSITIONAL for p in params):
            return False
        bound = {p.name for p in ordered[:positional]}
        by_keyword = {p.name: p for p in params if p.kind in (POSITIONAL_OR_KEYWORD, KEYWORD_ONLY)}
        takes_any = any(p.kind == VAR_KEYWORD for p in params)
        named = set()
        for key in keywords:
            if key not in by_keyword:
                if not takes_any:
                    return False
                continue
            if key in bound:
                return False  # given positionally and by keyword
            named.add(key)
        return all(p.name in bound or p.name in named for p in params if p.required)

    def _check_call(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        params = self._parameters
        if params is None:
            return  # no introspectable signature: the builder checks its own arguments
        if kwargs is self.config:  # no keywords from the caller: decided once per count
            fits = self._binds.get(len(args))
            if fits is None:
                fits = self._binds[len(args)] = self._binds_quickly(len(args), kwargs)
        else:
            fits = self._binds_quickly(len(args), kwargs)
        if not fits:
            problem = bind_problem(params, args, kwargs)
            if problem is not None:
                raise self._error(f"cannot call the builder with these arguments: {problem}")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        config = self.config
        if kwargs:
            clash = sorted(set(kwargs) & set(config))
            if clash:
                raise self._error(
                    f"{clash} given both in the config and by the caller; remove them from the "
                    "config",
                    clash[0],
                )
            call_kwargs = {**config, **kwargs}
        else:
            call_kwargs = config
        self._check_call(args, call_kwargs)
        try:
            obj = self.builder(*args, **call_kwargs)
        except TorchplugError:
            raise
        except Exception as exc:
            if hasattr(exc, "add_note"):  # Python >= 3.11
                exc.add_note(f"while building {self.path}: {self.component}")
            raise
        attach_pending(obj, self, len(args), tuple(kwargs) if kwargs else ())
        return obj
