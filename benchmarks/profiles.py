"""Profiles of what a missed target measures: where its time, imports or memory go.

Run after the measurements, only for the targets missed, in the same environment, working
directory and cache as the measured side: the scenario's command under cProfile (with the
garbage collector's pauses timed through ``gc.callbacks``, which cProfile does not show), under
``-X importtime``, and for the memory target under tracemalloc. Profiling slows the child, so
these say where the time goes, not how much there is: the measured figures are the page's
tables.
"""

from __future__ import annotations

import json
import os
import pstats
import statistics
import subprocess
import sys
from pathlib import Path

import surface
from results import Profile
from scenarios import COLD, ScenarioRunner

# ``python -c`` wrappers: argv = OUT, CODE, then the scenario's own arguments. Running the code
# with ``-c`` keeps sys.path[0] the current directory, as in the measured runs.
_CPROFILE = """\
import cProfile, gc, json, sys, time
out, code = sys.argv[1:3]
sys.argv = [sys.argv[0], *sys.argv[3:]]
pauses = [0.0, 0, 0.0]
def on_gc(phase, info):
    if phase == "start":
        pauses[2] = time.perf_counter()
    else:
        pauses[0] += time.perf_counter() - pauses[2]
        pauses[1] += 1
gc.callbacks.append(on_gc)
profiler = cProfile.Profile()
namespace = {"__name__": "__main__"}
try:
    profiler.runctx(code, namespace, namespace)
except SystemExit:
    pass
finally:
    profiler.dump_stats(out)
    with open(out + ".gc", "w") as f:
        json.dump({"seconds": pauses[0], "collections": pauses[1]}, f)
"""
# Marks where interpreter start-up ends in ``-X importtime`` output (both go to stderr, in order).
_STARTED = "-- the scenario's code starts --"
_EXEC = f"import sys; print({_STARTED!r}, file=sys.stderr); sys.argv.pop(1); exec(sys.argv.pop(1))"
_TRACEMALLOC = """\
import sys, tracemalloc
tracemalloc.start(1)
out, code = sys.argv[1:3]
sys.argv = [sys.argv[0], *sys.argv[3:]]
namespace = {"__name__": "__main__"}
try:
    exec(compile(code, "<scenario>", "exec"), namespace)
except SystemExit:
    pass
current, peak = tracemalloc.get_traced_memory()
stats = tracemalloc.take_snapshot().statistics("lineno")
with open(out, "w") as f:
    f.write(f"{peak} {current}\\n")
    for stat in stats[:15]:
        frame = stat.traceback[0]
        f.write(f"{stat.size} {stat.count} {frame.filename}:{frame.lineno}\\n")
"""


def _short(filename: str) -> str:
    """A file name as far as the package: ``torchplug/_index.py``, not the install's path."""
    parts = Path(filename).parts
    for marker in ("site-packages", "core", "src", "lib"):
        if marker in parts:
            parts = parts[len(parts) - parts[::-1].index(marker) :]
    return "/".join(parts[-3:]) if parts else filename


def _own(filename: str) -> bool:
    return any(f"{os.sep}{package}{os.sep}" in filename for package in surface.OWN_PACKAGES)


def _label(key: tuple[str, int, str]) -> str:
    filename, line, function = key
    if filename == "~":  # a built-in
        return function
    return f"{_short(filename)}:{line} {function}"


