"""`Registry.check()`: every conflict, broken entry point and odd piece of metadata, at once.

Reads the catalog's state; imports nothing unless asked to go deep, when it loads every enabled
entry point and hook plugin and holds each loaded builder against its category's contract.
"""

from __future__ import annotations

from functools import partial

from . import _settings
from ._errors import TorchplugError
from ._loading import DEFAULT_IMPORT_TIMEOUT, Source, run_within
from ._metadata import describe_entry
from ._report import CheckReport, Finding
from ._resolution import conflict_fixes

TYPE_CHECKING = False  # typing costs milliseconds to import; mypy reads this as True
if TYPE_CHECKING:
    from collections.abc import Callable

    from ._catalog import Catalog
    from .build import Contract


class _Deep:
    """How a deep check imports: each load in a worker thread, abandoned after `timeout` seconds
    (None: wait as long as it takes), so that one import that never ends cannot hang the check."""

    def __init__(self, timeout: float | None) -> None:
        self.timeout = timeout
        self.why = (
            f"its import did not finish within {timeout:g} s, the limit of a deep check "
            "(torchplug check --deep --timeout SECONDS)"
        )

    def attempt(self, load: Callable[[], object]) -> tuple[bool, object]:
        """Run one load: whether it ended in time, and what it returned or the `TorchplugError`
        it raised. A failure or a timeout is also remembered by the sources involved."""
        outcome: list[object] = []

        def run() -> None:
            try:
                outcome.append(load())
            except TorchplugError as exc:
                outcome.append(exc)

        run_within(run, self.timeout, self.why)
        return (True, outcome[0]) if outcome else (False, None)


def check(
    catalog: Catalog,
    contract_of: Callable[[str], Contract | None],
    *,
    deep: bool,
    timeout: float | None = DEFAULT_IMPORT_TIMEOUT,
) -> CheckReport:
    """The report of one namespace; `contract_of` answers a category's contract (deep only).

    A deep check imports every entry point, waiting at most `timeout` seconds for each.
    """
    depth = _Deep(timeout) if deep else None
    if depth is not None:  # hook plugins first: a hung one must not be blamed on a component
        depth.attempt(lambda: catalog.relay.manager)
    findings = _metadata_findings(catalog) + _conflict_findings(catalog, depth)
    findings += _broken_findings(catalog, depth) + _command_findings(catalog, depth)
    if depth is not None:
        findings += _contract_findings(catalog, contract_of, depth)
        findings += _hook_findings(catalog, depth)
    findings += _takeover_findings(catalog)
    findings += _unused_rules(catalog)
    return CheckReport(tuple(findings), deep, tuple(catalog.preferences.rules))


def _metadata_findings(catalog: Catalog) -> list[Finding]:
    return [
        Finding(
            "broken" if problem.severity == "error" else "metadata",
            problem.severity,
            (f"{problem.distribution}: " if problem.distribution else "")
            + problem.message
            + (f" [{problem.entry_point}]" if problem.entry_point else ""),
            problem.hint
            or "Fix the distribution's entry points (its pyproject) and reinstall it, "
            f"or block it with {_settings.DISABLE}.",
            location=problem.location,
        )
        for problem in catalog.tables.problems()
    ]


def _conflicted(catalog: Catalog) -> list[tuple[str, str, list[Source]]]:
    """Every installed name with several enabled providers and no local registration."""
    tables = catalog.tables
    return [
        (category, name, enabled)
        for category in tables.categories()
        for name in sorted(tables.table(category))
        if len(enabled := catalog.enabled(category, name)) > 1
        and name not in catalog.local.get(category, {})
    ]


