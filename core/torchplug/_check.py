"""`Registry.check()`: every conflict, broken entry point and odd piece of metadata, at once.

Reads the catalog's state; imports nothing unless asked to go deep, when it loads every enabled
entry point and hook plugin and holds each loaded builder against its category's contract.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import _env
from ._catalog import Catalog
from ._errors import TorchplugError
from ._loading import Provider, Source, describe_entry
from ._resolution import conflict_fixes

if TYPE_CHECKING:
    from .build import Contract


@dataclass(frozen=True)
class Finding:
    """One thing `check` found, with what to do about it."""

    kind: str  # "conflict", "broken", "contract" or "metadata"
    severity: str  # "error" makes the report fail; "warning" does not
    message: str
    hint: str
    category: str | None = None
    name: str | None = None
    providers: tuple[Provider, ...] = ()
    location: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "severity": self.severity,
            "category": self.category,
            "name": self.name,
            "message": self.message,
            "hint": self.hint,
            "location": self.location,
            "providers": [
                {"distribution": p.distribution, "version": p.version, "target": p.target}
                for p in self.providers
            ],
        }


@dataclass(frozen=True)
class CheckReport:
    """All findings of one check; `ok` is what a training loop tests before it starts."""

    findings: tuple[Finding, ...] = field(default=())
    deep: bool = False

    @property
    def ok(self) -> bool:
        return not any(f.severity == "error" for f in self.findings)

    @property
    def conflicts(self) -> list[Finding]:
        return [f for f in self.findings if f.kind == "conflict"]

    @property
    def broken(self) -> list[Finding]:
        return [f for f in self.findings if f.kind == "broken"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    def __bool__(self) -> bool:
        return self.ok

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "deep": self.deep,
            "findings": [f.as_dict() for f in self.findings],
        }

    def format(self) -> str:
        """Human-readable text: each finding, then what to do about it."""
        if not self.findings:
            depth = "imported every entry point" if self.deep else "read the metadata"
            return f"No problems found ({depth})."
        lines = []
        for finding in self.findings:
            lines.append(f"{finding.severity.upper()} [{finding.kind}] {finding.message}")
            lines.extend(f"    - {p.describe()}" for p in finding.providers)
            if finding.location:
                lines.append(f"    at {finding.location}")
            hint = finding.hint.replace("\n", "\n         ")
            lines.append(f"    fix: {hint}")
        errors = sum(f.severity == "error" for f in self.findings)
        warnings = len(self.findings) - errors
        lines.append(f"{errors} error(s), {warnings} warning(s).")
        return "\n".join(lines)

    __str__ = format


def check(
    catalog: Catalog, contract_of: Callable[[str], Contract | None], *, deep: bool
) -> CheckReport:
    """The report of one namespace; `contract_of` answers a category's contract (deep only)."""
    findings = _metadata_findings(catalog) + _conflict_findings(catalog)
    findings += _broken_findings(catalog, deep) + _command_findings(catalog, deep)
    if deep:
        findings += _contract_findings(catalog, contract_of)
        findings += _hook_findings(catalog)
    return CheckReport(tuple(findings), deep)


def _metadata_findings(catalog: Catalog) -> list[Finding]:
    return [
        Finding(
            "broken" if problem.severity == "error" else "metadata",
            problem.severity,
            (f"{problem.distribution}: " if problem.distribution else "")
            + problem.message
            + (f" [{problem.entry_point}]" if problem.entry_point else ""),
            "Fix the distribution's entry points (its pyproject) and reinstall it, "
            f"or block it with {_env.DISABLE}.",
            location=problem.location,
        )
        for problem in catalog.tables.index.problems
    ]


def _conflict_findings(catalog: Catalog) -> list[Finding]:
    findings = []
    for category, names in sorted(catalog.tables.components.items()):
        for name in sorted(names):
            info = catalog.describe(category, name)
            if info.status != "conflict":
                continue
            enabled = catalog.enabled(category, name)
            findings.append(
                Finding(
                    "conflict",
                    "error",
                    f"{category} {name!r} is provided by {len(enabled)} entry points",
                    "\n".join(conflict_fixes(category, name, [s.provider for s in enabled])),
                    category,
                    name,
                    info.providers,
                )
            )
    return findings


