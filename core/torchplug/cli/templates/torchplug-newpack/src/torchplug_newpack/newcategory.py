"""newcategory components of torchplug-newpack."""

from __future__ import annotations


class Example:
    """A placeholder newcategory: replace it with your component.

    The keyword arguments of ``__init__`` are the hyperparameters a config may set;
    torchplug checks a config's keys against them before building.
    """

    def __init__(self, scale: float = 1.0) -> None:
        self.scale = scale
