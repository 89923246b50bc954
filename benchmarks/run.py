"""Run the benchmark of issue #5 and write docs/pages/benchmarks.md and docs/pages/benchmarks.png.

Usage: ``python benchmarks/run.py`` (full, a few minutes) or ``python benchmarks/run.py --quick``
(smoke run, written to a temporary directory unless ``--out`` is given). The interpreter running
this script is the one measured: it needs torchplug and benchmarks/requirements.txt installed.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from generate_site import (
    DEFAULT_BURN,
    Site,
    category_of,
    component_name,
    generate_site,
    module_name,
)
from report import markdown, plot
from scenarios import COLD, SCENARIOS, WARM, ScenarioRunner, environment
from targets import Results, misses, summarize, targets_table

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PACKAGES = ("torchplug", "importlib-metadata", "pluggy", "stevedore", "catalogue", "matplotlib")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def check_requirements() -> None:
    """Fail early, naming the fix, rather than half-way through a run."""
    missing = []
    for module in ("torchplug", "importlib_metadata", "pluggy", "stevedore", "catalogue"):
        try:
            __import__(module)
        except ImportError:
            missing.append(module)
    if shutil.which("git") is None:
        log("git not found: the report will not name the commit")
    if missing:
        raise SystemExit(
            f"missing {', '.join(missing)}: pip install -e . -r benchmarks/requirements.txt "
            "into the interpreter that runs this script"
        )


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _commit() -> str:
    try:
        head = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "core"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""
    return head + (" with uncommitted core changes" if dirty else "")


def machine() -> dict[str, str]:
    """What the page states about the machine and the versions measured."""
    import importlib_metadata

    info = {
        "cpu": _cpu_model(),
        "cores": str(os.cpu_count()),
        "os": platform.platform(terse=True),
        "python": f"{platform.python_version()} ({platform.python_implementation()})",
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }
    for package in PACKAGES:
        try:
            info[f"pkg:{package}"] = importlib_metadata.version(package)
        except importlib_metadata.PackageNotFoundError:
            info[f"pkg:{package}"] = "not installed"
    commit = _commit()
    if commit:
        info["pkg:torchplug"] += f" (git {commit})"
    return info


def run_whole(
    sites: list[Site], workdir: Path, repeats: int, heavy_repeats: int, load: list[float]
) -> dict[int, list[ScenarioRunner]]:
    """Every scenario on every site, interleaved round by round across sites and scenarios.

    Interleaving spreads any change of the machine's load over all sizes and scenarios alike,
    instead of bending one size's figures. `load` collects the load average at each round.
    """
    runners = {
        site.distributions: [
            ScenarioRunner(s, site, workdir)
            for s in SCENARIOS
            if site.distributions > 0 or not s.needs_components
        ]
        for site in sites
    }
    for each in runners.values():
        for runner in each:
            runner.warm_up()

    def wanted(runner: ScenarioRunner) -> int:
        heavy = runner.scenario.imports_all and runner.site.distributions > 100
        return heavy_repeats if heavy else repeats

    for round_ in range(max(repeats, heavy_repeats)):
        log(f"  round {round_ + 1} of {max(repeats, heavy_repeats)}")
        load.append(os.getloadavg()[0])
        for each in runners.values():
            for runner in each:
                if round_ < wanted(runner):
                    runner.measure()
    load.append(os.getloadavg()[0])
    return runners


def run_micro(site: Site, workdir: Path, repeats: int) -> dict[str, float]:
    """The in-process figures, measured in a child that sees the site like a user's script."""
    probe = site.distributions // 2
    modules = [module_name(i) for i in range(site.distributions) if i != probe][:50]
    argv = [
        sys.executable,
        str(HERE / "micro.py"),
        category_of(0),
        component_name(0, probe),
        str(repeats),
        *modules,
    ]
    env = environment(site, workdir / "xdg-micro", COLD, workdir / "pycache")
    out = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"micro.py failed:\n{out.stderr}")
    return dict(json.loads(out.stdout))


