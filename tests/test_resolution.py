"""Settling names several packs provide (`torchplug._resolution`): one answer everywhere.

Preferences from every place, equivalent providers, and the record a settled name leaves: `get`,
`build`, nested defaults, `info`, `list`, `check` and the command line agree.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torchplug
from torchplug import DuplicateComponentError, Registry
from torchplug.testing import FakeSite

BUILDERS = """
class Made(dict):  # a dict that can carry a provenance record (it takes weak references)
    pass

def lion(params=None, lr: float = 1e-4):
    return Made(module=__name__, lr=lr)
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The working directory of a project with no settings yet, and no user settings."""
    root = tmp_path / "project"
    root.mkdir()
    monkeypatch.chdir(root)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("TORCHPLUG_PREFER", raising=False)
    return root


@pytest.fixture
def clash(torchplug_site: FakeSite, journal, project: Path) -> FakeSite:
    """`lion` from two packs with different code, a model builder whose default optimizer is
    `lion`, and nothing settled."""
    for dist, module in (("pack-a", "tp_a"), ("pack-b", "tp_b")):
        torchplug_site.add(
            dist,
            entry_points={"optimizer": {"lion": f"{module}:lion"}},
            modules={module: journal.plugin() + BUILDERS},
        )
    torchplug_site.add(
        "pack-m",
        entry_points={"model": {"net": "tp_m:build"}},
        modules={
            "tp_m": "from torchplug import Component\n\n"
            "def build(width: int = 2, opt=Component('optimizer', 'lion')):\n"
            "    return opt()\n"
        },
    )
    return torchplug_site


def settings(project: Path, text: str) -> Path:
    file = project / "torchplug.toml"
    file.write_text(text, encoding="utf-8")
    return file


def registry_of(site: FakeSite) -> Registry:
    return site.registry(settings=True)


# ----------------------------------------------------------------------------- settled once, everywhere


def test_a_project_file_settles_get_build_and_a_nested_default(clash: FakeSite, project) -> None:
    settings(project, '[prefer]\n"optimizer.lion" = "pack-b"\n')
    registry = registry_of(clash)
    assert registry.get("optimizer", "lion")()["module"] == "tp_b"
    assert registry.build("optimizer", {"type": "lion", "lr": 0.5})["module"] == "tp_b"
    assert registry.build("model", "net")["module"] == "tp_b"  # the builder's own default


def test_info_shows_the_chosen_provider_and_the_rule_without_importing(
    clash: FakeSite, project, journal
) -> None:
    file = settings(project, '[prefer]\n"optimizer.*" = ["pack-c", "pack-b"]\n')
    info = registry_of(clash).info("optimizer", "lion")
    assert (info.status, info.distribution, info.preferred) == ("ok", "pack-b", "pack-b")
    assert f'"optimizer.*" = ["pack-c", "pack-b"] (from {file} [prefer])' in info.settled_by
    assert journal.lines == []


def test_without_a_preference_the_conflict_stands(clash: FakeSite, project) -> None:
    registry = registry_of(clash)
    assert registry.info("optimizer", "lion").status == "conflict"
    with pytest.raises(DuplicateComponentError):
        registry.get("optimizer", "lion")


def test_the_variable_outranks_the_project_file(clash: FakeSite, project, monkeypatch) -> None:
    settings(project, '[prefer]\n"optimizer.lion" = "pack-b"\n')
    monkeypatch.setenv("TORCHPLUG_PREFER", "*=pack-a")
    assert registry_of(clash).info("optimizer", "lion").distribution == "pack-a"


def test_the_user_file_is_the_last_word(clash: FakeSite, project, tmp_path) -> None:
    user = tmp_path / "xdg" / "torchplug" / "config.toml"
    user.parent.mkdir(parents=True)
    user.write_text('[prefer]\n"*" = "pack-a"\n', "utf-8")
    assert registry_of(clash).info("optimizer", "lion").distribution == "pack-a"
    settings(project, '[prefer]\n"*" = "pack-b"\n')
    assert registry_of(clash).info("optimizer", "lion").distribution == "pack-b"


@pytest.mark.parametrize("place", ["config", "flag", "lock"])
def test_rules_added_by_a_consumer_outrank_the_project_file(
    clash: FakeSite, project, place: str
) -> None:
    settings(project, '[prefer]\n"optimizer.lion" = "pack-b"\n')
    registry = registry_of(clash)
    registry.add_preferences({"optimizer.*": "pack-a"}, origin="run.toml", place=place)
    assert registry.get("optimizer", "lion")()["module"] == "tp_a"


def test_the_api_outranks_every_place(clash: FakeSite, project) -> None:
    registry = registry_of(clash)
    registry.add_preferences({"*": "pack-b"}, origin="a.lock.json", place="lock")
    registry.prefer("optimizer", "lion", "pack-a")
    assert registry.get("optimizer", "lion")()["module"] == "tp_a"


def test_a_framework_namespace_reads_no_settings_unless_it_asks(clash: FakeSite, project) -> None:
    settings(project, '[prefer]\n"optimizer.lion" = "pack-b"\n')
    assert clash.registry().info("optimizer", "lion").status == "conflict"
    assert clash.registry(settings=True).info("optimizer", "lion").status == "ok"


def test_a_bad_settings_file_fails_every_lookup_naming_the_file(clash: FakeSite, project) -> None:
    file = settings(project, '[prefer]\n"lion" = "pack-b"\n')
    with pytest.raises(torchplug.ConfigError, match=r"CATEGORY\.NAME") as caught:
        registry_of(clash).list("optimizer")
    assert str(file) in str(caught.value)


# ----------------------------------------------------------------------------- the record of a choice


def add_chooser(site: FakeSite, choice: str) -> None:
    source = (
        "import torchplug\n\n@torchplug.hookimpl\n"
        f"def torchplug_resolve_conflict(category, name, candidates):\n    return {choice!r}\n"
    )
    site.add(
        "chooser", entry_points={"hooks": {"choose": "tp_chooser"}}, modules={"tp_chooser": source}
    )


def test_provenance_records_the_distribution_however_it_was_chosen(
    clash: FakeSite, project
) -> None:
    by_name = registry_of(clash).build("optimizer", "pack-b:lion")
    preferred = registry_of(clash)
    preferred.add_preferences({"optimizer.lion": "pack-b"}, origin="x", place="flag")
    by_rule = preferred.build("optimizer", "lion")
    add_chooser(clash, "pack-b")
    by_hook = registry_of(clash).build("optimizer", "lion")
    records = [torchplug.provenance(o) for o in (by_name, by_rule, by_hook)]
    assert {r.distribution for r in records} == {"pack-b"}
    assert len({r.fingerprint() for r in records}) == 1


# ----------------------------------------------------------------------------- equivalent providers


def test_the_same_target_in_two_packs_is_no_conflict_and_needs_no_import(
    torchplug_site: FakeSite, journal, project
) -> None:
    for dist in ("pack-a", "pack-b"):
        torchplug_site.add(dist, entry_points={"optimizer": {"lion": "tp_same : lion"}})
    torchplug_site.write_module("tp_same", journal.plugin() + BUILDERS)
    registry = torchplug_site.registry()
    info = registry.info("optimizer", "lion")
    assert (info.status, info.settled_by) == (
        "ok",
        "equivalence: every provider names tp_same:lion",
    )
    assert journal.lines == []
    assert registry.get("optimizer", "lion")()["module"] == "tp_same"
    assert registry.check().ok


def test_different_spellings_of_one_object_are_settled_once_imported(
    torchplug_site: FakeSite, journal, project
) -> None:
    torchplug_site.write_module("tp_real.impl", journal.plugin() + BUILDERS)
    torchplug_site.write_module("tp_real.__init__", "from .impl import lion\n")
    torchplug_site.add("pack-a", entry_points={"optimizer": {"lion": "tp_real:lion"}})
    torchplug_site.add("pack-b", entry_points={"optimizer": {"lion": "tp_real.impl:lion"}})
    registry = torchplug_site.registry()
    assert registry.info("optimizer", "lion").status == "conflict"  # nothing imported yet
    assert not registry.check().ok
    assert registry.check(deep=True).ok  # the deep check imports and compares
    assert registry.get("optimizer", "lion")()["module"] == "tp_real.impl"
    assert registry.info("optimizer", "lion").settled_by == (
        "equivalence: every provider imports the same object"
    )


# ----------------------------------------------------------------------------- check and the command line


def test_check_notes_a_settled_conflict_and_passes(clash: FakeSite, project) -> None:
    settings(project, '[prefer]\n"optimizer.lion" = "pack-a"\n')
    report = registry_of(clash).check()
    assert report.ok
    (note,) = report.notes
    assert (note.category, note.name, note.kind) == ("optimizer", "lion", "conflict")
    assert "settled for pack-a by preference" in note.message
    assert [r.pattern for r in report.preferences] == ["optimizer.lion"]


def test_check_warns_of_a_rule_that_matches_no_conflict(clash: FakeSite, project) -> None:
    file = settings(project, '[prefer]\n"optimizer.lion" = "pack-a"\n"sheduler.*" = "pack-a"\n')
    report = registry_of(clash).check()
    (warning,) = report.warnings
    assert warning.kind == "preference" and "sheduler.*" in warning.message
    assert warning.location == f"{file} [prefer]"


FIRST_PARTY = '["torchplug-torch", "torchplug-transformer", "torchplug-data"]'


def cli_in(project: Path, site: FakeSite, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m torchplug ARGS`` run from the project directory, the site on its path."""
    environment = {
        **{k: v for k, v in os.environ.items() if k != "TORCHPLUG_PREFER"},
        "PYTHONPATH": str(site.root),
        "TORCHPLUG_CACHE": "0",
        "XDG_CONFIG_HOME": str(project / "no-user-settings"),
    }
    return subprocess.run(
        [sys.executable, "-m", "torchplug", *args],
        capture_output=True,
        text=True,
        cwd=project,
        env=environment,
        timeout=300,
    )


