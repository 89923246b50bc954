"""Measure the targets of issue 13 and write docs/pages/benchmarks.md and docs/pages/benchmarks.png.

Usage: ``python benchmarks/run.py`` (full: 10 to 15 minutes on 2 cores) or ``python
benchmarks/run.py --quick`` (smoke run, under a minute, written to a temporary directory unless
``--out`` is given). The interpreter running this script is the one measured: it needs torchplug
and benchmarks/requirements.txt installed, and for the training and per-category targets the
first-party packs and torch (``tox -e bench`` installs all of it).
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import os
import platform
import pstats
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import surface
from generate_site import DEFAULT_BURN, Site, cached_site, category_of, component_name, module_name
from micro import PROFILED_CALLS
from profiles import Profiler, format_stats, import_profile, top_sentence
from report import markdown, plot
from results import Profile, Results
from rounds import Plan, log
from scenarios import WARM, environment, scenarios
from targets import MICROSECONDS, Outcome, outcomes, targets

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
REQUIRED = ("importlib_metadata", "pluggy", "stevedore", "catalogue", "matplotlib")
VERSIONS = ("torchplug", "importlib-metadata", "pluggy", "stevedore", "catalogue", "torch")
FULL_SIZES, QUICK_SIZES = "0,100,1000,10000", "0,10,20,40"


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def check_requirements() -> None:
    """Fail early, naming the fix, rather than half-way through a run."""
    missing = [m for m in (surface.PACKAGE, *REQUIRED) if not _installed(m)]
    if missing:
        raise SystemExit(
            f"missing {', '.join(missing)}: pip install -e . -r benchmarks/requirements.txt "
            "into the interpreter that runs this script (or run tox -e bench)"
        )


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _git(*args: str) -> str:
    try:
        return subprocess.run(
            ["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


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
    for package in VERSIONS:
        try:
            info[f"pkg:{package}"] = importlib_metadata.version(package)
        except importlib_metadata.PackageNotFoundError:
            info[f"pkg:{package}"] = "not installed"
    head = _git("rev-parse", "--short", "HEAD")
    if head:
        dirty = " with uncommitted core changes" if _git("status", "--porcelain", "core") else ""
        info[f"pkg:{surface.DISTRIBUTION}"] += f" (git {head}{dirty})"
    return info


def default_sites() -> Path:
    """Where generated sites are kept between runs: $TORCHPLUG_BENCH_SITES, else the user's cache."""
    chosen = os.environ.get("TORCHPLUG_BENCH_SITES")
    if chosen:
        return Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "torchplug-bench" / "sites"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help=f"smoke run: N={QUICK_SIZES}, one run each"
    )
    parser.add_argument(
        "--sizes",
        help=f"four comma-separated N, the first 0, standing for the issue's {FULL_SIZES}",
    )
    parser.add_argument("--repeats", type=int, help="rounds: pairs per target (default 5)")
    parser.add_argument(
        "--heavy-repeats",
        type=int,
        help="runs of the long table-only scenarios: the import-everything peers at the third "
        "N, every scenario of no target at the largest (default 3)",
    )
    parser.add_argument("--burn", type=int, default=DEFAULT_BURN, help="busy-loop iterations")
    parser.add_argument("--out", type=Path, help="output directory (default docs/pages)")
    parser.add_argument(
        "--sites",
        type=Path,
        default=default_sites(),
        help="where generated sites are kept and reused (default %(default)s)",
    )
    parser.add_argument(
        "--train-command",
        default=surface.TRAIN_ARGS,
        help="torchplug arguments of the training target; {config} is its tiny config "
        "(default: %(default)r)",
    )
    parser.add_argument(
        "--no-profiles", action="store_true", help="do not profile the missed targets"
    )
    parser.add_argument("--keep", action="store_true", help="keep the working directory")
    args = parser.parse_args()
    sizes = tuple(
        int(n) for n in (args.sizes or (QUICK_SIZES if args.quick else FULL_SIZES)).split(",")
    )
    if len(sizes) != 4 or sizes[0] != 0 or list(sizes) != sorted(set(sizes)):
        parser.error("--sizes takes four ascending N, the first 0 (e.g. 0,100,1000,10000)")
    args.sizes = sizes
    args.repeats = args.repeats or (1 if args.quick else 5)
    args.heavy_repeats = args.heavy_repeats or (1 if args.quick else 3)
    if args.out is None:
        args.out = (
            Path(tempfile.mkdtemp(prefix="bench-out-")) if args.quick else ROOT / "docs/pages"
        )
    return args


def run_micro(site: Site, workdir: Path, *mode: str) -> str:
    """micro.py in a child that sees the site like a user's script; returns what it printed."""
    probe = site.distributions // 2
    argv = [
        sys.executable,
        str(HERE / "micro.py"),
        mode[0],
        category_of(0),
        component_name(0, probe),
    ]
    argv += list(mode[1:])
    if mode[0] == "measure":
        argv += [module_name(i) for i in range(site.distributions) if i != probe][:50]
    env = environment(site, workdir / "xdg-micro", WARM)
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"micro.py {mode[0]} failed:\n{done.stderr}")
    return done.stdout


