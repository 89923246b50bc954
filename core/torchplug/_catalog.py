"""The state behind one registry namespace: installed sources, local registrations and choices.

Installed metadata is scanned once, on first need (through the on-disk cache); local registrations,
preferences, deprecations and the disable list sit beside it under one lock. Every change bumps
`generation` and empties `hot`, the registry's map of resolved objects, so no stale answer survives.
This layer answers "which source, in what state" and loads sources; the public API is `Registry`.
"""

from __future__ import annotations

import _thread  # `threading` costs milliseconds to import; its locks are these

from . import _settings
from ._errors import ComponentNotFoundError, DuplicateComponentError
from ._index import Installed
from ._loading import Provider, Source, forget_failures, importing_now
from ._names import RESERVED_CATEGORIES, normalize_distribution, not_found_hint, split_qualified
from ._resolution import describe, providers_text, resolve

TYPE_CHECKING = False  # typing costs milliseconds to import; mypy reads this as True
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

    from ._cache import Index
    from ._hooks import HookRelay
    from ._index import SourceKey
    from ._info import ComponentInfo, DistributionInfo
    from ._keyed import Keyed
    from ._preferences import PreferenceRule, Preferences


def _target_of(obj: Any) -> str:
    module = getattr(obj, "__module__", None) or type(obj).__module__
    qualname = getattr(obj, "__qualname__", None) or type(obj).__qualname__
    return f"{module}:{qualname}"


