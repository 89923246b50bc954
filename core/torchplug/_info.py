"""What users read about names and distributions: plain records, made without importing anything.

`ComponentInfo` describes one name of one category (its providers and whether `get` can resolve it);
`DistributionInfo` one installed distribution and what it provides.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ._loading import Provider


@dataclass(frozen=True)
class ComponentInfo:
    """What is known of one name in one category, read from metadata without importing anything.

    Attributes:
        category: The category asked about.
        name: The bare name asked about.
        status: ``"ok"``; ``"conflict"`` (several enabled providers, nothing settles which);
            ``"disabled"`` (every provider is disabled); ``"broken"`` (the target is malformed,
            or loading it failed earlier in this process).
        providers: Every `Provider`; when the name resolves, the one `get` uses comes first.
        aliases: The other names of the same installed provider.
        loaded: Whether the provider's object has been loaded in this process (always True for
            a local registration).
        problem: Why it is conflicted, disabled or broken, else None.
        preferred: The distribution a preference chose among several providers, else None.
        settled_by: How several providers were settled — the preference rule and where it was
            written, or the equivalence of the providers — else None.
    """

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
        """The `provider`'s distribution, or None."""
        return self.provider.distribution if self.provider else None

    @property
    def version(self) -> str | None:
        """The `provider`'s version, or None."""
        return self.provider.version if self.provider else None

    @property
    def target(self) -> str | None:
        """The `provider`'s target, or None."""
        return self.provider.target if self.provider else None


@dataclass(frozen=True)
class DistributionInfo:
    """An installed distribution that provides components, hook plugins or commands.

    Attributes:
        name: The distribution's name, PEP 503 normalised.
        display_name: The name as its metadata spells it.
        version: Its installed version.
        location: Its dist-info folder.
        disabled: Whether it is on the disable list.
        components: Category -> number of names it declares there (the reserved groups are not
            counted).
        hooks: How many hook plugins it declares.
        commands: How many command-line subcommands it declares.
    """

    name: str
    display_name: str
    version: str
    location: str
    disabled: bool
    components: dict[str, int] = field(default_factory=dict)  # category -> number of names
    hooks: int = 0
    commands: int = 0
