"""Training configs: TOML files with ``--set key=value`` overrides, read into plain dicts.

Also the ``[train]`` table (`TrainSettings`, range-checked) and the few keys of component tables
that the loop reads itself (`LOOP_KEYS`, read into `LoopOptions`: an optimizer's
``param_groups``, a scheduler's ``step_on``), which are taken out before the builder sees its
table. Imports no torch.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from torchplug import ConfigError, Registry
from torchplug.build import did_you_mean, type_problem

from .groups import GroupSettings
from .stepping import STEP_ON

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib


def _parse_value(text: str) -> Any:
    """A TOML value (``3``, ``1e-3``, ``true``, ``[1, 2]``, ``"x"``); a bare word stays a string."""
    try:
        return tomllib.loads(f"value = {text}")["value"]
    except tomllib.TOMLDecodeError:
        return text


def _dotted_key(key: str) -> list[str]:
    """``model.dim`` -> ["model", "dim"]; quoted parts as TOML reads them (``a."b.*".lr``)."""
    try:
        table: Any = tomllib.loads(f"{key} = 0")
    except tomllib.TOMLDecodeError:
        raise ConfigError(
            f"--set {key}=...: {key!r} is not a TOML key; quote parts with dots or spaces, e.g. "
            'optimizer.param_groups.overrides."head.*".lr=1e-4',
            path=key,
        ) from None
    parts = []
    while isinstance(table, dict) and len(table) == 1:
        ((part, table),) = table.items()
        parts.append(part)
    return parts


def apply_overrides(config: dict[str, Any], overrides: Iterable[str]) -> dict[str, Any]:
    """Apply ``model.dim=64``-style overrides in order; intermediate tables are created."""
    for item in overrides:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(
                f"--set expects KEY=VALUE, e.g. --set optimizer.lr=3e-4, got {item!r}", path=item
            )
        parts = _dotted_key(key)
        table = config
        for depth, part in enumerate(parts[:-1]):
            child = table.setdefault(part, {})
            if not isinstance(child, dict):
                where = ".".join(parts[: depth + 1])
                raise ConfigError(
                    f"cannot set {key!r}: {where} is a {type(child).__name__}, not a table",
                    path=where,
                )
            table = child
        table[parts[-1]] = _parse_value(raw.strip())
    return config


def load_config(path: str | Path, overrides: Iterable[str] = ()) -> dict[str, Any]:
    """Read a TOML config and apply overrides; errors name the file and the line."""
    file = Path(path)
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise ConfigError(
            f"cannot read the config: {exc.strerror or exc}; give the path of a TOML file",
            path=str(file),
        ) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"not UTF-8 text: byte 0x{data[exc.start]:02x} on line {line} cannot be decoded; "
            "TOML files are UTF-8, so save the file as UTF-8",
            path=str(file),
        ) from None
    try:
        config = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", path=str(file)) from None
    return apply_overrides(config, overrides)


#: Keys of component tables that the loop reads itself and the builder never sees.
LOOP_KEYS: dict[str, tuple[str, ...]] = {
    "optimizer": ("param_groups",),
    "scheduler": ("step_on",),
}


def component_spec(config: Mapping[str, Any], table: str) -> Any:
    """The spec of a component table as its builder sees it: without the loop's own keys."""
    spec = config[table]
    own = LOOP_KEYS.get(table, ())
    if isinstance(spec, Mapping) and any(key in spec for key in own):
        return {k: v for k, v in spec.items() if k not in own}
    return spec


@dataclass(frozen=True)
class LoopOptions:
    """The loop's own keys of the component tables, read and checked before anything is built."""

    param_groups: GroupSettings | None = None  # [optimizer.param_groups]
    step_on: str | None = None  # [scheduler] step_on; None: as the scheduler shows or declares

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> LoopOptions:
        optimizer, scheduler = config.get("optimizer"), config.get("scheduler")
        groups = optimizer.get("param_groups") if isinstance(optimizer, Mapping) else None
        step_on = scheduler.get("step_on") if isinstance(scheduler, Mapping) else None
        if step_on is not None and step_on not in STEP_ON:
            raise ConfigError(
                f"expected one of {list(STEP_ON)}, got {step_on!r}", path="scheduler.step_on"
            )
        return cls(GroupSettings.from_config(groups) if groups is not None else None, step_on)


