"""The on-disk scan cache (`torchplug._cache`) within one process and across concurrent ones.

What pip does to it (install, upgrade, uninstall in a real venv) is in `test_pip_install.py`.
"""

from __future__ import annotations

import json
import marshal
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import torchplug
from torchplug import Registry
from torchplug.testing import FakeSite


@pytest.fixture
def cache(torchplug_site: FakeSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The cache directory, under a temporary XDG_CACHE_HOME, with the cache turned on."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("TORCHPLUG_CACHE", "1")  # the site fixture turned it off
    return tmp_path / "xdg" / "torchplug"


@pytest.fixture
def site(torchplug_site: FakeSite, cache: Path) -> FakeSite:
    """One installed pack with model 'a'."""
    torchplug_site.add("cached-pack", entry_points={"model": {"a": "tp_cached:a"}})
    return torchplug_site


def index_files(cache: Path) -> list[Path]:
    return sorted(cache.glob("index-*.tpi"))


def decode(file: Path, *, stamp: bool = True) -> dict[str, object]:
    """Everything a stored index holds, read as the format lays it out: a header (after the
    magic, the format, the header's length and checksum) naming sections, each category a table
    of groups of names (a group count, offsets, then checksum and marshal data per group)."""
    data = file.read_bytes()
    length = int.from_bytes(data[20:24], "little")
    namespace, path, fast, watched, sections, _ = marshal.loads(data[32 : 32 + length])
    start = 32 + length

    def section(name: str) -> bytes:
        offset, size, _ = sections[name]
        return data[start + offset : start + offset + size]

    tables = {}
    for name in sections:
        if name.startswith("c:"):
            blob = section(name)
            groups = int.from_bytes(blob[:4], "little")
            bounds = [
                int.from_bytes(blob[4 + 4 * i : 8 + 4 * i], "little") for i in range(groups + 1)
            ]
            table: dict[str, object] = {}
            for group in range(groups):
                table.update(marshal.loads(blob[bounds[group] + 8 : bounds[group + 1]]))
            tables[name[2:]] = table
    return {
        "namespace": namespace,
        "path": path,
        "stamp": (fast, tuple(marshal.loads(section(f"s:{i}")) for i in range(len(path))))
        if stamp
        else None,
        "watched": watched,
        "tables": tables,
        "reserved": {n[2:]: marshal.loads(section(n)) for n in sections if n.startswith("r:")},
        "dists": marshal.loads(section("dists")),
        "problems": marshal.loads(section("problems")),
        "groups": marshal.loads(section("groups")),
        "listings": {n[2:]: marshal.loads(section(n)) for n in sections if n.startswith("l:")},
        "folders": marshal.loads(section("folders")),
        "category_folders": {n[2:]: marshal.loads(section(n)) for n in sections if n[:2] == "f:"},
    }


def encode(stored: dict[str, object]) -> bytes:
    """A stored index as a forger would write it: every checksum right. The sections a listing
    reads are written as `decode` found them (or as a test changed them)."""
    from torchplug import _cache
    from torchplug._keyed import Keyed
    from torchplug._metadata import InstalledDistribution, MetadataProblem

    class Forged(Keyed):
        """Tables as forged; the listing-side sections are replaced below, as stored."""

        __slots__ = ()

        def listing(self, category: str):  # type: ignore[no-untyped-def]
            return ((), ())

        def folders(self, category=None):  # type: ignore[no-untyped-def]
            return ((), (), (), (), ())

    index = Forged(
        stored["namespace"],  # type: ignore[arg-type]
        stored["tables"],  # type: ignore[arg-type]
        stored["reserved"],  # type: ignore[arg-type]
        tuple(InstalledDistribution(*d) for d in stored["dists"]),  # type: ignore[attr-defined]
        tuple(MetadataProblem(*p) for p in stored["problems"]),  # type: ignore[attr-defined]
        stored["watched"],  # type: ignore[arg-type]
    )
    stamp = stored["stamp"]
    made = _cache._sections(index, stamp)  # type: ignore[arg-type]
    sections = {name: data for name, data in made.items() if name[:2] != "l:"}
    for category, columns in stored["listings"].items():  # type: ignore[attr-defined]
        sections["l:" + category] = marshal.dumps(columns)
    for category, folders in stored["category_folders"].items():  # type: ignore[attr-defined]
        sections["f:" + category] = marshal.dumps(folders)
    for name in ("folders", "groups"):
        sections[name] = marshal.dumps(stored[name])
    return _cache._assembled(
        sections,
        stored["namespace"],  # type: ignore[arg-type]
        stored["path"],  # type: ignore[arg-type]
        stamp,  # type: ignore[arg-type]
        stored["watched"],  # type: ignore[arg-type]
    )


def content(file: Path) -> dict[str, object]:
    """What a stored index says about the installed packs (not how it was stamped, nor the
    stat signatures of their files, which depend on how long before the scan they changed)."""
    found = {k: v for k, v in decode(file, stamp=False).items() if k != "stamp"}

    def unsigned(columns: tuple[object, ...]) -> tuple[object, ...]:
        return (*columns[:3], *columns[4:])

    found["folders"] = unsigned(found["folders"])  # type: ignore[arg-type]
    found["category_folders"] = {
        c: unsigned(f)
        for c, f in found["category_folders"].items()  # type: ignore[attr-defined]
    }
    return found


def signature(file: Path) -> tuple[int, int]:
    """What changes when a file is written again: its inode (atomic replace) and its mtime."""
    stat = file.stat()
    return stat.st_ino, stat.st_mtime_ns


def answer(registry: Registry) -> tuple[object, ...]:
    """Everything a registry reads from the index, to compare a cached and an uncached scan;
    one category's rows first, which are checked by themselves only before anything else."""
    return (
        registry.entries("model"),
        registry.entries(),
        registry.distributions(),
        registry.check().as_dict(),
        sorted(registry.categories()),
        registry.installed_groups(),
    )


def uncached_answer(site: FakeSite, monkeypatch: pytest.MonkeyPatch) -> tuple[object, ...]:
    with monkeypatch.context() as off:
        off.setenv("TORCHPLUG_CACHE", "0")
        return answer(site.registry())


def rewrite_in_place(site: FakeSite, name: str, entry_points: str) -> None:
    """Change a dist-info folder's entry points without changing the site directory itself,
    which pip never does: only a registry that reads the metadata sees the change."""
    (site.dist_info(name, "1.0") / "entry_points.txt").write_text(entry_points, encoding="utf-8")


# ----------------------------------------------------------------------------- hits


def test_a_scan_writes_one_cache_file_under_xdg_cache_home(site: FakeSite, cache: Path) -> None:
    site.registry().list("model")
    assert len(index_files(cache)) == 1


def test_a_fresh_registry_is_served_from_the_cache_file_without_rewriting_it(
    site: FakeSite, cache: Path
) -> None:
    assert site.registry().list("model") == ["a"]
    (file,) = index_files(cache)
    before = signature(file)
    assert site.registry().list("model") == ["a"]
    assert signature(file) == before


def test_a_fresh_registry_answers_from_the_cache_not_from_the_metadata(
    site: FakeSite, cache: Path
) -> None:
    """A distribution that provides nothing is not read again: only a scan would see that it
    was edited in place (the documented limitation; pip never does this)."""
    site.add("quiet-pack", entry_points={})
    site.registry().list("model")
    rewrite_in_place(site, "quiet-pack", f"[{site.namespace}.model]\nb = tp_quiet:b\n")
    assert site.registry().list("model") == ["a"]


def test_an_in_place_edit_of_a_providers_entry_points_is_seen(site: FakeSite, cache: Path) -> None:
    site.registry().list("model")
    rewrite_in_place(site, "cached-pack", f"[{site.namespace}.model]\nb = tp_cached:b\n")
    assert site.registry().list("model") == ["b"]


# ----------------------------------------------------------------------------- listings
# A listing (`Registry.entries`, ``torchplug list``) is served from rows stored with the scan
# while each providing entry_points.txt is unchanged: the same stat signature when the file had
# settled before the scan, else the same bytes; on any difference the declarations decide.


def listed(site: FakeSite) -> list[tuple[str, str, str]]:
    return [(i.category, i.name, i.target) for i in site.registry().entries()]


def stored_signatures(cache: Path) -> tuple[object, ...]:
    """The stat-signature column of the stored folders (None: the bytes decide)."""
    (file,) = index_files(cache)
    return decode(file)["folders"][3]  # type: ignore[index,no-any-return]


def test_a_listing_sees_an_in_place_edit_of_a_file_settled_before_the_scan(
    site: FakeSite, cache: Path
) -> None:
    time.sleep(2.1)  # past the settling time: the scan keeps the file's stat signature
    first = listed(site)
    assert first == [("model", "a", "tp_cached:a")]
    (file,) = index_files(cache)
    before = signature(file)
    assert None not in stored_signatures(cache)
    assert listed(site) == first  # served by the stat signature: nothing is scanned again
    assert signature(file) == before
    rewrite_in_place(site, "cached-pack", f"[{site.namespace}.model]\nb = tp_cached:b\n")
    assert listed(site) == [("model", "b", "tp_cached:b")]


def test_a_listing_sees_a_same_size_rewrite_right_after_the_scan(
    site: FakeSite, cache: Path
) -> None:
    """Within the same tick of the file system's clock every time may stay the same: a file
    that changed this close to the scan is compared by its bytes."""
    assert listed(site) == [("model", "a", "tp_cached:a")]
    assert stored_signatures(cache) == (None,)
    rewrite_in_place(site, "cached-pack", f"[{site.namespace}.model]\nc = tp_cached:c\n")
    assert listed(site) == [("model", "c", "tp_cached:c")]


def test_a_listing_of_unchanged_files_is_served_without_a_scan(site: FakeSite, cache: Path) -> None:
    first = listed(site)
    (file,) = index_files(cache)
    before = signature(file)
    entry_points = site.dist_info("cached-pack", "1.0") / "entry_points.txt"
    os.utime(entry_points)  # touched, not changed: its stat differs, its bytes do not
    assert listed(site) == first
    assert signature(file) == before


def test_a_listing_survives_an_edit_outside_the_namespace_without_a_scan(
    torchplug_site: FakeSite, cache: Path
) -> None:
    """A line added to another group that the file already has changes nothing stored."""
    site, ns = torchplug_site, torchplug_site.namespace
    scripts = "[console_scripts]\ncached = tp_cached:main\n"
    site.add("cached-pack", entry_points_txt=f"{scripts}\n[{ns}.model]\na = tp_cached:a\n")
    first = listed(site)
    (file,) = index_files(cache)
    before = signature(file)
    entry_points = site.dist_info("cached-pack", "1.0") / "entry_points.txt"
    text = entry_points.read_text(encoding="utf-8")
    entry_points.write_text(text.replace(scripts, scripts + "other = tp_cached:other\n"), "utf-8")
    assert listed(site) == first
    assert signature(file) == before


def test_a_group_added_in_place_to_a_provider_is_seen(
    site: FakeSite, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    backends = f"{site.namespace}_other.backends"
    assert backends not in (site.registry().installed_groups() or [])
    entry_points = site.dist_info("cached-pack", "1.0") / "entry_points.txt"
    text = entry_points.read_text(encoding="utf-8")
    entry_points.write_text(text + f"\n[{backends}]\nb = tp_cached:b\n", "utf-8")
    assert backends in (site.registry().installed_groups() or [])
    assert answer(site.registry()) == uncached_answer(site, monkeypatch)


def start_to_provide_loss_in_place(site: FakeSite) -> None:
    """`cached-pack`, a provider of models, declares a loss too, edited in place."""
    site.add("loss-pack", entry_points={"loss": {"l": "tp_loss:l"}})
    assert [i.name for i in site.registry().entries("loss")] == ["l"]
    rewrite_in_place(
        site,
        "cached-pack",
        f"[{site.namespace}.model]\na = tp_cached:a\n[{site.namespace}.loss]\nk = tp_cached:k\n",
    )


def test_a_listing_of_one_category_rechecks_only_the_folders_that_provide_it(
    site: FakeSite, cache: Path
) -> None:
    """The documented limitation: a provider of another category that starts to provide this
    one in place is not looked for by a listing of this one alone."""
    start_to_provide_loss_in_place(site)
    assert [i.name for i in site.registry().entries("loss")] == ["l"]


def test_a_listing_of_one_category_sees_an_in_place_edit_of_a_provider_of_it(
    site: FakeSite, cache: Path
) -> None:
    site.add("loss-pack", entry_points={"loss": {"l": "tp_loss:l"}})
    assert [i.name for i in site.registry().entries("loss")] == ["l"]
    rewrite_in_place(site, "loss-pack", f"[{site.namespace}.loss]\nm = tp_loss:m\n")
    assert [i.name for i in site.registry().entries("loss")] == ["m"]


def test_a_name_added_in_place_is_found_after_its_category_was_read(
    site: FakeSite, cache: Path
) -> None:
    """A name the category's table lacks is looked for in every providing folder, even once
    this registry has read the table."""
    start_to_provide_loss_in_place(site)
    registry = site.registry()
    assert registry.list("loss") == ["l"]  # the documented limitation
    assert registry.info("loss", "k").target == "tp_cached:k"
    assert registry.list("loss") == ["k", "l"]


@pytest.mark.parametrize(
    "notice",
    [
        lambda registry: [i.name for i in registry.entries()],
        lambda registry: registry.categories(),
        lambda registry: registry.info("loss", "k").target,
    ],
    ids=["whole listing", "categories", "get of the new name"],
)
def test_a_provider_that_starts_to_provide_another_category_in_place_is_seen(
    site: FakeSite, cache: Path, notice: Callable[[Registry], object]
) -> None:
    """By a whole listing, the categories, or a get of the new name; each stores a new scan,
    so a listing of that category alone sees it from then on."""
    start_to_provide_loss_in_place(site)
    notice(site.registry())
    assert [i.name for i in site.registry().entries("loss")] == ["k", "l"]
    assert site.registry().info("loss", "k").target == "tp_cached:k"
    assert site.registry().list("loss") == ["k", "l"]


def test_a_listing_of_every_category_equals_an_uncached_one_after_edits(
    site: FakeSite, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site.add("second-pack", entry_points={"model": {"m": "tp_second:m"}, "loss": {"l": "tp_s:l"}})
    site.add("third-pack", entry_points={"loss": {"k": "tp_third:k"}})
    site.registry().entries()
    rewrite_in_place(site, "third-pack", f"[{site.namespace}.norm]\nk = tp_third:k\n")
    assert answer(site.registry()) == uncached_answer(site, monkeypatch)


def test_refresh_rescans_even_when_the_cache_file_is_valid(site: FakeSite, cache: Path) -> None:
    registry = site.registry()
    registry.list("model")
    rewrite_in_place(site, "cached-pack", f"[{site.namespace}.model]\nb = tp_cached:b\n")
    registry.refresh()
    assert registry.list("model") == ["b"]


def test_the_cached_answer_equals_an_uncached_scan(
    site: FakeSite, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ns = site.namespace
    site.add("rival-pack", entry_points={"model": {"a": "tp_rival:a", "b": "tp_rival:b"}})
    site.add(
        "odd-pack",
        entry_points={"optimizer": {"broken": "not a target", "alias": "tp_odd:b"}},
        groups={
            f"{ns}.hooks": {"hook": "tp_odd:hooks"},
            f"{ns}.contracts": {"widget": "tp_odd:WIDGET"},
            f"{ns}.deprecated": {"model.old": "a"},
            f"{ns}.Bad-Category": {"x": "tp_odd:x"},
        },
    )
    site.registry().list("model")
    cached = site.registry()
    assert answer(cached) == uncached_answer(site, monkeypatch)
    assert cached.list("model", include_deprecated=True) == ["a", "b", "old"]


def test_installed_groups_are_every_group_of_every_distribution_cached_or_not(
    site: FakeSite, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Groups of other namespaces too, and of distributions that provide nothing here."""
    tools, backends = f"{site.namespace}_tools", f"{site.namespace}_other.backends"
    site.add("tool-pack", entry_points={}, groups={tools: {"tool": "tp_tool:main"}})
    site.add("backend-pack", entry_points={}, groups={backends: {"b": "tp_backend:load"}})
    first = site.registry().installed_groups()
    assert {f"{site.namespace}.model", tools, backends} <= set(first)
    assert first == sorted(first)
    assert site.registry().installed_groups() == first  # served by the stored scan
    assert answer(site.registry()) == uncached_answer(site, monkeypatch)
    site.remove("backend-pack")
    assert site.registry().installed_groups() == [g for g in first if g != backends]


def test_each_namespace_has_its_own_cache_file(site: FakeSite, cache: Path) -> None:
    site.registry().list("model")
    Registry(f"{site.namespace}.other").categories()
    assert len(index_files(cache)) == 2


# ----------------------------------------------------------------------------- invalidation


def test_installing_a_distribution_invalidates_the_cache(site: FakeSite, cache: Path) -> None:
    assert site.registry().list("model") == ["a"]
    site.add("second-pack", entry_points={"model": {"b": "tp_second:b"}})
    assert site.registry().list("model") == ["a", "b"]


def test_uninstalling_a_distribution_invalidates_the_cache(site: FakeSite, cache: Path) -> None:
    site.add("second-pack", entry_points={"model": {"b": "tp_second:b"}})
    assert site.registry().list("model") == ["a", "b"]
    site.remove("second-pack")
    assert site.registry().list("model") == ["a"]


def test_a_new_entry_on_sys_path_gets_its_own_cache_file(
    site: FakeSite, cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site.registry().list("model")
    other = FakeSite(tmp_path / "other-site", namespace=site.namespace)
    other.add("other-pack", entry_points={"model": {"c": "tp_other:c"}})
    monkeypatch.syspath_prepend(str(other.root))
    assert site.registry().list("model") == ["a", "c"]
    assert len(index_files(cache)) == 2


def save_as_an_editor_does(file: Path, text: str) -> None:
    """Write beside, then rename over: the directory's modification time changes."""
    file.with_name(file.name + ".swp").write_text(text, encoding="utf-8")
    os.replace(file.with_name(file.name + ".swp"), file)


def test_saving_a_module_in_a_sys_path_directory_keeps_the_cache(
    site: FakeSite, cache: Path
) -> None:
    site.registry().list("model")
    (file,) = index_files(cache)
    before = signature(file)
    time.sleep(0.01)  # past the file system's timestamp granularity
    save_as_an_editor_does(site.root / "notes.py", "x = 1\n")
    site.write_module("tp_new_module", "y = 2\n")
    assert site.registry().list("model") == ["a"]
    assert signature(file) == before


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The working directory, first on sys.path as ``''``: as ``python -c`` and ``-m`` run."""
    project = tmp_path / "project"
    project.mkdir()
    monkeypatch.chdir(project)
    monkeypatch.syspath_prepend("")
    return project


def test_saving_a_file_in_the_working_directory_keeps_the_cache(
    site: FakeSite, cache: Path, project: Path
) -> None:
    site.registry().list("model")
    (file,) = index_files(cache)
    before = signature(file)
    time.sleep(0.01)
    save_as_an_editor_does(project / "train.py", "print('hello')\n")
    assert site.registry().list("model") == ["a"]
    assert signature(file) == before


def damage_section(file: Path, name: str) -> None:
    """Flip a byte of one stored section, leaving its checksum wrong: reading it is a miss."""
    data = bytearray(file.read_bytes())
    length = int.from_bytes(data[20:24], "little")
    sections = marshal.loads(bytes(data[32 : 32 + length]))[4]
    offset, size, _ = sections[name]
    assert size > 0
    data[32 + length + offset] ^= 0xFF
    file.write_bytes(bytes(data))


def test_a_save_reads_the_stamp_of_the_entry_it_changed_and_no_other(
    site: FakeSite, cache: Path, project: Path
) -> None:
    """Each sys.path entry's slow stamp is a section of its own: a script saved in its folder
    costs reading that folder's, not the one of a site-packages of ten thousand packs."""
    site.registry().list("model")
    (file,) = index_files(cache)
    site_entry = sys.path.index(str(site.root))
    damage_section(file, f"s:{site_entry}")  # the site's stored folders, unreadable
    before = signature(file)
    time.sleep(0.01)
    save_as_an_editor_does(project / "train.py", "print('hello')\n")
    assert site.registry().list("model") == ["a"]
    assert signature(file) == before  # served: only the project's stamp was read
    save_as_an_editor_does(site.root / "helper.py", "VALUE = 1\n")
    assert site.registry().list("model") == ["a"]
    assert signature(file) != before  # the site's stamp had to be read: a miss, a new scan


def test_another_working_directory_without_distributions_keeps_the_cache(
    site: FakeSite, cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "one").mkdir()
    monkeypatch.chdir(tmp_path / "one")
    monkeypatch.syspath_prepend("")
    site.registry().list("model")
    (file,) = index_files(cache)
    before = signature(file)
    time.sleep(0.01)
    (tmp_path / "two").mkdir()
    (tmp_path / "two" / "train.py").write_text("print('hello')\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path / "two")
    assert site.registry().list("model") == ["a"]
    assert signature(file) == before


BUILD = """\
import sys, torchplug
print(torchplug.Registry(sys.argv[1]).list("model"))
"""


def test_python_dash_c_in_a_project_keeps_the_cache_while_files_are_saved(
    site: FakeSite, cache: Path, tmp_path: Path
) -> None:
    """What a user does: run a script with ``python -c`` in the project, edit, run again."""
    project = tmp_path / "project"
    project.mkdir()
    env = {
        **os.environ,
        "PYTHONPATH": str(site.root),
        "XDG_CACHE_HOME": str(cache.parent),
        "TORCHPLUG_CACHE": "1",
    }

    def run() -> str:
        ran = subprocess.run(
            [sys.executable, "-c", BUILD, site.namespace],
            env=env,
            cwd=project,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert ran.returncode == 0, ran.stderr
        return ran.stdout.strip()

    assert run() == "['a']"
    files = {f: signature(f) for f in index_files(cache)}
    for n in range(3):
        time.sleep(0.01)
        save_as_an_editor_does(project / "train.py", f"step = {n}\n")
        assert run() == "['a']"
    assert {f: signature(f) for f in index_files(cache)} == files


def test_a_distribution_in_the_working_directory_is_seen(
    site: FakeSite, cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``setup.py develop`` leaves an egg-info folder in the project, which is on sys.path."""
    project = FakeSite(tmp_path / "project", namespace=site.namespace)
    monkeypatch.chdir(project.root)
    monkeypatch.syspath_prepend("")
    assert site.registry().list("model") == ["a"]
    project.add("project-pack", entry_points={"model": {"p": "tp_project:p"}})
    assert site.registry().list("model") == ["a", "p"]


def test_a_working_directory_holding_other_distributions_is_seen(
    site: FakeSite, cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    one = FakeSite(tmp_path / "one", namespace=site.namespace)
    one.add("pack-one", entry_points={"model": {"one": "tp_one:one"}})
    two = FakeSite(tmp_path / "two", namespace=site.namespace)
    two.add("pack-two", entry_points={"model": {"two": "tp_two:two"}})
    monkeypatch.syspath_prepend("")
    monkeypatch.chdir(one.root)
    assert site.registry().list("model") == ["a", "one"]
    monkeypatch.chdir(two.root)
    assert site.registry().list("model") == ["a", "two"]


def test_a_reinstall_of_the_same_version_with_other_entry_points_is_seen(
    site: FakeSite, cache: Path
) -> None:
    """pip deletes the dist-info folder and writes a new one of the same name: the set of names
    in the directory is unchanged, the folder is not. The pack provided nothing before, so no
    stored entry point leads to its folder: only the stamp can see the change."""
    site.add("quiet-pack", entry_points={})
    assert site.registry().list("model") == ["a"]
    time.sleep(0.01)
    site.remove("quiet-pack")
    site.add("quiet-pack", entry_points={"model": {"q": "tp_quiet:q"}})
    assert site.registry().list("model") == ["a", "q"]


def test_a_directory_created_on_the_path_with_a_distribution_is_seen(
    site: FakeSite, cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    later = tmp_path / "created-later"
    monkeypatch.syspath_prepend(str(later))
    assert site.registry().list("model") == ["a"]
    FakeSite(later, namespace=site.namespace).add(
        "late-pack", entry_points={"model": {"late": "tp_late:late"}}
    )
    assert site.registry().list("model") == ["a", "late"]


# ----------------------------------------------------------------------------- damaged files


def _flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :]


def _with_entries(data: bytes, change) -> bytes:
    stored = decode_bytes(data)
    stored["tables"] = {
        category: {name: tuple(change(e) for e in entries) for name, entries in table.items()}
        for category, table in stored["tables"].items()  # type: ignore[attr-defined]
    }
    return encode(stored)


def _with_stored(data: bytes, key: str, change) -> bytes:
    """The file with one of its listing-side sections changed, every checksum right."""
    stored = decode_bytes(data)
    stored[key] = change(stored[key])
    return encode(stored)


def _listing_columns(change):  # type: ignore[no-untyped-def]
    return lambda listings: {category: change(columns) for category, columns in listings.items()}


def decode_bytes(data: bytes) -> dict[str, object]:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        file = Path(folder) / "index.tpi"
        file.write_bytes(data)
        return decode(file)


DAMAGE = {
    "empty": lambda valid: b"",
    "truncated": lambda valid: valid[: len(valid) // 2],
    "one-byte": lambda valid: valid[:1],
    "not-a-stored-index": lambda valid: b"index = 'toml?'",
    "not-utf8-text": lambda valid: b"\xff\xfe",
    "other-format": lambda valid: valid[:16] + (999).to_bytes(4, "little") + valid[20:],
    "header-length-wrong": lambda valid: valid[:20] + (1 << 30).to_bytes(4, "little") + valid[24:],
    "header-byte-flipped": lambda valid: _flip(valid, 40),
    "middle-byte-flipped": lambda valid: _flip(valid, len(valid) // 2),
    "last-byte-flipped": lambda valid: _flip(valid, len(valid) - 1),
    "tail-zeroed": lambda valid: valid[:-16] + bytes(16),
    "trailing-garbage": lambda valid: valid + b"garbage",
    "entries-of-another-layout": lambda valid: _with_entries(valid, lambda e: (*e, "extra", 1)),
    "entries-of-another-type": lambda valid: _with_entries(valid, lambda e: {"value": e[0]}),
    "entries-with-wrong-values": lambda valid: _with_entries(valid, lambda e: (1,) * len(e)),
    "listing-columns-of-unequal-length": lambda valid: _with_stored(
        valid, "listings", _listing_columns(lambda c: ((*c[0], "extra"), *c[1:]))
    ),
    "listing-cell-of-another-type": lambda valid: _with_stored(
        valid, "listings", _listing_columns(lambda c: (*c[:4], (1,) * len(c[4]), *c[5:]))
    ),
    "listing-status-unknown": lambda valid: _with_stored(
        valid, "listings", _listing_columns(lambda c: (c[0], ("maybe",) * len(c[1]), *c[2:]))
    ),
    "listing-of-another-layout": lambda valid: _with_stored(
        valid, "listings", lambda listings: {c: [each] for c, each in listings.items()}
    ),
    "folders-cut-short": lambda valid: _with_stored(valid, "folders", lambda folders: folders[:3]),
    "category-folders-cut-short": lambda valid: _with_stored(
        valid, "category_folders", lambda found: {c: f[:3] for c, f in found.items()}
    ),
    "groups-of-another-type": lambda valid: _with_stored(valid, "groups", lambda g: (1, *g)),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_cache_file_is_ignored(
    site: FakeSite, cache: Path, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    site.registry().list("model")
    (file,) = index_files(cache)
    file.write_bytes(DAMAGE[damage](file.read_bytes()))
    assert answer(site.registry()) == uncached_answer(site, monkeypatch)


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_cache_file_is_rebuilt(site: FakeSite, cache: Path, damage: str) -> None:
    site.registry().list("model")
    (file,) = index_files(cache)
    valid = content(file)
    file.write_bytes(DAMAGE[damage](file.read_bytes()))
    answer(site.registry())
    assert content(file) == valid


# ----------------------------------------------------------------------------- forgeries


def _forge(data: bytes, change) -> bytes:
    stored = decode_bytes(data)
    change(stored)
    return encode(stored)


def _entries(stored: dict) -> list[tuple[str, str, tuple]]:
    return [
        (category, name, entries)
        for category, table in stored["tables"].items()
        for name, entries in table.items()
    ]


def _replace_entries(stored: dict, change) -> None:
    for category, name, entries in _entries(stored):
        stored["tables"][category][name] = tuple(change(e) for e in entries)


def _retarget(stored: dict) -> None:
    _replace_entries(stored, lambda e: ("os:system", *e[1:]))


def _add_entry(stored: dict) -> None:
    category, _, entries = _entries(stored)[0]
    stored["tables"][category]["evil"] = (("os:system", *entries[0][1:4], ("evil",)),)


def _add_alias(stored: dict) -> None:
    """Claim that the provider of 'a' also answers to 'evil'."""
    _replace_entries(stored, lambda e: (*e[:4], (*e[4], "evil")))
    category, _, entries = _entries(stored)[0]
    stored["tables"][category]["evil"] = entries


def _move(stored: dict) -> None:
    """Point the provider at another folder, one a forger could write (not on sys.path)."""

    def moved(location: str) -> str:
        return str(Path(location).parent.parent / "elsewhere" / Path(location).name)

    _replace_entries(stored, lambda e: (*e[:3], moved(e[3]), e[4]))
    stored["dists"] = tuple((*d[:3], moved(d[3])) for d in stored["dists"])


def _rename(stored: dict) -> None:
    """Claim that the folder belongs to another distribution."""
    _replace_entries(stored, lambda e: (e[0], "torchplug-torch", *e[2:]))
    stored["dists"] = tuple(("torchplug-torch", *d[1:]) for d in stored["dists"])


def _make_malformed(stored: dict) -> None:
    _replace_entries(stored, lambda e: ("not a target", *e[1:]))


def _add_hook_plugin(stored: dict) -> None:
    _, _, entries = _entries(stored)[0]
    _, distribution, version, location, _ = entries[0]
    stored["reserved"]["hooks"] = (
        *stored["reserved"].get("hooks", ()),
        ("hooks", "evil", "os", distribution, version, location, None),
    )


#: Hand-written index files that would make `get` import what no installed metadata declares.
FORGERIES = {
    "target-replaced": _retarget,
    "entry-added": _add_entry,
    "alias-added": _add_alias,
    "provider-moved-off-the-path": _move,
    "provider-renamed": _rename,
    "target-made-malformed": _make_malformed,
    "hook-plugin-added": _add_hook_plugin,
}


@pytest.mark.parametrize("forgery", list(FORGERIES))
def test_a_forged_cache_file_is_not_believed(
    site: FakeSite, cache: Path, monkeypatch: pytest.MonkeyPatch, forgery: str
) -> None:
    site.registry().list("model")
    (file,) = index_files(cache)
    file.write_bytes(_forge(file.read_bytes(), FORGERIES[forgery]))
    registry = site.registry()
    assert registry.info("model", "a").target == "tp_cached:a"
    assert registry.list("model") == ["a"]
    assert answer(registry) == uncached_answer(site, monkeypatch)


@pytest.mark.parametrize("forgery", list(FORGERIES))
def test_a_forged_cache_file_imports_nothing_it_declares(
    site: FakeSite, cache: Path, forgery: str
) -> None:
    """A first `get` in a fresh process reads one group of the file, checked before use."""
    site.registry().list("model")
    (file,) = index_files(cache)
    file.write_bytes(_forge(file.read_bytes(), FORGERIES[forgery]))
    registry = site.registry()
    with pytest.raises(torchplug.ComponentNotFoundError):
        registry.get("model", "evil")
    assert registry.provider("model", "a").target == "tp_cached:a"


def test_a_forged_cache_file_is_replaced_by_a_scan(site: FakeSite, cache: Path) -> None:
    site.registry().list("model")
    (file,) = index_files(cache)
    valid = content(file)
    file.write_bytes(_forge(file.read_bytes(), _retarget))
    registry = site.registry()
    assert registry.list("model") == ["a"]  # names come from the listing, which is intact
    assert registry.info("model", "a").target == "tp_cached:a"  # the forged entry, checked
    assert content(file) == valid


# ----------------------------------------------------------------------------- legacy egg-info

SETUP_PY = """\
from setuptools import setup

setup(
    name="tp-legacy",
    version="{version}",
    packages=["tp_legacy"],
    entry_points={{"{namespace}.model": {entries!r}}},
)
"""


def test_a_legacy_install_refreshed_with_setup_py_egg_info_is_seen(
    torchplug_site: FakeSite, cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``setup.py develop`` leaves an egg-info folder in the project, on sys.path; ``setup.py
    egg_info`` rewrites its files in place, which changes no sys.path entry's modification time."""
    pytest.importorskip("setuptools")
    project = tmp_path / "project"
    (project / "tp_legacy").mkdir(parents=True)
    (project / "tp_legacy" / "__init__.py").write_text("def one(): pass\ndef two(): pass\n")

    def egg_info(version: str, *entries: str) -> None:
        setup = SETUP_PY.format(
            version=version, namespace=torchplug_site.namespace, entries=list(entries)
        )
        (project / "setup.py").write_text(setup, encoding="utf-8")
        made = subprocess.run(
            [sys.executable, "setup.py", "-q", "egg_info"],
            cwd=project,
            capture_output=True,
            text=True,
        )
        assert made.returncode == 0, made.stderr

    egg_info("1.0", "one = tp_legacy:one")
    monkeypatch.syspath_prepend(str(project))
    assert torchplug_site.registry().list("model") == ["one"]
    egg_info("1.1", "one = tp_legacy:one", "two = tp_legacy:two")
    registry = torchplug_site.registry()
    assert registry.list("model") == ["one", "two"]
    assert registry.info("model", "two").version == "1.1"


# ----------------------------------------------------------------------------- unwritable


def _xdg_is_a_file(cache: Path) -> None:
    cache.parent.write_text("not a directory", "utf-8")


def _cache_dir_is_a_file(cache: Path) -> None:
    cache.parent.mkdir()
    cache.write_text("not a directory", "utf-8")


@pytest.mark.parametrize("block", [_xdg_is_a_file, _cache_dir_is_a_file], ids=["xdg", "torchplug"])
def test_an_unusable_cache_directory_only_costs_speed(
    site: FakeSite, cache: Path, monkeypatch: pytest.MonkeyPatch, block
) -> None:
    block(cache)
    first = answer(site.registry())
    second = answer(site.registry())
    assert first == second == uncached_answer(site, monkeypatch)


def test_a_directory_in_place_of_the_cache_file_only_costs_speed(
    site: FakeSite, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site.registry().list("model")
    (file,) = index_files(cache)
    file.unlink()
    file.mkdir()
    assert answer(site.registry()) == uncached_answer(site, monkeypatch)
    assert file.is_dir()
    assert list(cache.glob(".tmp-*")) == []


# ----------------------------------------------------------------------------- turned off


@pytest.mark.parametrize("value", ["0", "false", "no", "off", "OFF", " 0 "])
def test_a_disabled_cache_writes_nothing(
    site: FakeSite, cache: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("TORCHPLUG_CACHE", value)
    assert site.registry().list("model") == ["a"]
    assert not cache.exists()


def test_a_disabled_cache_reads_nothing(
    site: FakeSite, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site.registry().list("model")
    (file,) = index_files(cache)
    before = signature(file)
    rewrite_in_place(site, "cached-pack", f"[{site.namespace}.model]\nb = tp_cached:b\n")
    monkeypatch.setenv("TORCHPLUG_CACHE", "0")
    assert site.registry().list("model") == ["b"]
    assert signature(file) == before


# ----------------------------------------------------------------------------- bounded


def test_the_cache_directory_keeps_at_most_32_files(
    site: FakeSite, cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(36):  # 36 distinct sys.path values: 36 cache keys
        monkeypatch.syspath_prepend(str(tmp_path / f"entry-{n}"))
        site.registry().list("model")
    kept = index_files(cache)
    assert len(kept) == 32
    firsts = {decode(f)["path"][0] for f in kept}
    assert str(tmp_path / "entry-35") in firsts  # the newest stays
    assert str(tmp_path / "entry-0") not in firsts  # the oldest went first


# ----------------------------------------------------------------------------- concurrent processes

RACER = """\
import os, sys, time
from pathlib import Path
import torchplug

namespace, ready, go = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
ready.touch()
while not go.exists():
    time.sleep(0.001)
registry = torchplug.Registry(namespace)
registry.list("model")
for _ in range(5):
    registry.refresh()  # a rescan writes the cache file again
"""

REPORT = """\
import dataclasses, json, sys
import torchplug

registry = torchplug.Registry(sys.argv[1])
print(json.dumps({
    "entries": [dataclasses.asdict(i) for i in registry.entries()],
    "distributions": [dataclasses.asdict(d) for d in registry.distributions()],
    "check": registry.check().as_dict(),
}))
"""


def test_concurrent_writers_never_leave_a_damaged_cache_file(
    site: FakeSite, cache: Path, tmp_path: Path
) -> None:
    site.add("second-pack", entry_points={"model": {"b": "tp_second:b"}, "loss": {"l": "m:l"}})
    env = {
        **os.environ,
        "PYTHONPATH": str(site.root),
        "XDG_CACHE_HOME": str(cache.parent),
        "TORCHPLUG_CACHE": "1",
    }
    go = tmp_path / "go"
    ready = [tmp_path / f"ready-{n}" for n in range(8)]
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", RACER, site.namespace, str(r), str(go)],
            env=env,
            cwd=tmp_path,
            stderr=subprocess.PIPE,
            text=True,
        )
        for r in ready
    ]
    deadline = time.monotonic() + 60
    while not all(r.exists() for r in ready) and time.monotonic() < deadline:
        time.sleep(0.01)
    go.touch()
    for racer in racers:
        _, err = racer.communicate(timeout=120)
        assert racer.returncode == 0, err

    (file,) = index_files(cache)  # one key: every racer had the same sys.path
    decode(file)
    assert list(cache.glob(".tmp-*")) == []

    def report(cache_setting: str) -> object:
        run = subprocess.run(
            [sys.executable, "-c", REPORT, site.namespace],
            env={**env, "TORCHPLUG_CACHE": cache_setting},
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert run.returncode == 0, run.stderr
        return json.loads(run.stdout)

    before = signature(file)
    assert report("1") == report("0")
    assert signature(file) == before  # the cached report was read from the file, not rewritten


# ----------------------------------------------------------------------------- the cache command


def settings_copies(cache: Path) -> list[Path]:
    return sorted(cache.glob("toml-*.tpt"))


def test_cache_json_shows_the_directory_under_xdg_cache_home(
    site: FakeSite, cache: Path, cli
) -> None:
    env = {"TORCHPLUG_CACHE": "1", "XDG_CACHE_HOME": str(cache.parent)}
    assert cli("list", env=env).returncode == 0
    shown = cli("cache", "--json", env=env).json()
    assert shown["directory"] == str(cache)
    # One index of the site's namespace, one of torchplug's (where the commands are declared),
    # and the parsed copy of the project's settings if the working directory has any.
    assert len(index_files(cache)) == 2
    files = index_files(cache) + settings_copies(cache)
    assert (shown["enabled"], shown["files"]) == (True, len(files))
    assert shown["bytes"] == sum(f.stat().st_size for f in files)


def test_cache_clear_removes_the_cache_files(
    site: FakeSite, cache: Path, cli, run_process, tmp_path: Path
) -> None:
    import sys

    env = {"TORCHPLUG_CACHE": "1", "XDG_CACHE_HOME": str(cache.parent)}
    project = tmp_path / "project"
    project.mkdir()
    (project / "torchplug.toml").write_text('[prefer]\n"*" = "some-pack"\n', "utf-8")
    read = "from torchplug._settings import preference_rules; preference_rules()"
    assert run_process(sys.executable, "-c", read, env=env, cwd=project).returncode == 0
    cli("list", env=env)
    assert len(index_files(cache)) == 2  # the site's namespace and torchplug's commands
    copies = len(settings_copies(cache))
    assert copies >= 1  # the project's settings, and the working directory's if it has any
    cleared = cli("cache", "--clear", "--json", env=env).json()
    assert (cleared["removed"], cleared["files"]) == (2 + copies, 0)
    assert index_files(cache) == settings_copies(cache) == []


def test_cache_json_says_when_the_cache_is_off(site: FakeSite, cache: Path, cli) -> None:
    shown = cli("cache", "--json", env={"XDG_CACHE_HOME": str(cache.parent)}).json()
    assert shown["enabled"] is False  # the cli fixture runs with TORCHPLUG_CACHE=0


# ----------------------------------------------------------------------------- names and the disable list


@pytest.mark.parametrize("stored", [False, True], ids=["fresh scan", "stored scan"])
@pytest.mark.parametrize(
    ("disabled", "listed"),
    [
        ((), ["one", "shared"]),
        (("pack-a",), ["shared"]),
        (("pack-b",), ["one", "shared"]),
        (("pack-a", "pack-b"), []),
    ],
)
def test_list_leaves_out_a_name_only_when_every_provider_is_disabled(
    site: FakeSite, cache: Path, stored: bool, disabled: tuple[str, ...], listed: list[str]
) -> None:
    """`Registry.list` reads names from the category's listing: a name one pack provides is a
    row there, a name several provide is looked up, and either is listed while one of its
    providers is enabled."""
    site.add("pack-a", entry_points={"loss": {"one": "tp_a:one", "shared": "tp_a:shared"}})
    site.add("pack-b", entry_points={"loss": {"shared": "tp_b:shared"}})
    if stored:
        site.registry().list("loss")
        assert len(index_files(cache)) == 1
    assert site.registry(disabled=disabled).list("loss") == listed
