"""The newcategory example of torchplug-newpack."""

from __future__ import annotations

from torchplug import Registry

PACK = "torchplug-newpack"


def test_newpack_example_takes_its_hyperparameters(torchplug_registry: Registry) -> None:
    spec = {"type": f"{PACK}:newpack_example", "scale": 2.0}
    built = torchplug_registry.build("newcategory", spec)
    assert built.scale == 2.0
