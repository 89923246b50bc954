"""A name with two providers is never resolved silently; aliases and self-registration are not conflicts."""

from __future__ import annotations

import importlib
import re
import sys

import pytest
from torchplug import DuplicateComponentError, PluginLoadError, Registry
from torchplug.testing import FakeSite


def build() -> str:
    return "local"


def other() -> str:
    return "other"


@pytest.fixture
def conflict(torchplug_site: FakeSite, journal) -> Registry:
    """``optimizer lion`` from two distributions, both recording when imported."""
    torchplug_site.add(
        "pack-a",
        "1.2.3",
        entry_points={"optimizer": {"lion": "tp_a.optim:build_lion", "adam": "tp_a.optim:adam"}},
        modules={"tp_a.optim": journal.plugin("build_lion", "adam")},
    )
    torchplug_site.add(
        "Pack_B",
        "4.5",
        entry_points={"optimizer": {"lion": "tp_b:lion"}},
        modules={"tp_b": journal.plugin("lion")},
    )
    return torchplug_site.registry()


def test_a_conflicted_name_is_listed_once(conflict: Registry) -> None:
    assert conflict.list("optimizer") == ["adam", "lion"]


def test_info_marks_a_conflict_with_every_provider(conflict: Registry) -> None:
    info = conflict.info("optimizer", "lion")
    assert info.status == "conflict"
    assert info.provider is None
    assert {(p.distribution, p.version, p.target) for p in info.providers} == {
        ("pack-a", "1.2.3", "tp_a.optim:build_lion"),
        ("pack-b", "4.5", "tp_b:lion"),
    }


def test_check_reports_a_conflict_with_every_provider(conflict: Registry) -> None:
    report = conflict.check()
    assert not report.ok
    (finding,) = report.conflicts
    assert (finding.category, finding.name, finding.severity) == ("optimizer", "lion", "error")
    assert {p.distribution for p in finding.providers} == {"pack-a", "pack-b"}


def test_check_of_conflicts_imports_nothing(conflict: Registry, journal) -> None:
    conflict.check()
    assert journal.lines == []


def test_check_reports_every_conflict_at_once(torchplug_site: FakeSite) -> None:
    names = {"lion": "x:lion", "adamw": "x:adamw", "sgd": "x:sgd"}
    torchplug_site.add("pack-a", entry_points={"optimizer": names, "model": {"vit": "x:vit"}})
    torchplug_site.add("pack-b", entry_points={"optimizer": names, "model": {"vit": "y:vit"}})
    report = torchplug_site.registry().check()
    assert sorted((f.category, f.name) for f in report.conflicts) == [
        ("model", "vit"),
        ("optimizer", "adamw"),
        ("optimizer", "lion"),
        ("optimizer", "sgd"),
    ]


def test_get_of_a_conflict_raises_a_value_error(conflict: Registry) -> None:
    with pytest.raises(ValueError):
        conflict.get("optimizer", "lion")


def test_get_of_a_conflict_imports_each_candidate_once_to_compare_them(
    conflict: Registry, journal
) -> None:
    for _ in range(3):
        with pytest.raises(DuplicateComponentError):
            conflict.get("optimizer", "lion")
    assert sorted(journal.lines) == ["imported tp_a.optim", "imported tp_b"]


def test_info_and_list_of_a_conflict_import_nothing(conflict: Registry, journal) -> None:
    assert conflict.info("optimizer", "lion").status == "conflict"
    assert "lion" in conflict.list("optimizer")
    assert journal.lines == []


@pytest.mark.parametrize(
    "provider",
    [
        "pack-a 1.2.3 (tp_a.optim:build_lion)",
        "pack-b 4.5 (tp_b:lion)",
        "lion = tp_a.optim:build_lion",
        "lion = tp_b:lion",
    ],
)
def test_the_conflict_error_names_each_provider(conflict: Registry, provider: str) -> None:
    with pytest.raises(DuplicateComponentError) as caught:
        conflict.get("optimizer", "lion")
    assert provider in str(caught.value)


@pytest.mark.parametrize(
    "fix",
    [
        '"pack-a:lion"',
        'registry.prefer("optimizer", "lion", "pack-a")',
        "torchplug_resolve_conflict",
    ],
)
def test_the_conflict_error_says_how_to_resolve_it(conflict: Registry, fix: str) -> None:
    with pytest.raises(DuplicateComponentError) as caught:
        conflict.get("optimizer", "lion")
    assert fix in str(caught.value)


