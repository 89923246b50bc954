"""The hook specifications of torchplug's pluggy project.

Hook plugins implement these with `torchplug.hookimpl` and are declared in the entry-point group
``"<namespace>.hooks"``; they are imported only when a hook is first called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from ._component import ComponentInfo, Provider

PROJECT = "torchplug"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec(firstresult=True)
def torchplug_resolve_conflict(
    category: str, name: str, candidates: list[Provider]
) -> Provider | str | None:
    """Choose among the providers of a name that several distributions declare.

    Return one of `candidates` (or its distribution name) to use it, or None to leave the choice to
    the next hook; when no hook chooses, `get` raises `DuplicateComponentError`. The first answer
    that is not None wins; an answer that is not a candidate raises `TorchplugError`.

    Called by `get` only, when several enabled distributions provide a bare name and no `prefer`
    choice applies; not when one distribution declares a name twice (a bug in that pack), and
    not by `info` or `check`, which still report the conflict.
    """


@hookspec
def torchplug_component_loaded(category: str, name: str, obj: Any, info: ComponentInfo) -> None:
    """Called once per provider, right after its object is first loaded by `get`.

    Also after a load by ``check(deep=True)``. `info` is ``registry.info(category, name)`` for the
    bare name at that moment (for a name still conflicted, status ``conflict``); `obj` is always
    the object that was loaded.
    """


# --------------------------------------------------------------------------- training events
# Called by the reference training loop (`torchplug run`) on every rank; `run.is_main` is true on
# rank 0, where loggers and checkpoint savers should act.


@hookspec
def torchplug_train_start(run: Any) -> None:
    """Before the first step: `run` has the config, the built components and the resolved set."""


@hookspec
def torchplug_step_end(run: Any, step: int, loss: float, metrics: dict[str, float]) -> None:
    """After each optimizer step (1-based `step`); `metrics` has lr, samples/s and the like."""


@hookspec
def torchplug_evaluate(run: Any, step: int, metrics: dict[str, float]) -> None:
    """After an evaluation pass; `metrics` has at least ``eval_loss``."""


@hookspec
def torchplug_train_end(run: Any, metrics: dict[str, float]) -> None:
    """After the last step, with the final metrics."""
