"""What users read about names and distributions: plain records, made without importing anything.

`ComponentInfo` describes one name of one category (its providers and whether `get` can resolve it);
`DistributionInfo` one installed distribution and what it provides.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ._loading import Provider


@dataclass(frozen=True)
class ComponentInfo:
    """What is known of one name in one category, read from metadata without importing anything."""

    category: str
    name: str
    status: str  # "ok", "conflict", "disabled" or "broken"
    providers: tuple[Provider, ...]  # every provider; the one `get` would use first when resolved
    aliases: tuple[str, ...] = ()  # other names of the same provider
    loaded: bool = False
    problem: str | None = None  # why it is broken, conflicted or disabled
    preferred: str | None = None  # the distribution a preference chose among several, if any
    settled_by: str | None = None  # how several providers were settled: a rule, or equivalence

    @property
    def provider(self) -> Provider | None:
        """The provider `get` resolves to, or None while the name is conflicted or disabled."""
        return self.providers[0] if self.status in ("ok", "broken") else None

    @property
    def distribution(self) -> str | None:
        return self.provider.distribution if self.provider else None

    @property
    def version(self) -> str | None:
        return self.provider.version if self.provider else None

    @property
    def target(self) -> str | None:
        return self.provider.target if self.provider else None


@dataclass(frozen=True)
class DistributionInfo:
    """An installed distribution that provides components, hook plugins or commands."""

    name: str
    display_name: str
    version: str
    location: str
    disabled: bool
    components: dict[str, int] = field(default_factory=dict)  # category -> number of names
    hooks: int = 0
    commands: int = 0
