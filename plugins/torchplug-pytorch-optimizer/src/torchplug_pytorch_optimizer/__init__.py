"""torchplug-pytorch-optimizer: pytorch-optimizer's optimizers, LR schedulers and losses by name.

The entry points in this pack's ``pyproject.toml`` are generated, not hand-written: the enumerator
`torchplug_pytorch_optimizer._enumerate.components` lists what the installed pytorch-optimizer
registers, and ``torchplug entry-points`` writes them (``--check`` in CI says when they drift).

- A component whose constructor already checks its keywords is named directly
  (``adamw = "torch.optim:AdamW"``, ``focalloss = "pytorch_optimizer:FocalLoss"``).
- One whose constructor ends in ``**kwargs`` (most of pytorch-optimizer's optimizers) is named
  through `torchplug_pytorch_optimizer.optimizers` or `.schedulers`: a builder made on first
  access with the class's own signature minus ``**kwargs``, so a misspelt key is refused.

Importing this package itself imports nothing, torch and pytorch-optimizer included.
"""
