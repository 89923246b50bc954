"""The calls this training loop makes to the builders of each category it uses.

Declared in the entry-point group ``torchplug.contracts``, so `torchplug check --deep` can hold an
installed builder against the call the loop will make, and a spec without ``type`` has a default.
Importing this module costs no torch: it is loaded whenever a contract is needed.
"""

from __future__ import annotations

from torchplug.build import Contract

MODEL = Contract("model", returns="nn.Module")
OPTIMIZER = Contract("optimizer", ("params",), returns="torch.optim.Optimizer")
SCHEDULER = Contract("scheduler", ("optimizer",), returns="an LR scheduler")
LOSS = Contract("loss", returns="callable (logits, targets) -> scalar tensor")
DATASET = Contract("dataset", returns="a map-style torch Dataset of (inputs, targets) samples")
