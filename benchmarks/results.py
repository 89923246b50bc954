"""What one benchmark run measured: the samples, the pairs, the profiles. Data only.

Everything else reads this: targets.py judges it, report.py writes it out. Nothing here measures.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Run:
    """One measured child process."""

    wall: float  # seconds, spawn to exit
    max_rss_kib: int
    cpu: float  # seconds of user and system time
    cache_written: bool  # the run created or changed a file under its XDG_CACHE_HOME

    def metric(self, name: str) -> float:
        """``wall`` or ``cpu`` in seconds, ``rss`` in KiB."""
        return float(self.max_rss_kib) if name == "rss" else float(getattr(self, name))


@dataclass(frozen=True)
class Summary:
    """Medians over the measured runs of one scenario at one N."""

    wall: float
    max_rss_kib: float
    cpu: float
    runs: int
    cache_writes: int  # runs that wrote to the cache directory


def summarize(runs: list[Run]) -> Summary:
    return Summary(
        statistics.median(r.wall for r in runs),
        statistics.median(r.max_rss_kib for r in runs),
        statistics.median(r.cpu for r in runs),
        len(runs),
        sum(r.cache_written for r in runs),
    )


@dataclass(frozen=True)
class Profile:
    """A profile of a missed target's measured side: a title, preformatted text, and a
    sentence for the page's explanation of the miss (empty if it has none)."""

    title: str
    text: str
    summary: str = ""


@dataclass
class Results:
    """Everything one benchmark run measured; the report and the targets only read it."""

    #: The site sizes, ascending; sizes[1:4] stand for the issue's 100, 1000 and 10000.
    sizes: tuple[int, ...]
    #: (scenario key, N) -> every measured run of it, from pairs and from table rounds alike.
    runs: dict[tuple[str, int], list[Run]] = field(default_factory=dict)
    #: target id -> the (A, B) runs measured side by side, in turn.
    pairs: dict[str, list[tuple[Run, Run]]] = field(default_factory=dict)
    #: In-process figures from micro.py (seconds per call, and per-repeat pairs).
    micro: dict[str, float] = field(default_factory=dict)
    micro_pairs: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    micro_size: int = 0
    #: target id -> profiles of what was measured, for the targets missed.
    profiles: dict[str, list[Profile]] = field(default_factory=dict)
    #: (module, importer, self ms, cumulative ms) of ``import torchplug``, medians.
    import_profile: list[tuple[str, str, float, float]] = field(default_factory=list)
    #: what could not be measured, and why (target id or scenario key -> reason).
    skipped: dict[str, str] = field(default_factory=dict)
    machine: dict[str, str] = field(default_factory=dict)
    command: str = ""
    quick: bool = False

    def summary(self, key: str, n: int) -> Summary | None:
        runs = self.runs.get((key, n))
        return summarize(runs) if runs else None

    def median(self, key: str, n: int, metric: str = "wall") -> float | None:
        runs = self.runs.get((key, n))
        return statistics.median(r.metric(metric) for r in runs) if runs else None
