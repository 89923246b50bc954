"""The benchmark's page: the targets with their verdicts, why each miss, every table, the plot."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from results import Results, Summary
from scenarios import BASELINE, PEER, TORCHPLUG, WARM, Scenario, scenarios
from targets import MICROSECONDS, TIMES, Outcome, Target, outcomes

NONE = "\u2013"  # an en dash: a cell with no value
MARKS = {None: "not measured", True: "\u2705 met", False: "\u274c missed"}


def _all_scenarios() -> tuple[Scenario, ...]:
    return scenarios(())  # labels and order only: the training command does not matter here


def _side(outcome: Outcome, value: float | None) -> str:
    if value is None:
        return NONE
    t = outcome.target
    if not t.whole_process:
        return f"{value * 1e9:.0f} ns" if value < 1e-6 else f"{value * 1e6:.2f} {MICROSECONDS}"
    if t.metric == "rss":
        return f"{value / 1024:.1f} MiB"
    return f"{value * 1e3:.1f} ms"


def _value(outcome: Outcome) -> str:
    t = outcome.target
    if outcome.value is None:
        return NONE
    if t.unit == MICROSECONDS:
        spread = f"{outcome.low:.1f}{NONE}{outcome.high:.1f}"
        return f"**{outcome.value:.1f} {MICROSECONDS}** ({spread})"
    spread = f"{outcome.low:.2f}{NONE}{outcome.high:.2f}"
    return f"**{outcome.value:.2f}{TIMES}** ({spread})"


def _limit(outcome: Outcome) -> str:
    t = outcome.target
    return (
        f"\u2264 {t.limit:g} {MICROSECONDS}"
        if t.unit == MICROSECONDS
        else f"\u2264 {t.limit:g}{TIMES}"
    )


def _label(results: Results, key: str) -> str:
    found = next((s for s in _all_scenarios() if s.key == key), None)
    return found.label if found else key


def targets_table(results: Results, found: list[Outcome]) -> list[str]:
    lines = [
        "| # | Target | A | B | A / B: median (min\u2013max) | Limit | Verdict | From CPU times |",
        "| --- | --- | ---: | ---: | ---: | ---: | --- | ---: |",
    ]
    for outcome in found:
        t = outcome.target
        verdict = MARKS[outcome.met]
        if outcome.met is None:
            reason = results.skipped.get(t.a) or results.skipped.get(t.id) or "not in this run"
            verdict = f"not measured: {reason}"
        lines.append(
            f"| {t.number} | {t.label} | {_side(outcome, outcome.a)} | "
            f"{_side(outcome, outcome.b)} | {_value(outcome)} | {_limit(outcome)} | {verdict} | "
            f"{NONE if outcome.cpu is None else f'{outcome.cpu:.2f}{TIMES}'} |"
        )
    return lines


def _why(results: Results, outcome: Outcome) -> list[str]:
    t = outcome.target
    sides = (
        f"A is {_label(results, t.a)} at N={t.n}; B is {_label(results, t.b)} at N={t.b_size}."
        if t.whole_process
        else "Measured in-process, the two statements timed in turn (micro.py)."
    )
    evidence = []
    if t.whole_process and outcome.cache_writes:
        evidence.append(
            f"{outcome.cache_writes} of A's {outcome.pairs} measured runs wrote to the cache "
            "directory: the cache was not valid for them, so they rebuilt it."
        )
    growth = _growth(results, t)
    if growth:
        evidence.append(growth)
    profiles = results.profiles.get(t.id, [])
    evidence += [p.summary for p in profiles if p.summary]
    lines = [
        f"### Target {t.number}: {t.label}",
        "",
        f"**By how much.** {outcome.excess()} {sides}",
        "",
        f"**Why.** {t.gap} " + " ".join(evidence),
        "",
    ]
    for profile in profiles:
        lines += [f"{profile.title}:", "", "```text", profile.text, "```", ""]
    return lines


def _growth(results: Results, t: Target) -> str:
    """How A and B change with N, when A was measured at several N: what grows is per-entry work."""
    if not t.whole_process or t.a == t.b:
        return ""
    metric, unit, scale = ("rss", "MiB", 1 / 1024) if t.metric == "rss" else ("wall", "ms", 1e3)
    cells = []
    for n in results.sizes:
        a, b = results.median(t.a, n, metric), results.median(t.b, n, metric)
        if a is not None and b is not None:
            cells.append(f"{a * scale:.0f} against {b * scale:.0f} {unit} at N={n}")
    if len(cells) < 2:
        return ""
    return f"With N, A against B (medians of all their runs): {'; '.join(cells)}."


def _whole_table(results: Results, cell: Callable[[Summary], str]) -> list[str]:
    header = " | ".join(f"N={n}" for n in results.sizes)
    lines = [f"| Scenario | {header} |", "| --- |" + " ---: |" * len(results.sizes)]
    for scenario in _all_scenarios():
        cells = []
        for n in results.sizes:
            found = results.summary(scenario.key, n)
            cells.append(NONE if found is None else cell(found))
        if any(c != NONE for c in cells):
            lines.append(f"| {scenario.label} | " + " | ".join(cells) + " |")
    return lines


def _micro_table(results: Results) -> list[str]:
    import statistics

    pairs = results.micro_pairs
    rows: list[tuple[str, float | None]] = []
    if pairs:
        rows += [
            (
                "`registry.get(category, name)`, hot",
                statistics.median(a for a, _ in pairs["get_vs_dict"]),
            ),
            ("`table[name]` (dict lookup)", statistics.median(b for _, b in pairs["get_vs_dict"])),
            (
                '`registry.build(category, {"type": name, "width": 4})`',
                statistics.median(a for a, _ in pairs["build_vs_direct"]),
            ),
            (
                "`builder(width=4)`, the builder called directly",
                statistics.median(b for _, b in pairs["build_vs_direct"]),
            ),
        ]
    m = results.micro
    rows += [
        ("`table[category][name]`", m.get("nested_dict")),
        ("a function returning `table[category][name]`", m.get("function_lookup")),
        (
            "a method returning `self.table[category][name]` (the floor of `get`'s shape)",
            m.get("method_lookup"),
        ),
        ("`registry.builder(category, spec)` (resolve and check, no call)", m.get("builder_only")),
        ("importing one synthetic pack module", m.get("module_import")),
        (
            "importing one empty module (what the import system charges any module)",
            m.get("empty_module_import"),
        ),
    ]
    lines = ["| Operation | Time per call (median) |", "| --- | ---: |"]
    for label, seconds in rows:
        if seconds is None:
            continue
        if seconds < 1e-6:
            shown = f"{seconds * 1e9:.0f} ns"
        elif seconds < 1e-3:
            shown = f"{seconds * 1e6:.2f} {MICROSECONDS}"
        else:
            shown = f"{seconds * 1e3:.2f} ms"
        lines.append(f"| {label} | {shown} |")
    return lines


def _import_table(results: Results) -> list[str]:
    lines = ["| Module | Imported by | Self | Cumulative |", "| --- | --- | ---: | ---: |"]
    for name, parent, self_ms, cumulative_ms in sorted(
        results.import_profile, key=lambda row: -row[2]
    )[:12]:
        lines.append(f"| `{name}` | `{parent}` | {self_ms:.2f} ms | {cumulative_ms:.2f} ms |")
    return lines


def _cache_table(results: Results) -> list[str]:
    """Warm scenarios' runs that wrote to their cache directory: a warm run should write nothing."""
    lines = ["| Scenario | " + " | ".join(f"N={n}" for n in results.sizes) + " |"]
    lines.append("| --- |" + " ---: |" * len(results.sizes))
    for scenario in _all_scenarios():
        if scenario.cache != WARM or scenario.kind != TORCHPLUG:
            continue
        cells = []
        for n in results.sizes:
            found = results.summary(scenario.key, n)
            cells.append(NONE if found is None else f"{found.cache_writes} of {found.runs}")
        if any(c != NONE for c in cells):
            lines.append(f"| {scenario.label} | " + " | ".join(cells) + " |")
    return lines


