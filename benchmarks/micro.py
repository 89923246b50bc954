"""In-process microbenchmarks, run by run.py in a child with the generated site on PYTHONPATH.

``micro.py measure CATEGORY NAME REPEATS SECONDS MODULE...`` prints one JSON object: what a training
script pays per call once everything is loaded. The target pairs (a hot ``registry.get`` against
a dict lookup, ``registry.build`` against calling the builder) are timed in turn, repeat by
repeat, each timing running at least SECONDS, so that a change of the machine's speed hits both
sides of a pair alike; the other figures explain them. Also measures what importing one
generated plugin module costs, so the report can state it.

``micro.py profile CATEGORY NAME OUT {build,get}`` writes a cProfile of many calls to OUT, for
a missed target.

Uses only ``torchplug.registry``'s public methods.
"""

from __future__ import annotations

import cProfile
import importlib
import json
import statistics
import sys
import time
import timeit
from typing import Any

PROFILED_CALLS = 20_000


#: Seconds each timing runs at least (timeit's autorange uses 0.2); set from the command line.
BUDGET = 0.2


def calls(timer: timeit.Timer) -> int:
    """How many calls make one timing of at least BUDGET seconds, as timeit's autorange finds."""
    number = 1
    while True:
        if timer.timeit(number) >= BUDGET:
            return number
        number *= 10


def alternating(a: str, b: str, namespace: dict[str, Any], repeats: int) -> list[list[float]]:
    """[seconds per call of a, of b] per repeat, the two timed in turn (order swapped each time).

    Each side runs as many calls as make a timing of at least BUDGET seconds.
    """
    timers = timeit.Timer(a, globals=namespace), timeit.Timer(b, globals=namespace)
    numbers = [calls(timer) for timer in timers]
    pairs = []
    for index in range(repeats):
        seconds = [0.0, 0.0]
        for side in (0, 1) if index % 2 == 0 else (1, 0):
            seconds[side] = timers[side].timeit(numbers[side]) / numbers[side]
        pairs.append(seconds)
    return pairs


def per_call(stmt: str, namespace: dict[str, Any], repeats: int) -> float:
    """Median seconds per execution of `stmt` over `repeats` auto-ranged timings."""
    timer = timeit.Timer(stmt, globals=namespace)
    number = calls(timer)
    return statistics.median(timer.timeit(number) / number for _ in range(repeats))


def module_import_cost(modules: list[str]) -> float:
    """Median seconds to import one generated plugin module (its byte code is already compiled)."""
    costs = []
    for module in modules:
        start = time.perf_counter()
        importlib.import_module(module)
        costs.append(time.perf_counter() - start)
    return statistics.median(costs) if costs else 0.0


def empty_module_import_cost(count: int = 30) -> float:
    """Median seconds to import one empty module of a package from its byte code: what the
    import system charges any module before the module's own code runs (finding the file,
    checking and reading its cache, making the module). Timed a second after the files were
    written: on some machines a file's first stat after a pause costs several times more than
    one right after it was touched."""
    import py_compile
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        package = Path(folder) / "bench_empty_modules"
        package.mkdir()
        for index in range(count + 1):
            module = package / ("__init__.py" if index == count else f"m{index}.py")
            module.write_text("", encoding="utf-8")
            py_compile.compile(str(module), doraise=True)
        time.sleep(1.0)
        sys.path.insert(0, folder)
        try:
            importlib.import_module(package.name)
            costs = []
            for index in range(count):
                start = time.perf_counter()
                importlib.import_module(f"{package.name}.m{index}")
                costs.append(time.perf_counter() - start)
        finally:
            sys.path.remove(folder)
            sys.path_importer_cache.pop(folder, None)
            for name in [m for m in sys.modules if m.split(".")[0] == package.name]:
                del sys.modules[name]
    return statistics.median(costs)


class _Minimal:
    """The least a registry's `get` can be: a method returning a two-level subscript."""

    __slots__ = ("table",)

    def __init__(self, table: dict[str, dict[str, Any]]) -> None:
        self.table = table

    def get(self, category: str, name: str) -> Any:
        return self.table[category][name]


def _namespace(category: str, name: str) -> dict[str, Any]:
    """Everything the timed statements use, the builder's module imported and every one-off paid."""
    import torchplug

    registry = torchplug.registry
    builder = registry.get(category, name)
    builder(width=4)
    spec = {"type": name, "width": 4}
    registry.build(category, spec)
    return {
        "registry": registry,
        "category": category,
        "name": name,
        "table": {name: builder},
        "nested": {category: {name: builder}},
        "lookup": lambda c, n, _t={category: {name: builder}}: _t[c][n],
        "minimal": _Minimal({category: {name: builder}}),
        "builder": builder,
        "spec": spec,
    }


def measure(category: str, name: str, modules: list[str], repeats: int) -> dict[str, Any]:
    namespace = _namespace(category, name)
    explain = max(3, repeats // 2)  # figures that only explain the targets' figures
    single = {
        "nested_dict": per_call("nested[category][name]", namespace, explain),
        "function_lookup": per_call("lookup(category, name)", namespace, explain),
        "method_lookup": per_call("minimal.get(category, name)", namespace, explain),
        "module_import": module_import_cost(modules),
        "empty_module_import": empty_module_import_cost(),
    }
    if hasattr(namespace["registry"], "builder"):
        single["builder_only"] = per_call("registry.builder(category, spec)", namespace, explain)
    return {
        "pairs": {
            "get_vs_dict": alternating(
                "registry.get(category, name)", "table[name]", namespace, repeats
            ),
            "build_vs_direct": alternating(
                "registry.build(category, spec)", "builder(width=4)", namespace, repeats
            ),
        },
        "single": single,
    }


def profile(category: str, name: str, out: str, which: str) -> None:
    namespace = _namespace(category, name)
    stmt = "registry.build(category, spec)" if which == "build" else "registry.get(category, name)"
    code = f"for _ in range({PROFILED_CALLS}):\n    {stmt}\n"
    profiler = cProfile.Profile()
    profiler.runctx(code, namespace, namespace)
    profiler.dump_stats(out)


def main() -> None:
    mode, category, name, *rest = sys.argv[1:]
    if mode == "profile":
        profile(category, name, rest[0], rest[1])
        return
    global BUDGET
    repeats, BUDGET, modules = int(rest[0]), float(rest[1]), rest[2:]
    print(json.dumps(measure(category, name, modules, repeats)))


if __name__ == "__main__":
    main()
