"""TORCHPLUG_DISABLE and TORCHPLUG_AUTOLOAD, and their API: disable, enable, set_autoload."""

from __future__ import annotations

import sys

import pytest
from torchplug import ComponentDisabledError, ComponentNotFoundError, Registry
from torchplug.testing import FakeSite


def build() -> str:
    return "local"


@pytest.fixture
def site(torchplug_site: FakeSite, journal) -> FakeSite:
    """Three packs, each with a component, a module recording its import and a hook plugin."""
    hook = (
        "import torchplug\n\n@torchplug.hookimpl\ndef torchplug_component_loaded(obj):\n    pass\n"
    )
    for dist, module, name in (
        ("dist-a", "tp_dist_a", "alpha"),
        ("dist_b", "tp_dist_b", "beta"),
        ("dist-c", "tp_dist_c", "gamma"),
    ):
        torchplug_site.add(
            dist,
            entry_points={
                "model": {name: f"{module}.models:build"},
                "hooks": {"h": f"{module}.hooks"},
            },
            modules={
                f"{module}.models": journal.plugin("build"),
                f"{module}.hooks": journal.plugin(body=hook),
            },
        )
    return torchplug_site


@pytest.fixture
def disabled(site: FakeSite, monkeypatch: pytest.MonkeyPatch) -> Registry:
    monkeypatch.setenv("TORCHPLUG_DISABLE", "dist-a,dist-b")
    return site.registry()


def imported_from(*distributions: str) -> list[str]:
    prefixes = tuple("tp_" + d.replace("-", "_") for d in distributions)
    return [m for m in sys.modules if m.startswith(prefixes)]


def test_disabled_distributions_show_as_disabled_in_entries(disabled: Registry) -> None:
    statuses = {i.name: i.status for i in disabled.entries()}
    assert statuses == {"alpha": "disabled", "beta": "disabled", "gamma": "ok"}


def test_disabled_names_are_not_listed(disabled: Registry) -> None:
    assert disabled.list("model") == ["gamma"]


def test_get_of_a_disabled_component_raises_component_disabled(disabled: Registry) -> None:
    with pytest.raises(ComponentDisabledError, match="TORCHPLUG_DISABLE"):
        disabled.get("model", "alpha")


def test_component_disabled_is_a_component_not_found_error(disabled: Registry) -> None:
    with pytest.raises(ComponentNotFoundError):
        disabled.get("model", "beta")


def test_get_of_a_disabled_component_by_qualified_name_raises_component_disabled(
    disabled: Registry,
) -> None:
    with pytest.raises(ComponentDisabledError):
        disabled.get("model", "dist-a:alpha")


def test_nothing_of_a_disabled_distribution_is_ever_imported(disabled: Registry, journal) -> None:
    for name in ("alpha", "beta"):
        with pytest.raises(ComponentDisabledError):
            disabled.get("model", name)
    disabled.get("model", "gamma")
    disabled.check(deep=True)
    assert imported_from("dist-a", "dist-b") == []
    assert sorted(journal.lines) == ["imported tp_dist_c.hooks", "imported tp_dist_c.models"]


def test_hook_plugins_of_a_disabled_distribution_are_not_loaded(disabled: Registry) -> None:
    disabled.get("model", "gamma")
    assert not disabled.plugin_manager.has_plugin("dist-a:h")
    assert disabled.plugin_manager.has_plugin("dist-c:h")


def test_distributions_marks_the_disabled_ones(disabled: Registry) -> None:
    assert {d.name: d.disabled for d in disabled.distributions()} == {
        "dist-a": True,
        "dist-b": True,
        "dist-c": False,
    }


def test_the_disabled_property_gives_the_normalized_names(disabled: Registry) -> None:
    assert disabled.disabled == frozenset({"dist-a", "dist-b"})