def test_the_qualified_names_the_conflict_error_suggests_work(conflict: Registry) -> None:
    with pytest.raises(DuplicateComponentError) as caught:
        conflict.get("optimizer", "lion")
    qualified = sorted(set(re.findall(r'"([\w.-]+:lion)"', str(caught.value))))
    assert qualified == ["pack-a:lion", "pack-b:lion"]
    assert conflict.get("optimizer", qualified[0])() == "tp_a.optim.build_lion"
    assert conflict.get("optimizer", qualified[1])() == "tp_b.lion"


def test_the_conflict_error_carries_category_and_name(conflict: Registry) -> None:
    with pytest.raises(DuplicateComponentError) as caught:
        conflict.get("optimizer", "lion")
    assert (caught.value.category, caught.value.name) == ("optimizer", "lion")


@pytest.mark.parametrize(
    ("qualified", "module"), [("pack-a:lion", "tp_a.optim"), ("PACK.B:lion", "tp_b")]
)
def test_a_qualified_name_picks_one_provider_and_imports_only_it(
    conflict: Registry, journal, qualified: str, module: str
) -> None:
    assert conflict.get("optimizer", qualified)().startswith(module)
    assert journal.lines == [f"imported {module}"]


def test_a_conflict_does_not_break_other_names(conflict: Registry) -> None:
    assert conflict.get("optimizer", "adam")() == "tp_a.optim.adam"


def test_one_distribution_declaring_a_name_twice_with_two_targets_is_a_conflict(
    torchplug_site: FakeSite,
) -> None:
    text = f"[{torchplug_site.namespace}.model]\nvit = tp_one:vit_a\nvit = tp_one:vit_b\n"
    torchplug_site.add("one-pack", entry_points_txt=text)
    registry = torchplug_site.registry()
    with pytest.raises(DuplicateComponentError, match="declares the name twice"):
        registry.get("model", "vit")
    assert [f.name for f in registry.check().conflicts] == ["vit"]


def test_a_distribution_found_twice_on_the_path_is_not_a_conflict(
    torchplug_site: FakeSite, second_site: FakeSite, journal
) -> None:
    torchplug_site.add(
        "pack", "1.0", entry_points={"model": {"vit": "tp_old:vit"}}, modules={"tp_old": ""}
    )
    second_site.add(
        "pack",
        "2.0",
        entry_points={"model": {"vit": "tp_new:vit"}},
        modules={"tp_new": journal.plugin("vit")},
    )
    registry = torchplug_site.registry()
    assert registry.check().ok
    assert registry.info("model", "vit").version == "2.0"  # second_site is first on sys.path
    assert registry.get("model", "vit")() == "tp_new.vit"


# ----------------------------------------------------------------------------- aliases


@pytest.fixture
def aliases(torchplug_site: FakeSite, journal) -> Registry:
    torchplug_site.add(
        "pack",
        entry_points={"model": {"vit-b-16": "tp_vit:build", "vit_base": "tp_vit:build"}},
        modules={"tp_vit": journal.plugin("build")},
    )
    return torchplug_site.registry()


def test_two_names_of_one_target_in_one_distribution_are_not_a_conflict(aliases: Registry) -> None:
    assert aliases.check().ok
    assert aliases.get("model", "vit-b-16") is aliases.get("model", "vit_base")


def test_info_lists_the_aliases_of_a_name(aliases: Registry) -> None:
    assert aliases.info("model", "vit-b-16").aliases == ("vit_base",)
    assert aliases.info("model", "vit_base").aliases == ("vit-b-16",)


def test_aliases_share_one_load(aliases: Registry, journal) -> None:
    aliases.get("model", "vit-b-16")
    assert aliases.info("model", "vit_base").loaded is True
    assert journal.lines == ["imported tp_vit"]


# ----------------------------------------------------------------------------- register


@pytest.fixture
def installed(torchplug_site: FakeSite, journal) -> Registry:
    torchplug_site.add(
        "pack",
        "2.0",
        entry_points={"optimizer": {"lion": "tp_pack:lion"}},
        modules={"tp_pack": journal.plugin("lion")},
    )
    return torchplug_site.registry()


def test_register_of_an_installed_name_raises_naming_the_provider(installed: Registry) -> None:
    with pytest.raises(DuplicateComponentError) as caught:
        installed.register("optimizer", "lion", build)
    assert "pack 2.0 (tp_pack:lion)" in str(caught.value)
    assert "override=True" in str(caught.value)


def test_a_refused_register_leaves_the_installed_provider(installed: Registry) -> None:
    with pytest.raises(DuplicateComponentError):
        installed.register("optimizer", "lion", build)
    assert installed.get("optimizer", "lion")() == "tp_pack.lion"


def test_register_with_override_replaces_an_installed_name(installed: Registry, journal) -> None:
    installed.register("optimizer", "lion", build, override=True)
    assert installed.get("optimizer", "lion") is build
    assert journal.lines == []


