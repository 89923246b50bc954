"""Whole-process scenarios: what a user's command costs, from spawn to exit, in a fresh interpreter.

Each scenario is one command run with ``PYTHONPATH=<generated site>`` in its own working
directory. Wall time is measured around the child from spawn to reap, peak memory is the child's
own ``ru_maxrss`` and CPU time its user plus system time (both from ``os.wait4``, in spawn.py).
Peers run their documented entry points on the same distributions: stevedore and pluggy import
every plugin by design, which is the point of the comparison.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import surface
from generate_site import (
    CATALOGUE_NAMESPACE,
    PLUGGY_GROUP,
    PLUGGY_PROJECT,
    STEVEDORE_NAMESPACE,
    Site,
    category_of,
    component_name,
    module_name,
)
from results import Run

SPAWN = Path(__file__).resolve().parent / "spawn.py"

#: "warm": one cache directory per scenario and N, filled by one unmeasured run first.
#: "cold": the torchplug cache switched off, and a new, empty cache directory for every run.
WARM, COLD = "warm", "cold"
#: Where a scenario applies: sizes[0] is N=0; sizes[1:4] stand for the issue's 100/1000/10000.
ALL, WITH_COMPONENTS = (0, 1, 2, 3), (1, 2, 3)
#: Kinds, for the plot's line styles and the tables' order.
BASELINE, TORCHPLUG, PEER = "baseline", "torchplug", "peer"

#: A check of one run's stdout: None when it is right, else what is wrong.
Check = Callable[[Site, str], str | None]


def _printed(expected: Callable[[Site], str]) -> Check:
    def check(site: Site, stdout: str) -> str | None:
        got, want = stdout.strip(), expected(site)
        return None if got == want else f"printed {got!r}, expected {want!r}"

    return check


def _listing(site: Site, stdout: str) -> str | None:
    rows = sum("bench-pack-" in line for line in stdout.splitlines())
    return None if rows == site.components else f"listed {rows} rows of the synthetic packs"


def _category_listing(site: Site, stdout: str) -> str | None:
    lines = stdout.splitlines()
    if any("bench-pack-" in line for line in lines):
        return "listed rows of the synthetic packs, which declare no such category"
    if not any(surface.LIST_CATEGORY in line for line in lines):
        return f"listed no {surface.LIST_CATEGORY}: is torchplug-torch installed?"
    return None


@dataclass(frozen=True)
class Scenario:
    """One command to time: `code` for ``python -c`` (argv: category, name, module), or `cli`."""

    key: str
    label: str
    kind: str
    code: str = ""
    cli: tuple[str, ...] = ()
    cache: str = WARM
    roles: tuple[int, ...] = ALL  # indexes into the run's sizes where it is measured
    imports_all: bool = False  # imports every plugin module: fewer runs, not at the largest N
    #: "cwd": save a file in the working directory before every measured run; "path": add a
    #: file to an extra sys.path directory. Neither adds or removes a distribution.
    touch: str = ""
    extra_path: bool = False  # an extra, empty directory on PYTHONPATH after the site
    #: Written as pyproject.toml into the working directory: a project with its own settings.
    project: str = ""
    needs: tuple[str, ...] = ()  # import packages without which it is not measured
    check: Check | None = None  # stdout of a correct run, checked on the unmeasured first run

    @property
    def is_cli(self) -> bool:
        return bool(self.cli)


def _probe(site: Site) -> tuple[str, str, str]:
    """What single-component scenarios resolve: builder ``c0`` of the middle pack, its module."""
    index = site.distributions // 2
    return category_of(0), component_name(0, index), module_name(index)


_FLOOR = "import sys\nprint(__import__(sys.argv[3]).build_c0(width=4).kind)"
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
# The least an entry-point registry must read to resolve one name of one category: every
# distribution's entry_points.txt, filtered to the group. Counts only the synthetic packs.
_RAW_SCAN = """\
import sys, importlib_metadata
eps = importlib_metadata.entry_points(group="torchplug." + sys.argv[1])
print(sum(1 for ep in eps if ep.value.startswith("bench_")))
"""


def _count(per_dist: int) -> Check:
    return _printed(lambda site: str(site.distributions * per_dist))


_BUILT = _printed(lambda site: "c0")
#: A user's project as many are: it depends on torchplug and settles clashes with glob rules.
_PROJECT_SETTINGS = """\
[project]
name = "my-experiments"
version = "0.1.0"
dependencies = ["torchplug", "torchplug-torch"]

