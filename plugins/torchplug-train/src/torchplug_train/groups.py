"""Parameter groups: what ``[optimizer.param_groups]`` asks for, turned into torch param groups.

The optimizer's builder never knows: it receives a list of group dicts where it would have received
``model.parameters()``, which every ``torch.optim.Optimizer`` accepts. Two rules, applied in order:

- ``no_weight_decay = ["bias", "norm"]``: biases, and the weights of normalisation layers, get
  ``weight_decay = 0``;
- ``[optimizer.param_groups.overrides]``: ``"glob" = {lr = ..., weight_decay = ...}`` on parameter
  names (as ``model.named_parameters()`` gives them); every matching glob applies, in the order
  written, a later one winning on a key both set.

Parameters with the same options share a group. A builder that wants to make its own groups asks
for the model instead (`takes_model`). Reading the table imports no torch; building does.
"""

from __future__ import annotations

import fnmatch
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from torchplug import ConfigError
from torchplug.build import did_you_mean

_PATH = "optimizer.param_groups"
#: The kinds of parameters ``no_weight_decay`` can name.
NO_DECAY_KINDS = ("bias", "norm")


@dataclass(frozen=True)
class Override:
    """Options for the parameters whose names match `pattern`."""

    pattern: str
    options: dict[str, Any]


@dataclass(frozen=True)
class GroupSettings:
    """The ``[optimizer.param_groups]`` table, read and checked."""

    no_weight_decay: tuple[str, ...] = ()
    overrides: tuple[Override, ...] = ()

    @classmethod
    def from_config(cls, table: Any) -> GroupSettings:
        if not isinstance(table, Mapping):
            raise ConfigError(
                f"expected a table (no_weight_decay = [...] and/or [{_PATH}.overrides]), got "
                f"{type(table).__name__} {table!r}",
                path=_PATH,
            )
        unknown = sorted(set(table) - {"no_weight_decay", "overrides"})
        if unknown:
            hint = did_you_mean(unknown[0], ["no_weight_decay", "overrides"])
            raise ConfigError(
                f"unknown key {unknown[0]!r}; accepted keys: ['no_weight_decay', 'overrides'].{hint}",
                path=f"{_PATH}.{unknown[0]}",
            )
        kinds = table.get("no_weight_decay", [])
        if kinds is True:
            kinds = list(NO_DECAY_KINDS)
        if not isinstance(kinds, list) or any(k not in NO_DECAY_KINDS for k in kinds):
            raise ConfigError(
                f"expected a list of {list(NO_DECAY_KINDS)} (or true for both), got {kinds!r}",
                path=f"{_PATH}.no_weight_decay",
            )
        overrides = table.get("overrides", {})
        if not isinstance(overrides, Mapping):
            raise ConfigError(
                'expected a table of "glob" = {lr = ..., weight_decay = ...}, got '
                f"{type(overrides).__name__} {overrides!r}",
                path=f"{_PATH}.overrides",
            )
        parsed = []
        for pattern, options in overrides.items():
            where = f'{_PATH}.overrides."{pattern}"'
            if not isinstance(options, Mapping) or not options:
                raise ConfigError(
                    f"expected a table of optimizer options such as {{lr = 1e-4}}, got {options!r}",
                    path=where,
                )
            if "params" in options:
                raise ConfigError("'params' is chosen by the glob, not given", path=where)
            parsed.append(Override(str(pattern), dict(options)))
        return cls(tuple(dict.fromkeys(kinds)), tuple(parsed))


def takes_model(builder: Callable[..., Any]) -> bool:
    """Whether an optimizer builder asks for the model rather than its parameters.

    It says so by naming its first positional parameter ``model``: libraries that build their own
    groups (layer decay, per-module rules) need the modules, not a flat parameter list.
    """
    try:
        parameters = list(inspect.signature(builder).parameters.values())
    except (TypeError, ValueError):
        return False
    positional = [
        p
        for p in parameters
        if p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    ]
    return bool(positional) and positional[0].name == "model"


