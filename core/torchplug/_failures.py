"""What a plugin that cannot be loaded says: its error, naming the entry point as its pack
declares it, what the import did, and who is at fault.

Below loading, above containment and blame: `_loading` asks for these only when a load fails, so
that a load that succeeds never imports them. Each function makes the error; the source that
failed remembers it.
"""

from __future__ import annotations

from ._blame import blame
from ._containment import RefusedImport, refuse_reimport, what_it_did
from ._errors import CircularImportError, PluginLoadError
from ._metadata import describe_entry, split_target

TYPE_CHECKING = False  # typing costs milliseconds to import; mypy reads this as True
if TYPE_CHECKING:
    from ._blame import Blame
    from ._metadata import EntryRecord


def _start(record: EntryRecord, category: str, name: str, namespace: str) -> str:
    return (
        f"Cannot load {category} {name!r} from distribution {record.distribution} "
        f"{record.version}, entry point {describe_entry(record, namespace)}: "
    )


def cycle_text(cycle: str) -> str:
    return (
        f"circular import among plugins ({cycle}): a plugin is needed while it is itself being "
        "imported. Move the registry.get(...) that needs it from the module's top level into the "
        "function that uses it, or define what is needed before that call."
    )


def circular_error(
    record: EntryRecord, category: str, name: str, namespace: str, cycle: str
) -> CircularImportError:
    """A plugin needed while it is itself being imported (`cycle` names the way round)."""
    return CircularImportError(
        _start(record, category, name, namespace) + cycle_text(cycle),
        category=category,
        name=name,
        distribution=record.distribution,
        cycle=cycle,
    )


def never_finished_error(
    record: EntryRecord, category: str, name: str, namespace: str, why: str
) -> PluginLoadError:
    """A plugin whose import a deep check stopped waiting for, and which has not ended since."""
    return PluginLoadError(
        f"{_start(record, category, name, namespace)}{why}. Fix that distribution, or block it "
        f"with TORCHPLUG_DISABLE={record.distribution}.",
        category=category,
        name=name,
        distribution=record.distribution,
    )


def load_error(
    record: EntryRecord, category: str, name: str, namespace: str, exc: BaseException
) -> tuple[PluginLoadError, str, Blame | None]:
    """The error of a failed import, its problem in one line, and who is at fault when it is not
    the pack (a dependency that failed is then refused to the other plugins)."""
    what = what_it_did(exc)
    found: Blame | None
    if isinstance(exc, CircularImportError):  # a cycle is nobody's dependency: nothing to blame
        found = None
    elif isinstance(exc, RefusedImport):  # blamed when its dependency first failed
        found = exc.blame
    else:
        found = _blame(exc, record)
        found = found.with_failure(what) if found is not None else None
    start = _start(record, category, name, namespace)
    if isinstance(exc, CircularImportError):  # its module failed on a cycle: remembered
        problem = cycle_text(exc.cycle)
        message = start + problem
    elif found is None:
        problem = what
        message = (
            f"{start}{what.rstrip('.')}. Fix or reinstall that distribution, or block it "
            f"with TORCHPLUG_DISABLE={record.distribution}."
        )
    else:
        problem = f"{found.explain()}: {what}"
        message = (
            f"{start}{found.explain()}: {what.rstrip('.')}. {found.fix([record.distribution])}"
        )
        if found.dependency is not None and not isinstance(exc, RefusedImport):
            refuse_reimport(found.dependency, found, what)
    error = PluginLoadError(
        message,
        category=category,
        name=name,
        distribution=record.distribution,
        culprit=found.culprit if found and found.culprit else record.distribution,
        dependency=found.dependency if found else None,
    )
    error.__cause__ = exc
    return error, problem, found


def _blame(exc: BaseException, record: EntryRecord) -> Blame | None:
    try:
        module = split_target(record.value)[0]
    except ValueError:
        module = record.value
    try:
        return blame(exc, record.distribution, module)
    except Exception:  # explaining a failure must never replace it with another
        return None
