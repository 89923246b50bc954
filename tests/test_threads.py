"""Many threads, one load: no double import, no double announcement, no deadlock."""

from __future__ import annotations

import importlib
import os
import threading
import time
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest
from torchplug import PluginLoadError, Registry
from torchplug.testing import FakeSite

THREADS = 32
#: How long a thread may take before the test calls it a deadlock (a bound, not a measurement).
DEADLOCK = 5.0


def run_threads(target: Callable[[], Any], count: int) -> tuple[list[Any], list[threading.Thread]]:
    """Run `target` in `count` daemon threads released together; results and the threads."""
    barrier = threading.Barrier(count)
    results: list[Any] = []

    def worker() -> None:
        barrier.wait()
        try:
            results.append(target())
        except BaseException as exc:
            results.append(exc)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(count)]
    for thread in threads:
        thread.start()
    join_all(threads)
    return results, threads


def join_all(threads: list[threading.Thread]) -> None:
    """Wait for `threads`, at most DEADLOCK seconds in all."""
    deadline = time.monotonic() + DEADLOCK
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))


def recorder(journal) -> str:
    line = "f'loaded {category} {name}'"
    return (
        "import torchplug\n\n"
        "@torchplug.hookimpl\n"
        "def torchplug_component_loaded(category, name):\n"
        f"    {journal.write(line)}"
    )


@pytest.fixture
def slow_pack(torchplug_site: FakeSite, journal) -> Registry:
    """A component whose module takes a while to import, and a hook plugin recording loads."""
    torchplug_site.add(
        "pack",
        entry_points={"model": {"vit": "tp_slow:build"}, "hooks": {"recorder": "tp_recorder"}},
        modules={
            "tp_slow": journal.plugin("build", body="import time\ntime.sleep(0.05)\n"),
            "tp_recorder": recorder(journal),
        },
    )
    return torchplug_site.registry()


def test_concurrent_first_gets_all_return_the_component(slow_pack: Registry) -> None:
    results, threads = run_threads(lambda: slow_pack.get("model", "vit"), THREADS)
    assert not any(t.is_alive() for t in threads)
    assert len(results) == THREADS
    assert all(r is results[0] for r in results)
    assert callable(results[0])


def test_concurrent_first_gets_execute_the_module_once(slow_pack: Registry, journal) -> None:
    run_threads(lambda: slow_pack.get("model", "vit"), THREADS)
    assert journal.lines.count("imported tp_slow") == 1


def test_concurrent_first_gets_announce_the_load_once(slow_pack: Registry, journal) -> None:
    run_threads(lambda: slow_pack.get("model", "vit"), THREADS)
    assert journal.lines.count("loaded model vit") == 1


def test_concurrent_first_scans_see_the_same_names(slow_pack: Registry) -> None:
    results, _ = run_threads(lambda: slow_pack.list("model"), THREADS)
    assert results == [["vit"]] * THREADS


# ----------------------------------------------------------------------------- re-entrancy


@pytest.fixture
def hub(torchplug_site: FakeSite) -> ModuleType:
    """A module plugin modules import to reach the test's registry, as they would torchplug's."""
    torchplug_site.write_module(
        "tp_hub",
        "import threading\nregistry = None\nentered = threading.Event()\n"
        "proceed = threading.Event()\n",
    )
    return importlib.import_module("tp_hub")


RE_ENTRANT = """\
import torchplug
from tp_hub import registry

assert isinstance(registry, torchplug.Registry)
registry.register("model", "helper", len)
DEPENDENCY = registry.get("model", "dependency")

@registry.register("model", "main")
def build():
    return "main uses " + DEPENDENCY()
"""


@pytest.fixture
def re_entrant(torchplug_site: FakeSite, hub: ModuleType, journal) -> Registry:
    """``model main``'s module registers and gets components of its own registry while imported."""
    torchplug_site.add(
        "pack",
        entry_points={"model": {"main": "tp_main:build", "dependency": "tp_dependency:build"}},
        modules={"tp_main": RE_ENTRANT, "tp_dependency": journal.plugin("build")},
    )
    hub.registry = torchplug_site.registry()
    return hub.registry


def test_a_module_using_the_registry_while_imported_does_not_deadlock(re_entrant: Registry) -> None:
    results, threads = run_threads(lambda: re_entrant.get("model", "main"), 1)
    assert not threads[0].is_alive()
    assert results[0]() == "main uses tp_dependency.build"


def test_a_module_using_the_registry_while_imported_registers_its_components(
    re_entrant: Registry,
) -> None:
    run_threads(lambda: re_entrant.get("model", "main"), 1)
    assert re_entrant.get("model", "helper") is len
    assert re_entrant.info("model", "main").distribution == "pack"