def _conflict_findings(catalog: Catalog, depth: _Deep | None) -> list[Finding]:
    """Unsettled conflicts are errors; settled ones notes that say what settled them. A deep check
    also asks the hook plugins and imports the candidates to compare them."""
    findings = []
    for category, name, enabled in _conflicted(catalog):
        info = catalog.describe(category, name)
        why = info.settled_by
        if why is None and depth is not None:
            _, found = depth.attempt(partial(catalog.lookup, category, name, compare=True))
            why = found[2] if isinstance(found, tuple) else None
        providers = tuple(s.provider for s in enabled)
        if why is not None:
            chosen = info.provider.distribution if info.provider else None
            findings.append(
                Finding(
                    "conflict",
                    "note",
                    f"{category} {name!r} is provided by {len(enabled)} entry points; settled"
                    + (f" for {chosen}" if chosen and why.startswith("preference") else "")
                    + f" by {why}",
                    "",
                    category,
                    name,
                    info.providers if info.provider else providers,
                )
            )
            continue
        findings.append(
            Finding(
                "conflict",
                "error",
                f"{category} {name!r} is provided by {len(enabled)} entry points",
                "\n".join(conflict_fixes(category, name, providers)),
                category,
                name,
                info.providers,
            )
        )
    return findings


def _unused_rules(catalog: Catalog) -> list[Finding]:
    """Preference rules that match no name with several providers: a typo, or a stale rule."""
    conflicted = [(c, n) for c, n, _ in _conflicted(catalog)]
    return [
        Finding(
            "preference",
            "warning",
            f"the preference {rule.describe()} matches no name that several packs provide",
            "Check the pattern (CATEGORY.NAME, '*' globs) against `torchplug list`, or remove it.",
            location=rule.origin,
        )
        for rule in catalog.preferences.rules
        if not any(rule.matches(c, n) for c, n in conflicted)
    ]


def _broken_findings(catalog: Catalog, depth: _Deep | None) -> list[Finding]:
    """Entry points that cannot load: known from metadata, or found by importing (deep). Those
    that failed inside the same dependency are one finding, which names who is at fault."""
    failed: list[tuple[str, str, Source]] = []
    seen: set[int] = set()
    tables = catalog.tables
    for category in tables.categories():
        for name, sources in sorted(tables.table(category).items()):
            for source in sources:
                if id(source) in seen or catalog.is_disabled(source):
                    continue
                seen.add(id(source))
                if depth is not None and source.static_problem is None:
                    depth.attempt(partial(catalog.load, source, category, name))
                if source.static_problem and source.record is not None:
                    failed.append((category, name, source))
    return _failure_findings(catalog, failed)


def _failure_findings(catalog: Catalog, failed: list[tuple[str, str, Source]]) -> list[Finding]:
    findings = []
    by_dependency: dict[str, list[tuple[str, str, Source]]] = {}
    for category, name, source in failed:
        blame = source.blame
        if blame is not None and blame.dependency is not None:
            by_dependency.setdefault(blame.dependency, []).append((category, name, source))
            continue
        record = source.record
        assert record is not None
        distribution = source.provider.distribution
        what = "command" if category == "commands" else category
        findings.append(
            Finding(
                "timeout" if source.timed_out else "broken",
                "error",
                f"{what} {name!r} from {source.provider.describe()} cannot be loaded: "
                f"{source.static_problem}",
                (blame.fix([distribution or ""]) + " " if blame is not None else "")
                + f"Fix {describe_entry(record, catalog.namespace)} in {distribution} and "
                f"reinstall it, or block it with {_settings.DISABLE}={distribution}.",
                category,
                name,
                (source.provider,),
                source.provider.location,
            )
        )
    for dependency, sources in by_dependency.items():
        blame = sources[0][2].blame
        assert blame is not None
        packs = sorted({s.provider.distribution or "" for _, _, s in sources})
        findings.append(
            Finding(
                "broken",
                "error",
                f"{dependency} cannot be imported, so {len(sources)} entry point(s) of "
                f"{', '.join(packs)} that need it cannot be loaded: {blame.explain()}: "
                f"{blame.failure}",
                blame.fix(packs),
                None,
                None,
                tuple(s.provider for _, _, s in sources),
                blame.metadata,
            )
        )
    return findings


