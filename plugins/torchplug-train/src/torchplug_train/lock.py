"""What a config resolves to, and lock files that pin it.

Every component a config names (nested ones included) resolves to a provider, a version, a target
and a fingerprint. Runs print that set, checkpoints store it, ranks compare it, and `torchplug lock`
writes it so a later run can refuse to start on anything different.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from torchplug import ConfigError, TorchplugError
from torchplug.build import ComponentFactory, did_you_mean, split_spec
from torchplug.cli import render_table

from .config import component_spec

if TYPE_CHECKING:
    from torchplug import Registry

#: Config tables the reference training loop builds through the registry, in build order, with
#: the category each is built from (``eval_dataset`` is a second dataset, for held-out loss).
COMPONENT_TABLES = {
    "dataset": "dataset",
    "eval_dataset": "dataset",
    "model": "model",
    "optimizer": "optimizer",
    "scheduler": "scheduler",
    "loss": "loss",
}
_FORMAT = 1


class LockMismatchError(TorchplugError):
    """What is installed now differs from what a lock file or checkpoint recorded."""


@dataclass(frozen=True)
class Resolved:
    """One component of a config as resolved in this environment."""

    path: str  # the config path, e.g. "model.mlp"
    category: str
    name: str
    distribution: str | None
    version: str | None
    target: str
    fingerprint: str


def preflight(registry: Registry, config: Mapping[str, Any]) -> None:
    """Refuse, before anything is imported, a config whose components are conflicted or blocked.

    Every such component is reported at once, each with the ways to settle it.
    """
    problems = []
    for table, category in COMPONENT_TABLES.items():
        if table not in config:
            continue
        contract = registry.contract(category)
        default = contract.default_type if contract else None
        name, _ = split_spec(component_spec(config, table), category, default, table)
        try:
            registry.provider(category, name)  # settles a conflict exactly as `get` would
            info = registry.info(category, name)
        except TorchplugError as exc:
            problems.append(f"{table}: " + str(exc).replace("\n", "\n  "))
            continue
        if info.status in ("disabled", "broken"):
            problems.append(f"{table}: {category} {name!r} is {info.status}: {info.problem}")
    if problems:
        raise ConfigError(
            "the config uses components that cannot be resolved:\n  " + "\n  ".join(problems),
            path="config",
        )


def prepare(registry: Registry, config: Mapping[str, Any]) -> dict[str, ComponentFactory]:
    """Resolve and validate every component table of `config` (this imports their builders)."""
    unknown = sorted(set(config) - set(COMPONENT_TABLES) - {"train", "torchplug"})
    if unknown:
        hint = did_you_mean(unknown[0], [*COMPONENT_TABLES, "train", "torchplug"])
        raise ConfigError(
            f"unknown table(s) {unknown}; a config has [train], [torchplug] (settings such as "
            f"[torchplug.prefer]) and the component tables {list(COMPONENT_TABLES)}.{hint}",
            path=unknown[0],
        )
    missing = [t for t in ("dataset", "model", "optimizer", "loss") if t not in config]
    if missing:
        raise ConfigError(
            f"the config has no {', '.join(f'[{t}]' for t in missing)} table; a run needs "
            "dataset, model, optimizer and loss (scheduler and eval_dataset are optional)",
            path="config",
        )
    preflight(registry, config)
    return {
        table: registry.builder(category, component_spec(config, table), at=table)
        for table, category in COMPONENT_TABLES.items()
        if table in config
    }


def resolved_set(factories: Mapping[str, ComponentFactory]) -> list[Resolved]:
    """The resolved components, nested ones after their parent, in config order."""
    result: list[Resolved] = []

    def visit(factory: ComponentFactory) -> None:
        provenance = factory.provenance
        result.append(
            Resolved(
                factory.path,
                factory.category,
                provenance.name,
                provenance.distribution,
                provenance.version,
                provenance.target,
                provenance.fingerprint(),
            )
        )
        for value in factory.config.values():
            if isinstance(value, ComponentFactory):
                visit(value)

    for factory in factories.values():
        visit(factory)
    return result


def format_table(entries: Iterable[Resolved]) -> str:
    """The table a run prints before it starts."""
    header = ["PATH", "CATEGORY", "NAME", "DISTRIBUTION", "VERSION", "FINGERPRINT"]
    rows = [
        [
            e.path,
            e.category,
            e.name,
            e.distribution or "(local)",
            e.version or "",
            e.fingerprint[:12],
        ]
        for e in entries
    ]
    return render_table(rows, header)


def differences(expected: Iterable[Resolved], actual: Iterable[Resolved]) -> list[str]:
    """Human lines for every component that differs, is missing, or is new."""
    want = {e.path: e for e in expected}
    have = {e.path: e for e in actual}
    lines = []
    for path in sorted(want.keys() | have.keys()):
        old, new = want.get(path), have.get(path)
        if old == new:
            continue
        if old is None and new is not None:
            lines.append(
                f"{path}: not recorded (now {new.name} from {new.distribution} {new.version})"
            )
        elif new is None and old is not None:
            lines.append(
                f"{path}: in the lock ({old.name} from {old.distribution} {old.version}) but not in the config now"
            )
        elif old is not None and new is not None:
            changed = [
                f"{field} {getattr(old, field)!r} -> {getattr(new, field)!r}"
                for field in ("name", "distribution", "version", "target", "fingerprint")
                if getattr(old, field) != getattr(new, field)
            ]
            lines.append(f"{path}: " + ", ".join(changed))
    return lines


def to_json(entries: Iterable[Resolved]) -> list[dict[str, Any]]:
    return [asdict(e) for e in entries]


def from_json(items: Iterable[Mapping[str, Any]]) -> list[Resolved]:
    return [Resolved(**dict(item)) for item in items]


def default_lock_path(config_path: str | Path) -> Path:
    """``examples/quickstart.toml`` -> ``examples/quickstart.lock.json``."""
    path = Path(config_path)
    return path.with_name(path.stem + ".lock.json")


def write_lock(file: str | Path, entries: Iterable[Resolved], config_path: str | Path) -> Path:
    target = Path(file)
    payload = {
        "torchplug_lock": _FORMAT,
        "config": str(config_path),
        "components": to_json(entries),
    }
    target.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    return target


def read_lock(file: str | Path) -> list[Resolved]:
    try:
        payload = json.loads(Path(file).read_text(encoding="utf-8"))
        if payload.get("torchplug_lock") != _FORMAT:
            raise ValueError(f"unknown lock format {payload.get('torchplug_lock')!r}")
        return from_json(payload["components"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(
            f"cannot read the lock file: {exc}; write it with `torchplug lock CONFIG`",
            path=str(file),
        ) from None


def verify_against(
    recorded: list[Resolved], resolved: list[Resolved], what: str, hint: str
) -> None:
    """Refuse to go on when the installed providers differ from what `what` recorded."""
    lines = differences(recorded, resolved)
    if lines:
        raise LockMismatchError(
            f"the installed components differ from {what}:\n  " + "\n  ".join(lines) + f"\n{hint}"
        )


def follow(registry: Registry, recorded: Iterable[Resolved], origin: str) -> None:
    """Resolve every recorded component as it was recorded, even where a pack installed since
    provides the same name: a lock or checkpoint outranks every other preference."""
    table = {f"{r.category}.{r.name}": r.distribution for r in recorded if r.distribution}
    registry.add_preferences(table, origin=origin, place="lock")