def test_many_threads_loading_a_re_entrant_module_do_not_deadlock(re_entrant: Registry) -> None:
    results, threads = run_threads(lambda: re_entrant.get("model", "main"), THREADS)
    assert not any(t.is_alive() for t in threads)
    assert all(callable(r) and r is results[0] for r in results)


def test_getting_and_registering_at_once_from_many_threads_does_not_deadlock(
    re_entrant: Registry,
) -> None:
    counter = iter(range(THREADS))

    def get_or_register() -> Any:
        number = next(counter)
        if number % 2:
            return re_entrant.register("loss", f"loss{number}", len)
        return re_entrant.get("model", "main")

    results, threads = run_threads(get_or_register, THREADS)
    assert not any(t.is_alive() for t in threads)
    assert not [r for r in results if isinstance(r, BaseException)]
    assert len(re_entrant.list("loss")) == THREADS // 2


SLOW_REGISTERING_HOOK_PLUGIN = """\
import tp_hub

tp_hub.entered.set()
tp_hub.proceed.wait(5)
tp_hub.registry.register("model", "from-hook-plugin", len)


def torchplug_component_loaded(category, name):  # what makes a first load import this plugin
    pass
"""


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs a named pipe")
def test_refresh_while_a_hook_plugin_registers_during_its_import_does_not_deadlock(
    torchplug_site: FakeSite, hub: ModuleType, journal
) -> None:
    torchplug_site.add(
        "pack",
        entry_points={"model": {"vit": "tp_vit:build"}, "hooks": {"slow": "tp_slow_hook"}},
        modules={"tp_vit": journal.plugin("build"), "tp_slow_hook": SLOW_REGISTERING_HOOK_PLUGIN},
    )
    hub.registry = registry = torchplug_site.registry()
    registry.list("model")
    # A distribution whose entry_points.txt is a named pipe: refresh() blocks reading it until the
    # test opens the other end, so the test knows refresh is mid-scan when it releases the plugin.
    folder = torchplug_site.add("late-pack", entry_points={})
    (folder / "entry_points.txt").unlink()
    os.mkfifo(folder / "entry_points.txt")

    def release_the_hook_plugin_once_refresh_is_scanning() -> None:
        with open(folder / "entry_points.txt", "w"):
            hub.proceed.set()

    getter = threading.Thread(target=registry.get, args=("model", "vit"), daemon=True)
    getter.start()
    assert hub.entered.wait(DEADLOCK)  # the getter is importing the hook plugin
    refresher = threading.Thread(target=registry.refresh, daemon=True)
    releaser = threading.Thread(
        target=release_the_hook_plugin_once_refresh_is_scanning, daemon=True
    )
    refresher.start()
    releaser.start()
    join_all([releaser, refresher, getter])
    assert not any(t.is_alive() for t in (releaser, refresher, getter))
    assert registry.get("model", "from-hook-plugin") is len


# ----------------------------------------------------------------------------- cycles, never a hang

CYCLE_HUB = """\
import threading
registry = None
started = {name: threading.Event() for name in ("a", "b", "x", "h", "pkg", "m")}
"""


def waits_for(other: str, then: str) -> str:
    """Module source: say this import has started, wait until `other`'s has too, then `then`."""
    return (
        "import tp_cycle_hub as hub\n"
        "hub.started[__name__.rpartition('_')[2]].set()\n"
        f"hub.started[{other!r}].wait(5)\n"
        f"{then}\n"
    )


@pytest.fixture
def cycle_hub(torchplug_site: FakeSite) -> ModuleType:
    torchplug_site.write_module("tp_cycle_hub", CYCLE_HUB)
    return importlib.import_module("tp_cycle_hub")


def two_plugins_getting_each_other(site: FakeSite, hub: ModuleType, *, defined_first: bool):
    """``model a`` and ``model b`` whose modules each get the other's while being imported, once
    both imports have started (so two threads hold one plugin each when they ask)."""
    for me, other in (("a", "b"), ("b", "a")):
        build = f"def build():\n    return {me!r}\n"
        get = f"OTHER = hub.registry.get('model', {other!r})\n"
        body = build + waits_for(other, get) if defined_first else waits_for(other, get) + build
        site.add(
            f"pack-{me}",
            entry_points={"model": {me: f"tp_cycle_{me}:build"}},
            modules={f"tp_cycle_{me}": body},
        )
    hub.registry = site.registry()
    return hub.registry


def get_from_threads(registry: Registry, names: list[str]) -> tuple[dict[str, Any], list[Any]]:
    results: dict[str, Any] = {}

    def get(name: str) -> None:
        try:
            results[name] = registry.get("model", name)
        except BaseException as exc:
            results[name] = exc

    threads = [threading.Thread(target=get, args=(n,), daemon=True) for n in names]
    for thread in threads:
        thread.start()
    join_all(threads)
    return results, threads


