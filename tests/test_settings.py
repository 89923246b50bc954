"""The user's settings (`torchplug._settings`): TORCHPLUG_PREFER, the project's file, the user's file."""

from __future__ import annotations

from pathlib import Path

import pytest
from torchplug import ConfigError
from torchplug._settings import preference_rules, project_file, user_file


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty project directory, the working directory, with no user settings and no variable."""
    root = tmp_path / "project"
    (root / "configs" / "deep").mkdir(parents=True)
    monkeypatch.chdir(root / "configs" / "deep")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("TORCHPLUG_PREFER", raising=False)
    return root


def patterns() -> list[tuple[str, tuple[str, ...], str]]:
    return [(r.pattern, r.distributions, r.level) for r in preference_rules()]


def test_no_settings_no_rules(project: Path) -> None:
    assert patterns() == []


def test_torchplug_toml_is_found_walking_up_from_the_working_directory(project: Path) -> None:
    (project / "torchplug.toml").write_text('[prefer]\n"optimizer.*" = "pack-a"\n', "utf-8")
    assert patterns() == [("optimizer.*", ("pack-a",), "project")]
    (rule,) = preference_rules()
    assert rule.origin == f"{project / 'torchplug.toml'} [prefer]"


def test_pyproject_with_a_tool_torchplug_table_is_found(project: Path) -> None:
    (project / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.torchplug.prefer]\n"*" = ["pack-a", "pack-b"]\n', "utf-8"
    )
    assert patterns() == [("*", ("pack-a", "pack-b"), "project")]


def test_a_pyproject_without_the_table_is_passed_over(project: Path) -> None:
    (project / "configs" / "pyproject.toml").write_text('[project]\nname = "inner"\n', "utf-8")
    (project / "torchplug.toml").write_text('[prefer]\n"*" = "outer"\n', "utf-8")
    assert patterns() == [("*", ("outer",), "project")]


def test_the_nearest_file_wins_and_torchplug_toml_beats_pyproject_beside_it(project: Path) -> None:
    (project / "torchplug.toml").write_text('[prefer]\n"*" = "far"\n', "utf-8")
    (project / "configs" / "pyproject.toml").write_text(
        '[tool.torchplug.prefer]\n"*" = "near-pyproject"\n', "utf-8"
    )
    (project / "configs" / "torchplug.toml").write_text('[prefer]\n"*" = "near"\n', "utf-8")
    assert project_file() == (project / "configs" / "torchplug.toml", "")
    assert patterns() == [("*", ("near",), "project")]


def test_the_users_file_and_the_variable_add_their_rules(project: Path, monkeypatch) -> None:
    user = user_file()
    user.parent.mkdir(parents=True)
    user.write_text('[prefer]\n"*" = "mine"\n', "utf-8")
    monkeypatch.setenv("TORCHPLUG_PREFER", "optimizer.lion=lion-pack; scheduler.*=a,b")
    assert sorted(patterns()) == [
        ("*", ("mine",), "user"),
        ("optimizer.lion", ("lion-pack",), "env"),
        ("scheduler.*", ("a", "b"), "env"),
    ]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("[prefer\n", "not valid TOML"),
        ('[prefr]\n"*" = "a"\n', "unknown key 'prefr'"),
        ('[prefer]\n"optimizer" = "a"\n', "CATEGORY.NAME"),
        ('[prefer]\n"*" = 1\n', "must name a distribution"),
        ('prefer = "a"\n', "must be a table"),
    ],
)
def test_a_malformed_settings_file_is_an_error_naming_it(
    project: Path, text: str, says: str
) -> None:
    (project / "torchplug.toml").write_text(text, "utf-8")
    with pytest.raises(ConfigError, match=says) as caught:
        preference_rules()
    assert str(project / "torchplug.toml") in caught.value.path


def test_a_malformed_variable_names_the_variable(project: Path, monkeypatch) -> None:
    monkeypatch.setenv("TORCHPLUG_PREFER", "optimizer.lion")
    with pytest.raises(ConfigError) as caught:
        preference_rules()
    assert caught.value.path == "TORCHPLUG_PREFER"


def test_a_non_utf8_settings_file_is_an_error_naming_it(project: Path) -> None:
    (project / "torchplug.toml").write_bytes(b'[prefer]\n"*" = "\xff"\n')
    with pytest.raises(ConfigError) as caught:
        preference_rules()
    assert str(project / "torchplug.toml") in caught.value.path
