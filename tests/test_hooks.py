"""Hook plugins (pluggy): loaded on the first hook call, resolve conflicts, hear about loads."""

from __future__ import annotations

import sys
import warnings

import pluggy
import pytest
import torchplug
from torchplug import DuplicateComponentError, Registry, TorchplugError
from torchplug._hooks import HookPluginWarning
from torchplug.testing import FakeSite


def loaded_recorder(journal) -> str:
    """A hook plugin that writes ``loaded <category> <name> <object> <distribution>`` per call."""
    line = "f'loaded {category} {name} {obj()} {info.distribution}'"
    return (
        "import torchplug\n\n"
        "@torchplug.hookimpl\n"
        "def torchplug_component_loaded(category, name, obj, info):\n"
        f"    {journal.write(line)}"
    )


def resolver(answer: str) -> str:
    """A hook plugin whose torchplug_resolve_conflict returns the expression `answer`."""
    return (
        "import torchplug\n\n"
        "@torchplug.hookimpl\n"
        "def torchplug_resolve_conflict(category, name, candidates):\n"
        f"    return {answer}\n"
    )


@pytest.fixture
def recorded(torchplug_site: FakeSite, journal) -> Registry:
    """A pack with two components and a hook plugin recording every load."""
    torchplug_site.add(
        "pack",
        entry_points={
            "model": {
                "vit": "tp_models:vit",
                "resnet": "tp_models:resnet",
                "vit-b": "tp_models:vit",
            }
        },
        modules={"tp_models": journal.plugin("vit", "resnet")},
    )
    torchplug_site.add(
        "hook-pack",
        entry_points={"hooks": {"recorder": "tp_recorder"}},
        modules={"tp_recorder": loaded_recorder(journal)},
    )
    return torchplug_site.registry()


READING = {
    "list": lambda r: r.list("model"),
    "info": lambda r: r.info("model", "vit"),
    "check": lambda r: r.check(),
    "entries": lambda r: r.entries(),
    "categories": lambda r: r.categories(),
    "distributions": lambda r: r.distributions(),
}


@pytest.mark.parametrize("reading", list(READING))
def test_reading_the_registry_does_not_load_hook_plugins(recorded: Registry, reading: str) -> None:
    READING[reading](recorded)
    assert "tp_recorder" not in sys.modules


def test_hook_plugins_are_loaded_when_a_hook_is_first_called(recorded: Registry) -> None:
    recorded.get("model", "vit")
    assert "tp_recorder" in sys.modules


# ----------------------------------------------------------------------------- only what is implemented

#: A hook plugin implementing only a hook of its own (as a training loop's are), recording imports.
OTHER_HOOKS = """\
import torchplug
{write}
@torchplug.hookimpl
def on_something(): ...
"""


@pytest.fixture
def unrelated_hooks(torchplug_site: FakeSite, journal) -> Registry:
    """A pack, and a hook plugin that implements none of torchplug's own hooks."""
    torchplug_site.add(
        "pack",
        entry_points={"model": {"vit": "tp_models:vit"}},
        modules={"tp_models": journal.plugin("vit")},
    )
    torchplug_site.add(
        "hook-pack",
        entry_points={"hooks": {"other": "tp_other_hooks"}},
        modules={"tp_other_hooks": OTHER_HOOKS.format(write=journal.write("'imported hooks'"))},
    )
    return torchplug_site.registry()


def test_a_first_load_imports_no_hook_plugin_that_does_not_implement_its_hook(
    unrelated_hooks: Registry, journal
) -> None:
    """The scan reads which of torchplug's hooks each hook plugin's source names."""
    assert unrelated_hooks.get("model", "vit")() == "tp_models.vit"
    assert journal.lines == ["imported tp_models"]
    assert "tp_other_hooks" not in sys.modules


def test_the_plugin_manager_still_loads_every_hook_plugin(
    unrelated_hooks: Registry, journal
) -> None:
    unrelated_hooks.get("model", "vit")
    assert unrelated_hooks.plugin_manager.has_plugin("hook-pack:other")
    assert journal.lines == ["imported tp_models", "imported hooks"]


def test_a_hook_implemented_in_another_module_of_the_plugins_package_is_called(
    torchplug_site: FakeSite, journal
) -> None:
    """The plugin object lives in one module, its implementation in another of the package."""
    torchplug_site.add(
        "pack",
        entry_points={"model": {"vit": "tp_models:vit"}},
        modules={"tp_models": journal.plugin("vit")},
    )
    torchplug_site.add(
        "hook-pack",
        entry_points={"hooks": {"recorder": "tp_split_hooks.plugin"}},
        modules={
            "tp_split_hooks.impl": loaded_recorder(journal),
            "tp_split_hooks.plugin": "from .impl import *\n",
        },
    )
    torchplug_site.registry().get("model", "vit")
    assert journal.lines[-1] == "loaded model vit tp_models.vit pack"


