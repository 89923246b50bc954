"""Loading is contained: nothing a plugin's import raises ends the process, except a real Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from torchplug import PluginLoadError, Registry
from torchplug.testing import FakeSite

#: What a plugin's module may do at import to try to end the process, and what it raises.
ENDINGS = {
    "sys.exit(3)": ("import sys\nsys.exit(3)\n", SystemExit, "sys.exit(3)"),
    "raise SystemExit": ("raise SystemExit\n", SystemExit, "sys.exit(None)"),
    "sys.exit(message)": ("import sys\nsys.exit('bye')\n", SystemExit, "sys.exit('bye')"),
    "KeyboardInterrupt": ("raise KeyboardInterrupt\n", KeyboardInterrupt, "no Ctrl-C"),
    "GeneratorExit": ("raise GeneratorExit\n", GeneratorExit, "GeneratorExit"),
    "BaseException": (
        "class Stop(BaseException):\n    pass\nraise Stop('halt')\n",
        BaseException,
        "Stop: halt",
    ),
}


@pytest.fixture(params=list(ENDINGS))
def ending(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def ender(ending: str, torchplug_site: FakeSite, journal) -> Registry:
    """``optimizer evil``, whose module records its import and then tries to end the process."""
    body = ENDINGS[ending][0]
    torchplug_site.add(
        "evil-pack",
        entry_points={"optimizer": {"evil": "tp_evil:build"}},
        modules={"tp_evil": journal.write("'imported'") + body},
    )
    return torchplug_site.registry()


def test_a_plugin_ending_the_process_at_import_raises_a_plugin_load_error(ender: Registry) -> None:
    with pytest.raises(PluginLoadError, match="evil-pack"):
        ender.get("optimizer", "evil")


def test_the_error_says_what_the_plugin_did(ender: Registry, ending: str) -> None:
    with pytest.raises(PluginLoadError) as caught:
        ender.get("optimizer", "evil")
    assert ENDINGS[ending][2] in str(caught.value)


def test_the_error_chains_what_the_plugin_raised(ender: Registry, ending: str) -> None:
    with pytest.raises(PluginLoadError) as caught:
        ender.get("optimizer", "evil")
    assert isinstance(caught.value.__cause__, ENDINGS[ending][1])


def test_a_plugin_ending_the_process_is_imported_once_by_many_threads(
    ender: Registry, journal
) -> None:
    outcomes: list[BaseException | None] = []

    def get() -> None:
        try:
            ender.get("optimizer", "evil")
            outcomes.append(None)
        except BaseException as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=get, daemon=True) for _ in range(32)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    with pytest.raises(PluginLoadError):
        ender.get("optimizer", "evil")
    assert [type(o) for o in outcomes] == [PluginLoadError] * 32
    assert journal.lines == ["imported"]


def test_a_plugin_ending_the_process_is_reported_as_broken(ender: Registry) -> None:
    report = ender.check(deep=True)
    assert [(f.kind, f.name) for f in report.findings] == [("broken", "evil")]
    assert ender.info("optimizer", "evil").status == "broken"


def test_the_sigint_handler_is_the_same_after_a_plugin_import(ender: Registry) -> None:
    before = signal.getsignal(signal.SIGINT)
    with pytest.raises(PluginLoadError):
        ender.get("optimizer", "evil")
    assert signal.getsignal(signal.SIGINT) is before


def test_check_deep_json_reports_a_plugin_that_ends_the_process(
    ender: Registry, cli, ending: str
) -> None:
    ran = cli("check", "--deep", "--json")
    assert ran.returncode == 1, ran.stderr
    (finding,) = ran.json()["findings"]
    assert finding["name"] == "evil"
    assert ENDINGS[ending][2] in finding["message"]


# ----------------------------------------------------------------------------- a real Ctrl-C

WAITING_PLUGIN = """\
import time
open({marker!r}, "w").close()
time.sleep(60)

def build():
    pass
