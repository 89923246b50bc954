"""Fixtures of the training-loop tests: small configs, real `torchplug` processes, and a test-local
pack (real dist-info, via `torchplug.testing.FakeSite`) of the third-party shapes the loop must
drive: pytorch-optimizer's schedule-free AdamW and AdaHessian, a torch-optimizer-style Lookahead
wrapper, a timm-style scheduler, an optimizer builder that takes the model, and a hook plugin
that records what the loop did at each event.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from torchplug.testing import FakeSite

pytest.importorskip("torch")
pytest.importorskip("torchplug_data", reason="the torchplug-data pack is not installed")

#: A config that trains in about a second: an MLP on the regression task.
BASE: dict[str, Any] = {
    "train": {
        "steps": 12,
        "batch_size": 16,
        "log_every": 4,
        "eval_every": 4,
        "eval_batches": 2,
        "threads": 1,
        "tensorboard": False,
    },
    "dataset": {"type": "regression", "num_samples": 128, "features": 4, "outputs": 1},
    "model": {"type": "tpx_mlp", "in_features": 4, "out_features": 1, "hidden": 16},
    "optimizer": {"type": "adamw", "lr": 0.01},
    "loss": {"type": "mse"},
}

EXTRAS = '''
"""Third-party shapes the training loop must drive, written for the tests."""
import json
import os
import signal
from collections import defaultdict

import torch
from torch.optim.optimizer import Optimizer
from torchplug import hookimpl


def mlp(in_features: int = 4, out_features: int = 1, hidden: int = 16):
    """Biases and a LayerNorm: parameters that parameter groups sort apart."""
    return torch.nn.Sequential(
        torch.nn.Linear(in_features, hidden),
        torch.nn.LayerNorm(hidden),
        torch.nn.GELU(),
        torch.nn.Linear(hidden, out_features),
    )


class Lookahead(Optimizer):
    """torch-optimizer's Lookahead, in shape: a wrapper that never calls Optimizer.__init__, has
    a state_dict of its own layout (fast_state / slow_state keyed by id), and a zero_grad()
    without arguments."""

    def __init__(self, optimizer, k=5, alpha=0.5):
        self.optimizer = optimizer
        self.k = k
        self.alpha = alpha
        self.param_groups = self.optimizer.param_groups
        self.state = defaultdict(dict)
        self.fast_state = self.optimizer.state
        for group in self.param_groups:
            group["counter"] = 0

    def _update(self, group):
        for fast in group["params"]:
            state = self.state[fast]
            if "slow_param" not in state:
                state["slow_param"] = torch.clone(fast.data).detach()
            slow = state["slow_param"]
            fast.data.mul_(self.alpha).add_(slow, alpha=1.0 - self.alpha)
            slow.data.copy_(fast)

    def step(self, closure=None):
        loss = self.optimizer.step(closure=closure)
        for group in self.param_groups:
            if group["counter"] == 0:
                self._update(group)
            group["counter"] = (group["counter"] + 1) % self.k
        return loss

    def state_dict(self):
        fast = self.optimizer.state_dict()
        slow = {(id(k) if isinstance(k, torch.Tensor) else k): v for k, v in self.state.items()}
        return {"fast_state": fast["state"], "slow_state": slow, "param_groups": fast["param_groups"]}

    def load_state_dict(self, state_dict):
        super().load_state_dict({"state": state_dict["slow_state"], "param_groups": state_dict["param_groups"]})
        self.optimizer.load_state_dict({"state": state_dict["fast_state"], "param_groups": state_dict["param_groups"]})

    def zero_grad(self):
        self.optimizer.zero_grad()


def lookahead(params, lr: float = 1e-2, k: int = 3, alpha: float = 0.5):
    return Lookahead(torch.optim.AdamW(params, lr=lr), k=k, alpha=alpha)


def head_lr_sgd(model, lr: float = 0.05, head_scale: float = 10.0):
    """An optimizer builder that makes its own groups: it asks for the model, not parameters."""
    head = list(model.children())[-1]
    head_ids = {id(p) for p in head.parameters()}
    body = [p for p in model.parameters() if id(p) not in head_ids]
    return torch.optim.SGD(
        [{"params": body}, {"params": list(head.parameters()), "lr": lr * head_scale}], lr=lr
    )


class TimmStyleCosine:
    """timm's Scheduler, in shape: step(epoch, metric=None) at each epoch's end and
    step_update(num_updates, metric=None) after each update; t_in_epochs says which moves lr."""

    def __init__(self, optimizer, t_initial: int = 12, lr_min: float = 0.0, t_in_epochs: bool = False):
        self.optimizer = optimizer
        self.t_initial = t_initial
        self.lr_min = lr_min
        self.t_in_epochs = t_in_epochs
        self.base = [group["lr"] for group in optimizer.param_groups]
        self.calls = {"step": [], "step_update": []}

    def _set(self, t):
        import math
        for group, base in zip(self.optimizer.param_groups, self.base):
            progress = min(t, self.t_initial) / self.t_initial
            group["lr"] = self.lr_min + 0.5 * (base - self.lr_min) * (1 + math.cos(math.pi * progress))

    def step(self, epoch, metric=None):
        self.calls["step"].append(epoch)
        if self.t_in_epochs:
            self._set(epoch)

    def step_update(self, num_updates, metric=None):
        self.calls["step_update"].append(num_updates)
        if not self.t_in_epochs:
            self._set(num_updates)

    def state_dict(self):
        return {"calls": self.calls, "base": self.base}

    def load_state_dict(self, state):
        self.calls = state["calls"]
        self.base = state["base"]


class Recorder:
    """Writes what the loop did at each event to <run dir>/events.jsonl."""

    def _log(self, run, event, **extra):
        if not run.is_main:
            return
        groups = getattr(run.optimizer, "param_groups", None) or [{}]
        mode = groups[0].get("train_mode")
        row = {
            "event": event,
            "step": run.step,
            "optimizer_train_mode": mode,
            "model_training": run.unwrapped_model().training,
            **extra,
        }
        with open(run.output_dir / "events.jsonl", "a", encoding="utf-8") as handle:
            handle.write(json.dumps(row) + "\\n")

    @hookimpl
    def torchplug_train_start(self, run):
        self._log(run, "train_start")

    @hookimpl
    def torchplug_step_end(self, run, step):
        self._log(run, "step_end")

    @hookimpl
    def torchplug_evaluate_start(self, run, step):
        self._log(run, "evaluate_start")

    @hookimpl
    def torchplug_evaluate(self, run, step, metrics):
        self._log(run, "evaluate", eval_loss=metrics["eval_loss"])

    @hookimpl
    def torchplug_checkpoint_start(self, run, step, state):
        state["recorder"] = {"written_at": step}
        if os.environ.get("TPX_DIE_ON_SIGXFSZ"):
            # Python ignores SIGXFSZ; restored, the kernel kills the process in the middle of
            # the write that crosses RLIMIT_FSIZE: a kill during the save.
            signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
        self._log(run, "checkpoint_start")

    @hookimpl
    def torchplug_checkpoint_end(self, run, step, path):
        self._log(run, "checkpoint_end", exists=path.is_file())

    @hookimpl
    def torchplug_train_end(self, run, metrics):
        self._log(run, "train_end", interrupted=metrics.get("interrupted", 0.0))


recorder = Recorder()
'''

#: A hook plugin that fails in the event its environment variable names.
FAILING_HOOK = """
import os
import sys
from torchplug import hookimpl