def test_a_hook_plugin_whose_source_cannot_be_read_is_imported_on_a_first_load(
    torchplug_site: FakeSite, journal
) -> None:
    """Bytecode only: nothing says which hooks it implements, so it may implement them all."""
    import py_compile

    torchplug_site.add(
        "pack",
        entry_points={"model": {"vit": "tp_models:vit"}},
        modules={"tp_models": journal.plugin("vit")},
    )
    torchplug_site.add("hook-pack", entry_points={"hooks": {"recorder": "tp_compiled_hooks"}})
    source = torchplug_site.write_module("tp_compiled_hooks", loaded_recorder(journal))
    py_compile.compile(str(source), cfile=str(source.with_suffix(".pyc")))
    source.unlink()
    torchplug_site.registry().get("model", "vit")
    assert journal.lines[-1] == "loaded model vit tp_models.vit pack"


def test_component_loaded_is_called_with_category_name_object_and_info(
    recorded: Registry, journal
) -> None:
    recorded.get("model", "resnet")
    assert journal.lines[-1] == "loaded model resnet tp_models.resnet pack"


def test_component_loaded_is_called_once_per_provider(recorded: Registry, journal) -> None:
    recorded.get("model", "vit")
    recorded.get("model", "vit")
    recorded.get("model", "vit-b")
    assert [line for line in journal.lines if line.startswith("loaded")] == [
        "loaded model vit tp_models.vit pack"
    ]


def test_component_loaded_is_called_for_each_provider_loaded_by_a_deep_check(
    recorded: Registry, journal
) -> None:
    recorded.check(deep=True)
    loaded = sorted(line for line in journal.lines if line.startswith("loaded"))
    assert loaded == [
        "loaded model resnet tp_models.resnet pack",
        "loaded model vit tp_models.vit pack",
    ]


def test_component_loaded_is_not_called_again_after_refresh(recorded: Registry, journal) -> None:
    recorded.get("model", "vit")
    recorded.refresh()
    recorded.get("model", "vit")
    assert sum(line.startswith("loaded") for line in journal.lines) == 1


def test_component_loaded_is_not_called_again_after_autoload_is_switched_off_and_on(
    recorded: Registry, journal
) -> None:
    recorded.get("model", "vit")
    recorded.set_autoload(False)
    recorded.set_autoload(True)
    recorded.get("model", "vit")
    assert sum(line.startswith("loaded") for line in journal.lines) == 1


def test_component_loaded_describes_the_provider_a_qualified_name_chose(
    recorded: Registry, torchplug_site: FakeSite, journal
) -> None:
    torchplug_site.add(
        "rival-pack",
        entry_points={"model": {"vit": "tp_rival:vit"}},
        modules={"tp_rival": journal.plugin("vit")},
    )
    recorded.get("model", "rival-pack:vit")
    assert journal.lines[-1] == "loaded model vit tp_rival.vit rival-pack"


# ----------------------------------------------------------------------------- resolving conflicts


@pytest.fixture
def conflict(torchplug_site: FakeSite, journal) -> FakeSite:
    for dist, module in (("pack-a", "tp_a"), ("Pack_B", "tp_b")):
        torchplug_site.add(
            dist,
            entry_points={"optimizer": {"lion": f"{module}:lion"}},
            modules={module: journal.plugin("lion")},
        )
    return torchplug_site


def add_resolver(site: FakeSite, answer: str, dist: str = "resolver-pack") -> None:
    module = "tp_" + dist.replace("-", "_")
    site.add(dist, entry_points={"hooks": {"resolver": module}}, modules={module: resolver(answer)})


@pytest.mark.parametrize("answer", ["'pack-b'", "'Pack_B'", "'pack.b'"])
def test_resolve_conflict_may_answer_a_distribution_name(conflict: FakeSite, answer: str) -> None:
    add_resolver(conflict, answer)
    assert conflict.registry().get("optimizer", "lion")() == "tp_b.lion"


def test_resolve_conflict_may_answer_a_candidate(conflict: FakeSite) -> None:
    add_resolver(conflict, "[c for c in candidates if c.target == 'tp_a:lion'][0]")
    assert conflict.registry().get("optimizer", "lion")() == "tp_a.lion"


