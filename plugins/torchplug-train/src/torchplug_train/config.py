"""Training configs: TOML files with ``--set key=value`` overrides, read into plain dicts."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from torchplug import ConfigError, Registry
from torchplug.build import did_you_mean, type_problem

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


def apply_overrides(config: dict[str, Any], overrides: Iterable[str]) -> dict[str, Any]:
    """Apply ``model.dim=64``-style overrides in order; intermediate tables are created."""
    for item in overrides:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set expects KEY=VALUE, got {item!r}", path=item)
        parts = [p.strip() for p in key.split(".")]
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
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            f"cannot read the config: {exc.strerror or exc}", path=str(file)
        ) from None
    try:
        config = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", path=str(file)) from None
    return apply_overrides(config, overrides)


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

    @classmethod
    def from_config(cls, table: Mapping[str, Any], config_path: str | Path) -> TrainSettings:
        known = {f.name: f for f in fields(cls)}
        hints = {"int": int, "str": str, "float | None": float | None}
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
        for key in ("steps", "batch_size", "log_every", "eval_batches"):
            if getattr(settings, key) < 1:
                raise ConfigError(
                    f"must be at least 1, got {getattr(settings, key)}", path=f"train.{key}"
                )
        if not settings.output_dir:
            settings.output_dir = str(Path("runs") / Path(config_path).stem)
        return settings


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
