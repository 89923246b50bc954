"""Lock files and the differences a run reports between what was recorded and what resolves now."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from torchplug import ConfigError
from torchplug_train.lock import (
    LockMismatchError,
    Resolved,
    default_lock_path,
    differences,
    format_table,
    read_lock,
    verify_against,
    write_lock,
)

ADAMW = Resolved(
    "optimizer", "optimizer", "adamw", "torchplug-torch", "0.1.0", "torch.optim:AdamW", "f" * 64
)
GPT = Resolved("model", "model", "gpt", "torchplug-transformer", "0.1.0", "m:gpt", "a" * 64)
NORM = Resolved("model.norm", "norm", "rmsnorm", "torchplug-torch", "0.1.0", "n:RMS", "b" * 64)


def test_the_same_set_has_no_differences() -> None:
    assert differences([ADAMW, GPT, NORM], [NORM, GPT, ADAMW]) == []


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("version", "0.2.0", "optimizer: version '0.1.0' -> '0.2.0'"),
        ("distribution", "rival", "optimizer: distribution 'torchplug-torch' -> 'rival'"),
        ("fingerprint", "0" * 64, "optimizer: fingerprint"),
        ("target", "x:AdamW", "optimizer: target 'torch.optim:AdamW' -> 'x:AdamW'"),
    ],
)
def test_a_changed_field_is_named_with_old_and_new(field: str, value: str, says: str) -> None:
    changed = dataclasses.replace(ADAMW, **{field: value})
    (line,) = differences([ADAMW], [changed])
    assert line.startswith(says)


def test_a_component_new_in_the_config_and_one_gone_are_both_named() -> None:
    lines = differences([ADAMW, NORM], [ADAMW, GPT])
    assert lines == [
        "model: not recorded (now gpt from torchplug-transformer 0.1.0)",
        "model.norm: in the lock (rmsnorm from torchplug-torch 0.1.0) but not in the config now",
    ]


def test_a_lock_file_reads_back_what_was_written(tmp_path: Path) -> None:
    file = write_lock(tmp_path / "run.lock.json", [ADAMW, GPT, NORM], "run.toml")
    assert read_lock(file) == [ADAMW, GPT, NORM]


@pytest.mark.parametrize(
    "text", ["", "{", '{"torchplug_lock": 99, "components": []}', '{"torchplug_lock": 1}']
)
def test_an_unreadable_lock_file_is_a_config_error_naming_it(tmp_path: Path, text: str) -> None:
    file = tmp_path / "bad.lock.json"
    file.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        read_lock(file)
    assert caught.value.path == str(file)
    assert "torchplug lock CONFIG" in str(caught.value)


def test_verify_refuses_a_difference_with_the_hint() -> None:
    upgraded = dataclasses.replace(ADAMW, version="0.2.0")
    with pytest.raises(LockMismatchError, match=r"(?s)differ from the lock.*install it"):
        verify_against([ADAMW], [upgraded], "the lock", "install it")
    verify_against([ADAMW], [ADAMW], "the lock", "install it")  # the same set passes


def test_the_default_lock_file_sits_beside_the_config() -> None:
    assert default_lock_path("examples/quickstart.toml") == Path("examples/quickstart.lock.json")


def test_the_table_shows_each_path_and_a_short_fingerprint() -> None:
    table = format_table([ADAMW, NORM]).splitlines()
    assert table[0].split() == [
        "PATH",
        "CATEGORY",
        "NAME",
        "DISTRIBUTION",
        "VERSION",
        "FINGERPRINT",
    ]
    assert table[2].split() == [
        "optimizer",
        "optimizer",
        "adamw",
        "torchplug-torch",
        "0.1.0",
        "f" * 12,
    ]


@pytest.mark.parametrize("where", ["missing-directory", "a-directory"])
def test_lock_to_a_place_it_cannot_write_is_one_paragraph(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], where: str
) -> None:
    pytest.importorskip("torchplug_data", reason="the quickstart's dataset pack is needed")
    from torchplug.cli import main

    config = Path(__file__).resolve().parents[3] / "examples" / "quickstart.toml"
    output = tmp_path / "no" / "x.json" if where == "missing-directory" else tmp_path
    assert main(["lock", str(config), "-o", str(output)]) == 2
    (error,) = capsys.readouterr().err.strip().splitlines()
    assert error.startswith(f"torchplug: error: {config}: {output}: cannot write the lock file")