@pytest.mark.parametrize(
    "value", ["dist-a", "Dist_A", "dist.a", " dist-a ", "dist-a,", ",dist-a", "other, DIST-A"]
)
def test_the_disable_list_accepts_any_spelling_of_a_distribution(
    site: FakeSite, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("TORCHPLUG_DISABLE", value)
    assert site.registry().info("model", "alpha").status == "disabled"


@pytest.mark.parametrize("value", ["", " ", ","])
def test_an_empty_disable_list_disables_nothing(
    site: FakeSite, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("TORCHPLUG_DISABLE", value)
    assert site.registry().list("model") == ["alpha", "beta", "gamma"]


def test_disabling_one_provider_of_a_conflict_resolves_it(
    site: FakeSite, monkeypatch: pytest.MonkeyPatch, journal
) -> None:
    site.add(
        "rival",
        entry_points={"model": {"gamma": "tp_rival:build"}},
        modules={"tp_rival": journal.plugin("build")},
    )
    monkeypatch.setenv("TORCHPLUG_DISABLE", "rival")
    registry = site.registry()
    assert registry.get("model", "gamma")() == "tp_dist_c.models.build"
    assert registry.check().ok


def test_the_disable_list_is_read_at_the_scan(
    site: FakeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry = site.registry()
    registry.list("model")
    monkeypatch.setenv("TORCHPLUG_DISABLE", "dist-a")
    assert registry.info("model", "alpha").status == "ok"


def test_the_disable_list_is_read_again_at_refresh(
    site: FakeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry = site.registry()
    registry.list("model")
    monkeypatch.setenv("TORCHPLUG_DISABLE", "dist-a")
    registry.refresh()
    with pytest.raises(ComponentDisabledError):
        registry.get("model", "alpha")


def test_refresh_lifts_a_disable_removed_from_the_environment(
    site: FakeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TORCHPLUG_DISABLE", "dist-a")
    registry = site.registry()
    registry.list("model")
    monkeypatch.delenv("TORCHPLUG_DISABLE")
    registry.refresh()
    assert registry.get("model", "alpha")() == "tp_dist_a.models.build"


# ----------------------------------------------------------------------------- disable / enable API


def test_registry_disabled_blocks_distributions(site: FakeSite) -> None:
    registry = site.registry(disabled=["Dist.A"])
    with pytest.raises(ComponentDisabledError):
        registry.get("model", "alpha")
    assert imported_from("dist-a") == []


def test_disable_blocks_a_distribution(site: FakeSite) -> None:
    registry = site.registry()
    registry.disable("dist_a")
    assert registry.info("model", "alpha").status == "disabled"
    assert registry.disabled == frozenset({"dist-a"})


def test_disable_blocks_a_component_that_was_already_loaded(site: FakeSite) -> None:
    registry = site.registry()
    registry.get("model", "alpha")
    registry.disable("dist-a")
    with pytest.raises(ComponentDisabledError):
        registry.get("model", "alpha")


def test_enable_undoes_disable(site: FakeSite) -> None:
    registry = site.registry()
    registry.disable("dist-a")
    registry.enable("Dist_A")
    assert registry.get("model", "alpha")() == "tp_dist_a.models.build"


def test_enable_does_not_override_the_environment(
    site: FakeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TORCHPLUG_DISABLE", "dist-a")
    registry = site.registry()
    registry.enable("dist-a")
    with pytest.raises(ComponentDisabledError):
        registry.get("model", "alpha")


def test_disable_by_api_survives_refresh(site: FakeSite) -> None:
    registry = site.registry()
    registry.disable("dist-a")
    registry.refresh()
    assert registry.info("model", "alpha").status == "disabled"


def test_a_disabled_name_may_be_registered_locally(site: FakeSite) -> None:
    registry = site.registry(disabled=["dist-a"])
    registry.register("model", "alpha", build)
    assert registry.get("model", "alpha") is build


# ----------------------------------------------------------------------------- autoload


@pytest.mark.parametrize("value", ["0", "false", "False", "no", "off", "OFF", " 0 "])
def test_autoload_off_ignores_installed_packs(
    site: FakeSite, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("TORCHPLUG_AUTOLOAD", value)
    registry = site.registry()
    registry.register("model", "local", build)
    assert registry.list("model") == ["local"]


def test_autoload_off_makes_installed_names_not_found(
    site: FakeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TORCHPLUG_AUTOLOAD", "0")
    registry = site.registry()
    registry.register("model", "local", build)
    with pytest.raises(ComponentNotFoundError):
        registry.get("model", "alpha")
    assert imported_from("dist-a", "dist-b", "dist-c") == []


def test_autoload_off_loads_no_hook_plugins(
    site: FakeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TORCHPLUG_AUTOLOAD", "0")
    registry = site.registry()
    registry.register("model", "local", build)
    registry.check(deep=True)
    assert imported_from("dist-a", "dist-b", "dist-c") == []


def test_autoload_off_leaves_no_categories(site: FakeSite, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TORCHPLUG_AUTOLOAD", "0")
    assert site.registry().categories() == []


@pytest.mark.parametrize("value", ["1", "true", "yes", "on", ""])
def test_autoload_on_reads_installed_packs(
    site: FakeSite, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("TORCHPLUG_AUTOLOAD", value)
    assert site.registry().list("model") == ["alpha", "beta", "gamma"]


def test_autoload_is_read_again_at_refresh(site: FakeSite, monkeypatch: pytest.MonkeyPatch) -> None:
    registry = site.registry()
    registry.list("model")
    monkeypatch.setenv("TORCHPLUG_AUTOLOAD", "0")
    registry.refresh()
    assert registry.categories() == []


def test_registry_autoload_false_overrides_the_environment(
    site: FakeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TORCHPLUG_AUTOLOAD", "1")
    assert site.registry(autoload=False).categories() == []


def test_registry_autoload_true_overrides_the_environment(
    site: FakeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TORCHPLUG_AUTOLOAD", "0")
    assert site.registry(autoload=True).list("model") == ["alpha", "beta", "gamma"]


def test_set_autoload_false_keeps_local_registrations_only(site: FakeSite) -> None:
    registry = site.registry()
    registry.register("loss", "mse", build)
    registry.list("model")
    registry.set_autoload(False)
    assert registry.categories() == ["loss"]


def test_set_autoload_none_follows_the_environment_again(
    site: FakeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TORCHPLUG_AUTOLOAD", "0")
    registry = site.registry(autoload=True)
    registry.list("model")
    registry.set_autoload(None)
    assert registry.categories() == []
