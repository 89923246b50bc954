"""Whole-process scenarios: what a user's command costs, from fork to exit, in a fresh interpreter.

Each scenario is one command run with ``PYTHONPATH=<generated site>``. Wall time is measured
around the child from spawn to reap, peak memory is the child's own ``ru_maxrss`` and CPU time
its user plus system time (both from ``os.wait4``, in spawn.py). Peers run their documented entry points on the
same distributions: stevedore and pluggy import every plugin by design, which is the point of the
comparison.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from generate_site import (
    CATALOGUE_NAMESPACE,
    PLUGGY_GROUP,
    PLUGGY_PROJECT,
    STEVEDORE_NAMESPACE,
    Site,
    category_of,
    component_name,
)

SPAWN = Path(__file__).resolve().parent / "spawn.py"

#: "warm": a fresh XDG_CACHE_HOME per scenario, filled by one unmeasured run first.
#: "cold": TORCHPLUG_CACHE=0 and a new, empty XDG_CACHE_HOME for every run.
WARM, COLD = "warm", "cold"


@dataclass(frozen=True)
class Scenario:
    """One command to time; `code` is Python for ``python -c``, `cli` arguments for torchplug."""

    key: str
    label: str
    code: str = ""
    cli: tuple[str, ...] = ()
    cache: str = WARM
    imports_all: bool = False  # imports every plugin module: slow at N=1000, fewer repeats
    needs_components: bool = False  # meaningless at N=0: nothing to resolve
    expected: Callable[[Site], str] | None = None  # stdout of a correct run, checked once


def _probe(site: Site) -> tuple[str, str]:
    """The component the single-component scenarios resolve: model ``c0`` of the middle pack."""
    return category_of(0), component_name(0, site.distributions // 2)


def _count(per_dist: int) -> Callable[[Site], str]:
    return lambda site: str(site.distributions * per_dist)


def _listing(site: Site) -> str:
    return str(site.components)  # rows of the generated packs; others may be installed too


_BUILD = """\
import sys, torchplug
category, name = sys.argv[1:3]
print(torchplug.registry.build(category, {"type": name, "width": 4}).kind)
"""
_STEVEDORE_ALL = f"""\
from stevedore import ExtensionManager
print(len(ExtensionManager({STEVEDORE_NAMESPACE!r}).extensions))
"""
_STEVEDORE_ONE = f"""\
import sys
from stevedore import DriverManager
print(DriverManager({STEVEDORE_NAMESPACE!r}, name=sys.argv[2]).driver.__name__)
"""
_PLUGGY = f"""\
import pluggy
class Spec:
    @pluggy.HookspecMarker({PLUGGY_PROJECT!r})
    def bench_component(self): ...
