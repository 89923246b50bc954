"""In-process microbenchmarks, run by run.py in a child with the generated site on PYTHONPATH.

Measures what a training script pays per call once everything is loaded: a hot `registry.get`
against a plain dict lookup, and `registry.build` against calling the builder directly. Also
measures what importing one generated plugin module costs, so the report can state it.
Prints one JSON object on stdout.
"""

from __future__ import annotations

import importlib
import json
import statistics
import sys
import time
import timeit
from typing import Any

REPEATS = 7


def per_call(stmt: str, namespace: dict[str, Any], repeats: int = REPEATS) -> float:
    """Seconds per execution of `stmt`: the fastest repeat, each sized by ``timeit``'s autorange.

    The minimum, as timeit advises: other work on the machine only ever adds time, and a median
    of a few in-process repeats still wanders with it.
    """
    timer = timeit.Timer(stmt, globals=namespace)
    number, _ = timer.autorange()
    return min(timer.repeat(repeat=repeats, number=number)) / number


def module_import_cost(modules: list[str]) -> float:
    """Median seconds to import one generated plugin module (its byte code is already compiled)."""
    costs = []
    for module in modules:
        start = time.perf_counter()
        importlib.import_module(module)
        costs.append(time.perf_counter() - start)
    return statistics.median(costs)


def measure(category: str, name: str, modules: list[str], repeats: int) -> dict[str, float]:
    """Per-call seconds of each operation; the builder's module is imported before any timing."""
    import torchplug

    # The plugin modules import pluggy: keep its one-off cost out of the module import cost.
    importlib.import_module("pluggy")

    registry = torchplug.registry
    builder = registry.get(category, name)
    builder()  # the first call of anything pays one-offs that a training loop never sees
    registry.build(category, {"type": name, "width": 4})
    spec = {"type": name, "width": 4}
    namespace = {
        "registry": registry,
        "category": category,
        "name": name,
        "table": {name: builder},
        "nested": {category: {name: builder}},
        "lookup": lambda c, n, _t={category: {name: builder}}: _t[c][n],
        "builder": builder,
        "spec": spec,
    }
    return {
        "get_hot": per_call("registry.get(category, name)", namespace, repeats),
        "dict": per_call("table[name]", namespace, repeats),
        "nested_dict": per_call("nested[category][name]", namespace, repeats),
        "function_lookup": per_call("lookup(category, name)", namespace, repeats),
        "build": per_call("registry.build(category, spec)", namespace, repeats),
        "builder_only": per_call("registry.builder(category, spec)", namespace, repeats),
        "direct": per_call("builder(width=4)", namespace, repeats),
        "module_import": module_import_cost(modules),
    }


def main() -> None:
    category, name, repeats, *modules = sys.argv[1:]
    print(json.dumps(measure(category, name, modules, int(repeats))))


if __name__ == "__main__":
    main()