def _header(results: Results) -> list[str]:
    machine = results.machine
    versions = ", ".join(f"{k[4:]} {v}" for k, v in machine.items() if k.startswith("pkg:"))
    lines = [
        "# Benchmarks",
        "",
        "<!-- Generated by benchmarks/run.py (tox -e bench); edit that, not this page. -->",
        "",
        "The speed targets of issue 13 — resolving one name should cost what importing its "
        "module costs, at any number of installed packs — measured on synthetic installs of N "
        "distributions with 10 entry points each, next to stevedore, pluggy, catalogue and a "
        "raw importlib-metadata scan on the same installs. Every figure of a target is a ratio "
        "of two commands measured side by side, in turn, in the same run. See "
        "`benchmarks/README.md` for what each scenario runs.",
        "",
        f"**Machine**: {machine.get('cpu', '?')}, {machine.get('cores', '?')} cores, "
        f"{machine.get('os', '?')}; Python {machine.get('python', '?')}. "
        f"**Versions**: {versions}. **Run**: {machine.get('date', '?')}, `{results.command}`, "
        f"{machine.get('duration', '?')}; 1-minute load average {machine.get('load', '?')} "
        "(with 2 cores, above about 1 other work shared the machine; ratios of pairs suffer "
        "less from that than single times).",
        "",
    ]
    if results.quick:
        lines += [
            "**A quick smoke run**: tiny sites standing in for the issue's sizes and one run "
            "each. The figures say nothing about speed.",
            "",
        ]
    return lines


