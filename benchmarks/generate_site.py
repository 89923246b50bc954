"""Write a synthetic site directory of N installed plugin distributions, for the benchmarks.

Each distribution ``bench-pack-<i>`` is what pip would leave behind: a ``dist-info`` folder
(METADATA, entry_points.txt, RECORD) and one module, ``bench_pack_<i>.py``, whose import burns
about 5 ms of CPU and imports nothing, so that "imports every plugin" and "imports one plugin"
differ as they do with real packs, and importing one module is a floor nothing else inflates.
The same ten builders are declared in torchplug's groups and in each peer's convention, so every
tool reads the same files and imports the same modules:

* ``torchplug.<category>``: two components per category, named ``c<k>_p<i>``;
* ``bench.plugins``: the same ten, as a stevedore namespace;
* ``bench_components``: the same ten, as catalogue's ``create("bench", "components")`` reads them;
* ``bench_pluggy``: the module itself, a pluggy plugin with one ``bench_component`` hookimpl.

Sites are generated once per set of parameters and reused (``cached_site``): writing the
N=10000 one takes longer than measuring with it. Run ``python benchmarks/generate_site.py DIR
-n 100`` to inspect one by hand.
"""

from __future__ import annotations

import argparse
import compileall
import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

#: Five categories, two components each: ten entry points per distribution.
CATEGORIES = ("model", "loss", "metric", "callback", "logger")
COMPONENTS_PER_DIST = 10
#: Groups of the peers' conventions (see the module docstring).
STEVEDORE_NAMESPACE = "bench.plugins"
CATALOGUE_NAMESPACE = ("bench", "components")
PLUGGY_GROUP = "bench_pluggy"
PLUGGY_PROJECT = "bench"
#: Iterations of the busy loop run at import: about 5 ms of CPU on a 2020s server core, as
#: issue 13 assumes of a pack's module.
DEFAULT_BURN = 100_000

_MODULE = '''\
"""Synthetic plugin {index} of the torchplug benchmarks: importing it costs CPU on purpose."""


def _burn(iterations):
    # A deterministic busy loop stands in for the module-level work of a real plugin
    # (importing its own dependencies, building tables).
    x = 0
    for i in range(iterations):
        x = (x * 31 + i) % 1000003
    return x


CHECKSUM = _burn({burn})


class Built:
    """What every builder returns: a plain object that can carry torchplug's provenance."""

    def __init__(self, kind, **hyperparameters):
        self.kind = kind
        self.hyperparameters = hyperparameters


def bench_component():
    return {index}


# What ``pluggy.HookimplMarker({project!r})`` would set, written out so that the module imports
# nothing: importing pluggy here would put pluggy's import into every "import one plugin" figure.
bench_component.{project}_impl = dict(
    wrapper=False, hookwrapper=False, optionalhook=False, tryfirst=False, trylast=False,
    specname=None,
)

{builders}'''

_BUILDER = """
def build_c{k}(width: int = 8, depth: int = 2) -> Built:
    return Built("c{k}", width=width, depth=depth)
"""


@dataclass(frozen=True)
class Site:
    """A generated site directory and what it holds."""

    path: Path
    distributions: int

    @property
    def components(self) -> int:
        return self.distributions * COMPONENTS_PER_DIST


def component_name(k: int, index: int) -> str:
    """The name of builder `k` of distribution `index`: unique across the whole site."""
    return f"c{k}_p{index}"


def category_of(k: int) -> str:
    """The torchplug category of builder `k` (every distribution spreads them the same way)."""
    return CATEGORIES[k % len(CATEGORIES)]


def module_name(index: int) -> str:
    return f"bench_pack_{index}"


def module_source(index: int, burn: int) -> str:
    """The plugin module: a busy loop at import, a pluggy hookimpl and ten builders."""
    builders = "".join(_BUILDER.format(k=k) for k in range(COMPONENTS_PER_DIST))
    return _MODULE.format(index=index, project=PLUGGY_PROJECT, burn=burn, builders=builders)