def _profile_kind(outcome: Outcome) -> str:
    t = outcome.target
    if not t.whole_process:
        return "micro"
    return "import" if t.id == "1-import" else t.metric


def profile_misses(
    results: Results, plan: Plan, site: Site, workdir: Path, missed: list[Outcome]
) -> None:
    """A profile of the measured side of every missed target, for the page."""
    profiler = Profiler(workdir)
    for outcome in missed:
        target = outcome.target
        log(f"  profiling target {target.id}")
        try:
            found: list[Profile] = []
            if not target.whole_process:
                out = workdir / f"micro-{target.id}.prof"
                which = "build" if target.unit == MICROSECONDS else "get"
                run_micro(site, workdir, "profile", str(out), which)
                text, top, share = format_stats(
                    pstats.Stats(str(out)), per=PROFILED_CALLS, unit=MICROSECONDS, limit=10
                )
                title = f"cProfile of {PROFILED_CALLS:,} calls, per call (N={site.distributions})"
                found.append(Profile(title, text, f"{top_sentence(top, MICROSECONDS)} {share}"))
            else:
                runner = plan.runners[target.a, target.n]
                if target.id == "1-import":
                    found.append(profiler.importtime(runner))
                elif target.metric == "rss":
                    found += [profiler.memory(runner), profiler.cprofile(runner)]
                else:
                    found += [profiler.cprofile(runner), profiler.importtime(runner)]
        except (RuntimeError, OSError, KeyError) as exc:
            found = [Profile("profiling failed", str(exc)[-2000:])]
        results.profiles[target.id] = found


def measure_all(args: argparse.Namespace, workdir: Path) -> Results:
    command = " ".join(["run.py", *sys.argv[1:]])
    results = Results(args.sizes, machine=machine(), command=command, quick=args.quick)
    train = surface.train_args(args.train_command)
    chosen = []
    for scenario in scenarios(train):
        missing = [m for m in scenario.needs if not _installed(m)]
        if missing:
            results.skipped[scenario.key] = f"not installed: {', '.join(missing)}"
            log(f"skipping {scenario.label}: {results.skipped[scenario.key]}")
        else:
            chosen.append(scenario)
    sites = {}
    for n in args.sizes:
        log(f"N={n}: the site (generated once, then reused from {args.sites})")
        sites[n] = cached_site(args.sites, n, args.burn)
    plan = Plan(
        chosen,
        sites,
        targets(args.sizes),
        workdir,
        args.repeats,
        args.heavy_repeats,
        extra_pairs=not args.quick,
    )
    log(f"{len(plan.runners)} scenario runners, {len(plan.pairs)} pairs: warm-up and checks")
    plan.warm_up()
    log("measured rounds")
    plan.measure(results)
    micro_site = sites[args.sizes[1]]
    log(f"in-process (N={micro_site.distributions})")
    repeats, seconds = ("3", "0.02") if args.quick else ("9", "0.2")
    micro = json.loads(run_micro(micro_site, workdir, "measure", repeats, seconds))
    results.micro_pairs = {k: [tuple(p) for p in v] for k, v in micro["pairs"].items()}
    results.micro = micro["single"]
    results.micro_size = micro_site.distributions
    log("import profile")
    results.import_profile = import_profile(
        plan.runners["import", args.sizes[0]], 2 if args.quick else 7
    )
    missed = [o for o in outcomes(results) if o.met is False]
    if args.quick:  # a smoke run: one profile of each kind is enough to know they all work
        kinds = {_profile_kind(o): o for o in reversed(missed)}
        missed = [o for o in missed if kinds[_profile_kind(o)] is o]
    if missed and not args.no_profiles:
        log(f"profiles of the {len(missed)} missed targets")
        profile_misses(results, plan, micro_site, workdir, missed)
    return results


def main() -> None:
    args = parse_args()
    check_requirements()
    workdir = Path(tempfile.mkdtemp(prefix="torchplug-bench-"))
    started = datetime.datetime.now()
    try:
        results = measure_all(args, workdir)
    finally:
        if args.keep:
            log(f"working directory kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    minutes = (datetime.datetime.now() - started).total_seconds() / 60
    results.machine["duration"] = f"{minutes:.1f} minutes"
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "benchmarks.md").write_text(markdown(results, "benchmarks.png"), encoding="utf-8")
    plot(results, args.out / "benchmarks.png")
    for outcome in outcomes(results):
        mark = {None: "not measured", True: "met", False: "MISSED"}[outcome.met]
        shown = "" if outcome.value is None else f"{outcome.value:.4g}"
        print(f"{outcome.target.id:18} {shown:>8}  (limit {outcome.target.limit:g})  {mark}")
    print(
        f"wrote {args.out / 'benchmarks.md'} and {args.out / 'benchmarks.png'} in {minutes:.1f} min"
    )


if __name__ == "__main__":
    main()