def train_table(config: Mapping[str, Any], config_path: str | Path) -> TrainSettings:
    """The ``[train]`` table of a config, checked; a config without one trains with defaults."""
    table = config.get("train", {})
    if not isinstance(table, Mapping):
        raise ConfigError(
            f"expected a table of training settings ([train] with keys such as steps = 100), "
            f"got {type(table).__name__} {table!r}",
            path="train",
        )
    return TrainSettings.from_config(table, config_path)


@dataclass
class TrainSettings:
    """The ``[train]`` table: the loop's own settings (components have their own tables)."""

    steps: int = 100
    batch_size: int = 32  # per rank
    seed: int = 0
    log_every: int = 10
    eval_every: int = 0  # 0: evaluate once, at the end
    eval_batches: int = 4
    checkpoint_every: int = 0  # 0: checkpoint once, at the end
    output_dir: str = ""  # default: runs/<config file stem>
    grad_clip: float | None = None
    target_loss: float | None = None  # reported as reached or not; the run does not stop early
    metrics_format: str = "jsonl"  # "jsonl" or "csv", written by the metrics logger hook plugin
    threads: int = 0  # torch intra-op threads on CPU; 0 keeps torch's default
    tensorboard: bool = True  # log to <run dir>/tensorboard when the tensorboard package is there

    @classmethod
    def from_config(cls, table: Mapping[str, Any], config_path: str | Path) -> TrainSettings:
        known = {f.name: f for f in fields(cls)}
        hints = {"int": int, "str": str, "bool": bool, "float | None": float | None}
        for key, value in table.items():
            if key not in known:
                hint = did_you_mean(key, known)
                raise ConfigError(
                    f"unknown key {key!r}; accepted keys: {sorted(known)}.{hint}",
                    path=f"train.{key}",
                )
            problem = type_problem(value, hints.get(str(known[key].type), Any))
            if problem:
                raise ConfigError(problem, path=f"train.{key}")
        settings = cls(**table)
        if settings.metrics_format not in ("jsonl", "csv"):
            raise ConfigError(
                f"expected 'jsonl' or 'csv', got {settings.metrics_format!r}",
                path="train.metrics_format",
            )
        settings._check_ranges()
        if not settings.output_dir:
            settings.output_dir = str(Path("runs") / Path(config_path).stem)
        return settings

    def _check_ranges(self) -> None:
        """Refuse values that would train nonsense silently (a negative clip ascends the loss)."""
        for key in ("steps", "batch_size", "log_every", "eval_batches"):
            value = getattr(self, key)
            if value < 1:
                raise ConfigError(f"must be at least 1, got {value}", path=f"train.{key}")
        for key, zero in (
            ("eval_every", "evaluate only after the last step"),
            ("checkpoint_every", "checkpoint only after the last step"),
            ("threads", "keep torch's default"),
        ):
            value = getattr(self, key)
            if value < 0:
                raise ConfigError(
                    f"must be 0 or more, got {value} (0: {zero})", path=f"train.{key}"
                )
        if not 0 <= self.seed < 2**63:
            raise ConfigError(
                f"must be between 0 and 2**63 - 1, got {self.seed}", path="train.seed"
            )
        if self.grad_clip is not None and not (
            math.isfinite(self.grad_clip) and self.grad_clip > 0
        ):
            raise ConfigError(
                f"must be a positive number, got {self.grad_clip} (the maximum gradient norm; "
                "leave it out for no clipping)",
                path="train.grad_clip",
            )
        if self.target_loss is not None and not math.isfinite(self.target_loss):
            raise ConfigError(
                f"must be a finite number, got {self.target_loss}", path="train.target_loss"
            )


def apply_settings(registry: Registry, config: Mapping[str, Any], config_path: str | Path) -> None:
    """Apply the config's ``[torchplug]`` table: ``[torchplug.prefer]`` settles names several
    installed packs provide, for this config, as the project's ``torchplug.toml`` does for all."""
    table = config.get("torchplug", {})
    if not isinstance(table, Mapping):
        raise ConfigError(
            f"[torchplug] must be a table (e.g. [torchplug.prefer]), got {table!r}",
            path="torchplug",
        )
    unknown = sorted(set(table) - {"prefer"})
    if unknown:
        raise ConfigError(
            f"unknown key {unknown[0]!r}; the [torchplug] table of a config holds 'prefer'."
            + did_you_mean(unknown[0], ["prefer"]),
            path=f"torchplug.{unknown[0]}",
        )
    if "prefer" in table:
        registry.add_preferences(
            table["prefer"], origin=f"{config_path} [torchplug.prefer]", place="config"
        )
