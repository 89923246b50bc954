"""The registry (`torchplug._registry`): register, get, list, info, categories, prefer, refresh, parent."""

from __future__ import annotations

import importlib
import shutil
import sys

import pytest
import torchplug
from torchplug import (
    ComponentNotFoundError,
    DuplicateComponentError,
    InvalidNameError,
    PluginLoadError,
    Registry,
    TorchplugError,
)
from torchplug.testing import FakeSite, entry_points_text, unique_namespace


def build() -> str:
    return "local"


# ----------------------------------------------------------------------------- public API


@pytest.mark.parametrize(
    "name",
    [
        "registry",
        "Registry",
        "TorchplugError",
        "ComponentNotFoundError",
        "DuplicateComponentError",
        "PluginLoadError",
        "InvalidNameError",
        "ComponentDisabledError",
    ],
)
def test_the_public_api_names_are_importable_from_the_package(name: str) -> None:
    assert name in torchplug.__all__
    assert getattr(torchplug, name) is not None


def test_the_default_registry_reads_the_torchplug_namespace() -> None:
    assert isinstance(torchplug.registry, Registry)
    assert torchplug.registry.namespace == "torchplug"


@pytest.mark.parametrize(
    "error", ["ComponentNotFoundError", "DuplicateComponentError", "PluginLoadError"]
)
def test_every_error_is_a_torchplug_error(error: str) -> None:
    assert issubclass(getattr(torchplug, error), TorchplugError)


# ----------------------------------------------------------------------------- register


def test_register_returns_the_object(torchplug_site: FakeSite) -> None:
    registry = torchplug_site.registry()
    assert registry.register("model", "local", build) is build


def test_register_without_an_object_is_a_decorator_returning_the_function(
    torchplug_site: FakeSite,
) -> None:
    registry = torchplug_site.registry()

    @registry.register("model", "decorated")
    def decorated() -> str:
        return "decorated"

    assert decorated() == "decorated"
    assert registry.get("model", "decorated") is decorated


@pytest.mark.parametrize(
    ("method", "category"),
    [
        ("register_model", "model"),
        ("register_optimizer", "optimizer"),
        ("register_scheduler", "scheduler"),
        ("register_loss", "loss"),
    ],
)
def test_register_sugar_registers_in_its_category(
    torchplug_site: FakeSite, method: str, category: str
) -> None:
    registry = torchplug_site.registry()
    assert getattr(registry, method)("local", build) is build
    assert registry.get(category, "local") is build


@pytest.mark.parametrize(
    ("method", "category"),
    [
        ("register_model", "model"),
        ("register_optimizer", "optimizer"),
        ("register_scheduler", "scheduler"),
        ("register_loss", "loss"),
    ],
)
def test_register_sugar_is_a_decorator_too(
    torchplug_site: FakeSite, method: str, category: str
) -> None:
    registry = torchplug_site.registry()
    assert getattr(registry, method)("local")(build) is build
    assert registry.get(category, "local") is build


@pytest.mark.parametrize("name", ["resnet-50", "ViT_B.16", "AdamW", "lr@1e-3", "名前"])
def test_odd_but_valid_names_round_trip_verbatim(torchplug_site: FakeSite, name: str) -> None:
    registry = torchplug_site.registry()
    registry.register("model", name, build)
    assert registry.get("model", name) is build
    assert registry.list("model") == [name]


@pytest.mark.parametrize(
    "category", ["Model", "lr-scheduler", "lr.scheduler", "2d", "", "hooks", "model\n"]
)
def test_register_refuses_an_invalid_category(torchplug_site: FakeSite, category: str) -> None:
    registry = torchplug_site.registry()
    with pytest.raises(InvalidNameError):
        registry.register(category, "x", build)
    assert registry.categories() == []


@pytest.mark.parametrize("name", ["", "adam w", "lion:v2", "trailing\n"])
def test_register_refuses_an_invalid_name(torchplug_site: FakeSite, name: str) -> None:
    registry = torchplug_site.registry()
    with pytest.raises(InvalidNameError):
        registry.register("model", name, build)
    assert registry.categories() == []


def test_the_decorator_form_checks_names_before_decorating(torchplug_site: FakeSite) -> None:
    with pytest.raises(InvalidNameError):
        torchplug_site.registry().register("model", "lion:v2")