class Boom:
    @hookimpl
    def torchplug_step_end(self, run, step):
        if os.environ.get("TPX_FAIL") == "step_end" and step == 3:
            sys.exit(3)

    @hookimpl
    def torchplug_evaluate(self, run, step, metrics):
        if os.environ.get("TPX_FAIL") == "evaluate":
            raise ValueError("the dashboard is unreachable")

    @hookimpl
    def torchplug_train_start(self, run):
        if os.environ.get("TPX_FAIL") == "train_start":
            raise RuntimeError("no token")

boom = Boom()
"""


def merge(base: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """`base` with `changes` merged into its tables; a value of None removes the key."""
    merged = copy.deepcopy(dict(base))
    for key, value in changes.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


@pytest.fixture(scope="session")
def extras_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A site directory with the test-local pack ``tpx-extras`` (names prefixed ``tpx_`` so that
    no installed pack conflicts with them)."""
    root = tmp_path_factory.mktemp("extras-site")
    FakeSite(root, namespace="torchplug").add(
        "tpx-extras",
        "1.0",
        entry_points={
            "model": {"tpx_mlp": "tpx_extras:mlp"},
            "optimizer": {
                "tpx_sf_adamw": "pytorch_optimizer:ScheduleFreeAdamW",
                "tpx_adahessian": "pytorch_optimizer:AdaHessian",
                "tpx_lookahead": "tpx_extras:lookahead",
                "tpx_head_lr_sgd": "tpx_extras:head_lr_sgd",
            },
            "scheduler": {"tpx_timm_cosine": "tpx_extras:TimmStyleCosine"},
            "hooks": {"recorder": "tpx_extras:recorder"},
        },
        modules={"tpx_extras": EXTRAS},
    )
    return root


@pytest.fixture
def write_config(tmp_path: Path) -> Callable[..., Path]:
    """Write `BASE` merged with changes as ``<name>.toml``; output goes to tmp_path/runs/<name>."""
    import tomlkit

    def write(changes: Mapping[str, Any] | None = None, name: str = "tiny") -> Path:
        config = merge(BASE, {"train": {"output_dir": (tmp_path / "runs" / name).as_posix()}})
        config = merge(config, changes or {})
        file = tmp_path / f"{name}.toml"
        file.write_text(tomlkit.dumps(config), encoding="utf-8")
        return file

    return write


def run_torchplug(
    *args: str | Path,
    site: Path | None = None,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    **popen: Any,
) -> subprocess.CompletedProcess[str]:
    """`python -m torchplug ARGS` as a user runs it (the scan cache off, one CPU thread)."""
    full_env = {**os.environ, "TORCHPLUG_CACHE": "0", "OMP_NUM_THREADS": "1", **(env or {})}
    full_env.pop("TORCHPLUG_TRACEBACK", None)
    if site is not None:
        full_env["PYTHONPATH"] = os.pathsep.join(str(s) for s in (site, *_extra_path(env)))
    return subprocess.run(
        [sys.executable, "-m", "torchplug", *map(str, args)],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd,
        timeout=600,
        **popen,
    )


def _extra_path(env: Mapping[str, str] | None) -> list[str]:
    extra = (env or {}).get("PYTHONPATH")
    return [extra] if extra else []


@pytest.fixture
def torchplug_cli() -> Callable[..., subprocess.CompletedProcess[str]]:
    return run_torchplug


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def jsonl() -> Callable[[Path], list[dict[str, Any]]]:
    return read_jsonl


@pytest.fixture
def failing_hook_site(tmp_path: Path, extras_site: Path) -> Path:
    """The extras plus ``tpx-boom``, whose hook plugin fails where TPX_FAIL says."""
    root = tmp_path / "boom-site"
    FakeSite(root, namespace="torchplug").add(
        "tpx-boom",
        "2.0",
        entry_points={"hooks": {"boom": "tpx_boom:boom"}},
        modules={"tpx_boom": FAILING_HOOK},
    )
    return root
