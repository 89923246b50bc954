"""Every example config resolves and validates against the installed packs, as `run --dry-run` does."""

from __future__ import annotations

from pathlib import Path

import pytest
import torchplug
from torchplug_train.config import TrainSettings, load_config
from torchplug_train.lock import prepare, resolved_set

EXAMPLES = Path(__file__).resolve().parents[1]
CONFIGS = sorted(EXAMPLES.glob("*.toml"))


def test_there_are_examples() -> None:
    assert [c.name for c in CONFIGS] == ["quickstart.toml", "regression.toml"]


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_every_component_resolves_and_validates(path: Path) -> None:
    config = load_config(path)
    TrainSettings.from_config(config["train"], path)
    resolved = resolved_set(prepare(torchplug.Registry(), config))
    assert {"dataset", "model", "optimizer", "loss"} <= {r.path for r in resolved}
    assert all(r.distribution for r in resolved), "every example component comes from a pack"
