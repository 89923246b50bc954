"""torchplug-torch: the standard PyTorch training components, selectable by name through torchplug.

Most names are entry points, declared in this pack's ``pyproject.toml``, that point straight at a
torch class: ``adamw = "torch.optim:AdamW"``. The few that need adapting to their category's call
live in one module per category, each importing torch when an entry point first loads it:

- `torchplug_torch.activations`: ``softmax``, ``softmin``, ``log_softmax`` with ``dim=-1``;
- `torchplug_torch.losses`: ``kl_div`` with ``reduction="batchmean"``;
- `torchplug_torch.norms`: ``groupnorm``, taking ``dim`` first and normalising the last dimension.

Importing this package itself imports nothing, torch included.
"""
