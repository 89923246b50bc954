"""Training configs and the [train] table, read in-process: every mistake names its config path."""

from __future__ import annotations

from pathlib import Path

import pytest
from torchplug import ConfigError
from torchplug_train.config import TrainSettings, apply_overrides, load_config


def test_overrides_set_nested_values_with_toml_types() -> None:
    config = apply_overrides(
        {"optimizer": {"type": "adamw"}},
        ["optimizer.lr=3e-4", "train.steps=5", 'model.type="gpt"', "model.tie=true"],
    )
    assert config == {
        "optimizer": {"type": "adamw", "lr": 3e-4},
        "train": {"steps": 5},
        "model": {"type": "gpt", "tie": True},
    }


def test_a_bare_word_override_is_a_string() -> None:
    assert apply_overrides({}, ["optimizer=adamw"]) == {"optimizer": "adamw"}


@pytest.mark.parametrize("item", ["steps", "=3", " =3"])
def test_an_override_without_a_key_is_refused(item: str) -> None:
    with pytest.raises(ConfigError, match="--set expects KEY=VALUE"):
        apply_overrides({}, [item])


def test_an_override_below_a_value_that_is_not_a_table_names_it() -> None:
    with pytest.raises(ConfigError) as caught:
        apply_overrides({"optimizer": "adamw"}, ["optimizer.lr=0.1"])
    assert caught.value.path == "optimizer"


def test_an_invalid_toml_file_names_the_file(tmp_path: Path) -> None:
    file = tmp_path / "bad.toml"
    file.write_text("[train\nsteps = 1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML") as caught:
        load_config(file)
    assert caught.value.path == str(file)


def test_settings_default_the_output_directory_to_runs_and_the_config_stem() -> None:
    settings = TrainSettings.from_config({"steps": 3}, "configs/small.toml")
    assert (settings.steps, settings.output_dir) == (3, str(Path("runs") / "small"))


def test_an_unknown_train_key_is_refused_with_a_suggestion() -> None:
    with pytest.raises(ConfigError, match="Did you mean 'steps'") as caught:
        TrainSettings.from_config({"step": 3}, "c.toml")
    assert caught.value.path == "train.step"


@pytest.mark.parametrize(
    ("table", "path"),
    [
        ({"steps": "ten"}, "train.steps"),
        ({"grad_clip": "big"}, "train.grad_clip"),
        ({"steps": 0}, "train.steps"),
        ({"batch_size": -1}, "train.batch_size"),
        ({"metrics_format": "xml"}, "train.metrics_format"),
    ],
)
def test_a_bad_train_value_names_its_key(table: dict[str, object], path: str) -> None:
    with pytest.raises(ConfigError) as caught:
        TrainSettings.from_config(table, "c.toml")
    assert caught.value.path == path
