"""Reading installed metadata into an index (`torchplug._scan`, `torchplug._metadata`), without importing anything."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from torchplug._metadata import split_target, target_problem
from torchplug._scan import find_entry_points
from torchplug.testing import FakeSite


def scan(site: FakeSite) -> object:
    return find_entry_points(site.namespace, [str(site.root)])


def test_entry_points_of_the_namespace_are_indexed_with_their_distribution(
    torchplug_site: FakeSite,
) -> None:
    folder = torchplug_site.add(
        "Torchplug_Extra", "2.1", entry_points={"optimizer": {"lion": "tp_extra.optim:build"}}
    )
    (record,) = scan(torchplug_site).entries
    assert (record.category, record.name, record.value) == (
        "optimizer",
        "lion",
        "tp_extra.optim:build",
    )
    assert (record.distribution, record.version) == ("torchplug-extra", "2.1")
    assert record.location == str(folder)
    assert record.problem is None


def test_a_distribution_keeps_its_display_name_and_is_keyed_by_its_normalized_name(
    torchplug_site: FakeSite,
) -> None:
    torchplug_site.add("Torchplug_Extra", "2.1", entry_points={"model": {"m": "tp_extra:m"}})
    (dist,) = scan(torchplug_site).distributions
    assert (dist.name, dist.display_name, dist.version) == (
        "torchplug-extra",
        "Torchplug_Extra",
        "2.1",
    )


def test_distributions_without_entry_points_of_the_namespace_are_not_indexed(
    torchplug_site: FakeSite,
) -> None:
    torchplug_site.add("unrelated", groups={"console_scripts": {"tool": "tool:main"}})
    torchplug_site.add("other-framework", groups={"otherfw.model": {"m": "ofw:m"}})
    index = scan(torchplug_site)
    assert index.entries == ()
    assert index.distributions == ()


def test_a_longer_namespace_sharing_the_prefix_is_not_read(torchplug_site: FakeSite) -> None:
    torchplug_site.add("pack", groups={f"{torchplug_site.namespace}0.model": {"m": "tp_pack:m"}})
    assert scan(torchplug_site).entries == ()


def test_groups_of_a_nested_namespace_are_not_categories(torchplug_site: FakeSite) -> None:
    torchplug_site.add("pack", groups={f"{torchplug_site.namespace}.vision.model": {"m": "tp:m"}})
    index = scan(torchplug_site)
    assert index.entries == ()
    assert index.problems == ()


def test_hook_plugins_are_indexed_in_the_hooks_category(torchplug_site: FakeSite) -> None:
    torchplug_site.add("pack", entry_points={"hooks": {"resolver": "tp_pack.hooks"}})
    (record,) = scan(torchplug_site).entries
    assert (record.category, record.name, record.value) == ("hooks", "resolver", "tp_pack.hooks")


@pytest.mark.parametrize("category", ["Model", "lr-scheduler", "2d", "_private"])
def test_an_invalid_category_is_skipped_with_a_warning(
    torchplug_site: FakeSite, category: str
) -> None:
    torchplug_site.add(
        "pack",
        groups={f"{torchplug_site.namespace}.{category}": {"m": "tp_pack:m"}},
        entry_points={"model": {"good": "tp_pack:good"}},
    )
    index = scan(torchplug_site)
    assert [r.name for r in index.entries] == ["good"]
    (problem,) = index.problems
    assert problem.severity == "warning"
    assert problem.distribution == "pack"
    assert category in problem.entry_point


@pytest.mark.parametrize(
    ("line", "bad_name"),
    [("= tp_pack:m", ""), ("adam w = tp_pack:m", "adam w"), ("a:b = tp:m", "a:b")],
)
def test_an_invalid_entry_point_name_is_skipped_with_a_warning(
    torchplug_site: FakeSite, line: str, bad_name: str
) -> None:
    text = f"[{torchplug_site.namespace}.model]\n{line}\ngood = tp_pack:good\n"
    torchplug_site.add("pack", entry_points_txt=text)
    index = scan(torchplug_site)
    assert [r.name for r in index.entries] == ["good"]
    (problem,) = index.problems
    assert problem.severity == "warning"
    assert repr(bad_name) in problem.message


@pytest.mark.parametrize("name", ["ViT-B.16", "resnet_50", "AdamW", "lr@1e-3"])
def test_odd_but_valid_entry_point_names_are_kept_verbatim(
    torchplug_site: FakeSite, name: str
) -> None:
    torchplug_site.add("pack", entry_points={"model": {name: "tp_pack:m"}})
    assert [r.name for r in scan(torchplug_site).entries] == [name]


@pytest.mark.parametrize(
    ("value", "module", "attr"),
    [
        ("pkg.mod:build", "pkg.mod", "build"),
        ("pkg.mod:Outer.build", "pkg.mod", "Outer.build"),
        ("pkg.mod", "pkg.mod", None),
        ("pkg.mod:build [cuda]", "pkg.mod", "build"),
        ("pkg.mod:build[cuda,extra]", "pkg.mod", "build"),
        ("pkg.mod : build", "pkg.mod", "build"),
        ("  pkg.mod:build  ", "pkg.mod", "build"),
    ],
)
def test_valid_entry_point_values_split_into_module_and_attribute(
    value: str, module: str, attr: str | None
) -> None:
    assert target_problem(value) is None
    assert split_target(value) == (module, attr)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "pkg.mod:",
        ":build",
        "pkg.mod:build:extra",
        "pkg-mod:build",
        "pkg/mod.py:build",
        "pkg.mod:build()",
        "pkg.mod build",
        "pkg.mod:build [cuda",
    ],
)
def test_malformed_entry_point_values_are_recorded_as_problems(
    torchplug_site: FakeSite, value: str
) -> None:
    torchplug_site.add(
        "pack", entry_points_txt=f"[{torchplug_site.namespace}.model]\nbad = {value}\n"
    )
    (record,) = scan(torchplug_site).entries
    assert record.problem is not None
    assert "malformed entry-point value" in record.problem
    with pytest.raises(ValueError):
        split_target(value)


def test_the_target_of_a_record_drops_extras(torchplug_site: FakeSite) -> None:
    torchplug_site.add("pack", entry_points={"model": {"m": "tp_pack.models:build [cuda]"}})
    (record,) = scan(torchplug_site).entries
    assert record.target == "tp_pack.models:build"


def test_scanning_imports_no_plugin_module(torchplug_site: FakeSite, journal) -> None:
    torchplug_site.add(
        "pack",
        entry_points={"model": {"m": "tp_pack.models:build"}, "hooks": {"h": "tp_pack.hooks"}},
        modules={"tp_pack.models": journal.plugin("build"), "tp_pack.hooks": journal.plugin()},
    )
    find_entry_points(torchplug_site.namespace)
    assert journal.lines == []
    assert "tp_pack" not in sys.modules


def test_the_default_path_is_sys_path(torchplug_site: FakeSite) -> None:
    torchplug_site.add("pack", entry_points={"model": {"m": "tp_pack:m"}})
    assert [r.name for r in find_entry_points(torchplug_site.namespace).entries] == ["m"]


def test_a_legacy_egg_info_distribution_is_read(torchplug_site: FakeSite) -> None:
    egg_info = torchplug_site.root / "Legacy_Pack-0.3-py3.10.egg-info"
    egg_info.mkdir()
    (egg_info / "PKG-INFO").write_text(
        "Metadata-Version: 1.1\nName: Legacy_Pack\nVersion: 0.3\n", encoding="utf-8"
    )
    (egg_info / "entry_points.txt").write_text(
        f"[{torchplug_site.namespace}.model]\nold = legacy:build\n", encoding="utf-8"
    )
    (record,) = scan(torchplug_site).entries
    assert (record.name, record.distribution, record.version) == ("old", "legacy-pack", "0.3")


@pytest.mark.parametrize("folder_name", [None, "My.Pack-2.0.dist-info", "MY_PACK-2.0.dist-info"])
def test_a_distribution_found_twice_on_the_path_counts_once_and_the_first_wins(
    torchplug_site: FakeSite, second_site: FakeSite, folder_name: str | None
) -> None:
    torchplug_site.add("my-pack", "1.0", entry_points={"model": {"m": "tp_old:m"}})
    folder = second_site.add("My.Pack", "2.0", entry_points={"model": {"m": "tp_new:m"}})
    if folder_name is not None:  # as older installers spelled the folder
        folder.rename(folder.with_name(folder_name))
    index = find_entry_points(torchplug_site.namespace)
    assert [(r.value, r.version) for r in index.entries] == [("tp_new:m", "2.0")]
    assert [d.version for d in index.distributions] == ["2.0"]
    (hidden,) = index.problems  # the later copy declares something else: say it is ignored
    assert hidden.severity == "warning"
    assert hidden.location == str(torchplug_site.dist_info("my-pack", "1.0"))


def test_the_same_distribution_seen_twice_with_the_same_entry_points_is_not_reported(
    torchplug_site: FakeSite, second_site: FakeSite
) -> None:
    """As setuptools' editable installs are: a dist-info in site-packages, an egg-info in src."""
    torchplug_site.add("my-pack", "1.0", entry_points={"model": {"m": "tp_m:m"}})
    second_site.add("my-pack", "1.0", entry_points={"model": {"m": "tp_m:m"}})
    index = find_entry_points(torchplug_site.namespace)
    assert len(index.entries) == 1
    assert index.problems == ()


