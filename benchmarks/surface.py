"""Every way the benchmark reaches torchplug, in one place.

The core's layout is changing (issue 8: ``torchplug._cli`` becomes ``torchplug.cli``, the training
loop moves to the torchplug-train pack). The rest of the harness reaches torchplug only through
the names below, and these are the public surface a user has: the ``torchplug`` console script
(or ``python -m torchplug``), ``torchplug.registry``, the documented environment variables and
the ``torchplug run`` command. No private module is named anywhere in benchmarks/; if one ever
must be, it goes here.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

#: The distribution and the import package measured.
DISTRIBUTION = "torchplug"
PACKAGE = "torchplug"

#: Environment variables of docs/pages/cache.md: "0" turns the scan cache off; the cache lives
#: under ``$XDG_CACHE_HOME``.
CACHE_SWITCH = "TORCHPLUG_CACHE"
CACHE_HOME = "XDG_CACHE_HOME"

#: ``python -c`` code of the import and of building one component; argv[1:3] = category, name.
IMPORT_CODE = f"import {PACKAGE}"
BUILD_CODE = f"""\
import sys, {PACKAGE}
category, name = sys.argv[1:3]
print({PACKAGE}.registry.build(category, {{"type": name, "width": 4}}).kind)
"""

#: ``torchplug list`` and ``torchplug list CATEGORY``. The category comes from the first-party
#: pack torchplug-torch (the synthetic packs declare none), so listing it must not pay for them.
LIST_ARGS = ("list",)
LIST_CATEGORY = "optimizer"
LIST_CATEGORY_ARGS = ("list", LIST_CATEGORY)
LIST_CATEGORY_NEEDS = ("torchplug_torch",)

#: Time to first training step: the ``torchplug`` arguments that train one step of a tiny model.
#: ``{config}`` stands for TRAIN_CONFIG. While the training loop moves into the torchplug-train
#: pack, this line (or ``run.py --train-command``) is the one to change.
TRAIN_CONFIG = HERE / "first_step.toml"
TRAIN_ARGS = "run {config} --set train.steps=1"
#: Import packages the training run needs; without them target 7 is reported as not measured.
TRAIN_NEEDS = (
    "torch",
    "torchplug_train",
    "torchplug_torch",
    "torchplug_transformer",
    "torchplug_data",
)

#: Profiles show the entries of files under these packages as "torchplug's own".
OWN_PACKAGES = (PACKAGE,)


def console_script() -> list[str]:
    """The installed console script, as a user runs it; ``python -m torchplug`` if there is none."""
    script = Path(sys.executable).parent / PACKAGE
    return [str(script)] if script.exists() else [sys.executable, "-m", PACKAGE]


def run_module_code() -> str:
    """``python -c`` code equivalent to ``python -m torchplug`` (argv after the code is its argv)."""
    return f"import runpy; runpy.run_module({PACKAGE!r}, run_name='__main__', alter_sys=True)"


def train_args(template: str = TRAIN_ARGS) -> tuple[str, ...]:
    """The ``torchplug`` arguments of the training run, with the config's path filled in."""
    return tuple(shlex.split(template.replace("{config}", shlex.quote(str(TRAIN_CONFIG)))))
