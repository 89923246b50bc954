"""A failed import is blamed on whoever failed: the pack, a dependency it imports, or another
distribution's unreadable metadata; a dependency that failed once is not imported again."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
from torchplug import PluginLoadError, Registry
from torchplug.testing import FakeSite

NOT_UTF8 = b"[console_scripts]\nbad = caf\xe9:main\n"


def add_unreadable_metadata(root: Path) -> Path:
    """A distribution whose entry_points.txt is not UTF-8, as a broken installer may leave one."""
    folder = root / "bad_pack-1.0.dist-info"
    folder.mkdir(parents=True)
    (folder / "METADATA").write_text("Metadata-Version: 2.1\nName: bad-pack\nVersion: 1.0\n")
    (folder / "entry_points.txt").write_bytes(NOT_UTF8)
    return folder


@pytest.fixture
def dependency_pack(torchplug_site: FakeSite, journal) -> Registry:
    """``dep-pack`` installs module tp_dep, whose import fails; two packs' plugins import it."""
    folder = torchplug_site.add(
        "dep-pack",
        modules={
            "tp_dep": journal.write("'imported tp_dep'") + "raise OSError('libfoo.so missing')\n"
        },
    )
    (folder / "top_level.txt").write_text("tp_dep\n", encoding="utf-8")
    torchplug_site.add(
        "user-pack",
        entry_points={"model": {"first": "tp_user_a:build", "second": "tp_user_b:build"}},
        modules={"tp_user_a": "import tp_dep\n", "tp_user_b": "import tp_dep\n"},
    )
    torchplug_site.add(
        "other-pack",
        entry_points={"loss": {"third": "tp_other:build"}},
        modules={"tp_other": "from tp_dep import thing\n"},
    )
    return torchplug_site.registry()


def test_a_failure_inside_a_dependency_names_the_dependency_and_its_distribution(
    dependency_pack: Registry,
) -> None:
    with pytest.raises(PluginLoadError) as caught:
        dependency_pack.get("model", "first")
    message = str(caught.value)
    assert "failed inside tp_dep (distribution dep-pack 1.0)" in message
    assert "libfoo.so missing" in message
    assert "user-pack is not at fault" in message
    assert "TORCHPLUG_DISABLE=user-pack" not in message


def test_a_failure_inside_a_dependency_records_who_is_at_fault(dependency_pack: Registry) -> None:
    with pytest.raises(PluginLoadError) as caught:
        dependency_pack.get("model", "first")
    error = caught.value
    assert (error.distribution, error.dependency, error.culprit) == (
        "user-pack",
        "tp_dep",
        "dep-pack",
    )


def test_a_dependency_that_failed_is_not_imported_again_for_other_plugins(
    dependency_pack: Registry, journal
) -> None:
    for category, name in [("model", "first"), ("model", "second"), ("loss", "third")]:
        with pytest.raises(PluginLoadError, match="tp_dep"):
            dependency_pack.get(category, name)
    assert journal.lines == ["imported tp_dep"]


def test_refresh_lets_a_failed_dependency_be_imported_again(
    dependency_pack: Registry, journal
) -> None:
    with pytest.raises(PluginLoadError):
        dependency_pack.get("model", "first")
    dependency_pack.refresh()
    with pytest.raises(PluginLoadError):
        dependency_pack.get("model", "second")
    assert journal.lines == ["imported tp_dep"] * 2


def test_a_deep_check_reports_a_failed_dependency_once_naming_every_plugin_it_breaks(
    dependency_pack: Registry,
) -> None:
    (finding,) = dependency_pack.check(deep=True).broken
    assert finding.message.startswith("tp_dep cannot be imported, so 3 entry point(s)")
    assert {p.distribution for p in finding.providers} == {"user-pack", "other-pack"}
    assert "dep-pack" in finding.hint


def test_a_failure_in_the_packs_own_code_still_blames_the_pack(torchplug_site: FakeSite) -> None:
    torchplug_site.add(
        "own-pack",
        entry_points={"model": {"m": "tp_own.models:build"}},
        modules={"tp_own.models": "from tp_own import helpers\n", "tp_own.helpers": "1 / 0\n"},
    )
    with pytest.raises(PluginLoadError) as caught:
        torchplug_site.registry().get("model", "m")
    assert caught.value.dependency is None
    assert "TORCHPLUG_DISABLE=own-pack" in str(caught.value)


def test_unreadable_metadata_of_another_distribution_is_blamed_on_it(
    torchplug_site: FakeSite,
) -> None:
    """The plugin reads installed entry points at import, as torch does."""
    folder = add_unreadable_metadata(torchplug_site.root)
    torchplug_site.add(
        "reader-pack",
        entry_points={"model": {"m": "tp_reader:build"}},
        modules={"tp_reader": "import importlib.metadata\nimportlib.metadata.entry_points()\n"},
    )
    with pytest.raises(PluginLoadError) as caught:
        torchplug_site.registry().get("model", "m")
    assert caught.value.culprit == "bad-pack"
    assert f"the metadata of bad-pack at {folder}" in str(caught.value)
    assert "reader-pack is not at fault" in str(caught.value)


def test_check_names_the_unreadable_metadata_and_a_fix_that_helps(
    torchplug_site: FakeSite,
) -> None:
    folder = add_unreadable_metadata(torchplug_site.root)
    (finding,) = torchplug_site.registry().check().broken
    assert finding.location == str(folder)
    assert "bad-pack" in finding.message
    assert "pip install --force-reinstall bad-pack" in finding.hint


# ----------------------------------------------------------------------------- the real torch

needs_torch = pytest.mark.skipif(
    importlib.util.find_spec("torch") is None
    or importlib.util.find_spec("torchplug_torch") is None,
    reason="needs torch and torchplug-torch installed",
)


def run_over_unreadable_metadata(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """A fresh process (torch not yet imported) with a non-UTF-8 entry_points.txt on its path."""
    folder = add_unreadable_metadata(tmp_path / "site-packages")
    paths = [str(folder.parent), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths), "TORCHPLUG_CACHE": "0"}
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, env=env, timeout=600
    )


@needs_torch
def test_torch_failing_on_unreadable_metadata_is_blamed_on_that_metadata(tmp_path: Path) -> None:
    code = (
        "import torchplug\n"
        "try:\n"
        "    torchplug.registry.get('optimizer', 'adamw')\n"
        "except torchplug.PluginLoadError as exc:\n"
        "    print(exc.culprit, exc.dependency)\n"
        "    print(exc)\n"
    )
    ran = run_over_unreadable_metadata(tmp_path, "-c", code)
    culprit, message = ran.stdout.split("\n", 1)
    assert culprit == "bad-pack torch", ran.stdout + ran.stderr
    assert "bad_pack-1.0.dist-info" in message
    assert "TORCHPLUG_DISABLE=torchplug-torch" not in message


@needs_torch
def test_check_deep_over_unreadable_metadata_reports_torch_once_and_does_not_crash(
    tmp_path: Path,
) -> None:
    ran = run_over_unreadable_metadata(tmp_path, "-m", "torchplug", "check", "--deep")
    assert ran.returncode == 1, ran.stdout + ran.stderr
    errors = [line for line in ran.stdout.splitlines() if line.startswith("ERROR")]
    assert len(errors) == 2, ran.stdout  # the unreadable file, and torch that fails on it
    assert errors[0].startswith("ERROR [broken] bad-pack: entry_points.txt of bad-pack")
    assert errors[1].startswith("ERROR [broken] torch cannot be imported, so ")