def _command_findings(catalog: Catalog, depth: _Deep | None) -> list[Finding]:
    """Command-line subcommands that cannot load, and names two distributions both declare."""
    findings = []
    failed: list[tuple[str, str, Source]] = []
    for name, sources in sorted(catalog.group("commands").items()):
        if len({s.provider.distribution for s in sources}) > 1:
            findings.append(
                Finding(
                    "conflict",
                    "error",
                    f"command {name!r} is provided by {len(sources)} distributions",
                    "Uninstall one, or block one with "
                    f"{_settings.DISABLE}={sources[-1].provider.distribution}.",
                    "commands",
                    name,
                    tuple(s.provider for s in sources),
                )
            )
        for source in sources:
            if depth is not None and source.static_problem is None:
                depth.attempt(partial(source.load, "commands", name, catalog.namespace))
            if source.static_problem and source.record is not None:
                failed.append(("commands", name, source))
    return findings + _failure_findings(catalog, failed)


def _contract_findings(
    catalog: Catalog, contract_of: Callable[[str], Contract | None], depth: _Deep
) -> list[Finding]:
    """Loaded builders whose signature cannot take their category's call, and contracts that
    cannot be loaded (each reported once, builders or not)."""
    from .build import Contract

    findings = []
    tables = catalog.tables
    local_categories = {c for c, names in catalog.local.items() if names}
    for category in sorted({*tables.categories(), *catalog.group("contracts"), *local_categories}):
        ended, contract = depth.attempt(partial(contract_of, category))
        if not ended:
            contract = TorchplugError(depth.why)
        if isinstance(contract, TorchplugError):
            findings.append(
                Finding(
                    "contract",
                    "error",
                    f"the contract of category {category!r} cannot be loaded: {contract}",
                    "Fix or reinstall the pack that declares it in the group "
                    f"'{catalog.namespace}.contracts'.",
                    category,
                )
            )
            continue
        if not isinstance(contract, Contract):
            continue
        builders: dict[int, tuple[str, Source]] = {}
        for name, sources in sorted(tables.table(category).items()):
            for source in sources:
                if source.loaded and not catalog.is_disabled(source):
                    builders.setdefault(id(source), (name, source))
        for name, source in sorted(catalog.local.get(category, {}).items()):
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


def _hook_findings(catalog: Catalog, depth: _Deep) -> list[Finding]:
    depth.attempt(lambda: catalog.relay.manager)  # loading the hook plugins is the point
    timed_out = {
        f"{s.provider.distribution}:{s.record.name}"
        for s in catalog.tables.hooks
        if s.timed_out and s.record is not None
    }
    return [
        Finding(
            "timeout" if plugin in timed_out else "broken",
            "error",
            f"hook plugin {plugin} cannot be loaded: {why}",
            f"Fix or reinstall {plugin.split(':')[0]}, or block it with {_settings.DISABLE}.",
            "hooks",
            plugin.split(":", 1)[1],
        )
        for plugin, why in sorted(catalog.relay.failures.items())
    ]


def _takeover_findings(catalog: Catalog) -> list[Finding]:
    """Names of installed packs that another pack's module replaced, with ``override=True``,
    while it was being imported: the user chose neither the replacement nor its provider."""
    findings = []
    for category, names in sorted(catalog.local.items()):
        for name, source in sorted(names.items()):
            by = source.registered_by
            if by is None:
                continue
            victims = [
                s.provider
                for s in catalog.installed(category, name)
                if s.provider.distribution != by.distribution
            ]
            if not victims:
                continue
            findings.append(
                Finding(
                    "takeover",
                    "warning",
                    f"{category} {name!r} of {', '.join(p.describe() for p in victims)} is replaced "
                    f"in this process by {source.provider.target}, which {by.describe()} "
                    "registered with override=True while it was being imported",
                    f"If you did not mean to use it, uninstall {by.distribution} or block it "
                    f"with {_settings.DISABLE}={by.distribution}. The replaced provider stays "
                    f'reachable by its qualified name, "{victims[0].distribution}:{name}".',
                    category,
                    name,
                    (source.provider, *victims),
                )
            )
    return findings