def test_unregister_removes_a_local_registration(torchplug_site: FakeSite) -> None:
    registry = torchplug_site.registry()
    registry.register("model", "local", build)
    registry.unregister("model", "local")
    with pytest.raises(ComponentNotFoundError):
        registry.get("model", "local")


def test_unregister_of_an_installed_name_says_it_is_not_a_local_registration(
    torchplug_site: FakeSite,
) -> None:
    torchplug_site.add("pack", entry_points={"model": {"m": "tp_pack:m"}})
    with pytest.raises(ComponentNotFoundError, match="No local registration"):
        torchplug_site.registry().unregister("model", "m")


# ----------------------------------------------------------------------------- get


@pytest.fixture
def two_modules(torchplug_site: FakeSite, journal) -> Registry:
    """A pack with two entry points in two modules, each recording when it is imported."""
    torchplug_site.add(
        "pack",
        entry_points={"model": {"first": "tp_pack.first:build", "second": "tp_pack.second:build"}},
        modules={
            "tp_pack.first": journal.plugin("build"),
            "tp_pack.second": journal.plugin("build"),
        },
    )
    return torchplug_site.registry()


def test_get_imports_the_module_of_the_entry_point(two_modules: Registry) -> None:
    assert two_modules.get("model", "first")() == "tp_pack.first.build"


def test_get_imports_only_the_module_of_the_requested_entry_point(
    two_modules: Registry, journal
) -> None:
    two_modules.get("model", "first")
    assert journal.lines == ["imported tp_pack.first"]
    assert "tp_pack.second" not in sys.modules


def test_get_imports_on_first_get_only(two_modules: Registry, journal) -> None:
    first = two_modules.get("model", "first")
    again = two_modules.get("model", "first")
    assert again is first
    assert journal.lines == ["imported tp_pack.first"]


def test_nothing_is_imported_before_the_first_get(two_modules: Registry, journal) -> None:
    two_modules.list("model")
    assert journal.lines == []
    assert "tp_pack.first" not in sys.modules


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("tp_pack.models:build", "tp_pack.models.build"),
        ("tp_pack.models:Zoo.build", "zoo"),
        ("tp_pack.models:build [cuda]", "tp_pack.models.build"),
    ],
)
def test_get_resolves_the_attribute_path_of_the_entry_point(
    torchplug_site: FakeSite, journal, value: str, expected: str
) -> None:
    body = "class Zoo:\n    @staticmethod\n    def build():\n        return 'zoo'\n"
    torchplug_site.add(
        "pack",
        entry_points={"model": {"m": value}},
        modules={"tp_pack.models": journal.plugin("build", body=body)},
    )
    assert torchplug_site.registry().get("model", "m")() == expected


def test_an_entry_point_without_attribute_provides_the_module(torchplug_site: FakeSite) -> None:
    torchplug_site.add(
        "pack", entry_points={"model": {"m": "tp_pack.models"}}, modules={"tp_pack.models": ""}
    )
    assert torchplug_site.registry().get("model", "m") is importlib.import_module("tp_pack.models")


def test_a_local_registration_is_found_beside_installed_names(
    torchplug_site: FakeSite, journal
) -> None:
    torchplug_site.add(
        "pack",
        entry_points={"model": {"m": "tp_pack:build"}},
        modules={"tp_pack": journal.plugin("build")},
    )
    registry = torchplug_site.registry()
    registry.register("model", "local", build)
    assert registry.get("model", "local") is build
    assert registry.get("model", "m")() == "tp_pack.build"


@pytest.fixture
def spelled_pack(torchplug_site: FakeSite, journal) -> Registry:
    torchplug_site.add(
        "My.Pack_Name",
        entry_points={"model": {"m": "tp_spelled:build"}},
        modules={"tp_spelled": journal.plugin("build")},
    )
    return torchplug_site.registry()


@pytest.mark.parametrize(
    "qualified",
    ["my-pack-name:m", "My.Pack_Name:m", "my_pack_name:m", "MY.PACK.NAME:m", "my--pack__name:m"],
)
def test_get_accepts_a_name_qualified_by_its_distribution_in_any_spelling(
    spelled_pack: Registry, qualified: str
) -> None:
    assert spelled_pack.get("model", qualified)() == "tp_spelled.build"