[tool.torchplug.prefer]
"*" = ["torchplug-torch", "torchplug-transformer"]
"model.*" = "bench-pack-0"
"""
_BUILDER = _printed(lambda site: "build_c0")
_TOUCH_ROLE = (2,)  # the N=1000
_TRAIN_ROLES = (0, 2)  # none, and the 1000 unrelated packs


def scenarios(train_args: tuple[str, ...]) -> tuple[Scenario, ...]:
    """Every scenario, in the order of the page's tables."""
    build = surface.BUILD_CODE
    return (
        Scenario("python", "python -c pass", BASELINE, code="pass", check=_printed(lambda s: "")),
        Scenario("import", "python -c 'import torchplug'", TORCHPLUG, code=surface.IMPORT_CODE),
        Scenario(
            "floor",
            "floor: import the pack's module, call its builder",
            BASELINE,
            code=_FLOOR,
            roles=WITH_COMPONENTS,
            check=_BUILT,
        ),
        Scenario(
            "raw_scan",
            "raw importlib_metadata.entry_points(group=...)",
            BASELINE,
            code=_RAW_SCAN,
            check=_count(2),
        ),
        Scenario(
            "build_warm",
            "build one (warm)",
            TORCHPLUG,
            code=build,
            roles=WITH_COMPONENTS,
            check=_BUILT,
        ),
        Scenario(
            "build_cold",
            "build one (cold)",
            TORCHPLUG,
            code=build,
            cache=COLD,
            roles=WITH_COMPONENTS,
            check=_BUILT,
        ),
        Scenario(
            "list_warm", "torchplug list (warm)", TORCHPLUG, cli=surface.LIST_ARGS, check=_listing
        ),
        Scenario(
            "list_category_warm",
            f"torchplug list {surface.LIST_CATEGORY} (warm)",
            TORCHPLUG,
            cli=surface.LIST_CATEGORY_ARGS,
            needs=surface.LIST_CATEGORY_NEEDS,
            check=_category_listing,
        ),
        Scenario(
            "list_cold",
            "torchplug list (cold)",
            TORCHPLUG,
            cli=surface.LIST_ARGS,
            cache=COLD,
            check=_listing,
        ),
        Scenario(
            "build_touch_cwd",
            "build one (warm), a file saved in the cwd before each run",
            TORCHPLUG,
            code=build,
            roles=_TOUCH_ROLE,
            touch="cwd",
            check=_BUILT,
        ),
        Scenario(
            "build_extra_path",
            "build one (warm), an extra directory on sys.path",
            TORCHPLUG,
            code=build,
            roles=_TOUCH_ROLE,
            extra_path=True,
            check=_BUILT,
        ),
        Scenario(
            "build_touch_path",
            "build one (warm), a module added to that directory before each run",
            TORCHPLUG,
            code=build,
            roles=_TOUCH_ROLE,
            touch="path",
            extra_path=True,
            check=_BUILT,
        ),
        Scenario(
            "build_project_settings",
            "build one (warm), in a project whose pyproject.toml has preferences",
            TORCHPLUG,
            code=build,
            roles=_TOUCH_ROLE,
            project=_PROJECT_SETTINGS,
            check=_BUILT,
        ),
        Scenario(
            "train",
            "torchplug run, one step",
            TORCHPLUG,
            cli=train_args,
            roles=_TRAIN_ROLES,
            needs=surface.TRAIN_NEEDS,
        ),
        Scenario(
            "stevedore_all",
            "stevedore ExtensionManager",
            PEER,
            code=_STEVEDORE_ALL,
            roles=(0, 1, 2),
            imports_all=True,
            check=_count(10),
        ),
        Scenario(
            "stevedore_one",
            "stevedore DriverManager",
            PEER,
            code=_STEVEDORE_ONE,
            roles=WITH_COMPONENTS,
            check=_BUILDER,
        ),
        Scenario(
            "pluggy",
            "pluggy load_setuptools_entrypoints",
            PEER,
            code=_PLUGGY,
            roles=(0, 1, 2),
            imports_all=True,
            check=_count(1),
        ),
        Scenario(
            "catalogue_one",
            "catalogue get",
            PEER,
            code=_CATALOGUE_ONE,
            roles=WITH_COMPONENTS,
            check=_BUILDER,
        ),
        Scenario(
            "catalogue_all",
            "catalogue get_all",
            PEER,
            code=_CATALOGUE_ALL,
            roles=(0, 1, 2),
            imports_all=True,
            check=_count(10),
        ),
    )


def environment(
    site: Site, cache_home: Path, cache: str, extra: Path | None = None
) -> dict[str, str]:
    """A minimal environment, so that nothing of the caller's shell changes what is measured.

    Byte code is read from where pip (or the site generator) compiled it, and written as usual
    for the editable core; nothing like PYTHONDONTWRITEBYTECODE passes through, which would
    measure the compiler. OPENBLAS_* pass through: on some processors they are what keeps
    torch's BLAS from crashing.
    """
    path = [str(site.path)] + ([str(extra)] if extra else [])
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "LC_ALL": "C.UTF-8",
        "PYTHONPATH": os.pathsep.join(path),
        "PYTHONNOUSERSITE": "1",
        surface.CACHE_HOME: str(cache_home),
    }
    env.update({k: v for k, v in os.environ.items() if k.startswith("OPENBLAS_")})
    if cache == COLD:
        env[surface.CACHE_SWITCH] = "0"
    return env