def test_resolve_conflict_is_given_every_candidate(conflict: FakeSite, journal) -> None:
    line = "' '.join(sorted(f'{c.distribution}={c.version}={c.target}' for c in candidates))"
    source = (
        "import torchplug\n\n"
        "@torchplug.hookimpl\n"
        "def torchplug_resolve_conflict(category, name, candidates):\n"
        f"    {journal.write(line)}"
    )
    conflict.add(
        "resolver-pack", entry_points={"hooks": {"spy": "tp_spy"}}, modules={"tp_spy": source}
    )
    with pytest.raises(DuplicateComponentError):
        conflict.registry().get("optimizer", "lion")
    # The hooks are asked first; then the candidates are imported, to compare them.
    assert journal.lines[0] == "pack-a=1.0=tp_a:lion pack-b=1.0=tp_b:lion"
    assert sorted(journal.lines[1:]) == ["imported tp_a", "imported tp_b"]


def test_without_an_answer_the_conflict_stands(conflict: FakeSite) -> None:
    add_resolver(conflict, "None")
    with pytest.raises(DuplicateComponentError):
        conflict.registry().get("optimizer", "lion")


def test_a_hook_answering_none_leaves_the_choice_to_the_next(conflict: FakeSite) -> None:
    add_resolver(conflict, "None", dist="abstaining-pack")
    add_resolver(conflict, "'pack-b'", dist="deciding-pack")
    add_resolver(conflict, "None", dist="zz-abstaining-pack")
    assert conflict.registry().get("optimizer", "lion")() == "tp_b.lion"


def test_an_answer_that_is_not_a_candidate_raises_naming_it(conflict: FakeSite) -> None:
    add_resolver(conflict, "'pack-c'")
    with pytest.raises(TorchplugError, match="'pack-c'"):
        conflict.registry().get("optimizer", "lion")


def test_resolving_imports_only_the_chosen_provider(conflict: FakeSite, journal) -> None:
    add_resolver(conflict, "'pack-b'")
    conflict.registry().get("optimizer", "lion")
    assert journal.lines == ["imported tp_b"]


def test_hook_plugins_of_another_namespace_are_not_loaded(conflict: FakeSite) -> None:
    conflict.add(
        "other-fw-pack",
        groups={"otherfw.hooks": {"resolver": "tp_other_resolver"}},
        modules={"tp_other_resolver": resolver("'pack-b'")},
    )
    with pytest.raises(DuplicateComponentError):
        conflict.registry().get("optimizer", "lion")
    assert "tp_other_resolver" not in sys.modules


def test_a_hook_plugin_may_be_an_object_in_a_module(conflict: FakeSite) -> None:
    source = (
        "import torchplug\n\n"
        "class Resolver:\n"
        "    @torchplug.hookimpl\n"
        "    def torchplug_resolve_conflict(self, category, name, candidates):\n"
        "        return 'pack-b'\n\n"
        "plugin = Resolver()\n"
    )
    conflict.add(
        "resolver-pack",
        entry_points={"hooks": {"resolver": "tp_class_resolver:plugin"}},
        modules={"tp_class_resolver": source},
    )
    assert conflict.registry().get("optimizer", "lion")() == "tp_b.lion"


# ----------------------------------------------------------------------------- broken hook plugins


#: A hook plugin implementing the hook a first load calls, whose import fails.
BROKEN_HOOK_PLUGIN = """\
import torchplug

raise RuntimeError('hook plugin exploded')


@torchplug.hookimpl
def torchplug_component_loaded(category, name): ...
"""


@pytest.fixture
def broken_hook(torchplug_site: FakeSite, journal) -> Registry:
    torchplug_site.add(
        "pack",
        entry_points={"model": {"vit": "tp_models:vit", "resnet": "tp_models:resnet"}},
        modules={"tp_models": journal.plugin("vit", "resnet")},
    )
    torchplug_site.add(
        "broken-hook-pack",
        entry_points={"hooks": {"bad": "tp_bad_hook"}},
        modules={"tp_bad_hook": BROKEN_HOOK_PLUGIN},
    )
    return torchplug_site.registry()


def test_a_broken_hook_plugin_warns(broken_hook: Registry) -> None:
    with pytest.warns(HookPluginWarning, match="broken-hook-pack:bad"):
        broken_hook.get("model", "vit")


def test_a_broken_hook_plugin_does_not_break_get(broken_hook: Registry) -> None:
    with pytest.warns(HookPluginWarning):
        assert broken_hook.get("model", "vit")() == "tp_models.vit"