def test_get_qualified_by_a_distribution_that_does_not_provide_it_names_the_providers(
    spelled_pack: Registry,
) -> None:
    with pytest.raises(ComponentNotFoundError) as caught:
        spelled_pack.get("model", "other-pack:m")
    assert "other-pack" in str(caught.value)
    assert "my-pack-name 1.0 (tp_spelled:build)" in str(caught.value)


# ----------------------------------------------------------------------------- not found


@pytest.fixture
def known_names(torchplug_site: FakeSite) -> Registry:
    torchplug_site.add(
        "pack", entry_points={"optimizer": {"adamw": "tp:a", "res-net": "tp:r", "lion": "tp:l"}}
    )
    return torchplug_site.registry()


def test_component_not_found_is_a_key_error(known_names: Registry) -> None:
    with pytest.raises(KeyError):
        known_names.get("optimizer", "sgd")


def test_component_not_found_lists_what_is_available(known_names: Registry) -> None:
    with pytest.raises(ComponentNotFoundError) as caught:
        known_names.get("optimizer", "sgd")
    assert "Available: ['adamw', 'lion', 'res-net']" in str(caught.value)


@pytest.mark.parametrize(
    ("wanted", "meant"),
    [("AdamW", "adamw"), ("ADAMW", "adamw"), ("res_net", "res-net"), ("lino", "lion")],
)
def test_component_not_found_says_what_was_probably_meant(
    known_names: Registry, wanted: str, meant: str
) -> None:
    with pytest.raises(ComponentNotFoundError) as caught:
        known_names.get("optimizer", wanted)
    assert f"Did you mean {meant!r}?" in str(caught.value)


def test_component_not_found_carries_category_and_name(known_names: Registry) -> None:
    with pytest.raises(ComponentNotFoundError) as caught:
        known_names.get("optimizer", "sgd")
    assert (caught.value.category, caught.value.name) == ("optimizer", "sgd")


@pytest.mark.parametrize(
    ("wanted", "meant"), [("Optimizer", "optimizer"), ("optimiser", "optimizer")]
)
def test_an_unknown_category_lists_the_categories_and_suggests_one(
    known_names: Registry, wanted: str, meant: str
) -> None:
    with pytest.raises(ComponentNotFoundError) as caught:
        known_names.get(wanted, "adamw")
    message = str(caught.value)
    assert "Available: ['optimizer']" in message
    assert f"Did you mean {meant!r}?" in message


def test_listing_an_unknown_category_raises_not_found(known_names: Registry) -> None:
    with pytest.raises(ComponentNotFoundError, match="Did you mean 'optimizer'"):
        known_names.list("optimiser")


def test_not_found_messages_are_not_quoted_like_key_errors(known_names: Registry) -> None:
    with pytest.raises(ComponentNotFoundError) as caught:
        known_names.get("optimizer", "sgd")
    assert str(caught.value).startswith("No optimizer named 'sgd'.")


# ----------------------------------------------------------------------------- list, categories, info


@pytest.fixture
def catalogue(torchplug_site: FakeSite, journal) -> Registry:
    torchplug_site.add(
        "zoo-pack",
        "3.2.1",
        entry_points={
            "model": {"vit": "tp_zoo.models:vit", "resnet": "tp_zoo.models:resnet"},
            "optimizer": {"lion": "tp_zoo.optim:lion"},
        },
        modules={
            "tp_zoo.models": journal.plugin("vit", "resnet"),
            "tp_zoo.optim": journal.plugin("lion"),
        },
    )
    return torchplug_site.registry()


def test_list_gives_the_sorted_names_of_a_category(catalogue: Registry) -> None:
    catalogue.register("model", "alexnet", build)
    assert catalogue.list("model") == ["alexnet", "resnet", "vit"]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("*", ["alexnet", "resnet", "vit"]),
        ("*net", ["alexnet", "resnet"]),
        ("?it", ["vit"]),
        ("[ar]*", ["alexnet", "resnet"]),
        ("vit", ["vit"]),
        ("VIT", []),  # case-sensitive on every platform
        ("lion", []),  # another category's name
    ],
)
def test_list_keeps_the_names_a_pattern_matches(
    catalogue: Registry, pattern: str, expected: list[str]
) -> None:
    catalogue.register("model", "alexnet", build)
    assert catalogue.list("model", pattern) == expected