"""


def interrupt_while_importing(site: FakeSite, code: str) -> subprocess.CompletedProcess[str]:
    """Run `code` in a fresh process, send it SIGINT once the slow plugin is being imported."""
    marker = site.root.parent / "importing"
    site.add(
        "slow-pack",
        entry_points={"optimizer": {"slow": "tp_slow:build"}},
        modules={"tp_slow": WAITING_PLUGIN.format(marker=str(marker))},
    )
    env = {**os.environ, "PYTHONPATH": str(site.root), "TORCHPLUG_CACHE": "0"}
    process = subprocess.Popen(
        [sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        process.kill()
    return subprocess.CompletedProcess(process.args, process.returncode, out.decode(), err.decode())


def test_a_real_ctrl_c_during_a_plugin_import_stops_a_script(torchplug_site: FakeSite) -> None:
    code = (
        "import torchplug\n"
        f"registry = torchplug.Registry({torchplug_site.namespace!r})\n"
        "try:\n"
        "    registry.get('optimizer', 'slow')\n"
        "except Exception as exc:\n"
        "    print('CONTAINED', type(exc).__name__)\n"
        "print('GOT PAST THE IMPORT')\n"
    )
    ran = interrupt_while_importing(torchplug_site, code)
    assert ran.returncode == -signal.SIGINT, ran.stdout + ran.stderr
    assert "KeyboardInterrupt" in ran.stderr
    assert ran.stdout == ""


def test_a_real_ctrl_c_during_a_plugin_import_stops_check_deep(torchplug_site: FakeSite) -> None:
    code = (
        "import sys\nfrom torchplug.cli import main\n"
        f"sys.exit(main(['--namespace', {torchplug_site.namespace!r}, 'check', '--deep']))\n"
    )
    ran = interrupt_while_importing(torchplug_site, code)
    assert ran.returncode == 130, ran.stdout + ran.stderr
    assert ran.stdout == ""
    assert "interrupted" in ran.stderr


def test_a_plugin_importing_in_a_thread_while_the_user_presses_ctrl_c_stops_a_script(
    torchplug_site: FakeSite,
) -> None:
    code = (
        "import threading, torchplug\n"
        f"registry = torchplug.Registry({torchplug_site.namespace!r})\n"
        "worker = threading.Thread(target=registry.get, args=('optimizer', 'slow'), daemon=True)\n"
        "worker.start()\n"
        "worker.join()\n"
        "print('GOT PAST THE IMPORT')\n"
    )
    ran = interrupt_while_importing(torchplug_site, code)
    assert ran.returncode == -signal.SIGINT, ran.stdout + ran.stderr
    assert ran.stdout == ""


# ----------------------------------------------------------------------------- torchplug run


@pytest.mark.skipif(
    not Path(__file__).parents[1].joinpath("examples", "quickstart.toml").exists(),
    reason="needs the examples",
)
def test_run_reports_an_optimizer_whose_import_calls_sys_exit(
    default_site: FakeSite, run_process
) -> None:
    pytest.importorskip("torchplug_train")
    default_site.add(
        "tp-evil-pack",
        entry_points={"optimizer": {"tp-evil": "tp_evil_optimizer:build"}},
        modules={"tp_evil_optimizer": "import sys\nsys.exit(3)\n"},
    )
    root = Path(__file__).parents[1]
    ran = run_process(
        sys.executable,
        "-m",
        "torchplug",
        "run",
        root / "examples" / "quickstart.toml",
        "--set",
        "optimizer.type=tp-evil",
        "--dry-run",
        env={"PYTHONPATH": str(default_site.root), "TORCHPLUG_CACHE": "0"},
        cwd=root,
    )
    assert ran.returncode == 2, ran.stdout + ran.stderr
    assert "torchplug: error:" in ran.stderr
    assert "tp-evil-pack" in ran.stderr and "sys.exit(3)" in ran.stderr
    assert "Traceback" not in ran.stderr


def test_check_deep_json_is_valid_json_when_the_report_is_empty(cli) -> None:
    ran = cli("check", "--deep", "--json")
    assert json.loads(ran.stdout)["ok"] is True