pm = pluggy.PluginManager({PLUGGY_PROJECT!r})
pm.add_hookspecs(Spec)
print(pm.load_setuptools_entrypoints({PLUGGY_GROUP!r}))
"""
_CATALOGUE_ONE = f"""\
import sys, catalogue
print(catalogue.create(*{CATALOGUE_NAMESPACE!r}, entry_points=True).get(sys.argv[2]).__name__)
"""
_CATALOGUE_ALL = f"""\
import catalogue
print(len(catalogue.create(*{CATALOGUE_NAMESPACE!r}, entry_points=True).get_all()))
"""
# What any entry-point registry must do at least: read every entry_points.txt on sys.path.
# It counts only the generated packs, whatever else is installed.
_RAW_SCAN = """\
import importlib_metadata
eps = importlib_metadata.entry_points()
print(sum(1 for ep in eps if ep.group.startswith("torchplug.") and ep.value.startswith("bench_")))
"""

SCENARIOS: tuple[Scenario, ...] = (
    Scenario("python", "python -c pass", code="pass", expected=lambda s: ""),
    Scenario("import", "python -c 'import torchplug'", code="import torchplug"),
    Scenario("list_cold", "torchplug list (cold)", cli=("list",), cache=COLD, expected=_listing),
    Scenario("list_warm", "torchplug list (warm)", cli=("list",), expected=_listing),
    Scenario(
        "build_cold",
        "torchplug build one (cold)",
        code=_BUILD,
        cache=COLD,
        needs_components=True,
        expected=lambda s: "c0",
    ),
    Scenario(
        "build_warm",
        "torchplug build one (warm)",
        code=_BUILD,
        needs_components=True,
        expected=lambda s: "c0",
    ),
    Scenario("raw_scan", "importlib_metadata.entry_points()", code=_RAW_SCAN, expected=_count(10)),
    Scenario(
        "stevedore_all",
        "stevedore ExtensionManager",
        code=_STEVEDORE_ALL,
        imports_all=True,
        expected=_count(10),
    ),
    Scenario(
        "stevedore_one",
        "stevedore DriverManager",
        code=_STEVEDORE_ONE,
        needs_components=True,
        expected=lambda s: "build_c0",
    ),
    Scenario(
        "pluggy",
        "pluggy load_setuptools_entrypoints",
        code=_PLUGGY,
        imports_all=True,
        expected=_count(1),
    ),
    Scenario(
        "catalogue_one",
        "catalogue get",
        code=_CATALOGUE_ONE,
        needs_components=True,
        expected=lambda s: "build_c0",
    ),
    Scenario(
        "catalogue_all",
        "catalogue get_all",
        code=_CATALOGUE_ALL,
        imports_all=True,
        expected=_count(10),
    ),
)


@dataclass(frozen=True)
class Run:
    """One measured child process."""

    wall: float  # seconds, spawn to exit
    max_rss_kib: int
    cpu: float  # seconds of user and system time
    stdout: str


def torchplug_command() -> list[str]:
    """The installed console script, as a user runs it; ``python -m torchplug`` if there is none."""
    script = Path(sys.executable).parent / "torchplug"
    return [str(script)] if script.exists() else [sys.executable, "-m", "torchplug"]


def command(scenario: Scenario, site: Site) -> list[str]:
    if scenario.cli:
        return [*torchplug_command(), *scenario.cli]
    return [sys.executable, "-c", scenario.code, *_probe(site)]


def environment(site: Site, cache_home: Path, cache: str, pycache: Path) -> dict[str, str]:
    """A minimal environment, so that nothing of the caller's shell changes what is measured.

    Byte code is cached under `pycache`, as pip's install-time compile would leave it, without
    writing into the checkout (a shell with PYTHONDONTWRITEBYTECODE would otherwise measure the
    compiler).
    """
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "LC_ALL": "C.UTF-8",
        "PYTHONPATH": str(site.path),
        "PYTHONNOUSERSITE": "1",
        "XDG_CACHE_HOME": str(cache_home),
        "PYTHONPYCACHEPREFIX": str(pycache),
    }
    if cache == COLD:
        env["TORCHPLUG_CACHE"] = "0"
    return env


def run_once(argv: list[str], env: dict[str, str], capture: bool = False) -> Run:
    """Spawn, wait and measure one child; a failing child is an error, never a fast sample.

    The child is started by spawn.py, which measures it (see there for why not from here).
    """
    wrapper = [sys.executable, "-S", "-E", str(SPAWN)]
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.NamedTemporaryFile("r", suffix=".txt") as result,
    ):
        stdout = out if capture else subprocess.DEVNULL
        code = subprocess.run(
            [*wrapper, result.name, *argv], env=env, stdout=stdout, stderr=err
        ).returncode
        if code != 0:
            err.seek(0)
            raise RuntimeError(
                f"{argv[:3]} exited with {code}:\n{err.read().decode(errors='replace')}"
            )
        wall, rss, cpu, _ = result.read().split()
        out.seek(0)
        return Run(float(wall), int(rss), float(cpu), out.read().decode(errors="replace"))


class ScenarioRunner:
    """Runs one scenario repeatedly against one site, keeping its own cache directory."""

    def __init__(self, scenario: Scenario, site: Site, workdir: Path) -> None:
        self.scenario = scenario
        self.site = site
        self._workdir = workdir
        self._cache_home = Path(tempfile.mkdtemp(prefix=f"xdg-{scenario.key}-", dir=workdir))
        self.runs: list[Run] = []

    def _env(self) -> dict[str, str]:
        home = self._cache_home
        if self.scenario.cache == COLD:
            home = Path(tempfile.mkdtemp(prefix=f"xdg-{self.scenario.key}-", dir=self._workdir))
        return environment(self.site, home, self.scenario.cache, self._workdir / "pycache")

    def warm_up(self) -> None:
        """One unmeasured run: fills caches (warm) and the OS's file cache; checks the output."""
        run = run_once(command(self.scenario, self.site), self._env(), capture=True)
        expected = self.scenario.expected
        if expected is None:
            return
        got = run.stdout.strip()
        if self.scenario.cli:  # the listing: count the generated packs' rows
            got = str(sum("bench-pack-" in line for line in run.stdout.splitlines()))
        if got != expected(self.site):
            raise RuntimeError(
                f"{self.scenario.label} at N={self.site.distributions} printed {got!r}, "
                f"expected {expected(self.site)!r}: the benchmark measures the wrong thing"
            )

    def measure(self) -> None:
        self.runs.append(run_once(command(self.scenario, self.site), self._env()))

    def cache_files(self) -> list[str]:
        """What the runs left in the warm cache directory: shows whether a cache was in play."""
        root = self._cache_home
        return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
