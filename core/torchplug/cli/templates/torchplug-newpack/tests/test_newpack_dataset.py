"""The dataset example of torchplug-newpack."""

from __future__ import annotations

from torchplug import Registry

PACK = "torchplug-newpack"


def test_newpack_counting_gives_input_target_batches(torchplug_registry: Registry) -> None:
    spec = {"type": f"{PACK}:newpack_counting", "num_batches": 3}
    batches = torchplug_registry.build("dataset", spec)
    assert len(batches) == 3
    for inputs, targets in batches:
        assert targets == [x + 1 for x in inputs]