def entry_points_text(index: int) -> str:
    """entry_points.txt of one distribution: torchplug's groups, then each peer's."""
    module = module_name(index)
    by_group: dict[str, list[str]] = {}
    for k in range(COMPONENTS_PER_DIST):
        line = f"{component_name(k, index)} = {module}:build_c{k}"
        by_group.setdefault(f"torchplug.{category_of(k)}", []).append(line)
        by_group.setdefault(STEVEDORE_NAMESPACE, []).append(line)
        by_group.setdefault("_".join(CATALOGUE_NAMESPACE), []).append(line)
    by_group[PLUGGY_GROUP] = [f"{module} = {module}"]
    return "".join(f"[{group}]\n" + "\n".join(lines) + "\n\n" for group, lines in by_group.items())


def write_distribution(site: Path, index: int, burn: int) -> None:
    """One installed distribution, laid out as pip installs a wheel."""
    module = module_name(index)
    info = site / f"{module}-1.0.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: bench-pack-{index}\nVersion: 1.0.0\n"
        f"Summary: synthetic torchplug benchmark plugin {index}\n",
        encoding="utf-8",
    )
    (info / "entry_points.txt").write_text(entry_points_text(index), encoding="utf-8")
    (info / "INSTALLER").write_text("pip\n", encoding="utf-8")
    (site / f"{module}.py").write_text(module_source(index, burn), encoding="utf-8")
    record = [f"{module}.py,,", *(f"{info.name}/{f},," for f in ("METADATA", "entry_points.txt"))]
    (info / "RECORD").write_text("\n".join([*record, f"{info.name}/RECORD,,"]) + "\n")


def generate_site(path: Path, distributions: int, burn: int = DEFAULT_BURN) -> Site:
    """Write `distributions` plugin distributions into the empty or new directory `path`.

    The modules are byte-compiled as pip does on install, so that no measured import pays for
    compiling and no run writes into the site (which is reused, and whose modification time a
    cache may watch).
    """
    path.mkdir(parents=True, exist_ok=True)
    if any(path.iterdir()):
        raise FileExistsError(f"{path} is not empty; the generator writes into a fresh directory")
    for index in range(distributions):
        write_distribution(path, index, burn)
    compileall.compile_dir(str(path), quiet=1, maxlevels=0)
    return Site(path, distributions)


def _parameters_key(distributions: int, burn: int) -> str:
    """Names a site by everything that shapes it: N, the burn and this generator's own source."""
    source = Path(__file__).read_bytes()
    digest = hashlib.sha256(source + f"|{distributions}|{burn}".encode()).hexdigest()[:12]
    return f"n{distributions}-burn{burn}-{digest}"


def cached_site(root: Path, distributions: int, burn: int = DEFAULT_BURN) -> Site:
    """The site for these parameters under `root`, generated on first use and reused after.

    Generated into a temporary sibling and renamed into place, so an interrupted run leaves no
    half-written site to be reused. Sites of the same N from an older generator are removed:
    at N=10000 each is some 300 MB of small files. Runs must never write into a site.
    """
    root.mkdir(parents=True, exist_ok=True)
    key = _parameters_key(distributions, burn)
    path = root / key
    if path.is_dir():
        return Site(path, distributions)
    prefix = f"n{distributions}-burn{burn}-"
    for stale in root.iterdir():
        if stale.name.startswith((prefix, f".tmp-{prefix}")) and stale.name != key:
            shutil.rmtree(stale, ignore_errors=True)
    scratch = root / f".tmp-{key}-{os.getpid()}"
    generate_site(scratch, distributions, burn)
    scratch.rename(path)
    return Site(path, distributions)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path, help="an empty or new directory")
    parser.add_argument("-n", "--distributions", type=int, default=100)
    parser.add_argument("--burn", type=int, default=DEFAULT_BURN, help="busy-loop iterations")
    args = parser.parse_args()
    site = generate_site(args.path, args.distributions, args.burn)
    print(f"{site.distributions} distributions, {site.components} components in {site.path}")


if __name__ == "__main__":
    main()
