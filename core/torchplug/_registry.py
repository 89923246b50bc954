"""The registry: category -> name -> provider, filled from installed entry points and `register`.

Installed metadata is scanned once, on first need; a provider's module is imported on its first
`get`. A name with two enabled providers is never resolved silently.
"""

from __future__ import annotations

import builtins
import importlib
import os
import sys
import threading
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar, overload

from ._component import ComponentInfo, Provider, Source, describe_entry, importing_now
from ._conflicts import ENV_DISABLE, conflict_fixes, disabled_error, duplicate_error, providers_text
from ._contracts import BUILTIN_CONTRACTS, Contract
from ._discovery import InstalledIndex, find_entry_points
from ._errors import (
    ComponentDisabledError,
    ComponentNotFoundError,
    ConfigError,
    DuplicateComponentError,
    TorchplugError,
)
from ._hooks import HookRelay
from ._index import SourceIndex, SourceKey, index_sources, loaded_sources
from ._names import (
    RESERVED_CATEGORIES,
    check_category,
    check_component,
    check_namespace,
    normalize_distribution,
    not_found_hint,
    split_qualified,
)

if TYPE_CHECKING:  # imported where used: `import torchplug` must stay cheap
    from ._build import ComponentFactory
    from ._check import CheckReport, Finding

T = TypeVar("T")

#: "0" turns entry-point discovery off: only local registrations exist.
ENV_AUTOLOAD = "TORCHPLUG_AUTOLOAD"


def _env_disabled() -> frozenset[str]:
    raw = os.environ.get(ENV_DISABLE, "")
    return frozenset(normalize_distribution(d.strip()) for d in raw.split(",") if d.strip())


def _env_autoload() -> bool:
    return os.environ.get(ENV_AUTOLOAD, "1").strip().lower() not in {"0", "false", "no", "off"}


def _target_of(obj: Any) -> str:
    module = getattr(obj, "__module__", None) or type(obj).__module__
    qualname = getattr(obj, "__qualname__", None) or type(obj).__qualname__
    return f"{module}:{qualname}"


def _caller_level() -> int:
    """The `stacklevel` of the first frame outside torchplug, so that a deprecation warning
    points at the user's code (and is shown by default filters) whether it came through `get`,
    `build` or a nested component."""
    frame = sys._getframe(1)
    level = 1
    while frame is not None and frame.f_globals.get("__name__", "").startswith("torchplug."):
        frame = frame.f_back  # type: ignore[assignment]
        level += 1
    return level


def _registers_itself(installed: Iterable[Source], obj: Any, target: str) -> bool:
    """Whether `obj` is what one of the `installed` providers of its name declares.

    True while that provider's module is being imported on this thread (whatever the module
    path: packages re-export), or when the target names the object's own module and attribute.
    """
    loading = importing_now()
    for source in installed:
        if source in loading or source.provider.target == target:
            return True
    return False


@dataclass(frozen=True)
class DistributionInfo:
    """An installed distribution that provides components or hook plugins.

    Attributes:
        name: The distribution's name, PEP 503 normalised.
        display_name: The name as its metadata spells it.
        version: Its installed version.
        location: Its dist-info folder.
        disabled: Whether it is on the disable list.
        components: Category -> number of names it declares there (the reserved groups
            ``hooks``, ``contracts`` and ``deprecated`` are not counted).
        hooks: How many hook plugins it declares.
    """

    name: str
    display_name: str
    version: str
    location: str
    disabled: bool
    components: dict[str, int] = field(default_factory=dict)  # category -> number of names
    hooks: int = 0