def test_two_plugins_getting_each_other_from_two_threads_do_not_deadlock(
    torchplug_site: FakeSite, cycle_hub: ModuleType
) -> None:
    registry = two_plugins_getting_each_other(torchplug_site, cycle_hub, defined_first=False)
    _, threads = get_from_threads(registry, ["a", "b"])
    assert not any(t.is_alive() for t in threads)


def test_a_cycle_between_plugins_is_a_circular_import_error_naming_both(
    torchplug_site: FakeSite, cycle_hub: ModuleType
) -> None:
    registry = two_plugins_getting_each_other(torchplug_site, cycle_hub, defined_first=False)
    results, _ = get_from_threads(registry, ["a", "b"])
    assert sorted(results) == ["a", "b"]
    for error in results.values():
        assert isinstance(error, PluginLoadError) and isinstance(error, ImportError)
        assert "circular import among plugins" in str(error)
        assert "model 'a' (pack-a)" in str(error) and "model 'b' (pack-b)" in str(error)


def test_a_cycle_of_plugins_in_one_thread_is_a_circular_import_error(
    torchplug_site: FakeSite, cycle_hub: ModuleType
) -> None:
    registry = two_plugins_getting_each_other(torchplug_site, cycle_hub, defined_first=False)
    cycle_hub.started["b"].set()
    cycle_hub.started["a"].set()
    with pytest.raises(PluginLoadError, match="circular import among plugins"):
        registry.get("model", "a")


def test_plugins_getting_each_others_defined_builders_from_two_threads_both_load(
    torchplug_site: FakeSite, cycle_hub: ModuleType
) -> None:
    """As ``from m import name`` in a circular import: what is already defined may be used."""
    registry = two_plugins_getting_each_other(torchplug_site, cycle_hub, defined_first=True)
    results, _ = get_from_threads(registry, ["a", "b"])
    assert results["a"]() == "a"
    assert results["b"]() == "b"


def test_a_hook_plugin_and_a_plugin_getting_each_other_do_not_deadlock(
    torchplug_site: FakeSite, cycle_hub: ModuleType
) -> None:
    """Thread 1 imports x, whose module gets y, which is then announced to the hook plugins;
    thread 2's first load makes the relay import hook plugin h, whose module gets x."""
    torchplug_site.add(
        "pack",
        entry_points={
            "model": {"x": "tp_cycle_x:build", "y": "tp_cycle_y:build", "z": "tp_cycle_z:build"},
            "hooks": {"h": "tp_cycle_h"},
        },
        modules={
            "tp_cycle_x": waits_for("h", "hub.registry.get('model', 'y')\ndef build(): pass"),
            "tp_cycle_y": "def build(): pass\n",
            "tp_cycle_z": "def build(): pass\n",
            # Naming the hook is what makes a first load import this hook plugin.
            "tp_cycle_h": waits_for("x", "hub.registry.get('model', 'x')")
            + "def torchplug_component_loaded(category, name): pass\n",
        },
    )
    cycle_hub.registry = registry = torchplug_site.registry()
    results, threads = get_from_threads(registry, ["x", "z"])
    assert not any(t.is_alive() for t in threads)
    assert callable(results["z"])


def test_a_package_init_getting_its_own_submodules_plugin_does_not_deadlock(
    torchplug_site: FakeSite, cycle_hub: ModuleType
) -> None:
    """A cycle through Python's own import lock: thread 1 imports the package, whose __init__
    gets ``model m``; thread 2 gets m, whose module imports from that package."""
    torchplug_site.add(
        "pack",
        entry_points={"model": {"m": "tp_cycle_pkg.tp_cycle_m:build"}},
        modules={
            "tp_cycle_pkg.__init__": waits_for("m", "M = hub.registry.get('model', 'm')"),
            "tp_cycle_pkg.tp_cycle_m": waits_for("pkg", "from tp_cycle_pkg import helpers")
            + "def build(): pass\n",
            "tp_cycle_pkg.helpers": "",
        },
    )
    cycle_hub.registry = registry = torchplug_site.registry()
    imported: list[BaseException | ModuleType] = []

    def import_the_package() -> None:
        try:
            imported.append(importlib.import_module("tp_cycle_pkg"))
        except BaseException as exc:  # the cycle's error, in the thread that closes it
            imported.append(exc)

    importer = threading.Thread(target=import_the_package, daemon=True)
    importer.start()
    results, threads = get_from_threads(registry, ["m"])
    join_all([importer])
    assert not any(t.is_alive() for t in [importer, *threads])
    assert "circular import among plugins" in str([*imported, *results.values()])