def test_a_broken_hook_plugin_warns_once(broken_hook: Registry) -> None:
    with pytest.warns(HookPluginWarning) as warned:
        broken_hook.get("model", "vit")
        broken_hook.get("model", "resnet")
    assert len([w for w in warned if issubclass(w.category, HookPluginWarning)]) == 1


def test_a_broken_hook_plugin_does_not_stop_the_others(
    broken_hook: Registry, torchplug_site: FakeSite, journal
) -> None:
    torchplug_site.add(
        "hook-pack",
        entry_points={"hooks": {"recorder": "tp_recorder"}},
        modules={"tp_recorder": loaded_recorder(journal)},
    )
    broken_hook.refresh()
    with pytest.warns(HookPluginWarning):
        broken_hook.get("model", "vit")
    assert journal.lines[-1] == "loaded model vit tp_models.vit pack"


def test_a_deep_check_reports_a_broken_hook_plugin(broken_hook: Registry) -> None:
    with pytest.warns(HookPluginWarning):
        report = broken_hook.check(deep=True)
    assert not report.ok
    (finding,) = report.broken
    assert finding.category == "hooks"
    assert "broken-hook-pack" in finding.message
    assert "hook plugin exploded" in finding.message


def test_refresh_retries_a_hook_plugin_that_failed(
    broken_hook: Registry, torchplug_site: FakeSite, journal
) -> None:
    with pytest.warns(HookPluginWarning):
        broken_hook.get("model", "vit")
    torchplug_site.write_module("tp_bad_hook", loaded_recorder(journal))
    broken_hook.refresh()
    broken_hook.get("model", "resnet")
    assert journal.lines[-1] == "loaded model resnet tp_models.resnet pack"


# ----------------------------------------------------------------------------- hook plugins using the registry

GETTING_RECORDER = """\
import torchplug
import tp_hook_hub

HELPER = tp_hook_hub.registry.get("model", "helper")

@torchplug.hookimpl
def torchplug_component_loaded(category, name):
    {write}
"""


@pytest.fixture
def getting_hook(torchplug_site: FakeSite, journal) -> Registry:
    """A hook plugin whose module gets a component of the registry while it is being imported."""
    torchplug_site.write_module("tp_hook_hub", "registry = None\n")
    torchplug_site.add(
        "pack",
        entry_points={
            "model": {"vit": "tp_models:vit", "resnet": "tp_models:resnet", "helper": "tp_h:h"}
        },
        modules={"tp_models": journal.plugin("vit", "resnet"), "tp_h": "def h(): pass\n"},
    )
    torchplug_site.add(
        "hook-pack",
        entry_points={"hooks": {"recorder": "tp_getting_recorder"}},
        modules={
            "tp_getting_recorder": GETTING_RECORDER.format(
                write=journal.write("f'loaded {category} {name}'")
            )
        },
    )
    import tp_hook_hub

    tp_hook_hub.registry = torchplug_site.registry()
    return tp_hook_hub.registry


def test_a_hook_plugin_that_gets_a_component_while_imported_is_not_reported_broken(
    getting_hook: Registry,
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        getting_hook.get("model", "vit")
        report = getting_hook.check(deep=True)
    assert report.broken == []


def test_a_hook_plugin_that_gets_a_component_while_imported_hears_later_loads(
    getting_hook: Registry, journal
) -> None:
    getting_hook.get("model", "vit")
    getting_hook.get("model", "resnet")
    assert [line for line in journal.lines if line.startswith("loaded")] == [
        "loaded model vit",
        "loaded model resnet",
    ]


def test_a_hook_plugin_that_gets_a_component_while_imported_is_registered_once(
    getting_hook: Registry,
) -> None:
    getting_hook.get("model", "vit")
    assert getting_hook.plugin_manager.has_plugin("hook-pack:recorder")
    assert len(getting_hook.plugin_manager.get_plugins()) == 1


# ----------------------------------------------------------------------------- markers


def test_hookimpl_marks_implementations_of_the_torchplug_project() -> None:
    assert isinstance(torchplug.hookimpl, pluggy.HookimplMarker)
    assert torchplug.hookimpl.project_name == "torchplug"


@pytest.mark.parametrize("hook", ["torchplug_resolve_conflict", "torchplug_component_loaded"])
def test_the_plugin_manager_knows_the_hook_specifications(
    torchplug_site: FakeSite, hook: str
) -> None:
    assert getattr(torchplug_site.registry().plugin_manager.hook, hook).spec is not None


def test_the_plugin_manager_has_the_installed_hook_plugins(recorded: Registry) -> None:
    assert recorded.plugin_manager.has_plugin("hook-pack:recorder")