def markdown(results: Results, image: str) -> str:
    """The whole page, docs/pages/benchmarks.md."""
    found = outcomes(results)
    missed = [o for o in found if o.met is False]
    repeats = sorted({len(runs) for runs in results.runs.values() if runs})
    parts = [
        *_header(results),
        "## Targets",
        "",
        "Reported, not asserted. A and B are medians over the pairs; the figure is the median of "
        "the per-pair ratios (in-process: of per-repeat ratios or differences), with its "
        "smallest and largest. Whole-process figures are wall times from spawn to exit, except "
        "target 4 (peak RSS); the last column is the same median ratio from the children's CPU "
        "times (user + system), which other load on the machine disturbs less: where the two "
        "disagree, the machine was busy.",
        "",
        *targets_table(results, found),
        "",
        f"![Targets and whole-process wall times]({image})",
        "",
    ]
    if missed:
        parts += [
            "## Why targets are missed",
            "",
            "Each miss: by how much, what A does beyond B, and a profile of A taken after the "
            "measurements in the same environment (profilers slow the process down: they say "
            "where the time goes, the tables say how much there is).",
            "",
        ]
        for outcome in missed:
            parts += _why(results, outcome)
    else:
        parts += ["Every measured target is met.", ""]
    parts += [
        "## Whole-process wall time",
        "",
        f"Median of {'/'.join(map(str, repeats))} runs of a fresh interpreter, spawn to exit, "
        "in milliseconds, over every run of the scenario (a scenario in several pairs has more). "
        "N is the number of installed synthetic distributions, each with 10 entry points and a "
        "module that costs about "
        f"{results.micro.get('module_import', 0) * 1e3:.1f} ms to import. {NONE}: not measured "
        "at that N (nothing to resolve at N=0; the import-everything peers not at the largest N).",
        "",
        *_whole_table(results, lambda s: f"{s.wall * 1e3:.1f}"),
        "",
        "## Whole-process CPU time",
        "",
        "Median user plus system time of the child, in milliseconds.",
        "",
        *_whole_table(results, lambda s: f"{s.cpu * 1e3:.1f}"),
        "",
        "## Peak memory",
        "",
        "Median peak resident set size of the child (`ru_maxrss`), in MiB. A bare "
        "interpreter's is the floor of this measurement (see `benchmarks/spawn.py`).",
        "",
        *_whole_table(results, lambda s: f"{s.max_rss_kib / 1024:.1f}"),
        "",
        "## Cache writes of warm runs",
        "",
        "Measured runs of the warm scenarios that created or changed a file in their cache "
        "directory. A warm run whose cache is valid writes nothing.",
        "",
        *_cache_table(results),
        "",
        "## In-process",
        "",
        f"With N={results.micro_size} installed distributions and the component's module "
        "already imported; `timeit`, auto-ranged, median of repeats (the target pairs timed in "
        "turn).",
        "",
        *_micro_table(results),
        "",
        "## What `import torchplug` imports",
        "",
        "Median over runs of `python -X importtime -c 'import torchplug'`, heaviest self time "
        "first.",
        "",
        *_import_table(results),
        "",
    ]
    if results.skipped:
        parts += ["## Not measured", ""]
        parts += [f"- `{key}`: {why}" for key, why in results.skipped.items()]
        parts.append("")
    parts += [
        "## Method",
        "",
        "- Each scenario runs as its own process with `PYTHONPATH=<generated site>`, a minimal "
        "environment and its own working directory. The sites are generated once per set of "
        "generator parameters, byte-compiled as pip compiles on install, and reused across "
        "runs.",
        "- *warm*: one cache directory per scenario and N, filled by one unmeasured run. "
        "*cold*: the torchplug cache off and an empty cache directory for every run. The peers "
        "keep their own caches there too (stevedore caches its entry-point scan).",
        "- A target's two commands run back to back in every round, their order swapped from "
        "round to round; the rounds go through every N in turn. Every scenario's output is "
        "checked on its unmeasured first run (counts, names).",
        "- Each child is spawned by a minimal `python -S` wrapper, which times it from spawn to "
        "exit and reads its `ru_maxrss` and CPU time with `os.wait4`.",
        "- Target 6: before each measured run, a file is saved in the working directory as an "
        "editor saves it (written beside, renamed over), or a module is added to an extra "
        "directory on `sys.path`; B is the same build without the change.",
        "",
    ]
    return "\n".join(parts)


