"""Every bad input to `torchplug run` ends in one paragraph and exit status 2, never a traceback.

Each case is a config, a --set, a [train] value, a component value a builder refuses, a loss that
does not fit the task, or a file given to --resume that is not a checkpoint it can resume from.
They run through `torchplug.cli.main` in this process (torch imported once: the whole list takes
seconds); anything but a `TorchplugError` escaping `main` is the traceback a user would have seen.
A few run as real processes at the end, to hold the in-process shortcut to the real thing.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import torch
from torchplug.cli import main

pytest.importorskip("torchplug_transformer", reason="the torchplug-transformer pack is needed")

#: First-party components only, so the in-process registry needs no test pack on its path.
GOOD = """
[train]
steps = 3
batch_size = 8
eval_batches = 1
threads = 1
tensorboard = false
output_dir = "{output}"

[dataset]
type = "sequence_reverse"
num_samples = 32
seq_len = 8
vocab_size = 8

[model]
type = "gpt"
vocab_size = 8
dim = 16
num_layers = 1
num_heads = 2
max_seq_len = 8

[optimizer]
type = "adamw"
lr = 0.003

[loss]
type = "cross_entropy"
"""


@dataclass
class Case:
    """A bad input: `--set` overrides, or a config file's text (``{output}`` filled in), plus
    extra arguments; `expect` is a piece of the one-paragraph error."""

    id: str
    expect: str
    sets: tuple[str, ...] = ()
    text: str | bytes | None = None
    args: tuple[str, ...] = ()
    setup: Callable[[Path], list[str]] | None = None  # writes files, returns extra arguments
    extra: dict[str, Any] = field(default_factory=dict)


def _set(id: str, expect: str, *sets: str) -> Case:
    return Case(id, expect, sets=sets)


def _file_at(name: str) -> Callable[[Path], list[str]]:
    def setup(tmp: Path) -> list[str]:
        (tmp / name).write_text("I am a file\n")
        return []

    return setup


# ------------------------------------------------------------------- checkpoints given to --resume


def _resume_with(make: Callable[[Path], Path], *more: str) -> Callable[[Path], list[str]]:
    def setup(tmp: Path) -> list[str]:
        return ["--resume", str(make(tmp)), *more]

    return setup


def _saved(obj: Any) -> Callable[[Path], Path]:
    def make(tmp: Path) -> Path:
        torch.save(obj, tmp / "bad.pt")
        return tmp / "bad.pt"

    return make


def _text_file(content: bytes) -> Callable[[Path], Path]:
    def make(tmp: Path) -> Path:
        (tmp / "bad.pt").write_bytes(content)
        return tmp / "bad.pt"

    return make


def _a_zip(tmp: Path) -> Path:
    with zipfile.ZipFile(tmp / "bad.pt", "w") as archive:
        archive.writestr("hello.txt", "not a tensor archive")
    return tmp / "bad.pt"


def _directory_without_checkpoint(tmp: Path) -> Path:
    (tmp / "empty-run").mkdir()
    return tmp / "empty-run"


class Pickled:
    """An object only a full unpickler could rebuild: weights_only loading refuses it."""


def _real(change: Callable[[dict[str, Any]], None]) -> Callable[[Path], Path]:
    """A real checkpoint of GOOD (trained once per session), changed by `change`."""

    def make(tmp: Path) -> Path:
        state = torch.load(REAL_CHECKPOINT[0], weights_only=True)
        change(state)
        torch.save(state, tmp / "bad.pt")
        return tmp / "bad.pt"

    return make


REAL_CHECKPOINT: list[Path] = []
#: GOOD trains 3 steps: a resume must ask for more, or it is refused before the state is loaded.
_FURTHER = ("--set", "train.steps=6")


def _drop(key: str) -> Callable[[dict[str, Any]], None]:
    return lambda state: state.pop(key)


def _put(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda state: state.__setitem__(key, value)


def _shrink_model(state: dict[str, Any]) -> None:
    state["model"] = {k: v[..., :1] for k, v in state["model"].items()}


def _lock_with_extra_keys(state: dict[str, Any]) -> None:
    state["lock"][0]["colour"] = "blue"


CASES = [
    # The config file itself.
    Case(
        "non-utf8-config",
        "not UTF-8 text: byte 0xff on line 2",
        text=b"[train]\nsteps = 3 # \xff\n",
    ),
    Case("invalid-toml", "not valid TOML", text="[train\nsteps = 3\n"),
    Case(
        "empty-config", "the config has no [dataset], [model], [optimizer], [loss] table", text=""
    ),
    Case("train-is-a-number", "train: expected a table of training settings", text="train = 5\n"),
    Case("unknown-table", "unknown table(s) ['trainer']", sets=("trainer.steps=3",)),
    Case("missing-file", "cannot read the config", args=("--missing",)),
    Case("config-is-a-directory", "cannot read the config", args=("--directory",)),
    # --set
    _set("set-train-number", "train: expected a table of training settings", "train=5"),
    _set("set-train-string", "train: expected a table of training settings", 'train="fast"'),
    _set("set-without-equals", "--set expects KEY=VALUE", "train.steps"),
    _set("set-empty-key", "--set expects KEY=VALUE", "=3"),
    _set("set-not-a-key", "'model..dim' is not a TOML key", "model..dim=3"),
    _set("set-into-a-number", "train.steps is a int, not a table", "train.steps.x=1"),
    _set("model-is-a-number", "model: expected a name or a table with a 'type' key", "model=3"),
    _set("model-type-empty", "'type' must be a non-empty model name", 'model.type=""'),
    _set("model-type-unknown", "nope", 'model.type="nope"'),
    _set("optimizer-type-number", "'type' must be a non-empty optimizer name", "optimizer.type=42"),
    # [train] ranges and types
    _set("steps-zero", "train.steps: must be at least 1, got 0", "train.steps=0"),
    _set("steps-negative", "train.steps: must be at least 1, got -5", "train.steps=-5"),
    _set("steps-string", "train.steps: expected int, got str 'many'", 'train.steps="many"'),
    _set("steps-float", "train.steps: expected int, got float 1.5", "train.steps=1.5"),
    _set("steps-bool", "train.steps: expected int, got bool", "train.steps=true"),
    _set("batch-size-zero", "train.batch_size: must be at least 1", "train.batch_size=0"),
    _set("batch-size-negative", "train.batch_size: must be at least 1", "train.batch_size=-1"),
    _set(
        "batch-size-1e12-float",
        "train.batch_size: expected int, got float",
        "train.batch_size=1e12",
    ),
    _set("log-every-zero", "train.log_every: must be at least 1", "train.log_every=0"),
    _set("eval-batches-zero", "train.eval_batches: must be at least 1", "train.eval_batches=0"),
    _set("eval-every-negative", "train.eval_every: must be 0 or more", "train.eval_every=-1"),
    _set(
        "checkpoint-every-negative",
        "train.checkpoint_every: must be 0 or more",
        "train.checkpoint_every=-2",
    ),
    _set("threads-negative", "train.threads: must be 0 or more", "train.threads=-1"),
    _set("seed-negative", "train.seed: must be between 0 and 2**63 - 1", "train.seed=-1"),
    _set(
        "seed-huge",
        "train.seed: must be between 0 and 2**63 - 1",
        "train.seed=18446744073709551616",
    ),
    _set(
        "grad-clip-negative",
        "train.grad_clip: must be a positive number, got -1.0",
        "train.grad_clip=-1.0",
    ),
    _set("grad-clip-zero", "train.grad_clip: must be a positive number", "train.grad_clip=0.0"),
    _set(
        "grad-clip-nan",
        "train.grad_clip: must be a positive number, got nan",
        "train.grad_clip=nan",
    ),
    _set(
        "grad-clip-inf",
        "train.grad_clip: must be a positive number, got inf",
        "train.grad_clip=inf",
    ),
    _set("target-loss-nan", "train.target_loss: must be a finite number", "train.target_loss=nan"),
    _set(
        "metrics-format",
        "train.metrics_format: expected 'jsonl' or 'csv'",
        'train.metrics_format="xml"',
    ),
    _set("unknown-train-key", "train.stepz: unknown key 'stepz'", "train.stepz=3"),
    _set("output-dir-number", "train.output_dir: expected str, got int 5", "train.output_dir=5"),
    _set("tensorboard-string", "train.tensorboard: expected bool", 'train.tensorboard="yes"'),
    # The run directory
    Case(
        "output-dir-is-a-file",
        "it (or a parent of it) is a file",
        setup=_file_at("afile"),
        extra={"output": "afile"},
    ),
    Case(
        "output-dir-under-a-file",
        "a parent of it is a file",
        setup=_file_at("afile"),
        extra={"output": "afile/run"},
    ),
    Case(
        "output-dir-unwritable",
        "cannot use /sys/torchplug-run as the run directory",
        extra={"output": "/sys/torchplug-run"},
    ),
    # Optimizer values the builder refuses
    _set("lr-string", "optimizer: building the optimizer raised TypeError", 'optimizer.lr="fast"'),
    _set(
        "lr-nan",
        "optimizer: building the optimizer raised ValueError: Invalid learning rate: nan",
        "optimizer.lr=nan",
    ),
    _set(
        "lr-negative",
        "optimizer: building the optimizer raised ValueError: Invalid learning rate: -0.1",
        "optimizer.lr=-0.1",
    ),
    _set(
        "lr-inf", "optimizer: the loss became nan at step 2: training diverged", "optimizer.lr=inf"
    ),
    _set(
        "weight-decay-negative", "Invalid weight_decay value: -1.0", "optimizer.weight_decay=-1.0"
    ),
    _set("betas-one-item", "optimizer.betas: expected 2 items, got 1", "optimizer.betas=[0.9]"),
    _set(
        "betas-out-of-range", "Invalid beta parameter at index 0: 2.0", "optimizer.betas=[2.0, 0.9]"
    ),
    _set(
        "optimizer-key-typo",
        "optimizer.weight_decy: unknown key 'weight_decy'",
        "optimizer.weight_decy=0.1",
    ),
    _set("optimizer-params-given", "'params' is a runtime input", "optimizer.params=1"),
    # [optimizer.param_groups] and [scheduler] step_on
    _set(
        "param-groups-number",
        "optimizer.param_groups: expected a table",
        "optimizer.param_groups=3",
    ),
    _set(
        "no-decay-unknown-kind",
        "optimizer.param_groups.no_weight_decay: expected a list of ['bias', 'norm']",
        'optimizer.param_groups.no_weight_decay=["weights"]',
    ),
    _set(
        "param-groups-unknown-key",
        "optimizer.param_groups.overide: unknown key 'overide'",
        "optimizer.param_groups.overide=1",
    ),
    _set(
        "override-matches-nothing",
        "the glob 'nomatch.*' matches no parameter of the model",
        'optimizer.param_groups.overrides."nomatch.*".lr=0.1',
    ),
    _set(
        "override-unknown-option",
        "'adamw' has no group option 'lrr'",
        'optimizer.param_groups.overrides."head.*".lrr=0.1',
    ),
    _set(
        "override-not-a-table",
        "expected a table of optimizer options",
        'optimizer.param_groups.overrides."head.*"=3',
    ),
    _set(
        "step-on-unknown",
        "scheduler.step_on: expected one of ['step', 'epoch', 'eval', 'updates']",
        'scheduler.type="step"',
        "scheduler.step_size=2",
        'scheduler.step_on="hourly"',
    ),
    _set(
        "scheduler-value",
        "scheduler: building the scheduler raised",
        'scheduler.type="step"',
        "scheduler.step_size=2",
        "scheduler.last_epoch=5",
    ),
    # Model sizes
    _set(
        "model-heads-zero",
        "model: building the model raised ValueError: num_heads=0 must be at least 1",
        "model.num_heads=0",
    ),
    _set(
        "model-heads-negative", "model: building the model raised ValueError", "model.num_heads=-2"
    ),
    _set("model-dim-negative", "model: building the model raised", "model.dim=-16"),
    _set("model-dim-1e12-float", "model.dim: expected int, got float", "model.dim=1e12"),
    _set("model-dim-1e12", "model: building the model raised", "model.dim=1000000000000"),
    _set("model-vocab-negative", "model: building the model raised", "model.vocab_size=-1"),
    _set("model-heads-not-dividing", "model: building the model raised", "model.num_heads=3"),
    _set(
        "model-vocab-zero",
        "model: building the model raised ValueError: vocab_size=0 must be at least 1",
        "model.vocab_size=0",
    ),
    _set(
        "model-too-short-for-data",
        "model: the model's forward pass on a training batch",
        "model.max_seq_len=4",
    ),
    _set(
        "model-vocab-too-small-for-data",
        "model: the model's forward pass on a training batch",
        "model.vocab_size=4",
    ),
    # Dataset sizes
    _set("dataset-empty", "dataset: ", "dataset.num_samples=0"),
    _set("dataset-negative", "dataset: ", "dataset.num_samples=-1"),
    _set("dataset-seq-len-zero", "dataset: ", "dataset.seq_len=0"),
    _set("dataset-1e12-samples", "dataset: ", "dataset.num_samples=1000000000000"),
    _set("dataset-vocab-one", "dataset: ", "dataset.vocab_size=1"),
    # The loss
    _set(
        "loss-mse-for-classes",
        "loss: the loss of the model's output (a tensor of shape (8, 8, 8)",
        'loss.type="mse"',
    ),
    _set(
        "loss-bce-for-classes",
        "loss: the loss of the model's output",
        'loss.type="bce_with_logits"',
    ),
    _set("loss-not-reduced", "loss: the loss must be a scalar tensor", 'loss.reduction="none"'),
    _set("loss-bad-smoothing", "loss: the loss of the model's output", "loss.label_smoothing=2.0"),
    _set("loss-type-unknown", "loss", 'loss.type="cross_entropyy"'),
    # --device
    Case("device-cuda-without-gpu", "--device: CUDA was requested", args=("--device", "cuda")),
    # --resume
    Case(
        "resume-missing-file",
        "no such checkpoint file",
        setup=lambda t: ["--resume", str(t / "nope.pt")],
    ),
    Case(
        "resume-text-file",
        "torch.load cannot read it",
        setup=_resume_with(_text_file(b"epoch,loss\n1,0.5\n")),
    ),
    Case("resume-empty-file", "torch.load cannot read it", setup=_resume_with(_text_file(b""))),
    Case(
        "resume-json-file",
        "torch.load cannot read it",
        setup=_resume_with(_text_file(b'{"step": 3}')),
    ),
    Case("resume-plain-zip", "torch.load cannot read it", setup=_resume_with(_a_zip)),
    Case(
        "resume-a-list",
        "it holds no 'torchplug_checkpoint' format number",
        setup=_resume_with(_saved([1, 2, 3])),
    ),
    Case(
        "resume-no-format",
        "it holds no 'torchplug_checkpoint' format number",
        setup=_resume_with(_saved({"step": 3})),
    ),
    Case(
        "resume-future-format",
        "it has format 99",
        setup=_resume_with(_saved({"torchplug_checkpoint": 99})),
    ),
    Case(
        "resume-pickled-object",
        "torch.load cannot read it",
        setup=_resume_with(_saved({"torchplug_checkpoint": 1, "x": Pickled()})),
    ),
    Case(
        "resume-directory-without-checkpoint",
        "this directory has no checkpoint.pt",
        setup=_resume_with(_directory_without_checkpoint),
    ),
    Case(
        "resume-missing-lock", "the key 'lock' is missing", setup=_resume_with(_real(_drop("lock")))
    ),
    Case(
        "resume-missing-model",
        "the key 'model' is missing",
        setup=_resume_with(_real(_drop("model"))),
    ),
    Case(
        "resume-missing-optimizer",
        "the key 'optimizer' is missing",
        setup=_resume_with(_real(_drop("optimizer"))),
    ),
    Case(
        "resume-missing-step", "the key 'step' is missing", setup=_resume_with(_real(_drop("step")))
    ),
    Case(
        "resume-step-string",
        "'step' is a str, not a int",
        setup=_resume_with(_real(_put("step", "3"))),
    ),
    Case("resume-step-negative", "'step' is -3", setup=_resume_with(_real(_put("step", -3)))),
    Case(
        "resume-lock-dict",
        "'lock' is a dict, not a list",
        setup=_resume_with(_real(_put("lock", {}))),
    ),
    Case(
        "resume-lock-extra-keys",
        "its 'lock' is malformed",
        setup=_resume_with(_real(_lock_with_extra_keys)),
    ),
    Case(
        "resume-lock-strings",
        "its 'lock' is malformed",
        setup=_resume_with(_real(_put("lock", ["a"]))),
    ),
    Case(
        "resume-model-list",
        "'model' is a list, not a Mapping",
        setup=_resume_with(_real(_put("model", []))),
    ),
    Case(
        "resume-scheduler-number",
        "'scheduler' is neither a state dict nor None",
        setup=_resume_with(_real(_put("scheduler", 3))),
    ),
    Case(
        "resume-model-wrong-shapes",
        "its model state does not fit the model this config builds",
        setup=_resume_with(_real(_shrink_model), "--allow-mismatch", *_FURTHER),
    ),
    Case(
        "resume-optimizer-empty",
        "its optimizer state does not fit",
        setup=_resume_with(_real(_put("optimizer", {})), "--allow-mismatch", *_FURTHER),
    ),
    Case(
        "resume-model-empty",
        "its model state does not fit",
        setup=_resume_with(_real(_put("model", {})), "--allow-mismatch", *_FURTHER),
    ),
    Case(
        "resume-data-rng-string",
        "'data_rng' is no generator state",
        setup=_resume_with(_real(_put("data_rng", "seed")), *_FURTHER),
    ),
    Case(
        "resume-data-rng-wrong-size",
        "'data_rng' is no generator state",
        setup=_resume_with(_real(_put("data_rng", torch.zeros(3, dtype=torch.uint8))), *_FURTHER),
    ),
    Case(
        "resume-a-finished-run",
        "train.steps: the checkpoint",
        setup=_resume_with(_real(_put("step", 3))),
    ),
    Case(
        "resume-past-steps",
        "is at step 7, so train.steps = 3 leaves nothing to train",
        setup=_resume_with(_real(_put("step", 7))),
    ),
    # --locked
    Case("locked-without-lock-file", "cannot read the lock file", args=("--locked",)),
    Case(
        "locked-with-broken-lock",
        "cannot read the lock file",
        setup=lambda t: ["--lock-file", str(_text_file(b"{")(t))],
    ),
]


@pytest.fixture(scope="module")
def real_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("good-run")
    config = root / "good.toml"
    config.write_text(GOOD.format(output=(root / "run").as_posix()), encoding="utf-8")
    assert main(["run", str(config)]) == 0
    REAL_CHECKPOINT[:] = [root / "run" / "checkpoint.pt"]
    return REAL_CHECKPOINT[0]


def _arguments(case: Case, tmp_path: Path) -> list[str]:
    output = case.extra.get("output", "run")
    output = output if output.startswith("/") else (tmp_path / output).as_posix()
    config = tmp_path / "bad.toml"
    text = case.text if case.text is not None else GOOD.format(output=output)
    if isinstance(text, bytes):
        config.write_bytes(text)
    else:
        config.write_text(text, encoding="utf-8")
    arguments = ["run", str(config)]
    if "--missing" in case.args:
        arguments = ["run", str(tmp_path / "missing.toml")]
    elif "--directory" in case.args:
        arguments = ["run", str(tmp_path)]
    else:
        arguments += list(case.args)
    for item in case.sets:
        arguments += ["--set", item]
    if case.setup is not None:
        arguments += case.setup(tmp_path)
    return arguments


def test_the_list_is_long_enough() -> None:
    assert len(CASES) >= 60
    assert len({case.id for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_a_bad_input_is_one_paragraph_and_exit_2(
    case: Case,
    tmp_path: Path,
    real_checkpoint: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("TORCHPLUG_TRACEBACK", raising=False)
    monkeypatch.chdir(tmp_path)
    arguments = _arguments(case, tmp_path)
    try:
        status = main(arguments)
    except BaseException as exc:  # what the user would have seen as a traceback
        pytest.fail(f"{case.id}: a traceback ({type(exc).__name__}: {exc})")
    err = capsys.readouterr().err
    assert status == 2, err
    (error,) = [line for line in err.splitlines() if line.startswith("torchplug: error:")]
    assert case.expect in err, err
    assert "Traceback" not in err
    names_the_file = (
        str(arguments[1]) in error
        or "--resume" in case.id
        or case.id.startswith(("resume", "locked"))
    )
    assert names_the_file, error


class _Samples(torch.utils.data.Dataset[Any]):
    """A map-style dataset whose samples are `sample` (for the shapes the loop cannot batch)."""

    def __init__(self, sample: Any) -> None:
        self.sample = sample

    def __len__(self) -> int:
        return 32

    def __getitem__(self, index: int) -> Any:
        return self.sample


@pytest.mark.parametrize(
    ("sample", "expect"),
    [
        (({"tokens": torch.zeros(8, dtype=torch.long)}, torch.zeros(8)), "a list of 2: a dict"),
        ((torch.zeros(8), torch.zeros(8), torch.zeros(8)), "a list of 3"),
        ("just text", "a list of 8: a str"),
    ],
    ids=["dict-inputs", "triples", "strings"],
)
@pytest.mark.parametrize("table", ["dataset", "eval_dataset"])
def test_samples_that_are_not_input_target_pairs_are_one_paragraph(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    sample: Any,
    expect: str,
    table: str,
) -> None:
    from torchplug import Registry

    monkeypatch.delenv("TORCHPLUG_TRACEBACK", raising=False)
    registry = Registry()
    registry.register("dataset", "tpx_odd_samples", lambda **_: _Samples(sample))
    config = tmp_path / "bad.toml"
    config.write_text(GOOD.format(output=(tmp_path / "run").as_posix()), encoding="utf-8")
    odd = ["--set", f'{table}.type="tpx_odd_samples"']
    status = main(["run", str(config), *odd], registry=registry)
    err = capsys.readouterr().err
    assert status == 2 and "Traceback" not in err, err
    assert f"{table}: a batch of the dataset is {expect}" in err
    assert "pairs of tensors or numbers" in err


def test_a_builder_error_keeps_its_cause_for_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from torchplug import ConfigError

    monkeypatch.setenv("TORCHPLUG_TRACEBACK", "1")
    config = tmp_path / "bad.toml"
    config.write_text(GOOD.format(output=(tmp_path / "run").as_posix()), encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        main(["run", str(config), "--set", "optimizer.lr=nan"])
    assert isinstance(raised.value.__cause__, ValueError)
    assert raised.value.path == "optimizer"
    assert raised.value.distribution == "torchplug-torch"


@pytest.mark.parametrize(
    ("sets", "expect"),
    [
        (["train=5"], "train: expected a table of training settings"),
        (["optimizer.lr=nan"], "Invalid learning rate: nan"),
        (['loss.type="mse"'], "Choose a loss that fits the task"),
    ],
    ids=["train-number", "lr-nan", "loss-mse"],
)
def test_bad_inputs_in_a_real_process(tmp_path: Path, sets: list[str], expect: str) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(GOOD.format(output=(tmp_path / "run").as_posix()), encoding="utf-8")
    arguments = [a for item in sets for a in ("--set", item)]
    result = subprocess.run(
        [sys.executable, "-m", "torchplug", "run", str(config), *arguments],
        capture_output=True,
        text=True,
        timeout=300,
        env={
            **{k: v for k, v in os.environ.items() if k != "TORCHPLUG_TRACEBACK"},
            "TORCHPLUG_CACHE": "0",
            "OMP_NUM_THREADS": "1",
        },
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and expect in result.stderr
    assert f"torchplug: error: {config}:" in result.stderr