def format_stats(
    stats: pstats.Stats, *, per: int = 1, unit: str = "ms", limit: int = 12
) -> tuple[str, list[tuple[str, float]], str]:
    """Top entries by self time, and torchplug's own top entries by cumulative time.

    Times are divided by `per` (the number of calls profiled, in-process). Returns the text,
    the top self-time entries as (label, seconds), and a sentence of torchplug's own share.
    """
    scale = {"ms": 1e3, "\u00b5s": 1e6}[unit] / per
    rows = [
        (key, calls, self_time, cumulative)
        for key, (_, calls, self_time, cumulative, _) in stats.stats.items()  # type: ignore[attr-defined]
    ]
    total = sum(r[2] for r in rows)
    own = sum(r[2] for r in rows if _own(r[0][0]))
    header = f"{'self ' + unit:>10} {'cum ' + unit:>10} {'calls':>9}  function"

    def table(selected: list[tuple[tuple[str, int, str], int, float, float]]) -> list[str]:
        return [
            f"{s * scale:10.2f} {c * scale:10.2f} {n / per:9.4g}  {_label(key)}"
            for key, n, s, c in selected
        ]

    by_self = sorted(rows, key=lambda r: -r[2])[:limit]
    by_cumulative = sorted((r for r in rows if _own(r[0][0])), key=lambda r: -r[3])[:limit]
    lines = [
        f"profiled total {total * scale:.2f} {unit}; torchplug's own code {own * scale:.2f} "
        f"{unit} of it ({own / total * 100 if total else 0:.0f}%)",
        "",
        "by self time:",
        header,
        *table(by_self),
    ]
    if by_cumulative:
        lines += ["", "torchplug's own functions by cumulative time:", header]
        lines += table(by_cumulative)
    share = (
        f"torchplug's own functions take {own * scale:.2f} of the {total * scale:.2f} {unit} "
        "profiled, in self time."
    )
    return "\n".join(lines), [(_label(r[0]), r[2] / per) for r in by_self], share


def parse_importtime(stderr: str) -> list[tuple[str, int, float, float]]:
    """(module, depth, self ms, cumulative ms) of every ``-X importtime`` line, in order."""
    rows = []
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "[us]" in line:
            continue
        self_us, cumulative_us, field = line[len("import time:") :].split("|", 2)
        depth = (len(field) - len(field.lstrip()) - 1) // 2
        rows.append((field.strip(), depth, int(self_us) / 1e3, int(cumulative_us) / 1e3))
    return rows


def top_sentence(top: list[tuple[str, float]], unit: str) -> str:
    """The three largest self times of a profile, as a sentence for the page.

    ``exec`` is left out: it stands for running module bodies, whose work shows as their own
    entries.
    """
    scale = {"ms": 1e3, "\u00b5s": 1e6}[unit]
    kept = [(label, seconds) for label, seconds in top if "builtins.exec" not in label]
    entries = ", ".join(f"`{label}` {seconds * scale:.2f} {unit}" for label, seconds in kept[:3])
    return f"Under cProfile the largest self times are {entries}."


def _importtime_text(rows: list[tuple[str, int, float, float]], limit: int = 10) -> tuple[str, str]:
    """The top modules by self time, and a sentence of the top packages."""
    by_package: dict[str, float] = {}
    for name, _, self_ms, _ in rows:
        top = name.split(".")[0]
        by_package[top] = by_package.get(top, 0.0) + self_ms
    packages = sorted(by_package.items(), key=lambda kv: -kv[1])[:8]
    spent = ", ".join(f"{name} {ms:.1f}" for name, ms in packages)
    total = sum(r[2] for r in rows)
    lines = [
        f"{total:.1f} ms importing {len(rows)} modules; by top-level package (ms): {spent}",
        "",
        f"{'self ms':>9} {'cum ms':>9}  module",
    ]
    for name, _, self_ms, cumulative in sorted(rows, key=lambda r: -r[2])[:limit]:
        lines.append(f"{self_ms:9.2f} {cumulative:9.2f}  {name}")
    summary = (
        f"Under `-X importtime` it spends {total:.1f} ms importing {len(rows)} modules, "
        f"the most in {', '.join(f'{name} ({ms:.1f} ms)' for name, ms in packages[:3])}."
    )
    return "\n".join(lines), summary


