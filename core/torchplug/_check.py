"""The result of `Registry.check()`: every conflict, broken entry and odd piece of metadata at once."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ._component import Provider


@dataclass(frozen=True)
class Finding:
    """One thing `check` found, with what to do about it.

    Attributes:
        kind: ``"conflict"``, ``"broken"``, ``"metadata"`` or ``"contract"``.
        severity: ``"error"`` makes the report fail; ``"warning"`` does not.
        message: What is wrong.
        hint: What to do about it.
        category: The category concerned, when there is one.
        name: The component name concerned, when there is one.
        providers: The providers involved.
        location: A dist-info folder, when known.
    """

    kind: str  # "conflict", "broken" or "metadata"
    severity: str  # "error" makes the report fail; "warning" does not
    message: str
    hint: str
    category: str | None = None
    name: str | None = None
    providers: tuple[Provider, ...] = ()
    location: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The finding as JSON-ready data, as ``torchplug check --json`` prints it."""
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
    """All findings of one check; `ok` is what a training loop tests before it starts.

    The report's truth value is `ok`; ``str(report)`` is `format()`.

    Attributes:
        findings: Every `Finding`.
        deep: Whether the check imported every entry point (``check(deep=True)``).
    """

    findings: tuple[Finding, ...] = field(default=())
    deep: bool = False

    @property
    def ok(self) -> bool:
        """No finding of severity ``"error"`` (warnings are allowed)."""
        return not any(f.severity == "error" for f in self.findings)

    @property
    def conflicts(self) -> list[Finding]:
        """The findings of kind ``"conflict"``."""
        return [f for f in self.findings if f.kind == "conflict"]

    @property
    def broken(self) -> list[Finding]:
        """The findings of kind ``"broken"``."""
        return [f for f in self.findings if f.kind == "broken"]

    @property
    def warnings(self) -> list[Finding]:
        """The findings of severity ``"warning"``."""
        return [f for f in self.findings if f.severity == "warning"]

    def __bool__(self) -> bool:
        return self.ok

    def as_dict(self) -> dict[str, Any]:
        """``{"ok": ..., "deep": ..., "findings": [...]}``, as ``torchplug check --json`` prints it."""
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
