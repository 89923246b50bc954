"""What `Registry.check()` returns: findings, each with what to do, and the report of them all.

Plain records above resolution and below the checks that make them (`_check`): a `Finding` is one
problem (or a note), a `CheckReport` all of them with the preferences in force, as text or JSON.
"""

from __future__ import annotations

from ._record import Record

TYPE_CHECKING = False  # typing costs milliseconds to import; mypy reads this as True
if TYPE_CHECKING:
    from typing import Any

    from ._loading import Provider
    from ._preferences import PreferenceRule


_SEVERITIES = ("error", "warning", "note")


class Finding(Record):
    """One thing `check` found, with what to do about it.

    Attributes:
        kind: ``"conflict"``, ``"broken"``, ``"timeout"`` (a deep check stopped waiting for an
            import), ``"takeover"`` (a pack replaced another's name while imported),
            ``"metadata"``, ``"preference"`` or ``"contract"``.
        severity: ``"error"`` makes the report fail; ``"warning"`` and ``"note"`` do not.
        message: What is wrong.
        hint: What to do about it.
        category: The category concerned, when there is one.
        name: The component name concerned, when there is one.
        providers: The providers involved.
        location: A dist-info folder, when known.
    """

    __slots__ = _fields = (
        "kind",
        "severity",
        "message",
        "hint",
        "category",
        "name",
        "providers",
        "location",
    )
    kind: str
    severity: str
    message: str
    hint: str
    category: str | None
    name: str | None
    providers: tuple[Provider, ...]
    location: str | None

    def __init__(
        self,
        kind: str,
        severity: str,
        message: str,
        hint: str,
        category: str | None = None,
        name: str | None = None,
        providers: tuple[Provider, ...] = (),
        location: str | None = None,
    ) -> None:
        set_field = object.__setattr__
        set_field(self, "kind", kind)
        set_field(self, "severity", severity)
        set_field(self, "message", message)
        set_field(self, "hint", hint)
        set_field(self, "category", category)
        set_field(self, "name", name)
        set_field(self, "providers", providers)
        set_field(self, "location", location)

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


class CheckReport(Record):
    """All findings of one check; `ok` is what a training loop tests before it starts.

    The report's truth value is `ok`; ``str(report)`` is `format()`.

    Attributes:
        findings: Every `Finding`.
        deep: Whether the check imported every entry point (``check(deep=True)``).
    """

    __slots__ = _fields = ("findings", "deep", "preferences")
    findings: tuple[Finding, ...]
    deep: bool
    preferences: tuple[PreferenceRule, ...]  # the rules in force, where each was written

    def __init__(
        self,
        findings: tuple[Finding, ...] = (),
        deep: bool = False,
        preferences: tuple[PreferenceRule, ...] = (),
    ) -> None:
        set_field = object.__setattr__
        set_field(self, "findings", findings)
        set_field(self, "deep", deep)
        set_field(self, "preferences", preferences)

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

    @property
    def notes(self) -> list[Finding]:
        """What is fine but worth knowing: conflicts settled by a preference or equivalence."""
        return [f for f in self.findings if f.severity == "note"]

    def __bool__(self) -> bool:
        return self.ok

    def as_dict(self) -> dict[str, Any]:
        """``{"ok": ..., "deep": ..., "findings": [...]}``, as ``torchplug check --json`` prints it."""
        return {
            "ok": self.ok,
            "deep": self.deep,
            "findings": [f.as_dict() for f in self.findings],
            "preferences": [r.as_dict() for r in self.preferences],
        }

    def format(self) -> str:
        """Human-readable text: the preferences in force, each finding, what to do about it."""
        lines = []
        if self.preferences:
            lines.append("Preferences, in the order they are asked:")
            lines.extend(f"  {rule.describe()}" for rule in self.preferences)
        if not self.findings:
            depth = "imported every entry point" if self.deep else "read the metadata"
            return "\n".join([*lines, f"No problems found ({depth})."])
        for finding in self.findings:
            lines.append(f"{finding.severity.upper()} [{finding.kind}] {finding.message}")
            lines.extend(f"    - {p.describe()}" for p in finding.providers)
            if finding.location:
                lines.append(f"    at {finding.location}")
            if finding.hint:
                hint = finding.hint.replace("\n", "\n         ")
                lines.append(f"    fix: {hint}")
        counts = {level: sum(f.severity == level for f in self.findings) for level in _SEVERITIES}
        lines.append(", ".join(f"{n} {level}(s)" for level, n in counts.items()) + ".")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.format()
