"""torchplug-train: the reference training loop behind ``torchplug run``, as a pack.

It uses only torchplug's public API, as any third-party trainer would, and adds to the core what a
training loop needs: configs with ``--set``, the ``run``, ``lock`` and ``plot`` commands, lock
files, run directories and checkpoints, agreement between torchrun ranks, the training-event hook
specs and two hook plugins (the metrics file and TensorBoard), and the contracts of the
categories it calls. Importing this package imports nothing; torch is imported when training
starts.
"""