def test_list_with_a_pattern_still_refuses_an_unknown_category(catalogue: Registry) -> None:
    with pytest.raises(ComponentNotFoundError, match="Unknown category 'modle'"):
        catalogue.list("modle", "*")


def test_list_imports_nothing(catalogue: Registry, journal) -> None:
    catalogue.list("model")
    assert journal.lines == []


def test_categories_are_sorted_and_include_local_ones(catalogue: Registry) -> None:
    catalogue.register("loss", "mse", build)
    assert catalogue.categories() == ["loss", "model", "optimizer"]


def test_categories_imports_nothing(catalogue: Registry, journal) -> None:
    catalogue.categories()
    assert journal.lines == []


def test_info_names_distribution_version_and_target(catalogue: Registry) -> None:
    info = catalogue.info("model", "vit")
    assert (info.category, info.name, info.status) == ("model", "vit", "ok")
    assert (info.distribution, info.version, info.target) == (
        "zoo-pack",
        "3.2.1",
        "tp_zoo.models:vit",
    )


def test_info_imports_nothing(catalogue: Registry, journal) -> None:
    catalogue.info("model", "vit")
    assert journal.lines == []


def test_info_says_whether_the_component_is_loaded(catalogue: Registry) -> None:
    assert catalogue.info("model", "vit").loaded is False
    catalogue.get("model", "vit")
    assert catalogue.info("model", "vit").loaded is True


def test_info_of_a_local_registration_names_its_target(catalogue: Registry) -> None:
    catalogue.register("model", "alexnet", build)
    info = catalogue.info("model", "alexnet")
    assert info.provider.is_local
    assert info.target == f"{__name__}:build"
    assert info.loaded is True


@pytest.mark.parametrize(
    "value", ["tp_pack.models:build", "tp_pack.models:build [cuda]", "tp_pack.models : build"]
)
def test_info_gives_the_target_as_module_colon_attribute(
    torchplug_site: FakeSite, value: str
) -> None:
    torchplug_site.add("pack", entry_points={"model": {"m": value}})
    assert torchplug_site.registry().info("model", "m").target == "tp_pack.models:build"


def test_info_of_an_unknown_name_raises_not_found(catalogue: Registry) -> None:
    with pytest.raises(ComponentNotFoundError, match="Did you mean 'vit'"):
        catalogue.info("model", "VIT")


def test_entries_describes_every_name_sorted(catalogue: Registry) -> None:
    names = [(i.category, i.name) for i in catalogue.entries()]
    assert names == [("model", "resnet"), ("model", "vit"), ("optimizer", "lion")]


def test_entries_of_a_category(catalogue: Registry) -> None:
    assert [i.name for i in catalogue.entries("optimizer")] == ["lion"]


def test_entries_imports_nothing(catalogue: Registry, journal) -> None:
    catalogue.entries()
    assert journal.lines == []


def test_distributions_counts_components_per_category(catalogue: Registry) -> None:
    (dist,) = catalogue.distributions()
    assert (dist.name, dist.version) == ("zoo-pack", "3.2.1")
    assert dist.components == {"model": 2, "optimizer": 1}


# ----------------------------------------------------------------------------- check


def test_check_of_healthy_packs_is_ok(catalogue: Registry) -> None:
    report = catalogue.check()
    assert report.ok
    assert report.findings == ()


def test_check_imports_nothing(catalogue: Registry, journal) -> None:
    catalogue.check()
    assert journal.lines == []


def test_a_deep_check_imports_every_entry_point(catalogue: Registry, journal) -> None:
    assert catalogue.check(deep=True).ok
    assert sorted(journal.lines) == ["imported tp_zoo.models", "imported tp_zoo.optim"]
    assert all(i.loaded for i in catalogue.entries())


# ----------------------------------------------------------------------------- scanning, refresh