@pytest.mark.parametrize(
    "metadata",
    [
        pytest.param(b"", id="empty"),
        pytest.param(None, id="missing"),
        pytest.param(b"\xff\xfe\x00\x81garbage", id="undecodable"),
        pytest.param(b"Metadata-Version: 2.1\nVersion: 1.0\n", id="no-name"),
    ],
)
def test_a_distribution_with_unusable_metadata_is_skipped_and_reported(
    torchplug_site: FakeSite, metadata: bytes | None
) -> None:
    folder = torchplug_site.add("broken", entry_points={"model": {"b": "tp_broken:b"}})
    if metadata is None:
        (folder / "METADATA").unlink()
    else:
        (folder / "METADATA").write_bytes(metadata)
    torchplug_site.add("healthy", entry_points={"model": {"h": "tp_healthy:h"}})
    index = scan(torchplug_site)
    assert [r.name for r in index.entries] == ["h"]
    (problem,) = index.problems
    assert problem.location == str(folder)
    assert problem.severity == "error"


def test_an_unparsable_entry_points_file_is_skipped_and_reported(torchplug_site: FakeSite) -> None:
    text = f"[{torchplug_site.namespace}.model]\nno equals sign here\n"
    folder = torchplug_site.add("broken", entry_points_txt=text)
    torchplug_site.add("healthy", entry_points={"model": {"h": "tp_healthy:h"}})
    index = scan(torchplug_site)
    assert [r.name for r in index.entries] == ["h"]
    (problem,) = index.problems
    assert problem.location == str(folder)
    assert "entry_points.txt" in problem.message


