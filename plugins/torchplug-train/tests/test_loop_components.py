"""Real third-party optimizers and schedulers trained by `torchplug run`, each driven the way it asks.

pytorch-optimizer provides the real schedule-free AdamW and AdaHessian (the two tests that train
them skip where it is not installed, as in the default test environment); the timm-style scheduler
and the torch-optimizer-style Lookahead are test-local classes of the same shape (see
conftest.py), since timm and torch-optimizer are not installed. Everything else here needs only
torch and the first-party packs, and runs everywhere.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch


def _run_dir(config: Path) -> Path:
    return config.parent / "runs" / config.stem


def _train_rows(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    return [r for r in rows if r["kind"] == "train"]


def test_schedule_free_adamw_is_switched_to_eval_for_evaluations_and_checkpoints(
    write_config, torchplug_cli, extras_site, jsonl
) -> None:
    pytest.importorskip("pytorch_optimizer")
    config = write_config(
        {
            "train": {"steps": 16, "checkpoint_every": 8},
            "optimizer": {"type": "tpx_sf_adamw", "lr": 0.01, "warmup_steps": 2},
        }
    )
    result = torchplug_cli("run", config, site=extras_site)
    assert result.returncode == 0, result.stderr
    events = jsonl(_run_dir(config) / "events.jsonl")
    modes: dict[str, set[object]] = {}
    for row in events:
        modes.setdefault(str(row["event"]), set()).add(row["optimizer_train_mode"])
    assert modes["train_start"] == {True}
    assert modes["step_end"] == {True}  # every step ran in train mode: no "not in train mode"
    assert modes["evaluate_start"] == {False} and modes["evaluate"] == {False}
    assert modes["checkpoint_start"] == {False}  # the averaged weights are the ones saved
    evaluations = [r for r in events if r["event"] == "evaluate_start"]
    assert [r["step"] for r in evaluations] == [4, 8, 12, 16]
    assert all(r["model_training"] is False for r in evaluations)
    losses = [r["loss"] for r in _train_rows(jsonl(_run_dir(config) / "metrics.jsonl"))]
    assert losses[-1] < losses[0]


def test_param_groups_reach_the_optimizer_and_show_in_the_checkpoint(
    write_config, torchplug_cli, extras_site
) -> None:
    config = write_config(
        {
            "optimizer": {
                "type": "adamw",
                "lr": 0.01,
                "weight_decay": 0.1,
                "param_groups": {
                    "no_weight_decay": ["bias", "norm"],
                    "overrides": {"3.*": {"lr": 0.001}},
                },
            }
        }
    )
    result = torchplug_cli("run", config, site=extras_site)
    assert result.returncode == 0, result.stderr
    assert "4 parameter groups" in result.stdout
    state = torch.load(_run_dir(config) / "checkpoint.pt", weights_only=True)
    groups = {g["name"]: g for g in state["param_groups"]}
    assert groups["default"]["params"] == ["0.weight"]
    assert groups["default"]["weight_decay"] == 0.1 and groups["default"]["lr"] == 0.01
    assert groups["no_weight_decay"]["params"] == ["0.bias", "1.weight", "1.bias"]
    assert groups["no_weight_decay"]["weight_decay"] == 0.0
    assert groups["no_weight_decay + 3.*"]["params"] == ["3.bias"]
    assert groups["no_weight_decay + 3.*"]["lr"] == 0.001
    assert groups["3.*"]["params"] == ["3.weight"] and groups["3.*"]["weight_decay"] == 0.1
    saved = state["optimizer"]["param_groups"]  # the optimizer's own state dict agrees
    assert sorted(g["weight_decay"] for g in saved) == [0.0, 0.0, 0.1, 0.1]
    # The table is the loop's: config.toml keeps it, the builder never saw it.
    assert "[optimizer.param_groups]" in (_run_dir(config) / "config.toml").read_text()


def test_an_optimizer_builder_that_asks_for_the_model_gets_it(
    write_config, torchplug_cli, extras_site
) -> None:
    config = write_config({"optimizer": {"type": "tpx_head_lr_sgd", "lr": 0.05}})
    result = torchplug_cli("run", config, site=extras_site)
    assert result.returncode == 0, result.stderr
    state = torch.load(_run_dir(config) / "checkpoint.pt", weights_only=True)
    assert [g["lr"] for g in state["optimizer"]["param_groups"]] == [0.05, 0.5]


def test_reduce_on_plateau_reduces_the_lr_after_evaluations_that_do_not_improve(
    write_config, torchplug_cli, extras_site, jsonl
) -> None:
    # A learning rate this small leaves the eval loss flat: a plateau by construction.
    config = write_config(
        {
            "train": {"steps": 16, "eval_every": 4},
            "optimizer": {"type": "sgd", "lr": 1e-9},
            # eps: torch ignores reductions smaller than it (1e-8 by default)
            "scheduler": {"type": "reduce_on_plateau", "patience": 0, "factor": 0.5, "eps": 0.0},
        }
    )
    result = torchplug_cli("run", config, site=extras_site)
    assert result.returncode == 0, result.stderr
    assert "scheduler stepped per eval" in result.stdout
    lrs = {r["step"]: r["lr"] for r in _train_rows(jsonl(_run_dir(config) / "metrics.jsonl"))}
    # Stepped with the eval loss after each evaluation (steps 4, 8, 12), never per step: the first
    # evaluation sets the best, each later one is no better and halves the lr.
    assert lrs[1] == lrs[4] == lrs[8] == pytest.approx(1e-9)
    assert lrs[9] == lrs[12] == pytest.approx(5e-10)
    assert lrs[13] == lrs[16] == pytest.approx(2.5e-10)


def test_a_timm_style_scheduler_gets_step_update_and_step_epoch(
    write_config, torchplug_cli, extras_site, jsonl
) -> None:
    # 128 samples in batches of 16: 8 steps per epoch.
    config = write_config(
        {
            "train": {"steps": 16},
            "scheduler": {"type": "tpx_timm_cosine", "t_initial": 16, "lr_min": 0.0},
        }
    )
    result = torchplug_cli("run", config, site=extras_site)
    assert result.returncode == 0, result.stderr
    assert "scheduler stepped per updates" in result.stdout
    state = torch.load(_run_dir(config) / "checkpoint.pt", weights_only=True)
    assert state["scheduler"]["calls"] == {"step_update": list(range(1, 17)), "step": [1, 2]}
    lrs = [r["lr"] for r in _train_rows(jsonl(_run_dir(config) / "metrics.jsonl"))]
    assert lrs[7] == pytest.approx(0.005)  # half-way down the cosine after 8 of 16 updates
    assert lrs[-1] == pytest.approx(0.0, abs=1e-12)


def test_a_scheduler_can_be_told_to_step_per_epoch(
    write_config, torchplug_cli, extras_site, jsonl
) -> None:
    config = write_config(
        {
            "train": {"steps": 16},
            "scheduler": {"type": "step", "step_size": 1, "gamma": 0.5, "step_on": "epoch"},
        }
    )
    result = torchplug_cli("run", config, site=extras_site)
    assert result.returncode == 0, result.stderr
    lrs = [r["lr"] for r in _train_rows(jsonl(_run_dir(config) / "metrics.jsonl"))]
    assert lrs[:7] == [0.01] * 7 and lrs[8:15] == [0.005] * 7 and lrs[15] == 0.0025


def test_lbfgs_gets_a_closure(write_config, torchplug_cli, extras_site, jsonl) -> None:
    # LBFGS.step(closure) without a closure is a TypeError at step 1.
    config = write_config(
        {"train": {"steps": 4, "eval_every": 1}, "optimizer": {"type": "lbfgs", "lr": 0.5}}
    )
    result = torchplug_cli("run", config, site=extras_site)
    assert result.returncode == 0, result.stderr
    rows = jsonl(_run_dir(config) / "metrics.jsonl")
    evals = [r["eval_loss"] for r in rows if r["kind"] == "eval"]  # the same batches each time
    assert len(_train_rows(rows)) == 4 and evals[-1] < evals[0]


def test_adahessian_gets_create_graph(write_config, torchplug_cli, extras_site, jsonl) -> None:
    # Without backward(create_graph=True), AdaHessian's first step raises "element 0 of tensors
    # does not require grad": its step(..., hessian=None) signature is what the loop reads.
    pytest.importorskip("pytorch_optimizer")
    config = write_config({"train": {"steps": 6}, "optimizer": {"type": "tpx_adahessian"}})
    result = torchplug_cli("run", config, site=extras_site)
    assert result.returncode == 0, result.stderr
    assert "create_graph" not in result.stderr  # torch's reference-cycle warning is handled
    losses = [r["loss"] for r in _train_rows(jsonl(_run_dir(config) / "metrics.jsonl"))]
    assert len(losses) == 6 and min(losses[1:]) < losses[0]


def test_an_optimizer_wrapper_with_its_own_state_dict_is_checkpointed(
    write_config, torchplug_cli, extras_site
) -> None:
    config = write_config(
        {"train": {"checkpoint_every": 4}, "optimizer": {"type": "tpx_lookahead"}}
    )
    result = torchplug_cli("run", config, site=extras_site)
    assert result.returncode == 0, result.stderr
    state = torch.load(_run_dir(config) / "checkpoint.pt", weights_only=True)
    assert set(state["optimizer"]) == {"fast_state", "slow_state", "param_groups"}
    assert state["step"] == 12 and state["recorder"] == {"written_at": 12}
    assert state["param_groups"][0]["num_params"] == 6
    # Its load_state_dict is broken on torch >= 2.0 (it never ran Optimizer.__init__): a resume
    # is refused in one paragraph that names the optimizer, not a traceback.
    resumed = torchplug_cli(
        "run", config, "--resume", _run_dir(config), "--set", "train.steps=16", site=extras_site
    )
    assert resumed.returncode == 2
    assert "its optimizer state does not fit" in resumed.stderr
    assert "Traceback" not in resumed.stderr


def test_a_failing_hook_plugin_is_named_with_its_event(
    write_config, torchplug_cli, extras_site, failing_hook_site
) -> None:
    config = write_config()
    for event, raised in (
        ("evaluate", "ValueError"),
        ("train_start", "RuntimeError"),
        ("step_end", "it called sys.exit(3)"),  # not the end of the run, exit status 3
    ):
        result = torchplug_cli(
            "run",
            config,
            site=failing_hook_site,
            env={"PYTHONPATH": str(extras_site), "TPX_FAIL": event},
        )
        assert result.returncode == 2
        assert "Traceback" not in result.stderr
        assert f"the hook plugin 'tpx-boom:boom' failed in the event torchplug_{event}" in (
            result.stderr
        )
        assert raised in result.stderr and "TORCHPLUG_DISABLE=tpx-boom" in result.stderr
    debug = torchplug_cli(
        "--traceback",
        "run",
        config,
        site=failing_hook_site,
        env={"PYTHONPATH": str(extras_site), "TPX_FAIL": "evaluate"},
    )
    assert "Traceback" in debug.stderr and "the dashboard is unreachable" in debug.stderr
    assert "HookError" in debug.stderr
