"""Where the time of ``torchplug list`` goes, in-process, through the public API only.

Run by run.py in a child with the generated site on PYTHONPATH (and TORCHPLUG_CACHE=0 for the
cold case). Prints one JSON object, in seconds.

``breakdown.py parts``, one listing in steps, with the cyclic garbage collector off (so that a
collection does not land in one step by chance):

* ``import``: ``import torchplug``;
* ``scan``: ``registry.categories()``, which reads the installed metadata (or the cache) and
  indexes it, and describes nothing;
* ``describe``: ``registry.entries()``: describing every name, with the tables in hand;
* ``cli``: ``torchplug list`` through the CLI's ``main`` on that registry, which describes every
  name again and renders the table.

``breakdown.py listing [--no-gc]``: ``total``, the import and one listing, as the command does;
run.py takes the difference with and without the collector as what collection costs.
"""

from __future__ import annotations

import gc
import io
import json
import sys
import time
from contextlib import redirect_stdout


def parts() -> dict[str, float]:
    gc.disable()
    start = time.perf_counter()
    import torchplug
    from torchplug._cli import main as cli

    imported = time.perf_counter()
    torchplug.registry.categories()
    scanned = time.perf_counter()
    torchplug.registry.entries()
    described = time.perf_counter()
    with redirect_stdout(io.StringIO()):
        cli(["list"], registry=torchplug.registry)
    rendered = time.perf_counter()
    return {
        "import": imported - start,
        "scan": scanned - imported,
        "describe": described - scanned,
        "cli": rendered - described,
    }


def listing(collect: bool) -> dict[str, float]:
    if not collect:
        gc.disable()
    start = time.perf_counter()
    from torchplug._cli import main as cli

    with redirect_stdout(io.StringIO()):
        cli(["list"])
    return {"total": time.perf_counter() - start}


def main() -> None:
    mode, *flags = sys.argv[1:]
    result = parts() if mode == "parts" else listing(collect="--no-gc" not in flags)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