class Registry:
    """Components by category and name, discovered from the entry-point groups ``<namespace>.*``.

    ``Registry(namespace="myfw", parent=torchplug.registry)`` gives a framework its own groups
    (``myfw.model``, ...) and falls back to the parent for names it does not have itself.
    Creating one is cheap: nothing is scanned until a method needs a name. Most code uses the
    default registry, ``torchplug.registry``; a fresh one suits a test (or the
    ``torchplug_registry`` fixture).

    Args:
        namespace: The entry-point groups read are ``<namespace>.<category>``: one or more
            lowercase identifiers joined by dots (``"myfw"``, ``"myfw.vision"``).
        parent: A registry to fall back to for names this one has no provider of at all.
        autoload: False ignores installed packs (only local registrations exist), True reads
            them whatever the environment says, None follows ``TORCHPLUG_AUTOLOAD``.
        disabled: Distributions to block from the start, as `disable` does.

    Raises:
        InvalidNameError: `namespace` is not lowercase identifiers joined by dots.
    """

    def __init__(
        self,
        namespace: str = "torchplug",
        *,
        parent: Registry | None = None,
        autoload: bool | None = None,
        disabled: Iterable[str] = (),
    ) -> None:
        self.namespace = check_namespace(namespace)
        self.parent = parent
        self._autoload = autoload  # None: follow TORCHPLUG_AUTOLOAD
        self._disabled_by_api = {normalize_distribution(d) for d in disabled}
        self._disabled_by_env: frozenset[str] = frozenset()
        self._disabled: frozenset[str] = frozenset(self._disabled_by_api)
        self._lock = threading.RLock()
        self._tables: SourceIndex | None = None
        self._retained: dict[SourceKey, Source] = {}  # loaded providers, by identity
        self._local: dict[str, dict[str, Source]] = {}
        self._preferred: dict[tuple[str, str], str] = {}
        self._deprecated: dict[tuple[str, str], str] = {}  # (category, old) -> new, local
        self._contracts: dict[str, Contract] = {}  # declared in this process
        # The hot path of `get`: resolved objects by category and requested name. Cleared by
        # anything that could change an answer; `_generation` stops a racing resolve from
        # writing an answer computed before the change.
        self._hot: dict[str, dict[str, Any]] = {}
        self._generation = 0
        self._relay = HookRelay(self.namespace, self._enabled_hook_sources)

    def __repr__(self) -> str:
        return f"Registry(namespace={self.namespace!r})"

    # ----------------------------------------------------------------- scanning and state

    def _ensure_tables(self) -> SourceIndex:
        tables = self._tables
        if tables is None:
            with self._lock:
                if self._tables is None:
                    self._scan(previous=None)
                tables = self._tables
                assert tables is not None
        return tables

    def _scan(self, previous: SourceIndex | None) -> None:
        autoload = _env_autoload() if self._autoload is None else self._autoload
        self._disabled_by_env = _env_disabled()
        self._disabled = frozenset(self._disabled_by_api | self._disabled_by_env)
        if autoload:
            from ._cache import cached_scan

            index = cached_scan(
                self.namespace,
                lambda: find_entry_points(self.namespace),
                refresh=previous is not None,
            )
        else:
            index = InstalledIndex(self.namespace)
        if previous is not None:  # keep loaded providers, even across a scan that lacks them
            self._retained.update(loaded_sources(previous))
        self._tables = index_sources(index, self._retained)
        self._invalidate()

    def _invalidate(self) -> None:
        with self._lock:
            self._generation += 1
            self._hot = {}

    def _is_disabled(self, source: Source) -> bool:
        return source.provider.distribution in self._disabled

    def _enabled_hook_sources(self) -> builtins.list[Source]:
        return [s for s in self._ensure_tables().hooks if not self._is_disabled(s)]

    def refresh(self) -> None:
        """Rescan installed metadata, e.g. after ``pip install`` in this process.

        Local registrations and preferences stay; providers that are still installed unchanged
        keep their loaded objects. TORCHPLUG_DISABLE and TORCHPLUG_AUTOLOAD are read again. The
        scan cache is bypassed (and rewritten); failed loads and failed hook plugins are tried
        again on next use.
        """
        importlib.invalidate_caches()
        with self._lock:
            self._scan(previous=self._tables)
        # Outside the registry lock: the relay holds its own lock while importing hook plugins,
        # which may register components (relay lock, then registry lock). Never the reverse.
        self._relay.reset_failures()

    def disable(self, *distributions: str) -> None:
        """Block distributions, as TORCHPLUG_DISABLE does: none of their entry points is imported.

        Their names leave `list` (`get` of a name only they provide raises
        `ComponentDisabledError`; another enabled provider of it simply wins), and `entries`,
        `info` and ``torchplug plugins`` show them as disabled. Names are normalised (PEP 503).
        """
        with self._lock:
            self._disabled_by_api.update(normalize_distribution(d) for d in distributions)
            self._disabled = frozenset(self._disabled_by_api | self._disabled_by_env)
            self._invalidate()

    def enable(self, *distributions: str) -> None:
        """Undo `disable` for these distributions (TORCHPLUG_DISABLE still applies)."""
        with self._lock:
            self._disabled_by_api.difference_update(
                normalize_distribution(d) for d in distributions
            )
            self._disabled = frozenset(self._disabled_by_api | self._disabled_by_env)
            self._invalidate()

    def set_autoload(self, enabled: bool | None) -> None:
        """Turn entry-point discovery on or off (None: follow TORCHPLUG_AUTOLOAD again)."""
        with self._lock:
            self._autoload = enabled
            if self._tables is not None:
                self._scan(previous=self._tables)  # loaded providers stay loaded

    @property
    def disabled(self) -> frozenset[str]:
        """The blocked distributions: `disable` plus TORCHPLUG_DISABLE as read at the last scan."""
        self._ensure_tables()
        return self._disabled

    @property
    def plugin_manager(self) -> Any:
        """The pluggy ``PluginManager``; using it imports the installed hook plugins."""
        return self._relay.manager

    # ----------------------------------------------------------------- registering

    @overload
    def register(
        self,
        category: str,
        name: str,
        obj: None = None,
        *,
        override: bool = False,
        aliases: Iterable[str] = (),
    ) -> Callable[[T], T]: ...

    @overload
    def register(
        self,
        category: str,
        name: str,
        obj: T,
        *,
        override: bool = False,
        aliases: Iterable[str] = (),
    ) -> T: ...

    def register(
        self,
        category: str,
        name: str,
        obj: Any = None,
        *,
        override: bool = False,
        aliases: Iterable[str] = (),
    ) -> Any:
        """Register `obj` as `name` (and `aliases`) in `category` and return it; without `obj`,
        a decorator.

        A name that an installed pack provides, or that was registered before, raises
        `DuplicateComponentError` unless ``override=True``. Registering the same object again
        under the same name does nothing. Registrations live in this registry object, in this
        process: `refresh` keeps them, a new `Registry` does not have them.

        Args:
            category: The category, a lowercase identifier (``"optimizer"``).
            name: The name a config writes; no whitespace and no ``:``.
            obj: What `get` returns: a class, a builder function, any object. Its target is
                recorded as ``module:qualname``.
            override: Register even over installed providers or an earlier registration. The
                registration then wins for the bare name; a qualified name
                (``"dist:name"``) still reaches an installed provider.
            aliases: Other names for the same object.

        Raises:
            InvalidNameError: A category or name that breaks the naming rules.
            DuplicateComponentError: The name is taken and `override` is false.
        """
        check_category(category)
        names = [check_component(n) for n in (name, *aliases)]
        if obj is None:

            def decorator(target: T) -> T:
                self.register(category, name, target, override=override, aliases=aliases)
                return target

            return decorator

        target = _target_of(obj)
        with self._lock:
            tables = self._ensure_tables()
            local_names = self._local.setdefault(category, {})
            installed = [
                s
                for s in tables.components.get(category, {}).get(name, [])
                if not self._is_disabled(s)
            ]
            if _registers_itself(installed, obj, target):
                # The module of an installed entry point registers its own component (decorator
                # style): that is the installed provider, not a rival; the entry point says
                # what `get` returns.
                return obj
            for each in names:
                self._check_free(category, each, obj, target, override)
            source = Source(Provider(None, None, target), obj=obj)
            source.names.extend(names)
            for each in names:
                local_names[each] = source
            self._invalidate()
        return obj

    def _check_free(self, category: str, name: str, obj: Any, target: str, override: bool) -> None:
        existing = self._local.get(category, {}).get(name)
        installed = [
            s
            for s in self._ensure_tables().components.get(category, {}).get(name, [])
            if not self._is_disabled(s)
        ]
        if override or (existing is not None and existing.obj is obj and not installed):
            return  # replacing on purpose, or the same object again: nothing to choose between
        if installed or existing is not None:
            rivals = [s.provider for s in installed]
            if existing is not None:
                rivals.insert(0, existing.provider)
            raise DuplicateComponentError(
                f"Cannot register {category} {name!r} ({target}): it is already provided by "
                + "; ".join(p.describe() for p in rivals)
                + ". Choose another name, or pass override=True to replace it in this process.",
                category=category,
                name=name,
            )

    def deprecate(self, category: str, old: str, new: str) -> None:
        """Make `old` resolve to `new` with a DeprecationWarning; `list` hides `old`.

        `get` returns `new`'s object with the warning on every call, `info` describes `new`, and
        ``list(..., include_deprecated=True)`` shows `old` again. A name that something still
        provides is never redirected. Packs declare the same in metadata: group
        ``torchplug.deprecated``, ``"mlp.silu" = "swiglu"``.
        """
        check_category(category)
        check_component(old)
        check_component(new)
        with self._lock:
            self._deprecated[(category, old)] = new
            self._invalidate()

    def _replacement(self, category: str, name: str) -> str | None:
        """The new name of a deprecated `name`, when nothing provides `name` itself."""
        if ":" in name or name in self._local.get(category, {}):
            return None
        tables = self._ensure_tables()
        if tables.components.get(category, {}).get(name):
            return None
        new = self._deprecated.get((category, name))
        if new is None and (category, name) in tables.deprecated:
            new = tables.deprecated[(category, name)][0]
        return new

    def register_model(self, name: str, obj: Any = None, *, override: bool = False) -> Any:
        """`register` in category ``model``."""
        return self.register("model", name, obj, override=override)

    def register_optimizer(self, name: str, obj: Any = None, *, override: bool = False) -> Any:
        """`register` in category ``optimizer``."""
        return self.register("optimizer", name, obj, override=override)

    def register_scheduler(self, name: str, obj: Any = None, *, override: bool = False) -> Any:
        """`register` in category ``scheduler``."""
        return self.register("scheduler", name, obj, override=override)

    def register_loss(self, name: str, obj: Any = None, *, override: bool = False) -> Any:
        """`register` in category ``loss``."""
        return self.register("loss", name, obj, override=override)

    def unregister(self, category: str, name: str) -> None:
        """Remove a local registration (installed entry points are removed by uninstalling).

        Raises:
            ComponentNotFoundError: There is no local registration of `name` in `category`.
        """
        with self._lock:
            names = self._local.get(category, {})
            if name not in names:
                raise ComponentNotFoundError(
                    f"No local registration {category} {name!r} to remove. "
                    + not_found_hint(name, names),
                    category=category,
                    name=name,
                )
            del names[name]
            self._invalidate()

    def prefer(self, category: str, name: str, distribution: str | None) -> None:
        """Resolve a conflict: `get` of `name` uses `distribution`'s provider (None: forget it).

        `info` then reports status ``ok`` with ``preferred`` set, and `check` no longer reports
        the conflict. The choice applies while that distribution is enabled and among the
        providers; it is not stored anywhere, so make it where the training code starts.

        Raises:
            ComponentNotFoundError: No installed entry point provides `name`, or `distribution`
                is not one of its providers.
        """
        with self._lock:
            if distribution is None:
                self._preferred.pop((category, name), None)
                self._invalidate()
                return
            wanted = normalize_distribution(distribution)
            sources = self._ensure_tables().components.get(category, {}).get(name, [])
            if not sources:
                raise self._not_found(category, name)
            if wanted not in {s.provider.distribution for s in sources}:
                raise ComponentNotFoundError(
                    f"Cannot prefer {wanted!r} for {category} {name!r}: that distribution does "
                    "not provide it. Providers: "
                    + "; ".join(s.provider.describe() for s in sources),
                    category=category,
                    name=name,
                )
            self._preferred[(category, name)] = wanted
            self._invalidate()

    # ----------------------------------------------------------------- resolving

    def get(self, category: str, name: str) -> Any:
        """The object registered as `name`; an entry point's module is imported on first `get`.

        `name` may be qualified as ``"distribution:name"`` to pick one provider of a conflict.
        The object is returned as declared, never called. The first `get` of an installed name
        imports its module once, even when many threads ask at the same time; later calls are a
        dictionary lookup.

        Raises:
            ComponentNotFoundError: Unknown category, or no such name here or in the parent; the
                message lists what exists and suggests close names.
            ComponentDisabledError: Every provider of the name is disabled.
            DuplicateComponentError: Several providers, and no qualified name, `prefer` or
                ``torchplug_resolve_conflict`` hook chooses one.
            PluginLoadError: Importing the provider failed. The failure is remembered: later
                calls raise it again without importing, until `refresh`.
            TorchplugError: A ``torchplug_resolve_conflict`` hook answered with something that is
                not one of the candidates.
        """
        try:
            return self._hot[category][name]
        except KeyError:
            pass  # resolved outside the handler, so its errors do not chain this KeyError
        return self._get_cold(category, name)

    def _get_cold(self, category: str, name: str) -> Any:
        generation = self._generation
        new = self._replacement(category, name)
        if new is not None:
            warnings.warn(
                f"{category} {name!r} is deprecated; use {new!r} instead",
                DeprecationWarning,
                stacklevel=_caller_level(),
            )
            return self.get(category, new)  # not cached under the old name: warn every time
        found = self._lookup(category, name)
        if found is None:
            return self._from_parent(category, name)
        source, bare = found
        obj, newly = source.load(category, bare, self.namespace)
        if newly:
            self._announce_loaded(category, bare, obj, source)
        with self._lock:
            if generation == self._generation:
                self._hot.setdefault(category, {})[name] = obj
        return obj

    def _announce_loaded(self, category: str, name: str, obj: Any, source: Source) -> None:
        # Describe the provider that was loaded, whichever way it was chosen (qualified name,
        # preference, hook): the info of the bare name may still say "conflict".
        qualified = f"{source.provider.distribution}:{name}" if source.record else name
        self._relay.manager.hook.torchplug_component_loaded(
            category=category, name=name, obj=obj, info=self.info(category, qualified)
        )

    def _from_parent(self, category: str, name: str) -> Any:
        if self.parent is not None:
            try:
                return self.parent.get(category, name)
            except ComponentDisabledError:
                raise
            except ComponentNotFoundError:
                pass
        raise self._not_found(category, name)

    def _lookup(self, category: str, name: str) -> tuple[Source, str] | None:
        """The source `get` uses for `name`, None when this registry has no such name, or raise."""
        distribution, bare = split_qualified(name)
        tables = self._ensure_tables()
        installed = tables.components.get(category, {}).get(bare, [])
        local = self._local.get(category, {}).get(bare)
        if distribution is not None:
            matches = [s for s in installed if s.provider.distribution == distribution]
            if not matches:
                if installed or local is not None:
                    raise ComponentNotFoundError(
                        f"{category} {bare!r} is not provided by distribution {distribution!r}. "
                        "Its providers: " + providers_text(installed, local),
                        category=category,
                        name=name,
                    )
                return None
            if distribution in self._disabled:
                raise disabled_error(category, name, matches)
            if len(matches) > 1:
                raise duplicate_error(self.namespace, category, bare, matches)
            return matches[0], bare
        if local is not None:
            return local, bare
        enabled = [s for s in installed if not self._is_disabled(s)]
        if not enabled:
            if installed:
                raise disabled_error(category, name, installed)
            return None
        if len(enabled) == 1:
            return enabled[0], bare
        return self._choose(category, bare, enabled), bare

    def _choose(self, category: str, name: str, candidates: builtins.list[Source]) -> Source:
        preferred = self._preferred.get((category, name))
        if preferred is not None:
            chosen = [s for s in candidates if s.provider.distribution == preferred]
            if len(chosen) == 1:
                return chosen[0]
        providers = [s.provider for s in candidates]
        if len({p.distribution for p in providers}) == len(providers):
            answer = self._relay.manager.hook.torchplug_resolve_conflict(
                category=category, name=name, candidates=list(providers)
            )
            if answer is not None:
                for source in candidates:
                    if answer is source.provider or (
                        isinstance(answer, str)
                        and normalize_distribution(answer) == source.provider.distribution
                    ):
                        return source
                raise TorchplugError(
                    f"A torchplug_resolve_conflict hook chose {answer!r} for {category} {name!r}, "
                    "which is not one of its candidates: "
                    + "; ".join(p.describe() for p in providers)
                )
        raise duplicate_error(self.namespace, category, name, candidates)

    # ----------------------------------------------------------------- building

    def declare_contract(self, contract: Contract) -> None:
        """Declare the call of a category's builders (and its default type) in this process.

        It replaces any earlier declaration of the category in this registry.

        Raises:
            InvalidNameError: The category breaks the naming rules, or is reserved (``hooks``,
                ``contracts``, ``deprecated``).
        """
        check_category(contract.category)
        with self._lock:
            self._contracts[contract.category] = contract

    def contract(self, category: str) -> Contract | None:
        """The contract of `category`: declared here, by an installed pack, the parent's, or built in.

        The first of these wins, in that order; None when there is none. A pack's contract
        (group ``<namespace>.contracts``) is imported on first need.

        Raises:
            DuplicateComponentError: Two enabled packs declare a contract for `category`.
            PluginLoadError: The declaring pack's module fails to import.
            ConfigError: What the pack declares is not a `Contract`.
        """
        if category in self._contracts:
            return self._contracts[category]
        sources = [
            s for s in self._ensure_tables().contracts.get(category, []) if not self._is_disabled(s)
        ]
        if len(sources) > 1:
            raise duplicate_error(self.namespace, "contracts", category, sources)
        if sources:
            contract, _ = sources[0].load("contracts", category, self.namespace)
            if not isinstance(contract, Contract):
                raise ConfigError(
                    f"the contract entry point of {sources[0].provider.describe()} is a "
                    f"{type(contract).__name__}, not a torchplug.Contract",
                    path=category,
                )
            return contract
        if self.parent is not None:
            return self.parent.contract(category)
        return BUILTIN_CONTRACTS.get(category)

    def builder(self, category: str, spec: Any, *, at: str | None = None) -> ComponentFactory:
        """Resolve and check `spec` without building it; call the result with runtime inputs.

        `at` is the config path used in error messages (default: the category). This is how a
        training loop validates a whole config before it builds anything.

        Raises:
            ConfigError: The name cannot be resolved, a key is unknown, a value does not fit its
                annotation, a required hyperparameter or ``type`` is missing, or the config sets
                a runtime input. The message starts with the dotted config path.
        """
        from ._build import ComponentFactory, split_spec

        path = at or category
        contract = self.contract(category)
        name, config = split_spec(spec, category, contract.default_type if contract else None, path)
        where = path if isinstance(spec, str) else f"{path}.type"
        try:
            builder = self.get(category, name)
            info = self.info(category, name)
        except TorchplugError as exc:
            raise ConfigError(str(exc), path=where, component=f"{category}:{name}") from exc
        factory = ComponentFactory(category, name, builder, info, config, path, contract)
        factory.validate(self)
        return factory

    def build(self, category: str, spec: Any, *args: Any, **kwargs: Any) -> Any:
        """Build a component from a name or a ``{"type": name, **hyperparameters}`` table.

        `args` and `kwargs` are the runtime inputs (``model.parameters()`` for an optimizer).
        Config keys are checked against the builder's signature first; the result carries its
        provenance (`torchplug.provenance`).

        Raises:
            ConfigError: As `builder` raises it, before anything is built; also a key given both
                in the config and by the caller. An exception raised by the builder itself
                propagates unchanged, with a note naming the config path and the component.
        """
        return self.builder(category, spec)(*args, **kwargs)

    # ----------------------------------------------------------------- errors

    def _not_found(self, category: str, name: str | None) -> ComponentNotFoundError:
        if not self._is_known(category):
            return ComponentNotFoundError(
                f"Unknown category {category!r} in registry {self.namespace!r}. "
                + not_found_hint(
                    category, self.categories(), {*BUILTIN_CONTRACTS, *self._contracts}
                )
                + f" Install a pack that declares entry points in group '{self.namespace}."
                f"{category}', or register one.",
                category=category,
                name=name,
            )
        _, bare = split_qualified(name or "")
        return ComponentNotFoundError(
            f"No {category} named {name!r}. "
            + not_found_hint(bare, self.list(category))
            + f" Installed packs declare {category}s in the entry-point group "
            f"'{self.namespace}.{category}'; see `torchplug list {category}`.",
            category=category,
            name=name,
        )

    # ----------------------------------------------------------------- reading, no imports

    def categories(self) -> builtins.list[str]:
        """Sorted category names known here or in the parent; imports nothing."""
        names = set(self._ensure_tables().components) | {c for c, n in self._local.items() if n}
        if self.parent is not None:
            names.update(self.parent.categories())
        return sorted(names)

    def _is_known(self, category: str) -> bool:
        """Known: something provides it, or it has a contract (built in, declared or installed)."""
        if category in self.categories() or category in self._contracts:
            return True
        if category in BUILTIN_CONTRACTS or category in self._ensure_tables().contracts:
            return True
        return self.parent is not None and self.parent._is_known(category)

    def list(self, category: str, *, include_deprecated: bool = False) -> builtins.list[str]:
        """Sorted names that `get` can be asked for in `category`; imports nothing.

        Installed names with at least one enabled provider (conflicted and broken ones too: `get`
        may still raise for them), local registrations and the parent's names. Deprecated names
        are left out unless `include_deprecated`. A category with a contract but no provider yet
        gives ``[]``.

        Raises:
            ComponentNotFoundError: An unknown category.
        """
        installed = self._ensure_tables().components.get(category)
        local = self._local.get(category, {})
        if installed is None and not local and not self._is_known(category):
            raise self._not_found(category, None)
        names = set(local)
        for name, sources in (installed or {}).items():
            if any(not self._is_disabled(s) for s in sources):
                names.add(name)
        if include_deprecated:
            deprecated = {o for c, o in self._ensure_tables().deprecated if c == category}
            names.update(o for c, o in self._deprecated if c == category)
            names.update(deprecated)
        if self.parent is not None and category in self.parent.categories():
            names.update(self.parent.list(category, include_deprecated=include_deprecated))
        return sorted(names)

    def info(self, category: str, name: str) -> ComponentInfo:
        """Provider, version, target, status and aliases of `name`; imports nothing.

        A deprecated name gives the info of its replacement; a qualified name the info of that
        distribution's provider; a name this registry does not have is looked up in the parent.

        Raises:
            ComponentNotFoundError: Neither this registry nor its parent has the name.
        """
        name = self._replacement(category, name) or name
        distribution, bare = split_qualified(name)
        installed = self._ensure_tables().components.get(category, {}).get(bare, [])
        local = self._local.get(category, {}).get(bare)
        if distribution is not None:
            installed = [s for s in installed if s.provider.distribution == distribution]
            local = None
        if not installed and local is None:
            if self.parent is not None:
                try:
                    return self.parent.info(category, name)
                except ComponentNotFoundError:
                    pass
            raise self._not_found(category, name)
        return self._describe(category, bare, installed, local)

    def _describe(
        self, category: str, name: str, installed: builtins.list[Source], local: Source | None
    ) -> ComponentInfo:
        enabled = [s for s in installed if not self._is_disabled(s)]
        others = tuple(s.provider for s in installed)
        preferred = self._preferred.get((category, name))
        if local is not None:
            aliases = tuple(n for n in local.names if n != name)
            return ComponentInfo(
                category, name, "ok", (local.provider, *others), aliases=aliases, loaded=True
            )
        if not enabled:
            blocked = ", ".join(sorted({p.distribution or "" for p in others}))
            return ComponentInfo(
                category, name, "disabled", others, problem=f"disabled distribution(s): {blocked}"
            )
        chosen = enabled[0]
        if len(enabled) > 1:
            matching = [s for s in enabled if s.provider.distribution == preferred]
            if len(matching) != 1:
                return ComponentInfo(
                    category,
                    name,
                    "conflict",
                    others,
                    problem=f"provided by {len(enabled)} entry points; choose one",
                )
            chosen = matching[0]
        ordered = (chosen.provider, *(p for p in others if p is not chosen.provider))
        problem = chosen.static_problem
        return ComponentInfo(
            category,
            name,
            "broken" if problem else "ok",
            ordered,
            aliases=tuple(n for n in chosen.names if n != name),
            loaded=chosen.loaded,
            problem=problem,
            preferred=preferred if len(enabled) > 1 else None,
        )

    def entries(self, category: str | None = None) -> builtins.list[ComponentInfo]:
        """`info` of every name (disabled, conflicted and broken ones too), sorted; imports nothing.

        Sorted by category and name, with the parent's names that this registry does not shadow:
        what ``torchplug list`` prints.
        """
        tables = self._ensure_tables()
        keys = {(c, n) for c, names in tables.components.items() for n in names}
        keys |= {(c, n) for c, names in self._local.items() for n in names}
        if category is not None:
            if not self._is_known(category):
                raise self._not_found(category, None)
            keys = {k for k in keys if k[0] == category}
        infos = {
            key: self._describe(
                key[0],
                key[1],
                tables.components.get(key[0], {}).get(key[1], []),
                self._local.get(key[0], {}).get(key[1]),
            )
            for key in keys
        }
        if self.parent is not None:
            for parent_info in self.parent.entries():
                key = (parent_info.category, parent_info.name)
                if key not in infos and category in (None, parent_info.category):
                    infos[key] = parent_info
        return [infos[k] for k in sorted(infos)]

    def distributions(self) -> builtins.list[DistributionInfo]:
        """Installed distributions that provide components or hooks here, by name.

        What ``torchplug plugins`` prints. The parent's distributions are not included.
        """
        tables = self._ensure_tables()
        counts: dict[str, dict[str, int]] = {}  # location -> category -> entry points
        for record in tables.index.entries:
            if record.category == "hooks" or record.category not in RESERVED_CATEGORIES:
                per_dist = counts.setdefault(record.location, {})
                per_dist[record.category] = per_dist.get(record.category, 0) + 1
        result = []
        for dist in tables.index.distributions:
            found = counts.get(dist.location, {})
            hooks = found.pop("hooks", 0)
            result.append(
                DistributionInfo(
                    dist.name,
                    dist.display_name,
                    dist.version,
                    dist.location,
                    dist.name in self._disabled,
                    dict(sorted(found.items())),
                    hooks,
                )
            )
        return sorted(result, key=lambda d: d.name)

    # ----------------------------------------------------------------- checking

    def check(self, *, deep: bool = False) -> CheckReport:
        """Every conflict, broken entry point and metadata problem at once.

        Imports nothing unless ``deep=True``, which loads every enabled entry point (and the
        hook plugins) and reports each failure, and each builder whose signature cannot take its
        category's call (a ``contract`` finding). Conflicts settled by `prefer` are not
        reported; those that only a hook or qualified names settle are: they describe the
        installation, not one lookup. The parent registry is not checked.
        """
        from ._check import CheckReport, Finding

        tables = self._ensure_tables()
        findings: builtins.list[Finding] = []
        for problem in tables.index.problems:
            findings.append(
                Finding(
                    "broken" if problem.severity == "error" else "metadata",
                    problem.severity,
                    (f"{problem.distribution}: " if problem.distribution else "")
                    + problem.message
                    + (f" [{problem.entry_point}]" if problem.entry_point else ""),
                    "Fix the distribution's entry points (its pyproject) and reinstall it, "
                    f"or block it with {ENV_DISABLE}.",
                    location=problem.location,
                )
            )
        for category, names in sorted(tables.components.items()):
            for name, sources in sorted(names.items()):
                info = self._describe(
                    category, name, sources, self._local.get(category, {}).get(name)
                )
                if info.status == "conflict":
                    enabled = [s for s in sources if not self._is_disabled(s)]
                    findings.append(
                        Finding(
                            "conflict",
                            "error",
                            f"{category} {name!r} is provided by {len(enabled)} entry points",
                            "\n".join(
                                conflict_fixes(category, name, [s.provider for s in enabled])
                            ),
                            category,
                            name,
                            info.providers,
                        )
                    )
        findings.extend(self._broken_findings(tables, deep))
        return CheckReport(tuple(findings), deep)

    def _contract_findings(self, tables: SourceIndex) -> builtins.list[Finding]:
        """Loaded builders whose signature cannot take their category's call, and contracts
        that cannot be loaded (each reported once, builders or not)."""
        from ._check import Finding

        findings = []
        local_categories = {c for c, names in self._local.items() if names}
        for category in sorted({*tables.components, *tables.contracts, *local_categories}):
            try:
                contract = self.contract(category)
            except TorchplugError as exc:
                findings.append(
                    Finding(
                        "contract",
                        "error",
                        f"the contract of category {category!r} cannot be loaded: {exc}",
                        "Fix or reinstall the pack that declares it in the group "
                        f"'{self.namespace}.contracts'.",
                        category,
                    )
                )
                continue
            if contract is None:
                continue
            builders: dict[int, tuple[str, Source]] = {}
            for name, sources in sorted(tables.components.get(category, {}).items()):
                for source in sources:
                    if source.loaded and not self._is_disabled(source):
                        builders.setdefault(id(source), (name, source))
            for name, source in sorted(self._local.get(category, {}).items()):
                builders.setdefault(id(source), (name, source))
            for name, source in builders.values():
                findings.extend(
                    Finding(
                        "contract",
                        "error",
                        f"{category} {name!r} from {source.provider.describe()} {violation}; "
                        f"{category} builders are called as {contract.describe()}",
                        "Change the builder's signature in "
                        f"{source.provider.distribution or 'its module'} to accept that call.",
                        category,
                        name,
                        (source.provider,),
                    )
                    for violation in contract.violations(source.obj)
                )
        return findings

    def _broken_findings(self, tables: SourceIndex, deep: bool) -> builtins.list[Finding]:
        from ._check import Finding

        findings = []
        seen: set[int] = set()
        for category, names in sorted(tables.components.items()):
            for name, sources in sorted(names.items()):
                for source in sources:
                    if id(source) in seen or self._is_disabled(source):
                        continue
                    seen.add(id(source))
                    if deep and source.static_problem is None:
                        try:
                            obj, newly = source.load(category, name, self.namespace)
                        except TorchplugError:
                            pass
                        else:
                            if newly:
                                self._announce_loaded(category, name, obj, source)
                    problem = source.static_problem
                    if problem and source.record is not None:
                        findings.append(
                            Finding(
                                "broken",
                                "error",
                                f"{category} {name!r} from {source.provider.describe()} cannot "
                                f"be loaded: {problem}",
                                f"Fix {describe_entry(source.record, self.namespace)} in "
                                f"{source.provider.distribution} and reinstall it, or block it "
                                f"with {ENV_DISABLE}={source.provider.distribution}.",
                                category,
                                name,
                                (source.provider,),
                                source.provider.location,
                            )
                        )
        if deep:
            findings.extend(self._contract_findings(tables))
            self._relay.manager  # noqa: B018 - loading the hook plugins is the point
            for plugin, why in sorted(self._relay.failures.items()):
                findings.append(
                    Finding(
                        "broken",
                        "error",
                        f"hook plugin {plugin} cannot be loaded: {why}",
                        f"Fix or reinstall {plugin.split(':')[0]}, or block it with {ENV_DISABLE}.",
                        "hooks",
                        plugin.split(":", 1)[1],
                    )
                )
        return findings