def _breakdown_runs(env: dict[str, str], runs: int, *flags: str) -> list[dict[str, float]]:
    """Runs of breakdown.py after one that fills the caches; raises if it fails."""
    samples = []
    for index in range(runs + 1):
        out = subprocess.run(
            [sys.executable, str(HERE / "breakdown.py"), *flags],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if out.returncode != 0:
            raise RuntimeError(out.stderr)
        if index > 0:
            samples.append(json.loads(out.stdout))
    return samples


def list_breakdown(site: Site, workdir: Path, runs: int) -> dict[str, dict[str, float]]:
    """Cold and warm in-process splits of ``torchplug list`` (breakdown.py); empty if it fails.

    The parts come from one run, the one of median total (parts of different runs would not add
    up), measured with the garbage collector off; ``gc`` is what collection adds to one listing,
    the difference of the median totals with the collector on and off. A failure is logged and
    the page goes without: this explains the measurements, it is not one of them.
    """
    found: dict[str, dict[str, float]] = {}
    for cache in (COLD, WARM):
        env = environment(site, workdir / f"xdg-breakdown-{cache}", cache, workdir / "pycache")
        try:
            split = _breakdown_runs(env, runs, "parts")
            collected = _breakdown_runs(env, runs, "listing")
            uncollected = _breakdown_runs(env, runs, "listing", "--no-gc")
        except RuntimeError as exc:
            log(f"breakdown.py failed, left out of the page:\n{exc}")
            return {}
        split.sort(key=lambda s: sum(s.values()))
        parts = dict(split[len(split) // 2])
        parts["gc"] = statistics.median(s["total"] for s in collected) - statistics.median(
            s["total"] for s in uncollected
        )
        found[cache] = parts
    return found


def _parse_importtime(stderr: str) -> list[tuple[str, str, float, float]]:
    """(module, importer, self ms, cumulative ms) of each module `import torchplug` imported."""
    rows: list[tuple[str, int, float, float]] = []
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "[us]" in line:
            continue
        self_us, cumulative_us, field = line[len("import time:") :].split("|", 2)
        depth = (len(field) - len(field.lstrip()) - 1) // 2
        rows.append((field.strip(), depth, int(self_us) / 1e3, int(cumulative_us) / 1e3))
        if depth == 0 and field.strip() != "torchplug":
            rows = []  # a module of interpreter start-up, not of the import measured
    result = []
    for index, (name, depth, self_ms, cumulative_ms) in enumerate(rows):
        parent = next((r[0] for r in rows[index + 1 :] if r[1] < depth), "")
        result.append((name, parent, self_ms, cumulative_ms))
    return result


def import_profile(site: Site, workdir: Path, runs: int) -> list[tuple[str, str, float, float]]:
    """Median ``-X importtime`` figures per module over `runs` fresh interpreters."""
    env = environment(site, workdir / "xdg-importtime", COLD, workdir / "pycache")
    samples: dict[str, list[tuple[str, float, float]]] = {}
    for index in range(runs + 1):
        out = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", "import torchplug"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        if index == 0:
            continue  # this run only fills the byte-code cache
        for name, parent, self_ms, cumulative_ms in _parse_importtime(out.stderr):
            samples.setdefault(name, []).append((parent, self_ms, cumulative_ms))
    return [
        (
            name,
            values[0][0],
            statistics.median(v[1] for v in values),
            statistics.median(v[2] for v in values),
        )
        for name, values in samples.items()
    ]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: N=0,20, one run each")
    parser.add_argument("--sizes", help="comma-separated N (default 0,100,1000)")
    parser.add_argument("--repeats", type=int, help="measured runs per scenario (default 5)")
    parser.add_argument(
        "--heavy-repeats",
        type=int,
        help="runs of the import-everything peers at N > 100 (default 3)",
    )
    parser.add_argument("--burn", type=int, default=DEFAULT_BURN, help="busy-loop iterations")
    parser.add_argument("--out", type=Path, help="output directory (default docs/pages)")
    parser.add_argument("--keep", action="store_true", help="keep the generated sites")
    args = parser.parse_args()
    sizes = args.sizes or ("0,20" if args.quick else "0,100,1000")
    args.sizes = tuple(sorted(int(n) for n in sizes.split(",")))
    args.repeats = args.repeats or (1 if args.quick else 5)
    args.heavy_repeats = args.heavy_repeats or (1 if args.quick else 3)
    if args.out is None:
        args.out = (
            Path(tempfile.mkdtemp(prefix="bench-out-")) if args.quick else ROOT / "docs/pages"
        )
    return args


def measure_all(args: argparse.Namespace, workdir: Path) -> Results:
    results = Results(args.sizes, machine=machine(), command=" ".join(["run.py", *sys.argv[1:]]))
    load: list[float] = []
    sites = {}
    for n in args.sizes:
        log(f"N={n}: generating the site")
        sites[n] = generate_site(workdir / f"site-{n}", n, args.burn)
    log("whole-process scenarios: warm-up and checks, then measured rounds")
    runners = run_whole(list(sites.values()), workdir, args.repeats, args.heavy_repeats, load)
    for n, each in runners.items():
        results.whole[n] = {r.scenario.key: summarize(r.runs) for r in each}
    results.cache_files = {r.scenario.key: r.cache_files() for r in runners[results.largest]}
    micro_site = next((sites[n] for n in args.sizes if n >= 20), None) or generate_site(
        workdir / "site-micro", 20, args.burn
    )
    load.append(os.getloadavg()[0])
    log(f"in-process microbenchmarks (N={micro_site.distributions})")
    results.micro = run_micro(micro_site, workdir, 3 if args.quick else 7)
    results.micro_size = micro_site.distributions
    log(f"torchplug list breakdown (N={results.largest})")
    results.breakdown = list_breakdown(sites[results.largest], workdir, 1 if args.quick else 5)
    load.append(os.getloadavg()[0])
    log("import profile")
    results.import_profile = import_profile(sites[args.sizes[0]], workdir, 2 if args.quick else 7)
    results.machine["load"] = f"{min(load):.1f} to {max(load):.1f} during the run"
    return results


def main() -> None:
    args = parse_args()
    check_requirements()
    workdir = Path(tempfile.mkdtemp(prefix="torchplug-bench-"))
    try:
        results = measure_all(args, workdir)
    finally:
        if args.keep:
            log(f"generated sites kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "benchmarks.md").write_text(markdown(results, "benchmarks.png"), encoding="utf-8")
    plot(results, args.out / "benchmarks.png")
    print("\n".join(targets_table(results)))
    for target, why in misses(results):
        print(f"missed: {target.label}: {why}")
    print(f"wrote {args.out / 'benchmarks.md'} and {args.out / 'benchmarks.png'}")


if __name__ == "__main__":
    main()