@pytest.fixture
def default_clash(default_site: FakeSite, journal, project: Path) -> FakeSite:
    """`tplion` from two packs in the default namespace, as a user's installs would be."""
    for dist, module in (("pack-a", "tp_da"), ("pack-b", "tp_db")):
        default_site.add(
            dist,
            entry_points={"optimizer": {"tplion": f"{module}:lion"}},
            modules={module: journal.plugin() + BUILDERS},
        )
    return default_site


def test_the_command_line_follows_the_project_file_in_check_and_list(
    default_clash: FakeSite, project: Path
) -> None:
    assert cli_in(project, default_clash, "check").returncode == 1
    # Whatever else is installed here (other packs may clash too) goes to the first-party packs.
    settings(project, f'[prefer]\n"optimizer.tplion" = "pack-b"\n"*" = {FIRST_PARTY}\n')
    checked = cli_in(project, default_clash, "check")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert (
        "NOTE [conflict] optimizer 'tplion' is provided by 2 entry points; settled for pack-b"
        in (checked.stdout)
    )
    listed = cli_in(project, default_clash, "list", "optimizer", "--filter", "tplion")
    assert "ok (preferred)" in listed.stdout
    assert "settled: optimizer 'tplion' -> pack-b, by preference" in listed.stderr
    shown = cli_in(project, default_clash, "list", "optimizer", "--json").stdout
    (row,) = [r for r in json.loads(shown) if r["name"] == "tplion"]
    assert (row["distribution"], row["status"]) == ("pack-b", "ok")