def _files(root: Path) -> dict[str, tuple[int, int]]:
    """(mtime, size) of every file under `root`: compared around a run, shows a cache write."""
    found = {}
    for folder, _, names in os.walk(root):
        for name in names:
            try:
                info = os.stat(os.path.join(folder, name))
            except OSError:
                continue
            found[os.path.join(folder, name)] = (info.st_mtime_ns, info.st_size)
    return found


def run_once(
    argv: list[str], env: dict[str, str], cwd: Path, cache_home: Path, capture: bool = False
) -> tuple[Run, str]:
    """Spawn, wait and measure one child; a failing child is an error, never a fast sample.

    The child is started by spawn.py, which measures it (see there for why not from here).
    Returns the run and what it printed (only when `capture`).
    """
    wrapper = [sys.executable, "-S", "-E", str(SPAWN)]
    before = _files(cache_home)
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.NamedTemporaryFile("r", suffix=".txt") as result,
    ):
        stdout = out if capture else subprocess.DEVNULL
        code = subprocess.run(
            [*wrapper, result.name, *argv], env=env, cwd=cwd, stdout=stdout, stderr=err
        ).returncode
        if code != 0:
            err.seek(0)
            raise RuntimeError(
                f"{' '.join(argv[:4])} exited with {code}:\n{err.read().decode(errors='replace')}"
            )
        wall, rss, cpu, _ = result.read().split()
        out.seek(0)
        printed = out.read().decode(errors="replace")
    written = _files(cache_home) != before
    return Run(float(wall), int(rss), float(cpu), written), printed


class ScenarioRunner:
    """Runs one scenario repeatedly against one site, in its own cwd and cache directory."""

    def __init__(self, scenario: Scenario, site: Site, workdir: Path) -> None:
        self.scenario = scenario
        self.site = site
        self._workdir = workdir
        tag = f"{scenario.key}-{site.distributions}-"
        self.cwd = Path(tempfile.mkdtemp(prefix=f"cwd-{tag}", dir=workdir))
        self.cache_home = Path(tempfile.mkdtemp(prefix=f"xdg-{tag}", dir=workdir))
        self.extra = (
            Path(tempfile.mkdtemp(prefix=f"path-{tag}", dir=workdir))
            if scenario.extra_path
            else None
        )
        if scenario.project:
            (self.cwd / "pyproject.toml").write_text(scenario.project, encoding="utf-8")
        self._saves = 0
        self.runs: list[Run] = []

    def environment(self) -> tuple[dict[str, str], Path]:
        """The child's environment and its cache directory (a new one per run when cold)."""
        home = self.cache_home
        if self.scenario.cache == COLD:
            home = Path(tempfile.mkdtemp(prefix=f"xdg-{self.scenario.key}-", dir=self._workdir))
        return environment(self.site, home, self.scenario.cache, self.extra), home

    def arguments(self) -> list[str]:
        """What follows the command: the CLI's arguments, or the probe for ``python -c`` code."""
        return list(self.scenario.cli) if self.scenario.is_cli else list(_probe(self.site))

    def argv(self) -> list[str]:
        if self.scenario.is_cli:
            return [*surface.console_script(), *self.arguments()]
        return [sys.executable, "-c", self.scenario.code, *self.arguments()]

    def touch(self) -> None:
        """Make the scenario's change, if any: a file saved as an editor saves it, or a module
        added to a directory on sys.path. Neither adds or removes a distribution."""
        self._saves += 1
        if self.scenario.touch == "cwd":
            scratch = self.cwd / "train.py.swp"
            scratch.write_text(f"steps = {self._saves}\n", encoding="utf-8")
            os.replace(scratch, self.cwd / "train.py")  # a rename: the folder's mtime moves
        elif self.scenario.touch == "path" and self.extra is not None:
            (self.extra / f"helper_{self._saves}.py").write_text("VALUE = 1\n", encoding="utf-8")

    def warm_up(self) -> None:
        """One unmeasured run: fills caches (warm) and byte code; checks what it printed."""
        env, home = self.environment()
        _, printed = run_once(self.argv(), env, self.cwd, home, capture=True)
        check = self.scenario.check
        problem = check(self.site, printed) if check else None
        if problem:
            raise RuntimeError(
                f"{self.scenario.label} at N={self.site.distributions} {problem}: "
                "the benchmark would measure the wrong thing"
            )

    def measure(self) -> Run:
        self.touch()
        env, home = self.environment()
        run, _ = run_once(self.argv(), env, self.cwd, home)
        self.runs.append(run)
        return run
