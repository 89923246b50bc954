"""What pytorch-optimizer registers, and builders that give its ``**kwargs`` classes checked keys.

torchplug checks a config's keys against ``inspect.signature`` of the builder, and a signature
that ends in ``**kwargs`` accepts any key: ``AdamP(params, weight_decy=0.1)`` silently runs without
weight decay. `checked_builder` wraps such a class in a function that makes the same call, and
sets the function's ``__signature__`` (which ``inspect.signature`` honours) to the class's own
parameters without ``**kwargs``. torchplug then refuses the misspelt key with a did-you-mean, as
for a hand-written builder, and the builder refuses it too when called directly.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

#: The ``**kwargs`` of these classes are handed on to their parent's ``__init__``, whose keyword
#: parameters are therefore theirs too (PolyScheduler's t_max, max_lr, ... are its base's).
FORWARDS_TO_PARENT = frozenset({("scheduler", "poly")})

#: Keywords a constructor reads out of its ``**kwargs`` without declaring them.
HIDDEN_KEYWORDS: dict[tuple[str, str], tuple[inspect.Parameter, ...]] = {
    ("optimizer", name): (
        inspect.Parameter(
            "use_palm", inspect.Parameter.KEYWORD_ONLY, default=False, annotation=bool
        ),
    )
    for name in ("schedulefreeadamw", "schedulefreeradam")
}

#: ``**kwargs`` that cannot be replaced by a list of keys: the entry point names the class itself.
KEEPS_KWARGS: dict[tuple[str, str], str] = {
    ("optimizer", "magma"): "its **kwargs are the hyperparameters of the optimizer it wraps",
}


def supported() -> dict[str, list[str]]:
    """The names pytorch-optimizer registers, by torchplug category."""
    import pytorch_optimizer

    return {
        "optimizer": pytorch_optimizer.get_supported_optimizers(),
        "scheduler": pytorch_optimizer.get_supported_lr_schedulers(),
        "loss": pytorch_optimizer.get_supported_loss_functions(),
    }


def upstream(category: str, name: str) -> Callable[..., Any]:
    """The class or function pytorch-optimizer registers as `name` in `category`.

    Raises `LookupError` for a name it does not register.
    """
    import pytorch_optimizer
    from pytorch_optimizer.loss import LOSS_FUNCTIONS

    if name not in supported().get(category, []):
        raise LookupError(f"pytorch-optimizer registers no {category} named {name!r}")
    component: Callable[..., Any]
    if category == "optimizer":
        component = pytorch_optimizer.load_optimizer(name)
    elif category == "scheduler":
        component = pytorch_optimizer.load_lr_scheduler(name)
    else:
        component = LOSS_FUNCTIONS[name]
    return component


def _signature(component: Callable[..., Any]) -> inspect.Signature:
    try:
        return inspect.signature(component, eval_str=True)
    except Exception:  # an annotation that names something only a type checker imports
        return inspect.signature(component)


def takes_any_keyword(component: Callable[..., Any]) -> bool:
    """Whether `component`'s signature ends in ``**kwargs``."""
    return any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in _signature(component).parameters.values()
    )


def needs_builder(category: str, name: str) -> bool:
    """Whether the entry point of `name` names a `checked_builder` rather than upstream's class."""
    return (category, name) not in KEEPS_KWARGS and takes_any_keyword(upstream(category, name))


def checked_signature(
    component: Callable[..., Any],
    *,
    forwards_to: Callable[..., Any] | None = None,
    extra: Sequence[inspect.Parameter] = (),
) -> inspect.Signature:
    """`component`'s signature without ``**kwargs``, plus the keyword parameters of
    `forwards_to` (without its first, the runtime input both share) and `extra`."""
    signature = _signature(component)
    own = [p for p in signature.parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD]
    added = list(extra)
    if forwards_to is not None:
        variadic = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
        taken = {p.name for p in own}
        added[:0] = [
            p.replace(kind=inspect.Parameter.KEYWORD_ONLY)
            for p in list(_signature(forwards_to).parameters.values())[1:]
            if p.name not in taken and p.kind not in variadic
        ]
    return signature.replace(
        parameters=[*own, *(p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in added)]
    )


def checked_builder(
    component: Callable[..., Any],
    name: str,
    module: str,
    *,
    forwards_to: Callable[..., Any] | None = None,
    extra: Sequence[inspect.Parameter] = (),
) -> Callable[..., Any]:
    """A function ``module.name`` that calls `component` with what it is given, after checking
    that against `checked_signature`; `inspect.signature` of the function returns that signature.
    """
    signature = checked_signature(component, forwards_to=forwards_to, extra=extra)

    def build(*args: Any, **kwargs: Any) -> Any:
        signature.bind(*args, **kwargs)  # TypeError naming an unexpected keyword, as a def would
        return component(*args, **kwargs)

    build.__signature__ = signature  # type: ignore[attr-defined]
    build.__annotations__ = {
        p.name: p.annotation
        for p in signature.parameters.values()
        if p.annotation is not inspect.Parameter.empty
    }
    build.__name__ = build.__qualname__ = name
    build.__module__ = module
    upstream_name = f"{component.__module__}.{component.__qualname__}"
    build.__doc__ = (
        f"``{upstream_name}`` with its keyword arguments checked (its ``**kwargs`` left out)."
        + (f"\n\n{inspect.cleandoc(component.__doc__)}" if component.__doc__ else "")
    )
    return build


def builder(category: str, name: str, module: str) -> Callable[..., Any]:
    """The checked builder of pytorch-optimizer's `name`, as an attribute of `module`.

    Raises `AttributeError` (this is what a module ``__getattr__`` returns) for a name that
    pytorch-optimizer does not register or whose class needs no builder.
    """
    try:
        component = upstream(category, name)
    except LookupError as exc:
        raise AttributeError(f"module {module!r} has no attribute {name!r}: {exc}") from None
    if not needs_builder(category, name):
        raise AttributeError(
            f"module {module!r} has no attribute {name!r}: pytorch-optimizer's {category} "
            f"{name!r} checks its own keywords, so its entry point names it directly"
        )
    parent = inspect.getmro(component)[1] if isinstance(component, type) else None
    return checked_builder(
        component,
        name,
        module,
        forwards_to=parent if (category, name) in FORWARDS_TO_PARENT else None,
        extra=HIDDEN_KEYWORDS.get((category, name), ()),
    )