@pytest.mark.parametrize("where", ["before", "after"])
def test_the_prefer_flag_outranks_the_file_for_one_command(
    default_clash: FakeSite, project: Path, where: str
) -> None:
    settings(project, '[prefer]\n"optimizer.tplion" = "pack-b"\n')
    flag = ["--prefer", "optimizer.*=pack-a"]
    args = (
        [*flag, "list", "optimizer", "--json"]
        if where == "before"
        else ["list", "optimizer", "--json", *flag]
    )
    shown = cli_in(project, default_clash, *args)
    (row,) = [r for r in json.loads(shown.stdout) if r["name"] == "tplion"]
    assert row["distribution"] == "pack-a"


def test_the_conflict_error_gives_the_lines_to_paste(
    default_clash: FakeSite, project: Path
) -> None:
    code = "import torchplug; torchplug.registry.get('optimizer', 'tplion')"
    ran = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=project,
        env={**os.environ, "PYTHONPATH": str(default_clash.root), "TORCHPLUG_CACHE": "0"},
    )
    assert re.search(r'\[prefer\]\n +"optimizer.tplion" = "pack-a"\n', ran.stderr)
    assert "--prefer optimizer.tplion=pack-a" in ran.stderr
    assert '"pack-a:tplion" or "pack-b:tplion"' in ran.stderr
