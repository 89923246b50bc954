"""The order of the measured runs: each target's two sides in turn, round after round.

A target's figure is a ratio of two commands. Both run back to back in every round (A B, then
B A in the next, so neither always runs second, after the other has warmed the OS's caches), and
the figure is the median of the per-round ratios: a change of the machine's speed between
rounds moves both sides of a pair alike. Scenarios that belong to no target (the peers, the
cold listing) run once per round too, so the tables have every scenario at every N. Rounds go
through all sizes in turn, so no size gets the quiet or the busy minutes alone.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable
from pathlib import Path

from generate_site import Site
from results import Results
from scenarios import Scenario, ScenarioRunner
from targets import Target

_STARTED = time.monotonic()


def log(message: str) -> None:
    """Progress on stderr, with the seconds since the run started."""
    print(f"[{time.monotonic() - _STARTED:6.1f} s] {message}", file=sys.stderr, flush=True)


class Plan:
    """Every runner of this run, the pairs among them, and how many rounds each gets."""

    def __init__(
        self,
        scenarios: Iterable[Scenario],
        sites: dict[int, Site],
        targets: Iterable[Target],
        workdir: Path,
        repeats: int,
        heavy_repeats: int,
        extra_pairs: bool = True,
    ) -> None:
        """`extra_pairs`: honour targets' `pairs_per_round` (a smoke run runs one pair each)."""
        sizes = sorted(sites)
        self._extra_pairs = extra_pairs
        self._sizes = sizes
        self._repeats, self._heavy_repeats = repeats, heavy_repeats
        self.runners: dict[tuple[str, int], ScenarioRunner] = {}
        for scenario in scenarios:
            for role in scenario.roles:
                if role < len(sizes):
                    site = sites[sizes[role]]
                    runner = ScenarioRunner(scenario, site, workdir)
                    self.runners[scenario.key, site.distributions] = runner
        self.pairs: list[tuple[Target, ScenarioRunner, ScenarioRunner]] = []
        for target in targets:
            a = self.runners.get((target.a, target.n))
            b = self.runners.get((target.b, target.b_size))
            if target.whole_process and a is not None and b is not None:
                self.pairs.append((target, a, b))
        paired = {id(r) for _, a, b in self.pairs for r in (a, b)}
        self.alone = [r for r in self.runners.values() if id(r) not in paired]

    def _wanted(self, runner: ScenarioRunner) -> int:
        """Runs of a scenario of no target: fewer where they are long and only fill a table
        (the import-everything peers past the smallest sizes, everything at the largest N)."""
        n = runner.site.distributions
        heavy = runner.scenario.imports_all and n > self._sizes[1]
        return self._heavy_repeats if heavy or n == self._sizes[-1] else self._repeats

    def warm_up(self) -> None:
        """Each runner's unmeasured, checked first run, smallest N first (fails fast)."""
        for runner in sorted(self.runners.values(), key=lambda r: r.site.distributions):
            runner.warm_up()

    def measure(self, results: Results) -> None:
        """Every round; fills `results.pairs` and `results.runs`, and the load it saw."""
        load = [os.getloadavg()[0]]
        rounds = max(self._repeats, self._heavy_repeats)
        for index in range(rounds):
            log(f"  round {index + 1} of {rounds}")
            for n in self._sizes:
                for target, a, b in self.pairs:
                    if a.site.distributions != n or index >= self._repeats:
                        continue
                    for turn in range(target.pairs_per_round if self._extra_pairs else 1):
                        if (index + turn) % 2 == 0:
                            a_run, b_run = a.measure(), b.measure()
                        else:
                            b_run, a_run = b.measure(), a.measure()
                        results.pairs.setdefault(target.id, []).append((a_run, b_run))
                for runner in self.alone:
                    if runner.site.distributions == n and index < self._wanted(runner):
                        runner.measure()
            load.append(os.getloadavg()[0])
        for key, runner in self.runners.items():
            results.runs[key] = runner.runs
        results.machine["load"] = f"{min(load):.1f} to {max(load):.1f} during the measured rounds"