class Profiler:
    """Profiles runners' commands, each kind of profile once per scenario and N."""

    def __init__(self, workdir: Path) -> None:
        self._dir = workdir / "profiles"
        self._dir.mkdir(parents=True, exist_ok=True)
        self._done: dict[tuple[str, int, str], Profile] = {}
        self._warmed: set[int] = set()  # runners whose cache has been filled for ``-c``

    def _run(self, runner: ScenarioRunner, flags: list[str], boot: str, out: Path) -> str:
        """The scenario's code run by `boot` in its environment and cwd.

        A warm CLI scenario is first run once more unprofiled: under ``-c`` its sys.path[0] is
        the cwd, not the script's folder, and a cache keyed by sys.path must be filled for it.
        ``python -c`` scenarios were measured with that sys.path: their cache is warm already.
        """
        code = surface.run_module_code() if runner.scenario.is_cli else runner.scenario.code
        argv = [sys.executable, *flags, "-c", boot, str(out), code, *runner.arguments()]
        warm_cli = runner.scenario.is_cli and runner.scenario.cache != COLD
        times = 2 if warm_cli and id(runner) not in self._warmed else 1
        self._warmed.add(id(runner))
        stderr = ""
        for _ in range(times):
            runner.touch()
            env, _ = runner.environment()
            done = subprocess.run(
                argv, env=env, cwd=runner.cwd, capture_output=True, text=True, check=False
            )
            if done.returncode != 0:
                raise RuntimeError(f"profiling {runner.scenario.key} failed:\n{done.stderr}")
            stderr = done.stderr
        return stderr

    def cprofile(self, runner: ScenarioRunner) -> Profile:
        key = (runner.scenario.key, runner.site.distributions, "cprofile")
        if key not in self._done:
            out = self._dir / f"{key[0]}-{key[1]}.prof"
            self._run(runner, [], _CPROFILE, out)
            text, top, share = format_stats(pstats.Stats(str(out)))
            pauses = json.loads(Path(f"{out}.gc").read_text())
            collected = (
                f"garbage collection: {pauses['collections']} collections, "
                f"{pauses['seconds'] * 1e3:.1f} ms of pauses"
            )
            title = f"cProfile of {runner.scenario.label}, N={runner.site.distributions}"
            summary = f"{top_sentence(top, 'ms')} {share} {collected[0].upper()}{collected[1:]}."
            self._done[key] = Profile(title, f"{collected}\n{text}", summary)
        return self._done[key]

    def importtime(self, runner: ScenarioRunner) -> Profile:
        key = (runner.scenario.key, runner.site.distributions, "importtime")
        if key not in self._done:
            stderr = self._run(runner, ["-X", "importtime"], _EXEC, Path("-"))
            stderr = stderr.partition(_STARTED)[2]
            title = f"-X importtime of {runner.scenario.label}, N={runner.site.distributions}"
            text, summary = _importtime_text(parse_importtime(stderr))
            self._done[key] = Profile(title, text, summary)
        return self._done[key]

    def memory(self, runner: ScenarioRunner) -> Profile:
        key = (runner.scenario.key, runner.site.distributions, "memory")
        if key not in self._done:
            out = self._dir / f"{key[0]}-{key[1]}.memory"
            self._run(runner, [], _TRACEMALLOC, out)
            first, *rows = out.read_text().splitlines()
            peak, current = (int(x) for x in first.split())
            lines = [
                f"traced by tracemalloc: peak {peak / 2**20:.1f} MiB, still held at exit "
                f"{current / 2**20:.1f} MiB; the largest holders at exit:",
                "",
                f"{'KiB':>9} {'blocks':>8}  allocated at",
            ]
            for row in rows:
                size, count, where = row.split(" ", 2)
                filename, _, line = where.rpartition(":")
                lines.append(f"{int(size) / 1024:9.1f} {count:>8}  {_short(filename)}:{line}")
            title = f"tracemalloc of {runner.scenario.label}, N={runner.site.distributions}"
            summary = (
                f"tracemalloc sees a peak of {peak / 2**20:.1f} MiB of Python allocations, "
                f"{current / 2**20:.1f} MiB still held at exit."
            )
            self._done[key] = Profile(title, "\n".join(lines), summary)
        return self._done[key]


def import_profile(runner: ScenarioRunner, runs: int) -> list[tuple[str, str, float, float]]:
    """Median ``-X importtime`` figures of each module `import torchplug` imports, with its
    importer, over `runs` fresh interpreters (after one that fills the byte-code cache)."""
    samples: dict[str, list[tuple[str, float, float]]] = {}
    env, _ = runner.environment()
    for index in range(runs + 1):
        done = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", surface.IMPORT_CODE],
            env=env,
            cwd=runner.cwd,
            capture_output=True,
            text=True,
            check=True,
        )
        if index == 0:
            continue
        rows = parse_importtime(done.stderr)
        start = max(
            (i for i, r in enumerate(rows) if r[1] == 0 and r[0] != surface.PACKAGE), default=-1
        )
        rows = rows[start + 1 :]  # what precedes is the interpreter's own start-up
        for position, (name, depth, self_ms, cumulative_ms) in enumerate(rows):
            parent = next((r[0] for r in rows[position + 1 :] if r[1] < depth), "")
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
