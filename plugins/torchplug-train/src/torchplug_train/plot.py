"""``torchplug plot RUN_DIR``: a run's loss, eval loss and learning rate against step, as a PNG.

It reads the metrics file the metrics logger wrote (``metrics.jsonl`` or ``metrics.csv``), so it
works on any run directory, finished, interrupted or still training. matplotlib is an optional
extra of this pack (``torchplug-train[plot]``) and is imported only here; no torch is imported.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

from torchplug import TorchplugError

INSTALL = "pip install 'torchplug-train[plot]'"


class PlotError(TorchplugError):
    """The run directory has nothing to plot, or matplotlib is not installed."""


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def read_metrics(run_dir: Path) -> list[dict[str, Any]]:
    """The rows of a run's metrics file, JSONL or CSV; a torn or garbled line is skipped (bytes
    that are not UTF-8 read as U+FFFD, which never makes a number)."""
    jsonl, table = run_dir / "metrics.jsonl", run_dir / "metrics.csv"
    if jsonl.is_file():
        rows = []
        for line in jsonl.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue  # a run killed mid-write leaves half a line
            if isinstance(row, dict):
                rows.append(row)
        return rows
    if table.is_file():
        with table.open(encoding="utf-8", errors="replace", newline="") as handle:
            return list(csv.DictReader(handle))
    what = "is not a directory" if not run_dir.is_dir() else "has no metrics.jsonl or metrics.csv"
    raise PlotError(
        f"{run_dir}: {what}; give the run directory that `torchplug run` printed "
        "(Run directory: ...)"
    )


def _series(rows: list[dict[str, Any]], kind: str, key: str) -> tuple[list[float], list[float]]:
    steps, values = [], []
    for row in rows:
        step, value = _number(row.get("step")), _number(row.get(key))
        if row.get("kind") == kind and step is not None and value is not None:
            steps.append(step)
            values.append(value)
    return steps, values


def plot_run(run_dir: str | Path, output: str | Path | None = None) -> Path:
    """Write the PNG and return its path."""
    directory = Path(run_dir)
    rows = read_metrics(directory)
    train_steps, losses = _series(rows, "train", "loss")
    eval_steps, eval_losses = _series(rows, "eval", "eval_loss")
    lr_steps, lrs = _series(rows, "train", "lr")
    if not train_steps and not eval_steps:
        raise PlotError(f"{directory}: the metrics file has no training steps yet; nothing to plot")
    try:
        import matplotlib

        matplotlib.use("Agg")  # files only: no display needed
        import matplotlib.pyplot as plt
    except ImportError:
        raise PlotError(
            "plotting needs matplotlib, which is not installed. It is an optional extra of "
            f"torchplug-train: install it with `{INSTALL}` (or `pip install matplotlib`), then "
            f"run `torchplug plot {directory}` again."
        ) from None

    figure, (top, bottom) = plt.subplots(
        2, 1, figsize=(8, 6), sharex=True, gridspec_kw={"height_ratios": [3, 1]}
    )
    if train_steps:
        top.plot(train_steps, losses, color="tab:blue", linewidth=1, alpha=0.8, label="loss")
    if eval_steps:
        top.plot(
            eval_steps, eval_losses, color="tab:orange", marker="o", linewidth=2, label="eval loss"
        )
    top.set_ylabel("loss")
    top.grid(True, alpha=0.3)
    top.legend()
    top.set_title(f"{directory}")
    if lr_steps:
        bottom.plot(lr_steps, lrs, color="tab:green", linewidth=1.5)
    bottom.set_ylabel("learning rate")
    bottom.set_xlabel("step")
    bottom.grid(True, alpha=0.3)
    bottom.ticklabel_format(axis="y", style="sci", scilimits=(-3, 3))
    figure.tight_layout()
    target = Path(output) if output is not None else directory / "plot.png"
    # matplotlib takes the format from the name, and adds ".png" to a name without a suffix:
    # write exactly the file named, and refuse a format it has no writer for.
    kind = target.suffix[1:].lower() or "png"
    try:
        supported = figure.canvas.get_supported_filetypes()
        if kind not in supported:
            raise PlotError(
                f"{target}: matplotlib cannot write .{kind} files; give -o a name ending in one "
                f"of {', '.join('.' + k for k in sorted(supported))}"
            )
        figure.savefig(target, dpi=100, format=kind)
    except OSError as exc:
        raise PlotError(f"{target}: cannot write the plot: {exc.strerror or exc}") from None
    finally:
        plt.close(figure)
    return target
