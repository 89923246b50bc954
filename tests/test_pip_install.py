"""End to end with real pip: wheels of torchplug and of small packs installed into a fresh venv.

This is what a user does: `pip install` a pack, then list, check, resolve, uninstall, upgrade.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def _run(
    *args: str | Path,
    env: dict[str, str] | None = None,
    check: bool = True,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(a) for a in args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=600,
        cwd=cwd,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"{args} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        )
    return result


def _write_pack(root: Path, dist: str, version: str, package: str, entries: dict[str, str]) -> Path:
    """A pack source tree exactly as a pack author writes one."""
    source = root / f"{dist}-{version}"
    (source / package).mkdir(parents=True)
    groups = "\n".join(f'{name} = "{value}"' for name, value in entries.items())
    (source / "pyproject.toml").write_text(
        textwrap.dedent(
            f"""\
            [build-system]
            requires = ["hatchling"]
            build-backend = "hatchling.build"

            [project]
            name = "{dist}"
            version = "{version}"
            dependencies = ["torchplug"]

            [project.entry-points."torchplug.optimizer"]
            """
        )
        + groups
        + "\n"
    )
    (source / package / "__init__.py").write_text(
        textwrap.dedent(
            f"""\
            import os, pathlib
            marker = os.environ.get("E2E_IMPORT_MARKER")
            if marker:
                pathlib.Path(marker).write_text("{package} imported")

            def build(params, lr: float = 0.1):
                return ("{dist}", "{version}", lr)
            """
        )
    )
    return source


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("wheels")
    out = tmp / "dist"
    packs = {
        "torchplug": ROOT,
        "e2e-pack-1": _write_pack(
            tmp, "e2e-pack", "1.0", "e2e_pack", {"e2e_sgd": "e2e_pack:build"}
        ),
        "e2e-pack-2": _write_pack(
            tmp / "v2", "e2e-pack", "2.0", "e2e_pack", {"e2e_sgd": "e2e_pack:build"}
        ),
        "e2e-rival": _write_pack(
            tmp, "e2e-rival", "0.5", "e2e_rival", {"e2e_sgd": "e2e_rival:build"}
        ),
    }
    built = {}
    for key, source in packs.items():
        before = set(out.glob("*.whl")) if out.exists() else set()
        _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", out, source)
        (new,) = set(out.glob("*.whl")) - before
        built[key] = new
    return built


@pytest.fixture(scope="module")
def env_dir(tmp_path_factory: pytest.TempPathFactory, wheels: dict[str, Path]) -> Path:
    directory = tmp_path_factory.mktemp("venv") / "env"
    venv.create(directory, with_pip=True)
    _run(directory / "bin" / "python", "-m", "pip", "install", "-q", wheels["torchplug"])
    return directory


def _torchplug(env_dir: Path, *args: str, **kw: object) -> subprocess.CompletedProcess[str]:
    return _run(env_dir / "bin" / "torchplug", *args, **kw)  # type: ignore[arg-type]


def _pip(env_dir: Path, *args: str | Path) -> None:
    _run(env_dir / "bin" / "python", "-m", "pip", *args)


def test_installed_pack_is_listed_without_import_then_resolved(
    env_dir: Path, wheels: dict[str, Path], tmp_path: Path
) -> None:
    _pip(env_dir, "install", "-q", wheels["e2e-pack-1"])
    marker = tmp_path / "imported"
    listed = _torchplug(
        env_dir, "list", "optimizer", "--json", env={"E2E_IMPORT_MARKER": str(marker)}
    )
    rows = {r["name"]: r for r in json.loads(listed.stdout)}
    assert rows["e2e_sgd"]["distribution"] == "e2e-pack"
    assert rows["e2e_sgd"]["version"] == "1.0"
    assert rows["e2e_sgd"]["status"] == "ok"
    assert not marker.exists(), "listing must not import the pack"

    built = _run(
        env_dir / "bin" / "python",
        "-c",
        "import torchplug; print(torchplug.registry.get('optimizer', 'e2e_sgd')(None, lr=0.5))",
        env={"E2E_IMPORT_MARKER": str(marker)},
    )
    assert built.stdout.strip() == "('e2e-pack', '1.0', 0.5)"
    assert marker.read_text() == "e2e_pack imported"


def test_second_pack_with_same_name_is_a_conflict_until_disabled_or_uninstalled(
    env_dir: Path, wheels: dict[str, Path]
) -> None:
    _pip(env_dir, "install", "-q", wheels["e2e-pack-1"], wheels["e2e-rival"])
    conflicted = _torchplug(env_dir, "check", check=False)
    assert conflicted.returncode == 1
    assert "e2e-pack 1.0" in conflicted.stdout and "e2e-rival 0.5" in conflicted.stdout
    assert '"e2e-pack:e2e_sgd"' in conflicted.stdout

    qualified = _run(
        env_dir / "bin" / "python",
        "-c",
        "import torchplug; print(torchplug.registry.get('optimizer', 'e2e_rival:e2e_sgd')(None))",
    )
    assert qualified.stdout.strip() == "('e2e-rival', '0.5', 0.1)"

    disabled = _torchplug(env_dir, "check", env={"TORCHPLUG_DISABLE": "e2e-rival"}, check=False)
    assert disabled.returncode == 0, disabled.stdout

    _pip(env_dir, "uninstall", "-y", "-q", "e2e-rival")
    assert _torchplug(env_dir, "check", check=False).returncode == 0


def test_a_project_file_settles_a_clash_between_installed_packs_for_every_command(
    env_dir: Path, wheels: dict[str, Path], tmp_path: Path
) -> None:
    _pip(env_dir, "install", "-q", wheels["e2e-pack-1"], wheels["e2e-rival"])
    project = tmp_path / "project"
    (project / "configs").mkdir(parents=True)
    (project / "pyproject.toml").write_text(
        '[project]\nname = "mine"\n\n[tool.torchplug.prefer]\n"optimizer.*" = "e2e-rival"\n',
        encoding="utf-8",
    )
    where = project / "configs"  # found walking up, as pytest and ruff find their settings
    checked = _torchplug(env_dir, "check", check=False, cwd=where)
    assert checked.returncode == 0, checked.stdout
    assert "settled for e2e-rival by preference" in checked.stdout
    get = "import torchplug; print(torchplug.registry.get('optimizer', 'e2e_sgd')(None))"
    built = _run(env_dir / "bin" / "python", "-c", get, cwd=where)
    assert built.stdout.strip() == "('e2e-rival', '0.5', 0.1)"
    flagged = _torchplug(
        env_dir, "list", "optimizer", "--json", "--prefer", "*=e2e-pack", cwd=where
    )
    assert json.loads(flagged.stdout)[0]["distribution"] == "e2e-pack"
    elsewhere = _torchplug(env_dir, "check", check=False, cwd=tmp_path)
    assert elsewhere.returncode == 1  # outside the project, the clash stands
    _pip(env_dir, "uninstall", "-y", "-q", "e2e-rival")


def test_upgrade_is_seen_by_the_next_process(env_dir: Path, wheels: dict[str, Path]) -> None:
    _pip(env_dir, "install", "-q", wheels["e2e-pack-1"])
    _pip(env_dir, "install", "-q", "--force-reinstall", "--no-deps", wheels["e2e-pack-2"])
    plugins = json.loads(_torchplug(env_dir, "plugins", "--json").stdout)
    assert {"distribution": "e2e-pack", "version": "2.0"}.items() <= plugins[0].items()
    assert plugins[0]["components"] == {"optimizer": 1}


def test_python_dash_m_and_help_work_in_a_fresh_venv(
    env_dir: Path, wheels: dict[str, Path]
) -> None:
    _pip(env_dir, "install", "-q", wheels["e2e-pack-1"])
    helped = _run(env_dir / "bin" / "python", "-m", "torchplug", "--help")
    assert "list" in helped.stdout and "check" in helped.stdout and "plugins" in helped.stdout
    unknown = _torchplug(env_dir, "show", "optimzer", "adamw", check=False)
    assert unknown.returncode == 2
    assert "Did you mean 'optimizer'?" in unknown.stderr
    assert "Traceback" not in unknown.stderr


def test_without_the_training_pack_run_says_which_pack_to_install(env_dir: Path) -> None:
    helped = _torchplug(env_dir, "--help")
    assert "(lock, plot, run: install torchplug-train)" in helped.stdout
    ran = _torchplug(env_dir, "run", "config.toml", check=False)
    assert ran.returncode == 2
    assert "'run' is a command of the torchplug-train pack, which is not installed" in ran.stderr
    assert "Traceback" not in ran.stderr


# ----------------------------------------------------------------------------- the scan cache

_SNAPSHOT = """
import json, torchplug
r = torchplug.registry
print(json.dumps(sorted(
    [i.category, i.name, i.status, [[p.distribution, p.version, p.target] for p in i.providers]]
    for i in r.entries()
)))
"""


def _snapshot(
    env_dir: Path, cache: Path, *, cached: bool, extra: dict[str, str] | None = None
) -> list[object]:
    env = {"XDG_CACHE_HOME": str(cache), "TORCHPLUG_CACHE": "1" if cached else "0", **(extra or {})}
    return json.loads(_run(env_dir / "bin" / "python", "-c", _SNAPSHOT, env=env).stdout)


def _cache_files(cache: Path) -> dict[Path, int]:
    return {f: f.stat().st_mtime_ns for f in (cache / "torchplug").glob("index-*.json")}


def _assert_fresh(env_dir: Path, cache: Path, extra: dict[str, str] | None = None) -> list[object]:
    """The cached answer equals an uncached scan, and a second cached run is a hit (no rewrite)."""
    cached = _snapshot(env_dir, cache, cached=True, extra=extra)
    assert cached == _snapshot(env_dir, cache, cached=False, extra=extra)
    files = _cache_files(cache)
    assert _snapshot(env_dir, cache, cached=True, extra=extra) == cached
    assert _cache_files(cache) == files, "an unchanged environment must be served from the cache"
    return cached


def _versions(snapshot: list[object]) -> set[tuple[str, str]]:
    return {(p[0], p[1]) for row in snapshot for p in row[3]}  # type: ignore[index]


def test_cache_is_never_stale_across_pip_operations(
    env_dir: Path, wheels: dict[str, Path], tmp_path: Path
) -> None:
    cache = tmp_path / "xdg"
    _pip(env_dir, "uninstall", "-y", "-q", "e2e-pack", "e2e-rival")
    assert _assert_fresh(env_dir, cache) == []

    _pip(env_dir, "install", "-q", wheels["e2e-pack-1"])
    assert _versions(_assert_fresh(env_dir, cache)) == {("e2e-pack", "1.0")}

    _pip(env_dir, "install", "-q", "--no-deps", wheels["e2e-pack-2"])  # upgrade
    assert _versions(_assert_fresh(env_dir, cache)) == {("e2e-pack", "2.0")}

    _pip(env_dir, "install", "-q", "--no-deps", wheels["e2e-pack-1"])  # downgrade
    assert _versions(_assert_fresh(env_dir, cache)) == {("e2e-pack", "1.0")}

    _pip(env_dir, "uninstall", "-y", "-q", "e2e-pack")
    assert _assert_fresh(env_dir, cache) == []

    source = wheels["e2e-pack-1"].parent.parent / "e2e-pack-1.0"
    _pip(env_dir, "install", "-q", "--no-deps", "-e", source)  # editable
    assert _versions(_assert_fresh(env_dir, cache)) == {("e2e-pack", "1.0")}
    _pip(env_dir, "uninstall", "-y", "-q", "e2e-pack")
    assert _assert_fresh(env_dir, cache) == []


def test_cache_follows_pythonpath_and_interpreter(
    env_dir: Path, wheels: dict[str, Path], tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    cache = tmp_path / "xdg"
    _pip(env_dir, "uninstall", "-y", "-q", "e2e-pack", "e2e-rival")
    _pip(env_dir, "install", "-q", wheels["e2e-pack-1"])
    plain = _assert_fresh(env_dir, cache)

    extra_site = tmp_path / "extra"
    _pip(env_dir, "install", "-q", "--no-deps", "--target", extra_site, wheels["e2e-rival"])
    with_path = _assert_fresh(env_dir, cache, {"PYTHONPATH": str(extra_site)})
    assert _versions(with_path) == {("e2e-pack", "1.0"), ("e2e-rival", "0.5")}
    assert _assert_fresh(env_dir, cache) == plain  # dropping PYTHONPATH drops the rival again

    other = tmp_path_factory.mktemp("venv2") / "env"
    venv.create(other, with_pip=True)
    _run(other / "bin" / "python", "-m", "pip", "install", "-q", wheels["torchplug"])
    assert _assert_fresh(other, cache) == []  # same cache directory, another interpreter


@pytest.fixture(scope="module")
def quiet_then_not(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """e2e-quiet 1.0 declaring nothing for torchplug, and the same version rebuilt with an entry
    point: what a pack author's ``pip install --force-reinstall .`` installs while the version
    stays the same. Only the new dist-info folder tells the two installs apart."""
    wheels = []
    for tag, entries in (("before", {}), ("after", {"e2e_quiet": "e2e_quiet:build"})):
        tmp = tmp_path_factory.mktemp(f"quiet-{tag}")
        source = _write_pack(tmp, "e2e-quiet", "1.0", "e2e_quiet", entries)
        _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", tmp / "dist", source)
        wheels.extend((tmp / "dist").glob("*.whl"))
    return wheels[0], wheels[1]


def _names(snapshot: list[object]) -> set[str]:
    return {row[1] for row in snapshot}  # type: ignore[index]


def test_cache_sees_a_reinstall_of_the_same_version_with_other_entry_points(
    env_dir: Path, quiet_then_not: tuple[Path, Path], tmp_path: Path
) -> None:
    cache = tmp_path / "xdg"
    _pip(env_dir, "uninstall", "-y", "-q", "e2e-pack", "e2e-rival")
    quiet, providing = quiet_then_not
    _pip(env_dir, "install", "-q", "--no-deps", quiet)
    assert _names(_assert_fresh(env_dir, cache)) == set()
    _pip(env_dir, "install", "-q", "--no-deps", "--force-reinstall", providing)
    assert _names(_assert_fresh(env_dir, cache)) == {"e2e_quiet"}
    _pip(env_dir, "install", "-q", "--no-deps", "--force-reinstall", quiet)
    assert _names(_assert_fresh(env_dir, cache)) == set()
    _pip(env_dir, "uninstall", "-y", "-q", "e2e-quiet")


def test_cache_is_kept_when_site_packages_changes_but_no_distribution_does(
    env_dir: Path, wheels: dict[str, Path], tmp_path: Path
) -> None:
    """A module or a .pth-less file saved in site-packages, or pip installing nothing new, adds or
    removes no distribution: the stored scan stays valid and is not rewritten."""
    cache = tmp_path / "xdg"
    _pip(env_dir, "install", "-q", "--no-deps", wheels["e2e-pack-1"])
    before = _assert_fresh(env_dir, cache)
    files = _cache_files(cache)
    site_packages = Path(
        _run(
            env_dir / "bin" / "python",
            "-c",
            "import e2e_pack, os; print(os.path.dirname(os.path.dirname(e2e_pack.__file__)))",
        ).stdout.strip()
    )
    (site_packages / "e2e_scratch.py").write_text("x = 1\n", encoding="utf-8")
    _pip(env_dir, "install", "-q", "--no-deps", wheels["e2e-pack-1"])  # already installed
    assert _snapshot(env_dir, cache, cached=True) == before
    assert _cache_files(cache) == files
    (site_packages / "e2e_scratch.py").unlink()
    _pip(env_dir, "uninstall", "-y", "-q", "e2e-pack")
