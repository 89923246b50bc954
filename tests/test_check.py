"""`check` findings that need a plugin's import to be seen: takeovers and imports that never end."""

from __future__ import annotations

import importlib
import threading
from collections.abc import Iterator
from types import ModuleType

import pytest
from torchplug import Registry
from torchplug.testing import FakeSite

# ----------------------------------------------------------------------------- takeovers

TAKING_OVER = """\
import tp_takeover_hub

def build():
    return "evil"

tp_takeover_hub.registry.register("optimizer", "adamw", build, override=True)
"""


@pytest.fixture
def takeover(torchplug_site: FakeSite) -> Registry:
    """``evil-pack``'s model module replaces good-pack's optimizer adamw while it is imported."""
    torchplug_site.write_module("tp_takeover_hub", "registry = None\n")
    torchplug_site.add(
        "good-pack",
        entry_points={"optimizer": {"adamw": "tp_good_optim:build"}},
        modules={"tp_good_optim": "def build():\n    return 'good'\n"},
    )
    torchplug_site.add(
        "evil-pack",
        entry_points={"model": {"innocent": "tp_evil_model:build"}},
        modules={"tp_evil_model": TAKING_OVER},
    )
    hub = importlib.import_module("tp_takeover_hub")
    hub.registry = torchplug_site.registry()
    return hub.registry


def test_a_pack_taking_over_another_packs_name_at_import_is_reported_naming_both(
    takeover: Registry,
) -> None:
    (finding,) = [f for f in takeover.check(deep=True).findings if f.kind == "takeover"]
    assert (finding.category, finding.name, finding.severity) == ("optimizer", "adamw", "warning")
    assert "good-pack" in finding.message and "evil-pack" in finding.message
    assert {p.distribution for p in finding.providers} == {None, "good-pack"}
    assert "TORCHPLUG_DISABLE=evil-pack" in finding.hint


def test_a_takeover_is_reported_by_a_shallow_check_once_the_plugin_is_imported(
    takeover: Registry,
) -> None:
    takeover.get("model", "innocent")
    assert [f.kind for f in takeover.check().findings] == ["takeover"]
    assert takeover.get("optimizer", "good-pack:adamw")() == "good"


def test_overriding_a_name_in_the_programs_own_code_is_not_a_takeover(
    takeover: Registry,
) -> None:
    takeover.register("optimizer", "adamw", len, override=True)
    assert takeover.check().findings == ()


def test_a_pack_registering_its_own_aliases_is_not_a_takeover(torchplug_site: FakeSite) -> None:
    torchplug_site.write_module("tp_self_hub", "registry = None\n")
    torchplug_site.add(
        "self-pack",
        entry_points={"model": {"m": "tp_self_model:build", "n": "tp_self_model:other"}},
        modules={
            "tp_self_model": "import tp_self_hub\n"
            "def build(): pass\n"
            "def other(): pass\n"
            "tp_self_hub.registry.register('model', 'n', build, override=True)\n"
        },
    )
    hub = importlib.import_module("tp_self_hub")
    hub.registry = registry = torchplug_site.registry()
    assert registry.check(deep=True).findings == ()


# ----------------------------------------------------------------------------- imports that never end

HANGING = """\
import tp_hang_hub

tp_hang_hub.entered.set()
tp_hang_hub.release.wait()

def build():
    pass

def other():
    pass
"""


@pytest.fixture
def hang_hub(torchplug_site: FakeSite) -> Iterator[ModuleType]:
    """Modules that wait in their import until the test ends (then they are released)."""
    torchplug_site.write_module(
        "tp_hang_hub",
        "import threading\nentered = threading.Event()\nrelease = threading.Event()\n",
    )
    hub = importlib.import_module("tp_hang_hub")
    yield hub
    hub.release.set()
    join_deep_check_threads()  # before the site goes away under their imports


def join_deep_check_threads() -> None:
    for thread in threading.enumerate():
        if thread.name == "torchplug-deep-check":
            thread.join(5)


@pytest.fixture
def hanging(torchplug_site: FakeSite, hang_hub: ModuleType, journal) -> Registry:
    torchplug_site.add(
        "hang-pack",
        entry_points={"model": {"stuck": "tp_hanging:build", "sibling": "tp_hanging:other"}},
        modules={"tp_hanging": HANGING},
    )
    torchplug_site.add(
        "fine-pack",
        entry_points={"model": {"fine": "tp_fine:build"}},
        modules={"tp_fine": journal.plugin("build")},
    )
    return torchplug_site.registry()


def test_a_deep_check_reports_an_import_that_does_not_end_as_a_timeout(hanging: Registry) -> None:
    report = hanging.check(deep=True, timeout=0.2)
    timeouts = {f.name: f for f in report.findings if f.kind == "timeout"}
    assert sorted(timeouts) == ["sibling", "stuck"]
    assert "did not finish within 0.2 s" in timeouts["stuck"].message
    assert not report.ok


def test_a_deep_check_goes_on_past_an_import_that_does_not_end(hanging: Registry, journal) -> None:
    hanging.check(deep=True, timeout=0.2)
    assert "imported tp_fine" in journal.lines
    assert hanging.info("model", "fine").loaded


def test_a_plugin_that_timed_out_fails_at_once_while_its_import_still_runs(
    hanging: Registry,
) -> None:
    hanging.check(deep=True, timeout=0.2)
    with pytest.raises(Exception, match="did not finish within"):
        hanging.get("model", "stuck")


def test_a_plugin_that_timed_out_loads_once_its_import_ends(
    hanging: Registry, hang_hub: ModuleType
) -> None:
    hanging.check(deep=True, timeout=0.2)
    hang_hub.release.set()
    join_deep_check_threads()
    assert callable(hanging.get("model", "stuck"))


def test_a_hook_plugin_whose_import_does_not_end_is_a_timeout_not_a_broken_component(
    torchplug_site: FakeSite, hang_hub: ModuleType, journal
) -> None:
    torchplug_site.add(
        "pack",
        entry_points={"model": {"fine": "tp_fine:build"}, "hooks": {"slow": "tp_hanging"}},
        modules={"tp_fine": journal.plugin("build"), "tp_hanging": HANGING},
    )
    with pytest.warns(UserWarning, match="did not finish"):
        report = torchplug_site.registry().check(deep=True, timeout=0.2)
    assert [(f.kind, f.category, f.name) for f in report.findings] == [("timeout", "hooks", "slow")]


def test_check_deep_on_the_command_line_ends_despite_an_import_that_never_does(
    torchplug_site: FakeSite, cli
) -> None:
    torchplug_site.add(
        "forever-pack",
        entry_points={"model": {"forever": "tp_forever:build"}},
        modules={"tp_forever": "import threading\nthreading.Event().wait()\n"},
    )
    ran = cli("check", "--deep", "--timeout", "1", "--json")
    assert ran.returncode == 1, ran.stderr
    (finding,) = ran.json()["findings"]
    assert (finding["kind"], finding["name"]) == ("timeout", "forever")


def test_check_refuses_a_negative_timeout(cli) -> None:
    ran = cli("check", "--deep", "--timeout", "-1")
    assert ran.returncode == 2
    assert "seconds >= 0" in ran.stderr