def test_an_unreadable_entry_points_file_is_reported(torchplug_site: FakeSite) -> None:
    # Tests run as root here, so a directory in its place stands for a file that cannot be read.
    folder = torchplug_site.add("broken", entry_points_txt="")
    (folder / "entry_points.txt").unlink()
    (folder / "entry_points.txt").mkdir()
    torchplug_site.add("healthy", entry_points={"model": {"h": "tp_healthy:h"}})
    index = scan(torchplug_site)
    assert [r.name for r in index.entries] == ["h"]
    assert [p.location for p in index.problems] == [str(folder)]


def test_a_section_header_without_its_bracket_is_reported(torchplug_site: FakeSite) -> None:
    folder = torchplug_site.add(
        "broken", entry_points_txt=f"[{torchplug_site.namespace}.model\nb = tp_broken:b\n"
    )
    assert [p.location for p in scan(torchplug_site).problems] == [str(folder)]


def test_the_scan_reads_only_the_given_path(torchplug_site: FakeSite, tmp_path: Path) -> None:
    torchplug_site.add("pack", entry_points={"model": {"m": "tp_pack:m"}})
    empty = tmp_path / "empty"
    empty.mkdir()
    assert find_entry_points(torchplug_site.namespace, [str(empty)]).entries == ()


@pytest.mark.parametrize(
    "content",
    [b"not a zip at all", b"PK\x03\x04 a truncated archive"],
    ids=["garbage", "truncated"],
)
def test_a_corrupt_zip_on_the_path_is_reported_as_a_warning(
    torchplug_site: FakeSite, tmp_path: Path, content: bytes
) -> None:
    archive = tmp_path / "broken.zip"
    archive.write_bytes(content)
    index = find_entry_points(torchplug_site.namespace, [str(torchplug_site.root), str(archive)])
    (problem,) = index.problems
    assert (problem.location, problem.severity) == (str(archive), "warning")
    assert "not a readable zip archive" in problem.message


def test_a_readable_zip_on_the_path_is_not_reported(
    torchplug_site: FakeSite, tmp_path: Path
) -> None:
    import zipfile

    archive = tmp_path / "fine.zip"
    with zipfile.ZipFile(archive, "w") as writing:
        writing.writestr("tp_zipped.py", "x = 1\n")
    index = find_entry_points(torchplug_site.namespace, [str(archive)])
    assert index.problems == ()


def test_check_warns_of_a_hidden_copy_naming_both(
    torchplug_site: FakeSite, second_site: FakeSite
) -> None:
    torchplug_site.add("my-pack", "1.0", entry_points={"model": {"old": "tp_old:m"}})
    second_site.add("my-pack", "2.0", entry_points={"model": {"new": "tp_new:m"}})
    (warning,) = torchplug_site.registry().check().warnings
    assert warning.location == str(torchplug_site.dist_info("my-pack", "1.0"))
    assert str(second_site.dist_info("my-pack", "2.0")) in warning.message
