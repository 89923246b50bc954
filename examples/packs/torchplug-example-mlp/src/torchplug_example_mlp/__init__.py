"""torchplug-example-mlp: a third-party torchplug pack that adds one model, ``tiny_mlp``.

torchplug finds it through the entry point in this distribution's ``pyproject.toml`` and imports
`torchplug_example_mlp.model` on the first ``registry.get("model", "tiny_mlp")``. This file
imports nothing, torch included, so that listing components stays cheap.
"""
