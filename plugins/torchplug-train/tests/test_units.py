"""The loop's small parts on their own: how a component asks to be driven, parameter groups,
claiming run directories, --set keys. (The behaviour end to end is in the run tests.)"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
import torch
from torchplug import ConfigError
from torchplug_train.config import LoopOptions, apply_overrides
from torchplug_train.groups import GroupSettings, param_groups, takes_model
from torchplug_train.rundir import claim_run_directory
from torchplug_train.stepping import has_modes, needs_closure, needs_create_graph, step_on


def _params() -> list[torch.nn.Parameter]:
    return [torch.nn.Parameter(torch.zeros(2))]


class _TimmLike:
    def step(self, epoch: int, metric: Any = None) -> None: ...

    def step_update(self, num_updates: int, metric: Any = None) -> None: ...


def test_schedulers_are_stepped_by_their_convention() -> None:
    optimizer = torch.optim.SGD(_params(), lr=0.1)
    plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer)
    assert step_on(plateau, None) == "eval"
    assert step_on(torch.optim.lr_scheduler.StepLR(optimizer, 2), None) == "step"
    assert step_on(_TimmLike(), None) == "updates"
    assert step_on(_TimmLike(), "epoch") == "epoch"  # the config wins
    declared = torch.optim.lr_scheduler.StepLR(optimizer, 2)
    declared.torchplug_step_on = "epoch"  # type: ignore[attr-defined]
    assert step_on(declared, None) == "epoch"


def test_the_loops_own_keys_are_read_and_checked_once() -> None:
    options = LoopOptions.from_config(
        {
            "optimizer": {"type": "adamw", "param_groups": {"no_weight_decay": ["bias"]}},
            "scheduler": {"type": "step", "step_on": "epoch"},
        }
    )
    assert options == LoopOptions(GroupSettings(no_weight_decay=("bias",)), "epoch")
    assert LoopOptions.from_config({"optimizer": "adamw", "scheduler": "step"}) == LoopOptions()
    with pytest.raises(ConfigError, match=r"scheduler\.step_on: expected one of"):
        LoopOptions.from_config({"scheduler": {"type": "step", "step_on": "hourly"}})


def test_optimizers_say_what_they_need() -> None:
    lbfgs = torch.optim.LBFGS(_params())
    adamw = torch.optim.AdamW(_params())
    assert needs_closure(lbfgs) and not needs_closure(adamw)
    assert not needs_create_graph(adamw) and not has_modes(adamw)
    adamw.torchplug_needs_closure = True  # type: ignore[attr-defined]
    adamw.torchplug_create_graph = True  # type: ignore[attr-defined]
    assert needs_closure(adamw) and needs_create_graph(adamw)


def test_pytorch_optimizers_hessian_and_schedule_free_ones_are_recognised() -> None:
    pytest.importorskip("pytorch_optimizer")
    from pytorch_optimizer import AdaHessian, ScheduleFreeAdamW

    assert needs_create_graph(AdaHessian(_params()))
    assert has_modes(ScheduleFreeAdamW(_params()))


def test_an_optimizer_builder_asks_for_the_model_by_naming_it() -> None:
    def with_model(model: Any, lr: float = 0.1) -> Any: ...

    def with_params(params: Any, lr: float = 0.1) -> Any: ...

    assert takes_model(with_model)
    assert not takes_model(with_params) and not takes_model(torch.optim.AdamW)


def test_param_groups_split_by_options_in_glob_order() -> None:
    model = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.LayerNorm(3), torch.nn.Linear(3, 1))
    settings = GroupSettings.from_config(
        {"no_weight_decay": True, "overrides": {"2.*": {"lr": 1.0}, "2.bias": {"lr": 2.0}}}
    )
    groups, names = param_groups(model, settings)
    by_name = {g["name"]: (g, n) for g, n in zip(groups, names, strict=True)}
    assert by_name["default"][1] == ["0.weight"]
    assert by_name["no_weight_decay"][1] == ["0.bias", "1.weight", "1.bias"]
    assert by_name["2.*"][1] == ["2.weight"] and by_name["2.*"][0]["lr"] == 1.0
    later_wins = by_name["no_weight_decay + 2.* + 2.bias"]
    assert later_wins[1] == ["2.bias"] and later_wins[0]["lr"] == 2.0
    assert later_wins[0]["weight_decay"] == 0.0


def test_a_run_directory_is_never_shared(tmp_path: Path) -> None:
    base = tmp_path / "runs" / "tiny"
    claimed: list[Path] = []
    threads = [
        threading.Thread(target=lambda: claimed.append(claim_run_directory(base)[0]))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(set(claimed)) == 8
    assert sorted(p.name for p in claimed) == sorted(["tiny", *(f"tiny-{n}" for n in range(2, 9))])
    empty = tmp_path / "made-by-hand"
    empty.mkdir()
    assert claim_run_directory(empty) == (empty, False)  # an empty directory is free
    assert claim_run_directory(tmp_path / "new") == (tmp_path / "new", True)


def test_set_keys_are_toml_keys() -> None:
    config: dict[str, Any] = {}
    apply_overrides(config, ['optimizer.param_groups.overrides."head.*".lr=1e-4', "a . b=2"])
    assert config == {
        "optimizer": {"param_groups": {"overrides": {"head.*": {"lr": 1e-4}}}},
        "a": {"b": 2},
    }


def test_the_command_recorded_in_config_toml_has_every_option_that_changes_the_run() -> None:
    from torchplug_train.run import RunOptions

    assert RunOptions("tiny.toml").command() == "torchplug run tiny.toml"
    options = RunOptions(
        "my runs/tiny.toml",
        ("optimizer.lr=0.1",),
        resume="runs/tiny",
        locked=True,
        lock_file="tiny.lock.json",
        allow_mismatch=True,
        device="cpu",
    )
    assert options.command() == (
        "torchplug run 'my runs/tiny.toml' --set optimizer.lr=0.1 --resume runs/tiny "
        "--lock-file tiny.lock.json --allow-mismatch --device cpu"
    )
