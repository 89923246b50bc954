"""What users read about names and distributions: plain records, made without importing anything.

`ComponentInfo` describes one name of one category (its providers and whether `get` can resolve it);
`DistributionInfo` one installed distribution and what it provides.
"""

from __future__ import annotations

from ._record import Record

TYPE_CHECKING = False  # typing costs milliseconds to import; mypy reads this as True
if TYPE_CHECKING:
    from ._loading import Provider


class ComponentInfo(Record):
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

    __slots__ = _fields = (
        "category",
        "name",
        "status",
        "providers",
        "aliases",
        "loaded",
        "problem",
        "preferred",
        "settled_by",
    )
    category: str
    name: str
    status: str  # "ok", "conflict", "disabled" or "broken"
    providers: tuple[Provider, ...]  # every provider; the one `get` would use first when resolved
    aliases: tuple[str, ...]  # other names of the same provider
    loaded: bool
    problem: str | None  # why it is broken, conflicted or disabled
    preferred: str | None  # the distribution a preference chose among several, if any
    settled_by: str | None  # how several providers were settled: a rule, or equivalence

    def __init__(
        self,
        category: str,
        name: str,
        status: str,
        providers: tuple[Provider, ...],
        aliases: tuple[str, ...] = (),
        loaded: bool = False,
        problem: str | None = None,
        preferred: str | None = None,
        settled_by: str | None = None,
    ) -> None:
        set_field = object.__setattr__
        set_field(self, "category", category)
        set_field(self, "name", name)
        set_field(self, "status", status)
        set_field(self, "providers", providers)
        set_field(self, "aliases", aliases)
        set_field(self, "loaded", loaded)
        set_field(self, "problem", problem)
        set_field(self, "preferred", preferred)
        set_field(self, "settled_by", settled_by)

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


class DistributionInfo(Record):
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

    __slots__ = _fields = (
        "name",
        "display_name",
        "version",
        "location",
        "disabled",
        "components",
        "hooks",
        "commands",
    )
    name: str
    display_name: str
    version: str
    location: str
    disabled: bool
    components: dict[str, int]  # category -> number of names
    hooks: int
    commands: int

    def __init__(
        self,
        name: str,
        display_name: str,
        version: str,
        location: str,
        disabled: bool,
        components: dict[str, int] | None = None,
        hooks: int = 0,
        commands: int = 0,
    ) -> None:
        set_field = object.__setattr__
        set_field(self, "name", name)
        set_field(self, "display_name", display_name)
        set_field(self, "version", version)
        set_field(self, "location", location)
        set_field(self, "disabled", disabled)
        set_field(self, "components", {} if components is None else components)
        set_field(self, "hooks", hooks)
        set_field(self, "commands", commands)