def test_the_scan_happens_once_so_a_later_install_is_not_seen(
    catalogue: Registry, torchplug_site: FakeSite
) -> None:
    catalogue.list("model")
    torchplug_site.add("late-pack", entry_points={"model": {"late": "tp_late:build"}})
    assert "late" not in catalogue.list("model")


def test_refresh_sees_a_distribution_installed_in_this_process(
    torchplug_site: FakeSite, journal
) -> None:
    registry = torchplug_site.registry()
    registry.register("model", "local", build)
    assert registry.list("model") == ["local"]
    _install_without_telling_importlib(torchplug_site, journal)
    registry.refresh()
    assert registry.list("model") == ["late", "local"]
    assert registry.get("model", "late")() == "tp_late.build"


def test_refresh_forgets_a_distribution_uninstalled_in_this_process(
    torchplug_site: FakeSite,
) -> None:
    folder = torchplug_site.add("pack", entry_points={"model": {"gone": "tp_pack:gone"}})
    registry = torchplug_site.registry()
    assert registry.list("model") == ["gone"]
    shutil.rmtree(folder)  # as pip uninstall does, without invalidating import caches
    registry.refresh()
    with pytest.raises(ComponentNotFoundError):
        registry.get("model", "gone")


def test_refresh_keeps_local_registrations(catalogue: Registry) -> None:
    catalogue.register("model", "alexnet", build)
    catalogue.refresh()
    assert catalogue.get("model", "alexnet") is build


def test_refresh_keeps_loaded_components(catalogue: Registry) -> None:
    vit = catalogue.get("model", "vit")
    catalogue.refresh()
    assert catalogue.info("model", "vit").loaded is True
    assert catalogue.get("model", "vit") is vit


def _install_without_telling_importlib(site: FakeSite, journal) -> None:
    """Write a distribution and its module the way a pip subprocess would: plain files only."""
    folder = site.root / "late_pack-1.0.dist-info"
    folder.mkdir()
    (folder / "METADATA").write_text("Metadata-Version: 2.1\nName: late-pack\nVersion: 1.0\n")
    groups = {f"{site.namespace}.model": {"late": "tp_late:build"}}
    (folder / "entry_points.txt").write_text(entry_points_text(groups))
    (site.root / "tp_late.py").write_text(journal.plugin("build"))


# ----------------------------------------------------------------------------- prefer


@pytest.fixture
def conflict(torchplug_site: FakeSite, journal) -> Registry:
    for dist, module in (("Pack_A", "tp_a"), ("pack-b", "tp_b")):
        torchplug_site.add(
            dist,
            entry_points={"optimizer": {"lion": f"{module}:build"}},
            modules={module: journal.plugin("build")},
        )
    return torchplug_site.registry()


@pytest.mark.parametrize(("preferred", "module"), [("pack-a", "tp_a"), ("Pack.B", "tp_b")])
def test_prefer_resolves_a_conflict(conflict: Registry, preferred: str, module: str) -> None:
    conflict.prefer("optimizer", "lion", preferred)
    assert conflict.get("optimizer", "lion")() == f"{module}.build"


def test_prefer_imports_only_the_preferred_provider(conflict: Registry, journal) -> None:
    conflict.prefer("optimizer", "lion", "pack-b")
    conflict.get("optimizer", "lion")
    assert journal.lines == ["imported tp_b"]


def test_prefer_shows_in_info(conflict: Registry) -> None:
    conflict.prefer("optimizer", "lion", "pack-b")
    info = conflict.info("optimizer", "lion")
    assert (info.status, info.distribution, info.preferred) == ("ok", "pack-b", "pack-b")


def test_a_preferred_conflict_passes_check(conflict: Registry) -> None:
    conflict.prefer("optimizer", "lion", "pack-b")
    assert conflict.check().ok


def test_prefer_none_brings_the_conflict_back(conflict: Registry) -> None:
    conflict.prefer("optimizer", "lion", "pack-b")
    conflict.get("optimizer", "lion")
    conflict.prefer("optimizer", "lion", None)
    with pytest.raises(DuplicateComponentError):
        conflict.get("optimizer", "lion")


def test_prefer_a_distribution_that_does_not_provide_the_name_raises(conflict: Registry) -> None:
    with pytest.raises(ComponentNotFoundError) as caught:
        conflict.prefer("optimizer", "lion", "pack-c")
    assert "pack-a" in str(caught.value)
    assert "pack-b" in str(caught.value)