def test_register_of_a_name_registered_before_raises(installed: Registry) -> None:
    installed.register("optimizer", "sophia", build)
    with pytest.raises(DuplicateComponentError, match="local registration"):
        installed.register("optimizer", "sophia", other)


def test_register_with_override_replaces_a_local_registration(installed: Registry) -> None:
    installed.register("optimizer", "sophia", build)
    installed.register("optimizer", "sophia", other, override=True)
    assert installed.get("optimizer", "sophia") is other


def test_registering_the_same_object_again_is_not_a_conflict(installed: Registry) -> None:
    installed.register("optimizer", "sophia", build)
    assert installed.register("optimizer", "sophia", build) is build


def test_the_decorator_form_refuses_an_installed_name(installed: Registry) -> None:
    with pytest.raises(DuplicateComponentError):
        installed.register("optimizer", "lion")(build)


# ----------------------------------------------------------------------------- self-registration


SELF_REGISTERING = """\
from tp_hub import registry

@registry.register("optimizer", "lion")
def build_lion():
    return "self-registered"
"""


@pytest.fixture
def hub(torchplug_site: FakeSite):
    """A module that plugin modules import to reach the test's registry, as they would torchplug's."""
    torchplug_site.write_module("tp_hub", "registry = None\n")
    return importlib.import_module("tp_hub")


def test_a_module_registering_the_object_its_entry_point_names_is_not_a_conflict(
    torchplug_site: FakeSite, hub
) -> None:
    torchplug_site.add(
        "pack",
        entry_points={"optimizer": {"lion": "tp_self.optim:build_lion"}},
        modules={"tp_self.optim": SELF_REGISTERING},
    )
    hub.registry = registry = torchplug_site.registry()
    lion = registry.get("optimizer", "lion")
    assert lion() == "self-registered"
    assert lion is sys.modules["tp_self.optim"].build_lion
    assert registry.info("optimizer", "lion").distribution == "pack"
    assert registry.check().ok


def test_a_self_registering_module_imported_directly_is_not_a_conflict(
    torchplug_site: FakeSite, hub
) -> None:
    torchplug_site.add(
        "pack",
        entry_points={"optimizer": {"lion": "tp_self.optim:build_lion"}},
        modules={"tp_self.optim": SELF_REGISTERING},
    )
    hub.registry = registry = torchplug_site.registry()
    module = importlib.import_module("tp_self.optim")
    assert registry.get("optimizer", "lion") is module.build_lion


def test_self_registration_through_a_re_exporting_package_is_not_a_conflict(
    torchplug_site: FakeSite, hub
) -> None:
    # The common layout: the entry point names the package, the function lives in a submodule.
    torchplug_site.add(
        "pack",
        entry_points={"optimizer": {"lion": "tp_self:build_lion"}},
        modules={
            "tp_self.__init__": "from tp_self.optim import build_lion\n",
            "tp_self.optim": SELF_REGISTERING,
        },
    )
    hub.registry = registry = torchplug_site.registry()
    assert registry.get("optimizer", "lion")() == "self-registered"


def test_self_registration_under_a_spaced_entry_point_value_is_not_a_conflict(
    torchplug_site: FakeSite, hub
) -> None:
    torchplug_site.add(
        "pack",
        entry_points={"optimizer": {"lion": "tp_self.optim : build_lion"}},
        modules={"tp_self.optim": SELF_REGISTERING},
    )
    hub.registry = registry = torchplug_site.registry()
    assert registry.get("optimizer", "lion")() == "self-registered"


def test_a_self_registering_provider_of_a_conflict_loads_by_qualified_name(
    torchplug_site: FakeSite, hub
) -> None:
    torchplug_site.add(
        "pack-a",
        entry_points={"optimizer": {"lion": "tp_self.optim:build_lion"}},
        modules={"tp_self.optim": SELF_REGISTERING},
    )
    torchplug_site.add("pack-b", entry_points={"optimizer": {"lion": "tp_rival:lion"}})
    hub.registry = registry = torchplug_site.registry()
    assert registry.get("optimizer", "pack-a:lion")() == "self-registered"


def test_a_module_registering_another_object_under_an_installed_name_fails_to_load(
    torchplug_site: FakeSite, hub
) -> None:
    source = SELF_REGISTERING.replace('"lion"', '"adam"')
    torchplug_site.add(
        "pack",
        entry_points={"optimizer": {"lion": "tp_self.optim:build_lion", "adam": "tp_other:adam"}},
        modules={"tp_self.optim": source},
    )
    hub.registry = registry = torchplug_site.registry()
    with pytest.raises(PluginLoadError) as caught:
        registry.get("optimizer", "lion")
    assert isinstance(caught.value.__cause__, DuplicateComponentError)