def _broken_findings(catalog: Catalog, deep: bool) -> list[Finding]:
    """Entry points that cannot load: known from metadata, or found by importing (deep)."""
    findings = []
    seen: set[int] = set()
    for category, names in sorted(catalog.tables.components.items()):
        for name, sources in sorted(names.items()):
            for source in sources:
                if id(source) in seen or catalog.is_disabled(source):
                    continue
                seen.add(id(source))
                if deep and source.static_problem is None:
                    try:
                        catalog.load(source, category, name)
                    except TorchplugError:
                        pass  # remembered by the source: its static_problem says why
                problem = source.static_problem
                if problem and source.record is not None:
                    distribution = source.provider.distribution
                    findings.append(
                        Finding(
                            "broken",
                            "error",
                            f"{category} {name!r} from {source.provider.describe()} cannot "
                            f"be loaded: {problem}",
                            f"Fix {describe_entry(source.record, catalog.namespace)} in "
                            f"{distribution} and reinstall it, or block it with "
                            f"{_env.DISABLE}={distribution}.",
                            category,
                            name,
                            (source.provider,),
                            source.provider.location,
                        )
                    )
    return findings


def _command_findings(catalog: Catalog, deep: bool) -> list[Finding]:
    """Command-line subcommands that cannot load, and names two distributions both declare."""
    findings = []
    for name, sources in sorted(catalog.group("commands").items()):
        if len({s.provider.distribution for s in sources}) > 1:
            findings.append(
                Finding(
                    "conflict",
                    "error",
                    f"command {name!r} is provided by {len(sources)} distributions",
                    "Uninstall one, or block one with "
                    f"{_env.DISABLE}={sources[-1].provider.distribution}.",
                    "commands",
                    name,
                    tuple(s.provider for s in sources),
                )
            )
        for source in sources:
            if deep and source.static_problem is None:
                try:
                    source.load("commands", name, catalog.namespace)
                except TorchplugError:
                    pass
            if source.static_problem and source.record is not None:
                distribution = source.provider.distribution
                findings.append(
                    Finding(
                        "broken",
                        "error",
                        f"command {name!r} from {source.provider.describe()} cannot be loaded: "
                        f"{source.static_problem}",
                        f"Fix {describe_entry(source.record, catalog.namespace)} in "
                        f"{distribution} and reinstall it, or block it with "
                        f"{_env.DISABLE}={distribution}.",
                        "commands",
                        name,
                        (source.provider,),
                        source.provider.location,
                    )
                )
    return findings


def _contract_findings(
    catalog: Catalog, contract_of: Callable[[str], Contract | None]
) -> list[Finding]:
    """Loaded builders whose signature cannot take their category's call, and contracts that
    cannot be loaded (each reported once, builders or not)."""
    findings = []
    tables = catalog.tables
    local_categories = {c for c, names in catalog.local.items() if names}
    for category in sorted({*tables.components, *catalog.group("contracts"), *local_categories}):
        try:
            contract = contract_of(category)
        except TorchplugError as exc:
            findings.append(
                Finding(
                    "contract",
                    "error",
                    f"the contract of category {category!r} cannot be loaded: {exc}",
                    "Fix or reinstall the pack that declares it in the group "
                    f"'{catalog.namespace}.contracts'.",
                    category,
                )
            )
            continue
        if contract is None:
            continue
        builders: dict[int, tuple[str, Source]] = {}
        for name, sources in sorted(tables.components.get(category, {}).items()):
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


def _hook_findings(catalog: Catalog) -> list[Finding]:
    catalog.relay.manager  # noqa: B018 - loading the hook plugins is the point
    return [
        Finding(
            "broken",
            "error",
            f"hook plugin {plugin} cannot be loaded: {why}",
            f"Fix or reinstall {plugin.split(':')[0]}, or block it with {_env.DISABLE}.",
            "hooks",
            plugin.split(":", 1)[1],
        )
        for plugin, why in sorted(catalog.relay.failures.items())
    ]