def plot(results: Results, path: Path) -> None:
    """Left: the targets, measured against their limits. Right: wall time against N."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    fig, (bars, lines) = plt.subplots(
        1, 2, figsize=(17, 7), dpi=110, gridspec_kw={"width_ratios": [1, 1.1]}
    )
    found = [o for o in outcomes(results) if o.value is not None]
    labels = [f"{o.target.number}: {o.target.label.replace('`', '')}" for o in found]
    shares = [o.value / o.target.limit for o in found]  # type: ignore[operator]
    colors = ["tab:green" if o.met else "tab:red" for o in found]
    ys = range(len(found))
    bars.barh(list(ys), shares, color=colors)
    bars.axvline(1.0, color="black", linewidth=1)
    bars.set_xscale("log")
    bars.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}"))
    bars.set_yticks(list(ys), labels, fontsize=7)
    bars.invert_yaxis()
    bars.set_xlabel("measured / limit (log scale; at most 1 meets the target)")
    bars.set_title("Targets of issue 13")
    for y, (share, outcome) in enumerate(zip(shares, found, strict=True)):
        shown = (
            f"{outcome.value:.1f} {MICROSECONDS}"
            if outcome.target.unit == MICROSECONDS
            else f"{outcome.value:.2f}{TIMES}"
        )
        if outcome.target.no_cache_writes and outcome.cache_writes:
            shown += ", cache rewritten"
        bars.text(share, y, f" {shown}", va="center", fontsize=7)

    positions = range(len(results.sizes))
    markers = "osD^v<>ph*XP"
    palette = plt.get_cmap("tab20")  # called with an int: the 20 colours, dark shades first
    shown_scenarios = [
        s
        for s in _all_scenarios()
        if not s.touch and not s.extra_path and not s.project and s.key != "train"
    ]
    for index, scenario in enumerate(shown_scenarios):
        points = [
            (x, results.median(scenario.key, n))
            for x, n in zip(positions, results.sizes, strict=True)
        ]
        kept = [(x, y * 1e3) for x, y in points if y is not None]
        if not kept:
            continue
        style = ":" if scenario.kind == BASELINE else "--" if scenario.kind == PEER else "-"
        lines.plot(
            [x for x, _ in kept],
            [y for _, y in kept],
            marker=markers[index % len(markers)],
            linestyle=style,
            color=palette((2 * index) % 20 + (2 * index) // 20),
            label=scenario.label,
        )
    lines.set_yscale("log")
    lines.set_xticks(list(positions), [str(n) for n in results.sizes])
    lines.set_xlabel("N, installed synthetic distributions (10 entry points each)")
    lines.set_ylabel("median wall time per process (ms, log scale)")
    lines.set_title("Whole process: dotted baselines, solid torchplug, dashed peers")
    lines.grid(True, which="both", alpha=0.3)
    lines.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"{y:g}"))
    lines.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
