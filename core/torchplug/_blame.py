"""Who is at fault when importing a plugin fails: the pack, a dependency, or broken metadata.

Just above the metadata reader, below loading: it reads a failed import's traceback and the
installed metadata, and imports nothing. A pack's import can fail in code that is not the pack's:
inside a dependency it imports (torch, numpy...), or because a third distribution's metadata
cannot be read (torch reads every ``entry_points.txt`` on the path when it is imported). Telling
the user to fix or block the pack is then the wrong advice; this finds what to name instead.
"""

from __future__ import annotations

import sys

from ._metadata import folder_name
from ._names import normalize_distribution
from ._record import Record

TYPE_CHECKING = False  # typing costs milliseconds to import; mypy reads this as True
if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from types import FrameType, TracebackType

_METADATA_SUFFIXES = (".dist-info", ".egg-info")
# Top-level module -> the distributions that install it, for one sys.path; reading it means
# reading every distribution's file list, so it is done once, on the first failure that needs it.
_owners: dict[tuple[str, ...], dict[str, list[str]]] = {}


class Blame(Record):
    """Where a failed import went wrong, when that is outside the pack that was imported."""

    __slots__ = _fields = (
        "dependency",
        "dependency_distribution",
        "metadata",
        "metadata_distribution",
        "failure",
    )
    dependency: str | None  # the module outside the pack whose import raised, "torch"
    dependency_distribution: str | None  # who installs it, "torch 2.13.0"
    metadata: str | None  # a dist-info folder whose file could not be read
    metadata_distribution: str | None  # the distribution that folder belongs to
    failure: str  # what the first import that failed this way raised, in one line

    def __init__(
        self,
        dependency: str | None = None,
        dependency_distribution: str | None = None,
        metadata: str | None = None,
        metadata_distribution: str | None = None,
        failure: str = "",
    ) -> None:
        set_field = object.__setattr__
        set_field(self, "dependency", dependency)
        set_field(self, "dependency_distribution", dependency_distribution)
        set_field(self, "metadata", metadata)
        set_field(self, "metadata_distribution", metadata_distribution)
        set_field(self, "failure", failure)

    def with_failure(self, failure: str) -> Blame:
        """The same blame, saying what the import raised."""
        return Blame(
            self.dependency,
            self.dependency_distribution,
            self.metadata,
            self.metadata_distribution,
            failure,
        )

    @property
    def culprit(self) -> str | None:
        """The distribution to fix: broken metadata first, as it breaks the dependency too."""
        if self.metadata_distribution:
            return self.metadata_distribution
        if self.dependency_distribution:
            return self.dependency_distribution.split(" ")[0]
        return None

    def explain(self) -> str:
        """What went wrong outside the pack, as a clause: " inside its dependency torch ..."."""
        parts = []
        if self.dependency:
            owner = f" (distribution {self.dependency_distribution})"
            parts.append(
                f"the import failed inside {self.dependency}"
                f"{owner if self.dependency_distribution else ''}, a module it imports"
            )
        if self.metadata:
            parts.append(
                f"while reading the metadata of {self.metadata_distribution} at {self.metadata}"
            )
        return ", ".join(parts)

    def fix(self, packs: Sequence[str]) -> str:
        """The advice that fits: repair what is broken, not the packs that tripped over it."""
        who = ", ".join(packs)
        innocent = (
            f"{who} is not at fault, and blocking it would not help"
            if len(packs) == 1
            else f"{who} are not at fault, and blocking them would not help"
        )
        if self.metadata:
            return (
                f"That metadata is damaged: reinstall {self.metadata_distribution} "
                f"(pip install --force-reinstall {self.metadata_distribution}) or delete "
                f"{self.metadata}. Every program that reads installed entry points fails on it; "
                f"{innocent}."
            )
        owner = self.culprit or "the distribution that provides it"
        return (
            f"Fix or reinstall {owner} (try `python -c 'import {self.dependency}'`); {innocent}. "
            f"After the first failure, no other plugin imports {self.dependency} again in this "
            "process."
        )


def blame(exc: BaseException, pack: str, target_module: str) -> Blame | None:
    """Where `exc`, raised while importing `target_module` of distribution `pack`, came from;
    None when nothing points outside the pack."""
    dependency = _foreign_module(exc.__traceback__, pack, target_module)
    location = _unreadable_metadata(exc)
    if dependency is None and location is None:
        return None
    owner = None
    if dependency is not None:
        owners = _distributions_of(dependency.partition(".")[0])
        owner = ", ".join(owners) if owners else None
    return Blame(
        dependency,
        owner,
        location,
        folder_name(location) if location else None,
    )


def _frames(tb: TracebackType | None) -> Iterator[FrameType]:
    while tb is not None:
        yield tb.tb_frame
        tb = tb.tb_next


def _foreign_module(tb: TracebackType | None, pack: str, target_module: str) -> str | None:
    """The outermost module, among those being executed when the import failed, that `pack` does
    not install: the dependency whose own import raised (None: the pack's code raised)."""
    own_top = target_module.partition(".")[0]
    for frame in _frames(tb):
        if frame.f_code.co_name != "<module>":
            continue
        module = str(frame.f_globals.get("__name__", ""))
        top = module.partition(".")[0]
        owners = _distributions_of(top, names_only=True)
        # An editable install lists no modules: then only the top package of the target is its own.
        own = pack in owners if owners else top == own_top
        if module and not own:
            return module
    return None


def _unreadable_metadata(exc: BaseException) -> str | None:
    """The dist-info folder a metadata reader was reading when `exc` (or what caused it) was
    raised: importlib.metadata's readers are methods of the distribution, whose ``_path`` it is."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        for frame in reversed(list(_frames(current.__traceback__))):
            path = getattr(frame.f_locals.get("self"), "_path", None)
            name = getattr(path, "name", "")
            if isinstance(name, str) and name.endswith(_METADATA_SUFFIXES):
                return str(path)
        current = current.__cause__ or current.__context__
    return None


def _distributions_of(top_module: str, *, names_only: bool = False) -> list[str]:
    """The installed distributions that provide `top_module`, as ``"name version"`` (or names)."""
    key = tuple(sys.path)
    if key not in _owners:
        _owners.clear()
        _owners[key] = _read_owners()
    found = _owners[key].get(top_module, [])
    return [f.split(" ")[0] for f in found] if names_only else found


def _read_owners() -> dict[str, list[str]]:
    import importlib_metadata

    owners: dict[str, list[str]] = {}
    try:
        for dist in importlib_metadata.distributions():
            try:
                name = normalize_distribution(dist.metadata["Name"] or "")
                label = f"{name} {dist.version}"
                tops = (dist.read_text("top_level.txt") or "").split()
                if not tops:
                    tops = [
                        str(f.parts[0]).removesuffix(".py")
                        for f in dist.files or ()
                        if f.parts and not str(f.parts[0]).endswith(_METADATA_SUFFIXES)
                    ]
            except Exception:  # one distribution's broken metadata must not hide the others
                continue
            for top in dict.fromkeys(tops):
                if name and label not in owners.setdefault(top, []):
                    owners[top].append(label)
    except Exception:
        return owners
    return owners


def forget() -> None:
    """Read the installed distributions again on the next failure (after a refresh)."""
    _owners.clear()