class Catalog:
    """Sources by category and name for one namespace, and the user's choices among them."""

    def __init__(
        self,
        namespace: str,
        autoload: bool | None,
        disabled: Iterable[str],
        settings: bool,
        hot: dict[str, dict[str, Any]],
    ) -> None:
        self.namespace = namespace
        self._reads_settings = settings  # TORCHPLUG_PREFER and the settings files, at the scan
        self.lock = _thread.RLock()
        self._autoload = autoload  # None: follow TORCHPLUG_AUTOLOAD
        self.reads_installed = True  # whether the last scan read the installed metadata
        self._disabled_by_api = {normalize_distribution(d) for d in disabled}
        self._disabled_by_env: frozenset[str] = frozenset()
        self.disabled: frozenset[str] = frozenset(self._disabled_by_api)
        self._installed: Installed | None = None
        self._sources: dict[SourceKey, Source] = {}  # by provider identity; loaded ones stay
        self.local: dict[str, dict[str, Source]] = {}
        self._preferences: Preferences | None = None  # made when a rule is first added
        self.deprecated: dict[tuple[str, str], str] = {}  # (category, old) -> new, local
        # Resolved objects by category and requested name: the registry's hot path reads it
        # without a lock. Emptied in place by `changed`; `generation` stops a racing resolve from
        # writing an answer computed before the change.
        self.hot = hot
        self.generation = 0
        self._relay: HookRelay | None = None  # made when a hook is first needed

    @property
    def relay(self) -> HookRelay:
        """The hook relay (and pluggy, when it makes the plugin manager), made on first need."""
        relay = self._relay
        if relay is None:
            with self.lock:
                if self._relay is None:
                    from ._hooks import HookRelay

                    self._relay = HookRelay(
                        self.namespace, self.enabled_hook_sources, self._hooks_may_implement
                    )
                relay = self._relay
        return relay

    @property
    def preferences(self) -> Preferences:
        """Every preference rule in force."""
        preferences = self._preferences
        if preferences is None:
            with self.lock:
                if self._preferences is None:
                    from ._preferences import Preferences

                    self._preferences = Preferences()
                preferences = self._preferences
        return preferences

    def _wants(self, hook: str) -> bool:
        """Whether calling `hook` could reach an implementation (see `HookRelay.wants`)."""
        relay = self._relay
        return relay.wants(hook) if relay is not None else self._hooks_may_implement(hook)

    # ----------------------------------------------------------------- scanning and state

    @property
    def tables(self) -> Installed:
        """The installed sources, scanned on first need."""
        installed = self._installed
        if installed is None:
            with self.lock:
                if self._installed is None:
                    self._scan(refresh=False)
                installed = self._installed
                assert installed is not None
        return installed

    def _scan_now(self) -> Keyed:
        from ._hookscan import hooks_named
        from ._keyed import keyed
        from ._scan import find_entry_points

        return keyed(find_entry_points(self.namespace), hooks_named)

    def _scan(self, refresh: bool) -> None:
        autoload = (
            _settings.flag(_settings.AUTOLOAD, default=True)
            if self._autoload is None
            else self._autoload
        )
        self._disabled_by_env = frozenset(
            normalize_distribution(d) for d in _settings.names(_settings.DISABLE)
        )
        self.disabled = frozenset(self._disabled_by_api | self._disabled_by_env)
        if self._reads_settings:
            rules = _settings.preference_rules()
            if rules or self._preferences is not None:
                for level in ("env", "project", "user"):
                    self.preferences.remove(level=level)
                self.preferences.add(rules)
        index: Index
        self.reads_installed = autoload
        if autoload:
            from ._cache import cached_scan

            index = cached_scan(self.namespace, self._scan_now, refresh=refresh)
        else:
            from ._keyed import Keyed

            index = Keyed(self.namespace, {}, {}, (), (), ())
        # Loaded providers are kept, even across a scan that lacks them; the others are made
        # again, their failures forgotten.
        self._sources = {key: s for key, s in self._sources.items() if s.loaded}
        self._installed = Installed(index, self._sources)
        self.changed()

    def changed(self) -> None:
        """Forget every resolved answer: something that could change one has changed."""
        with self.lock:
            self.generation += 1
            self.hot.clear()

    def refresh(self) -> None:
        import importlib

        importlib.invalidate_caches()
        forget_failures()  # dependencies that failed to import may be imported again
        with self.lock:
            self._scan(refresh=True)
        if self._relay is not None:
            self._relay.reset_failures()

    def set_autoload(self, enabled: bool | None) -> None:
        with self.lock:
            self._autoload = enabled
            if self._installed is not None:
                self._scan(refresh=True)  # loaded providers stay loaded

    @property
    def sources(self) -> dict[SourceKey, Source]:
        """The sources made so far, by provider identity (most names have none)."""
        return self._sources

    def set_disabled(self, distributions: Iterable[str], blocked: bool) -> None:
        with self.lock:
            names = {normalize_distribution(d) for d in distributions}
            if blocked:
                self._disabled_by_api.update(names)
            else:
                self._disabled_by_api.difference_update(names)
            self.disabled = frozenset(self._disabled_by_api | self._disabled_by_env)
            self.changed()

    def is_disabled(self, source: Source) -> bool:
        return source.provider.distribution in self.disabled

    def enabled_hook_sources(self) -> list[Source]:
        return [s for s in self.tables.hooks if not self.is_disabled(s)]

    def _hooks_may_implement(self, hook: str) -> bool:
        """Whether an enabled installed hook plugin may implement `hook` (its source names it,
        or its source could not be read). No source is made, no plugin imported, to answer."""
        disabled = self.disabled
        return any(
            (named := record[6]) is None or hook in named
            for record in self.tables.reserved("hooks")
            if record[3] not in disabled
        )

    def installed(self, category: str, name: str) -> list[Source]:
        """Every installed provider of a bare name, disabled ones included."""
        return self.tables.providers(category, name)

    def enabled(self, category: str, name: str) -> list[Source]:
        return [s for s in self.installed(category, name) if not self.is_disabled(s)]

    # ----------------------------------------------------------------- local changes

    def register(self, category: str, names: list[str], obj: Any, *, override: bool) -> None:
        """Register `obj` under `names`, unless it is an installed provider registering itself."""
        target = _target_of(obj)
        with self.lock:
            if self._registers_itself(self.enabled(category, names[0]), target):
                # The module of an installed entry point registers its own component (decorator
                # style): that is the installed provider, not a rival; the entry point says
                # what `get` returns.
                return
            for each in names:
                self._check_free(category, each, obj, target, override)
            source = Source(Provider(None, None, target), obj=obj)
            source.registered_by = loading[-1].provider if (loading := importing_now()) else None
            source.names.extend(names)
            local_names = self.local.setdefault(category, {})
            for each in names:
                local_names[each] = source
            self.changed()

    @staticmethod
    def _registers_itself(installed: list[Source], target: str) -> bool:
        """True while one of `installed` is being imported on this thread (whatever the module
        path: packages re-export), or when the target names the object's own module and attribute."""
        loading = importing_now()
        return any(s in loading or s.provider.target == target for s in installed)

    def _check_free(self, category: str, name: str, obj: Any, target: str, override: bool) -> None:
        existing = self.local.get(category, {}).get(name)
        installed = self.enabled(category, name)
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

    def unregister(self, category: str, name: str) -> None:
        with self.lock:
            names = self.local.get(category, {})
            if name not in names:
                raise ComponentNotFoundError(
                    f"No local registration {category} {name!r} to remove. "
                    + not_found_hint(name, names),
                    category=category,
                    name=name,
                )
            del names[name]
            self.changed()

    def prefer(self, category: str, name: str, distribution: str | None) -> None:
        with self.lock:
            pattern = f"{category}.{name}"
            self.preferences.remove(level="api", pattern=pattern)
            if distribution is not None:
                wanted = normalize_distribution(distribution)
                sources = self.installed(category, name)
                if wanted not in {s.provider.distribution for s in sources}:
                    raise ComponentNotFoundError(
                        f"Cannot prefer {wanted!r} for {category} {name!r}: that distribution "
                        "does not provide it. Providers: " + providers_text(sources, None),
                        category=category,
                        name=name,
                    )
                from ._preferences import PreferenceRule

                self.preferences.add(
                    [PreferenceRule(pattern, [wanted], "registry.prefer()", "api")]
                )
            self.changed()

    def add_preferences(self, rules: Iterable[PreferenceRule], *, replace: bool) -> None:
        with self.lock:
            rules = list(rules)
            if replace:
                for origin in {(r.level, r.origin) for r in rules}:
                    self.preferences.remove(level=origin[0], origin=origin[1])
            self.preferences.add(rules)
            self.changed()

    def deprecate(self, category: str, old: str, new: str) -> None:
        with self.lock:
            self.deprecated[(category, old)] = new
            self.changed()

    def replacement(self, category: str, name: str) -> str | None:
        """The new name of a deprecated `name`, when nothing provides `name` itself."""
        if ":" in name or name in self.local.get(category, {}):
            return None
        if self.installed(category, name):
            return None
        new = self.deprecated.get((category, name))
        if new is None:
            found = self.tables.deprecated.get((category, name))
            new = found[0] if found is not None else None
        return new

    # ----------------------------------------------------------------- resolving and loading

    def lookup(
        self, category: str, name: str, *, hooks: bool = True, compare: bool = False
    ) -> tuple[Source, str, str | None] | None:
        """The source `get` uses, the bare name and how several providers were settled; None when
        this namespace lacks the name; or raise why it cannot be resolved.

        With `compare`, the candidates of a conflict nothing else settles are imported, and
        settle it if they are one object.
        """
        self.tables  # noqa: B018 - the scan reads the settings the choice may depend on
        _, bare = split_qualified(name)
        found = resolve(
            self.namespace,
            category,
            name,
            self.installed(category, bare),
            self.local.get(category, {}).get(bare),
            self.disabled,
            self._preferences,
            self._ask_hooks if hooks else None,
            (lambda s: self.load(s, category, bare)) if compare else None,
        )
        return None if found is None else (found[0], bare, found[1])

    def _ask_hooks(self, category: str, name: str, candidates: list[Provider]) -> Any:
        if not self._wants("torchplug_resolve_conflict"):
            return None  # no hook plugin implements it: pluggy need not be imported
        hook = self.relay.manager.hook
        return hook.torchplug_resolve_conflict(category=category, name=name, candidates=candidates)

    def load(self, source: Source, category: str, name: str) -> Any:
        """The source's object, imported now if needed; a first load is announced to the hooks
        (when a hook plugin may implement that hook: else neither pluggy nor any is imported)."""
        obj, newly = source.load(category, name, self.namespace)
        if newly and self._wants("torchplug_component_loaded"):
            # Describe the provider that was loaded, whichever way it was chosen (qualified name,
            # preference, hook): the info of the bare name may still say "conflict".
            info = describe(category, name, [source], None, frozenset(), None)
            self.relay.manager.hook.torchplug_component_loaded(
                category=category, name=name, obj=obj, info=info
            )
        return obj

    # ----------------------------------------------------------------- describing

    def describe(self, category: str, name: str) -> ComponentInfo:
        return describe(
            category,
            name,
            self.installed(category, name),
            self.local.get(category, {}).get(name),
            self.disabled,
            self._preferences,
        )

    def has_name(self, category: str, name: str) -> bool:
        return bool(self.installed(category, name)) or name in self.local.get(category, {})

    def categories(self) -> set[str]:
        return set(self.tables.categories()) | {c for c, n in self.local.items() if n}

    def knows(self, category: str) -> bool:
        """Whether something installed or registered here provides `category`."""
        return bool(self.local.get(category)) or self.tables.has_category(category)

    def names(self, category: str, *, include_deprecated: bool) -> set[str]:
        local = self.local.get(category, {})
        names = set(local)
        disabled = self.disabled
        # From the category's listing, as ``torchplug list`` reads it: a stored scan serves it
        # for a stat per providing folder, where the whole table would parse every one.
        tables = self.tables
        rows, shared = tables.listing(category)
        names.update(row[1] for row in rows if row[3][0][0] not in disabled)
        for name in shared:
            if any(entry[1] not in disabled for entry in tables.index.bucket(category, name)):
                names.add(name)
        if include_deprecated:
            names.update(o for c, o in self.tables.deprecated if c == category)
            names.update(o for c, o in self.deprecated if c == category)
        return names

    def keys(self, category: str | None = None) -> set[tuple[str, str]]:
        """(category, name) of every installed or local name (of `category`, if given), disabled
        and conflicted ones too."""
        categories = self.tables.categories() if category is None else (category,)
        keys = {(c, n) for c in categories for n in self.tables.entries(c)}
        return keys | {
            (c, n) for c, names in self.local.items() if category in (None, c) for n in names
        }

    def distributions(self) -> list[DistributionInfo]:
        from ._info import DistributionInfo

        tables = self.tables
        counts: dict[str, dict[str, int]] = {}  # location -> category -> entry points
        for category in tables.categories():
            for entries in tables.entries(category).values():
                for entry in entries:
                    per_dist = counts.setdefault(entry[3], {})
                    per_dist[category] = per_dist.get(category, 0) + 1
        for group in ("hooks", "commands"):
            for record in tables.reserved(group):
                per_dist = counts.setdefault(record[5], {})
                per_dist[group] = per_dist.get(group, 0) + 1
        result = []
        for dist in tables.distributions():
            found = counts.get(dist.location, {})
            hooks = found.pop("hooks", 0)
            commands = found.pop("commands", 0)
            components = {c: n for c, n in sorted(found.items()) if c not in RESERVED_CATEGORIES}
            result.append(
                DistributionInfo(
                    dist.name,
                    dist.display_name,
                    dist.version,
                    dist.location,
                    dist.name in self.disabled,
                    components,
                    hooks,
                    commands,
                )
            )
        return sorted(result, key=lambda d: d.name)

    def group_of(self, group: str, name: str) -> list[Source]:
        """The enabled sources of one name of a reserved group."""
        return [s for s in self.tables.group_of(group, name) if not self.is_disabled(s)]

    def group(self, group: str) -> dict[str, list[Source]]:
        """The enabled sources of a reserved group by name: ``contracts`` or ``commands``."""
        tables = self.tables
        by_name = tables.contracts if group == "contracts" else tables.commands
        return {
            name: enabled
            for name, sources in by_name.items()
            if (enabled := [s for s in sources if not self.is_disabled(s)])
        }