def test_prefer_an_unknown_name_raises_not_found(conflict: Registry) -> None:
    with pytest.raises(ComponentNotFoundError, match="Did you mean 'lion'"):
        conflict.prefer("optimizer", "Lion", "pack-a")


# ----------------------------------------------------------------------------- parent


@pytest.fixture
def framework(torchplug_site: FakeSite, journal) -> Registry:
    """A framework registry (its own namespace) over the site's registry as parent."""
    child_namespace = unique_namespace("myfw")
    torchplug_site.add(
        "base-pack",
        entry_points={"model": {"vit": "tp_base:vit", "resnet": "tp_base:resnet"}},
        modules={"tp_base": journal.plugin("vit", "resnet")},
    )
    torchplug_site.add(
        "fw-pack",
        groups={
            f"{child_namespace}.model": {"vit": "tp_fw:vit", "unet": "tp_fw:unet"},
            f"{child_namespace}.augment": {"flip": "tp_fw:flip"},
        },
        modules={"tp_fw": journal.plugin("vit", "unet", "flip")},
    )
    return Registry(child_namespace, parent=torchplug_site.registry())


def test_a_framework_registry_reads_its_own_groups(framework: Registry) -> None:
    assert framework.get("model", "unet")() == "tp_fw.unet"


def test_a_framework_registry_falls_back_to_its_parent(framework: Registry) -> None:
    assert framework.get("model", "resnet")() == "tp_base.resnet"


def test_a_framework_registry_shadows_its_parents_names(framework: Registry, journal) -> None:
    assert framework.get("model", "vit")() == "tp_fw.vit"
    assert journal.lines == ["imported tp_fw"]


def test_a_framework_registry_lists_its_own_and_its_parents_names(framework: Registry) -> None:
    assert framework.list("model") == ["resnet", "unet", "vit"]


def test_a_framework_registry_has_its_own_and_its_parents_categories(framework: Registry) -> None:
    assert framework.categories() == ["augment", "model"]


def test_a_framework_registry_describes_a_parents_name(framework: Registry) -> None:
    assert framework.info("model", "resnet").distribution == "base-pack"


def test_the_parent_does_not_see_the_framework_names(framework: Registry) -> None:
    assert framework.parent.list("model") == ["resnet", "vit"]


def test_a_name_in_neither_lists_both_registries_names(framework: Registry) -> None:
    with pytest.raises(ComponentNotFoundError, match=r"Available: \['resnet', 'unet', 'vit'\]"):
        framework.get("model", "swin")


def test_a_local_registration_in_the_parent_is_visible_to_the_framework(
    framework: Registry,
) -> None:
    framework.parent.register("loss", "mse", build)
    assert framework.get("loss", "mse") is build


def test_a_broken_own_name_does_not_fall_back_to_the_parent(
    torchplug_site: FakeSite, journal
) -> None:
    child_namespace = unique_namespace("myfw")
    torchplug_site.add(
        "base-pack",
        entry_points={"model": {"vit": "tp_base:vit"}},
        modules={"tp_base": journal.plugin("vit")},
    )
    torchplug_site.add(
        "fw-pack",
        groups={f"{child_namespace}.model": {"vit": "tp_fw_broken:vit"}},
        modules={"tp_fw_broken": "raise RuntimeError('no GPU')\n"},
    )
    framework = Registry(child_namespace, parent=torchplug_site.registry())
    with pytest.raises(PluginLoadError):
        framework.get("model", "vit")


def test_an_invalid_namespace_is_refused() -> None:
    with pytest.raises(InvalidNameError):
        Registry("My-Framework")


# ----------------------------------------------------------------------------- default namespace


def test_the_default_namespace_sees_an_installed_pack(
    default_site: FakeSite, torchplug_registry: Registry, journal
) -> None:
    default_site.add(
        "tp-default-pack",
        entry_points={"model": {"tp-default-model": "tp_default_pack:build"}},
        modules={"tp_default_pack": journal.plugin("build")},
    )
    assert "tp-default-model" in torchplug_registry.list("model")
    assert torchplug_registry.get("model", "tp-default-model")() == "tp_default_pack.build"
