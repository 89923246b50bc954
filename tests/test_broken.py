"""Broken plugins and corrupt metadata: reported, never a crash of anything else."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from torchplug import PluginLoadError, Registry, TorchplugError
from torchplug.testing import FakeSite

# id -> (entry-point value, module source or None, type of the original exception)
BROKEN = {
    "import-error": ("tp_broken.mod:build", "import tp_no_such_dependency\n", ModuleNotFoundError),
    "module-not-installed": ("tp_not_installed:build", None, ModuleNotFoundError),
    "syntax-error": ("tp_broken.mod:build", "def build(:\n    pass\n", SyntaxError),
    "missing-attribute": ("tp_broken.mod:build", "def other():\n    pass\n", AttributeError),
    "exception-at-import": ("tp_broken.mod:build", "raise RuntimeError('no GPU')\n", RuntimeError),
    "malformed-value": ("tp_broken.mod:build()", "def build():\n    pass\n", ValueError),
    "empty-value": ("", None, ValueError),
}


def add_healthy(site: FakeSite, journal) -> None:
    site.add(
        "good-pack",
        entry_points={"model": {"good": "tp_good:build"}, "optimizer": {"sgd": "tp_good:sgd"}},
        modules={"tp_good": journal.plugin("build", "sgd")},
    )


@pytest.fixture(params=list(BROKEN))
def broken_kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def broken(broken_kind: str, torchplug_site: FakeSite, journal) -> Registry:
    """A site with one healthy pack and one whose ``model bad`` cannot be loaded."""
    value, source, _ = BROKEN[broken_kind]
    text = f"[{torchplug_site.namespace}.model]\nbad = {value}\n"
    modules = {"tp_broken.mod": source} if source is not None else {}
    torchplug_site.add("broken-pack", "0.9", entry_points_txt=text, modules=modules)
    add_healthy(torchplug_site, journal)
    return torchplug_site.registry()


def test_a_broken_component_is_still_listed(broken: Registry) -> None:
    assert broken.list("model") == ["bad", "good"]


def test_a_broken_component_does_not_hide_categories(broken: Registry) -> None:
    assert broken.categories() == ["model", "optimizer"]


def test_a_broken_component_can_be_described(broken: Registry) -> None:
    assert broken.info("model", "bad").distribution == "broken-pack"


def test_a_broken_component_does_not_break_entries(broken: Registry) -> None:
    assert [i.name for i in broken.entries()] == ["bad", "good", "sgd"]


def test_a_broken_component_does_not_break_check(broken: Registry) -> None:
    report = broken.check()
    assert all(f.name == "bad" for f in report.findings)


def test_a_broken_component_does_not_break_getting_another(broken: Registry) -> None:
    with pytest.raises(PluginLoadError):
        broken.get("model", "bad")
    assert broken.get("model", "good")() == "tp_good.build"
    assert broken.get("optimizer", "sgd")() == "tp_good.sgd"


def test_get_of_a_broken_component_names_distribution_version_and_entry_point(
    broken: Registry, broken_kind: str
) -> None:
    with pytest.raises(PluginLoadError) as caught:
        broken.get("model", "bad")
    value = BROKEN[broken_kind][0]
    assert "broken-pack 0.9" in str(caught.value)
    assert f"[{broken.namespace}.model] bad = {value}" in str(caught.value)


def test_get_of_a_broken_component_chains_the_original_exception(
    broken: Registry, broken_kind: str
) -> None:
    with pytest.raises(PluginLoadError) as caught:
        broken.get("model", "bad")
    assert isinstance(caught.value.__cause__, BROKEN[broken_kind][2])


def test_get_of_a_broken_component_says_how_to_get_rid_of_it(broken: Registry) -> None:
    with pytest.raises(PluginLoadError, match="TORCHPLUG_DISABLE=broken-pack"):
        broken.get("model", "bad")


def test_a_plugin_load_error_is_an_import_error(broken: Registry) -> None:
    with pytest.raises(ImportError):
        broken.get("model", "bad")


def test_get_of_a_broken_component_fails_every_time(broken: Registry) -> None:
    with pytest.raises(PluginLoadError):
        broken.get("model", "bad")
    with pytest.raises(PluginLoadError):
        broken.get("model", "bad")


def test_a_failed_component_is_described_as_broken(broken: Registry) -> None:
    with pytest.raises(PluginLoadError):
        broken.get("model", "bad")
    info = broken.info("model", "bad")
    assert info.status == "broken"
    assert info.problem


def test_a_deep_check_reports_the_broken_component(broken: Registry) -> None:
    report = broken.check(deep=True)
    assert not report.ok
    (finding,) = report.broken
    assert (finding.category, finding.name) == ("model", "bad")
    assert [p.distribution for p in finding.providers] == ["broken-pack"]


def test_a_deep_check_still_loads_the_healthy_components(broken: Registry, journal) -> None:
    broken.check(deep=True)
    assert journal.lines == ["imported tp_good"]


def test_a_malformed_value_is_broken_without_importing_anything(
    torchplug_site: FakeSite, journal
) -> None:
    torchplug_site.add(
        "broken-pack", entry_points_txt=f"[{torchplug_site.namespace}.model]\nbad = tp_good:\n"
    )
    add_healthy(torchplug_site, journal)
    registry = torchplug_site.registry()
    assert registry.info("model", "bad").status == "broken"
    assert [f.name for f in registry.check().broken] == ["bad"]
    assert journal.lines == []


def test_a_deep_check_lists_every_broken_component_at_once(
    torchplug_site: FakeSite, journal
) -> None:
    lines, modules = [], {}
    for number, (value, source, _) in enumerate(BROKEN.values()):
        module = f"tp_broken{number}"
        lines.append(f"bad{number} = {value.replace('tp_broken.mod', module)}")
        if source is not None:
            modules[module] = source
    text = f"[{torchplug_site.namespace}.model]\n" + "\n".join(lines) + "\n"
    torchplug_site.add("broken-pack", entry_points_txt=text, modules=modules)
    add_healthy(torchplug_site, journal)
    report = torchplug_site.registry().check(deep=True)
    assert sorted(f.name for f in report.broken) == sorted(f"bad{n}" for n in range(len(BROKEN)))


# ----------------------------------------------------------------------------- corrupt metadata


def empty_metadata(folder: Path) -> None:
    (folder / "METADATA").write_bytes(b"")


def missing_metadata(folder: Path) -> None:
    (folder / "METADATA").unlink()


def undecodable_metadata(folder: Path) -> None:
    (folder / "METADATA").write_bytes(b"\xff\xfe\x00\x81 not text")


def unparsable_entry_points(folder: Path) -> None:
    text = (folder / "entry_points.txt").read_text("utf-8")
    (folder / "entry_points.txt").write_text(text + "a line without an equals sign\n", "utf-8")


def unreadable_entry_points(folder: Path) -> None:
    (folder / "entry_points.txt").unlink()
    (folder / "entry_points.txt").mkdir()  # as root, the one way to make it unreadable


def unclosed_section_header(folder: Path) -> None:
    text = (folder / "entry_points.txt").read_text("utf-8")
    (folder / "entry_points.txt").write_text(text.replace("]", "", 1), "utf-8")


CORRUPTIONS = [
    empty_metadata,
    missing_metadata,
    undecodable_metadata,
    unparsable_entry_points,
    unreadable_entry_points,
    unclosed_section_header,
]


@pytest.fixture(params=CORRUPTIONS, ids=lambda c: c.__name__)
def corrupt_folder(request: pytest.FixtureRequest, torchplug_site: FakeSite, journal) -> Path:
    """The dist-info folder of a pack, corrupted in one of the ways seen in the wild."""
    corruption: Callable[[Path], None] = request.param
    folder = torchplug_site.add(
        "corrupt-pack",
        entry_points={"model": {"bad": "tp_corrupt:build"}},
        modules={"tp_corrupt": journal.plugin("build")},
    )
    corruption(folder)
    return folder


@pytest.fixture
def corrupt(corrupt_folder: Path, torchplug_site: FakeSite, journal) -> Registry:
    """A healthy pack beside the corrupt one."""
    add_healthy(torchplug_site, journal)
    return torchplug_site.registry()


def test_corrupt_metadata_does_not_break_list(corrupt: Registry) -> None:
    assert "good" in corrupt.list("model")


def test_corrupt_metadata_does_not_break_info(corrupt: Registry) -> None:
    assert corrupt.info("model", "good").distribution == "good-pack"


def test_corrupt_metadata_does_not_break_categories(corrupt: Registry) -> None:
    assert corrupt.categories() == ["model", "optimizer"]


def test_corrupt_metadata_does_not_break_entries(corrupt: Registry) -> None:
    assert "good" in [i.name for i in corrupt.entries()]


def test_corrupt_metadata_does_not_break_getting_another_component(corrupt: Registry) -> None:
    assert corrupt.get("model", "good")() == "tp_good.build"


def test_corrupt_metadata_does_not_break_check(corrupt: Registry) -> None:
    assert isinstance(corrupt.check().findings, tuple)


def test_corrupt_metadata_is_reported_by_check(corrupt: Registry, corrupt_folder: Path) -> None:
    report = corrupt.check(deep=True)
    assert not report.ok
    assert str(corrupt_folder) in [f.location for f in report.findings]


def test_corrupt_metadata_imports_nothing_of_the_corrupt_pack(corrupt: Registry, journal) -> None:
    corrupt.check(deep=True)
    assert "imported tp_corrupt" not in journal.lines


def test_errors_of_broken_plugins_are_torchplug_errors(broken: Registry) -> None:
    with pytest.raises(TorchplugError):
        broken.get("model", "bad")


# ----------------------------------------------------------------------------- invalid names


@pytest.fixture(
    params=[
        ("Model", "vit"),
        ("lr-scheduler", "cosine"),
        ("2d", "conv"),
        ("model", ""),
        ("model", "vit b"),
        ("model", "timm:vit"),
    ],
    ids=lambda p: f"[{p[0]}] {p[1]!r}",
)
def invalid_names(request: pytest.FixtureRequest, torchplug_site: FakeSite, journal) -> Registry:
    """A pack declaring an entry point whose category or name torchplug cannot accept."""
    group, name = request.param
    text = f"[{torchplug_site.namespace}.{group}]\n{name} = tp_invalid:build\n"
    torchplug_site.add("invalid-pack", entry_points_txt=text, modules={"tp_invalid": ""})
    add_healthy(torchplug_site, journal)
    return torchplug_site.registry()


def test_an_invalid_installed_name_is_skipped(invalid_names: Registry) -> None:
    assert invalid_names.categories() == ["model", "optimizer"]
    assert invalid_names.list("model") == ["good"]


def test_an_invalid_installed_name_is_reported_by_check(invalid_names: Registry) -> None:
    (finding,) = invalid_names.check().findings
    assert "invalid-pack" in finding.message
    assert "tp_invalid:build" in finding.message
