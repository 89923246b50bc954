"""torchplug-data: synthetic datasets generated in memory, selectable by name through torchplug.

Nothing is imported here, not even torch: torchplug finds the datasets through this
distribution's entry points and imports a module on the first ``registry.get`` of one of its names.

- `sequences`: ``sequence_copy``, ``sequence_reverse``, next-token tasks for a small language model
- `regression`: ``regression``, a random smooth function plus noise, for an MLP

Each builder returns a `torch.utils.data.TensorDataset` whose items are ``(inputs, targets)``,
the same for the same hyperparameters, ``seed`` included.
"""