def _is_norm(module: Any) -> bool:
    import torch

    norms = (
        torch.nn.modules.batchnorm._NormBase,
        torch.nn.GroupNorm,
        torch.nn.LayerNorm,
        torch.nn.LocalResponseNorm,
        getattr(torch.nn, "RMSNorm", torch.nn.LayerNorm),
    )
    return isinstance(module, norms) or "norm" in type(module).__name__.lower()


def _no_decay_names(model: Any, kinds: tuple[str, ...]) -> set[str]:
    names: set[str] = set()
    for module_name, module in model.named_modules():
        for name, _ in module.named_parameters(recurse=False):
            full = f"{module_name}.{name}" if module_name else name
            if "bias" in kinds and name == "bias":
                names.add(full)
            if "norm" in kinds and _is_norm(module):
                names.add(full)
    return names


def param_groups(
    model: Any, settings: GroupSettings
) -> tuple[list[dict[str, Any]], list[list[str]]]:
    """Torch param groups for `model`, one per distinct set of options, each with a ``name``; and
    the names of each group's parameters (kept apart: torch's own ``param_names`` key would
    oblige every optimizer to take named parameters)."""
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    no_decay = _no_decay_names(model, settings.no_weight_decay)
    for override in settings.overrides:
        if not any(fnmatch.fnmatchcase(name, override.pattern) for name, _ in named):
            sample = ", ".join(name for name, _ in named[:6])
            raise ConfigError(
                f"the glob {override.pattern!r} matches no parameter of the model; parameter "
                f"names look like: {sample}{', ...' if len(named) > 6 else ''}",
                path=f'{_PATH}.overrides."{override.pattern}"',
            )
    groups: dict[tuple[Any, ...], dict[str, Any]] = {}
    names: dict[tuple[Any, ...], list[str]] = {}
    for name, parameter in named:
        options: dict[str, Any] = {}
        labels = []
        if name in no_decay:
            options["weight_decay"] = 0.0
            labels.append("no_weight_decay")
        for override in settings.overrides:
            if fnmatch.fnmatchcase(name, override.pattern):
                options.update(override.options)
                labels.append(override.pattern)
        key = tuple(sorted((k, repr(v)) for k, v in options.items()))
        if key not in groups:
            groups[key] = {"name": " + ".join(labels) or "default", "params": [], **options}
            names[key] = []
        groups[key]["params"].append(parameter)
        names[key].append(name)
    return list(groups.values()), list(names.values())


def check_options(optimizer: Any, settings: GroupSettings, builder_name: str) -> None:
    """Refuse override keys the optimizer does not have: torch would keep them, unused."""
    defaults = getattr(optimizer, "defaults", None)
    if not isinstance(defaults, Mapping):
        return
    if settings.no_weight_decay and "weight_decay" not in defaults:
        raise ConfigError(
            f"the optimizer {builder_name!r} has no weight_decay option; remove no_weight_decay",
            path=f"{_PATH}.no_weight_decay",
        )
    for override in settings.overrides:
        for key in override.options:
            if key not in defaults and key != "name":
                hint = did_you_mean(key, list(defaults))
                raise ConfigError(
                    f"{builder_name!r} has no group option {key!r}; its options are "
                    f"{sorted(defaults)}.{hint}",
                    path=f'{_PATH}.overrides."{override.pattern}".{key}',
                )


def describe_groups(optimizer: Any, names: list[list[str]] | None) -> list[dict[str, Any]]:
    """The optimizer's groups for a checkpoint or a log: name, options and parameter names."""
    described = []
    for index, group in enumerate(getattr(optimizer, "param_groups", [])):
        entry: dict[str, Any] = {"name": group.get("name", f"group {index}")}
        for key in ("lr", "weight_decay"):
            if key in group:
                entry[key] = float(group[key])
        entry["num_params"] = len(group.get("params", []))
        if names is not None and index < len(names):
            entry["params"] = names[index]
        described.append(entry)
    return described
