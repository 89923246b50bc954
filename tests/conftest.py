"""What the core tests need beyond the `torchplug_site` / `torchplug_registry` fixtures.

- ``journal``: a file that plugin modules and hook implementations append to when they run, so a
  test can see what was imported, and how often, without touching the loading mechanism.
- ``second_site``: another site directory on ``sys.path`` with the same namespace, placed first.
- ``default_site``: a site of the default ``torchplug`` namespace, for the few tests that must see
  what a user of ``torchplug.registry`` sees (they assert membership, never equality).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from torchplug.testing import FakeSite


class Journal:
    """A file that code under test appends one line to each time it runs."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def write(self, expression: str) -> str:
        """One line of Python source that appends the value of `expression` to the journal."""
        return f"with open({str(self.path)!r}, 'a') as _journal: _journal.write({expression} + '\\n')\n"

    def plugin(self, *functions: str, body: str = "") -> str:
        """Source of a module that records ``imported <module>`` when executed, then defines each
        of `functions` as a function returning ``"<module>.<function>"``, then runs `body`."""
        lines = [self.write("'imported ' + __name__")]
        for function in functions:
            lines.append(f"def {function}(*args, **kwargs):\n    return __name__ + '.{function}'\n")
        return "\n".join(lines) + body

    @property
    def lines(self) -> list[str]:
        return self.path.read_text("utf-8").splitlines() if self.path.exists() else []


@pytest.fixture
def journal(tmp_path: Path) -> Journal:
    return Journal(tmp_path / "journal.txt")


#: The calls a training loop makes to its builders, as a pack like torchplug-train declares them.
LOOP_CONTRACTS = """\
from torchplug.build import Contract

MODEL = Contract("model", returns="nn.Module")
OPTIMIZER = Contract("optimizer", ("params",))
SCHEDULER = Contract("scheduler", ("optimizer",))
LOSS = Contract("loss")
DATASET = Contract("dataset")
NORM = Contract("norm", ("dim",), ("eps",))
MLP = Contract("mlp", ("dim", "hidden_dim"))
ATTENTION = Contract("attention", ("dim", "num_heads"), ("num_kv_heads",))
"""


@pytest.fixture
def loop_contracts(torchplug_site: FakeSite) -> FakeSite:
    """`torchplug_site` with a pack declaring a training loop's contracts (as torchplug-train and
    torchplug-transformer do): optimizers take ``params``, norms ``dim`` and ``eps=``, and so on."""
    names = ("model", "optimizer", "scheduler", "loss", "dataset", "norm", "mlp", "attention")
    torchplug_site.add(
        "tp-loop",
        entry_points={"contracts": {n: f"tp_loop_contracts:{n.upper()}" for n in names}},
        modules={"tp_loop_contracts": LOOP_CONTRACTS},
    )
    return torchplug_site


@pytest.fixture
def second_site(torchplug_site: FakeSite, tmp_path: Path) -> Iterator[FakeSite]:
    site = FakeSite(tmp_path / "second-site-packages", namespace=torchplug_site.namespace)
    site.activate()  # inserted before torchplug_site: it comes first on sys.path
    try:
        yield site
    finally:
        site.deactivate()


@pytest.fixture
def default_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSite]:
    monkeypatch.setenv("TORCHPLUG_CACHE", "0")  # leave the user's scan cache alone
    site = FakeSite(tmp_path / "default-site-packages", namespace="torchplug")
    site.activate()
    try:
        yield site
    finally:
        site.deactivate()


# ----------------------------------------------------------------------------- the CLI as users run it
# (Appended below the fixtures above, so imports are local to the functions.)


class Ran:
    """A finished subprocess: its exit status and captured output."""

    def __init__(self, returncode: int, stdout: str, stderr: str) -> None:
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr

    def json(self) -> object:
        import json

        return json.loads(self.stdout)


def _from_outer_tox(variable: str) -> bool:
    """A variable a running tox (or the venv it activated) set for its own commands."""
    return variable.startswith("TOX_") or variable == "VIRTUAL_ENV"


class Runner:
    """Runs a command with the test's environment plus `env`; never raises on a failure."""

    def __call__(
        self, *args: str | Path, env: dict[str, str] | None = None, cwd: Path | None = None
    ) -> Ran:
        import os
        import subprocess

        # Under tox, TOX_WORK_DIR and its siblings are set, and a tox started here reads them as
        # its own settings: it would rebuild *this* run's .tox/py in place of the pack's.
        inherited = {k: v for k, v in os.environ.items() if not _from_outer_tox(k)}
        result = subprocess.run(
            [str(a) for a in args],
            capture_output=True,
            text=True,
            env={**inherited, **(env or {})},
            cwd=cwd,
            timeout=600,
        )
        return Ran(result.returncode, result.stdout, result.stderr)


class CLI:
    """``python -m torchplug --namespace <site's namespace> ...`` in a fresh process.

    The process sees the `FakeSite` through PYTHONPATH, as it would see a real site-packages, so
    whatever the command imports happens there and nowhere else.
    """

    def __init__(self, site: FakeSite) -> None:
        self.site = site

    def __call__(self, *args: str, env: dict[str, str] | None = None) -> Ran:
        import os
        import sys

        paths = [str(self.site.root), *filter(None, [os.environ.get("PYTHONPATH")])]
        environment = {"PYTHONPATH": os.pathsep.join(paths), "TORCHPLUG_CACHE": "0", **(env or {})}
        command = [sys.executable, "-m", "torchplug", "--namespace", self.site.namespace, *args]
        return Runner()(*command, env=environment)


@pytest.fixture
def run_process() -> Runner:
    """``run_process(*command, env=None, cwd=None)``: a subprocess, as a user would start it."""
    return Runner()


@pytest.fixture
def cli(torchplug_site: FakeSite) -> CLI:
    """Runs the CLI in a subprocess over `torchplug_site` (its namespace, on its PYTHONPATH)."""
    return CLI(torchplug_site)


@pytest.fixture(scope="session")
def torchplug_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel of this checkout's torchplug (``pip wheel --no-deps``), built once per session."""
    import sys

    out = tmp_path_factory.mktemp("torchplug-wheel")
    root = Path(__file__).resolve().parents[1]
    built = Runner()(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", out, root)
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = out.glob("torchplug-*.whl")
    return wheel
