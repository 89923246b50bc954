"""The training loop's own failures, each a `torchplug.TorchplugError` the command line reports.

A `TorchplugError` is printed by ``torchplug`` as one paragraph with exit status 2 and no traceback
(``--traceback`` or TORCHPLUG_TRACEBACK=1 shows it, the original exception chained as
``__cause__``). Everything a user's config, a pack's builder or a hook plugin can get wrong while
a run is set up or trains ends here, never as a raw exception. Imports no torch.
"""

from __future__ import annotations

from typing import Any

from torchplug import ConfigError, TorchplugError
from torchplug.build import ComponentFactory

_HOW_TO_DEBUG = "run again with --traceback for the full traceback"


def first_line(exc: BaseException, limit: int | None = None) -> str:
    """``ValueError: the first line of its message`` (cut at `limit` characters): what a
    one-paragraph error quotes of an exception it wraps; the rest is for ``--traceback``."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:limit]}" if text else type(exc).__name__


class ComponentError(ConfigError):
    """A component's own code raised while it was built or used (the original is ``__cause__``).

    The message names the config path, the component and the pack that provides it: the place to
    look is the values under that table, or the pack's code.
    """

    @classmethod
    def raised(
        cls, factory: ComponentFactory, exc: BaseException, doing: str, fix: str
    ) -> ComponentError:
        provider = factory.info.provider
        # torchplug notes which nested component was being built ("while building model.mlp: ..."):
        # the innermost one is where to look.
        notes = [n for n in getattr(exc, "__notes__", []) if n.startswith("while building ")]
        inner = notes[0].removeprefix("while building ").split(":")[0] if notes else factory.path
        where = f"; {notes[0]}" if inner != factory.path else ""
        return cls(
            f"{doing} raised {first_line(exc)} ({factory.component}{where}). {fix}; "
            f"{_HOW_TO_DEBUG}.",
            path=factory.path,
            component=f"{factory.category}:{factory.name}",
            distribution=provider.distribution if provider is not None else None,
        )


class HookError(TorchplugError):
    """A hook plugin raised during a training event; the message names the plugin and the event."""

    def __init__(self, message: str, *, plugin: str | None, event: str) -> None:
        super().__init__(message)
        self.plugin = plugin
        self.event = event


class CheckpointError(TorchplugError):
    """A checkpoint could not be written, or a file given to ``--resume`` cannot be resumed from."""


class RunDirectoryError(ConfigError):
    """The run directory cannot be created or written (``train.output_dir``)."""


def describe(value: Any) -> str:
    """A short description of a runtime value for messages: tensors by shape and dtype."""
    shape = getattr(value, "shape", None)
    dtype = getattr(value, "dtype", None)
    if shape is not None and dtype is not None:
        return f"a tensor of shape {tuple(shape)} and dtype {str(dtype).replace('torch.', '')}"
    return f"a {type(value).__name__}"
