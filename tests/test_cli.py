"""The command line, run as a user runs it: ``python -m torchplug`` in a fresh process."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from torchplug.testing import FakeSite, unique_namespace

JSON_KEYS = {"category", "name", "distribution", "version", "target", "status"}


class Cli:
    """Runs ``python -m torchplug`` with the given sites on PYTHONPATH and its own scan cache."""

    def __init__(self, tmp_path: Path, *sites: FakeSite) -> None:
        self.cwd = tmp_path
        self.env = {
            k: v for k, v in os.environ.items() if not k.startswith(("TORCHPLUG_", "PYTHONPATH"))
        }
        self.env["PYTHONPATH"] = os.pathsep.join(str(s.root) for s in sites)
        self.env["XDG_CACHE_HOME"] = str(tmp_path / "cache")

    def __call__(
        self, *args: str, env: dict[str, str] | None = None, program: list[str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        command = program or [sys.executable, "-m", "torchplug"]
        return subprocess.run(
            [*command, *args],
            capture_output=True,
            text=True,
            cwd=self.cwd,
            env={**self.env, **(env or {})},
            timeout=120,
        )

    def json(self, *args: str, env: dict[str, str] | None = None) -> object:
        result = self(*args, "--json", env=env)
        assert result.returncode in (0, 1), result.stderr
        return json.loads(result.stdout)

    def on_terminal(self, *args: str, env: dict[str, str] | None = None) -> str:
        """What ``python -m torchplug ARGS`` shows on a terminal: its stdout is a pseudo-terminal
        (of COLUMNS columns when `env` sets it), with NO_COLOR unset unless `env` sets it."""
        pty = pytest.importorskip("pty")
        environment = {k: v for k, v in self.env.items() if k not in ("NO_COLOR", "COLUMNS")}
        controller, terminal = pty.openpty()
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", "torchplug", *args],
                stdin=subprocess.DEVNULL,
                stdout=terminal,
                stderr=subprocess.DEVNULL,
                cwd=self.cwd,
                env={**environment, "TERM": "xterm", **(env or {})},
            )
        finally:
            os.close(terminal)
        chunks = []
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # EIO: the process is gone and the terminal closed
                break
            if not chunk:
                break
            chunks.append(chunk)
        os.close(controller)
        assert process.wait(timeout=120) == 0
        return b"".join(chunks).decode().replace("\r\n", "\n")  # the terminal writes CR LF


@pytest.fixture
def site(torchplug_site: FakeSite, journal) -> FakeSite:
    """Healthy, conflicted, broken, malformed and blockable packs plus a hook plugin; every module
    writes to the journal when it is imported."""
    ns = torchplug_site.namespace
    torchplug_site.add(
        "good-pack",
        "1.0",
        entry_points={
            "model": {"vit": "tp_good.models:vit"},
            "optimizer": {"lion": "tp_good.optim:lion"},
        },
        modules={"tp_good.models": journal.plugin("vit"), "tp_good.optim": journal.plugin("lion")},
    )
    torchplug_site.add(
        "rival-pack",
        "2.0",
        entry_points={"optimizer": {"lion": "tp_rival:lion"}},
        modules={"tp_rival": journal.plugin("lion")},
    )
    torchplug_site.add(
        "broken-pack",
        "0.1",
        entry_points={"model": {"crashes": "tp_crashes:build"}},
        modules={"tp_crashes": journal.plugin(body="raise RuntimeError('no GPU')\n")},
    )
    torchplug_site.add(
        "malformed-pack", entry_points_txt=f"[{ns}.model]\nmalformed = tp_malformed:build()\n"
    )
    torchplug_site.add(
        "blocked-pack",
        entry_points={"model": {"blocked": "tp_blocked:build"}},
        modules={"tp_blocked": journal.plugin("build")},
    )
    torchplug_site.add(
        "hook-pack",
        entry_points={"hooks": {"recorder": "tp_cli_hook"}},
        modules={"tp_cli_hook": journal.plugin()},
    )
    return torchplug_site


@pytest.fixture
def cli(site: FakeSite, tmp_path: Path) -> Cli:
    return Cli(tmp_path, site)


@pytest.fixture
def ns(site: FakeSite) -> list[str]:
    return ["--namespace", site.namespace]


@pytest.mark.parametrize(
    "command",
    [
        ["list"],
        ["list", "--json"],
        ["list", "model"],
        ["list", "optimizer", "--json"],
        ["plugins"],
        ["plugins", "--json"],
        ["check"],
        ["check", "--json"],
    ],
    ids=" ".join,
)
def test_reading_commands_import_no_plugin_module(
    cli: Cli, ns: list[str], journal, command: list[str]
) -> None:
    result = cli(*ns, *command)
    assert result.returncode in (0, 1), result.stderr
    assert journal.lines == []


def test_check_deep_imports_every_entry_point(cli: Cli, ns: list[str], journal) -> None:
    cli(*ns, "check", "--deep")
    assert {"imported tp_good.models", "imported tp_good.optim", "imported tp_crashes"} <= set(
        journal.lines
    )


def test_check_deep_imports_nothing_of_a_disabled_distribution(
    cli: Cli, ns: list[str], journal
) -> None:
    cli(*ns, "check", "--deep", env={"TORCHPLUG_DISABLE": "blocked-pack"})
    assert "imported tp_blocked" not in journal.lines


def test_check_deep_reports_a_module_failing_at_import(cli: Cli, ns: list[str]) -> None:
    result = cli(*ns, "check", "--deep")
    assert result.returncode == 1
    assert "no GPU" in result.stdout


# ----------------------------------------------------------------------------- list


def test_list_json_gives_one_object_per_name_with_its_provider(cli: Cli, ns: list[str]) -> None:
    rows = cli.json(*ns, "list")
    assert all(JSON_KEYS <= set(row) for row in rows)
    vit = next(r for r in rows if r["name"] == "vit")
    assert {k: vit[k] for k in JSON_KEYS} == {
        "category": "model",
        "name": "vit",
        "distribution": "good-pack",
        "version": "1.0",
        "target": "tp_good.models:vit",
        "status": "ok",
    }


def test_list_json_gives_the_status_of_every_name(cli: Cli, ns: list[str]) -> None:
    rows = cli.json(*ns, "list", env={"TORCHPLUG_DISABLE": "blocked-pack"})
    assert {(r["category"], r["name"]): r["status"] for r in rows} == {
        ("model", "blocked"): "disabled",
        ("model", "crashes"): "ok",
        ("model", "malformed"): "broken",
        ("model", "vit"): "ok",
        ("optimizer", "lion"): "conflict",
    }


def test_list_of_a_category_shows_only_that_category(cli: Cli, ns: list[str]) -> None:
    rows = cli.json(*ns, "list", "optimizer")
    assert [(r["category"], r["name"]) for r in rows] == [("optimizer", "lion")]


def test_list_shows_a_table_with_provider_and_status(cli: Cli, ns: list[str]) -> None:
    result = cli(*ns, "list", "model")
    assert result.returncode == 0
    header, _, *rows = result.stdout.splitlines()
    assert header.split() == ["CATEGORY", "NAME", "DISTRIBUTION", "VERSION", "TARGET", "STATUS"]
    assert ["model", "vit", "good-pack", "1.0", "tp_good.models:vit", "ok"] in [
        r.split() for r in rows
    ]


def test_list_shows_a_disabled_distribution_as_disabled(cli: Cli, ns: list[str]) -> None:
    result = cli(*ns, "list", "model", env={"TORCHPLUG_DISABLE": "Blocked_Pack"})
    row = next(line.split() for line in result.stdout.splitlines() if " blocked " in line)
    assert row[-1] == "disabled"


def test_list_shows_only_the_selected_namespace(
    cli: Cli, ns: list[str], default_site: FakeSite
) -> None:
    default_site.add("tp-default-pack", entry_points={"model": {"tp-default-model": "tp_d:m"}})
    cli.env["PYTHONPATH"] += os.pathsep + str(default_site.root)
    names = {r["name"] for r in cli.json(*ns, "list")}
    assert "vit" in names
    assert "tp-default-model" not in names


def test_without_namespace_list_shows_the_default_registry(
    default_site: FakeSite, tmp_path: Path, journal
) -> None:
    default_site.add(
        "tp-default-pack",
        entry_points={"model": {"tp-default-model": "tp_default_pack:build"}},
        modules={"tp_default_pack": journal.plugin("build")},
    )
    rows = Cli(tmp_path, default_site).json("list")
    assert ("model", "tp-default-model", "tp-default-pack") in {
        (r["category"], r["name"], r["distribution"]) for r in rows
    }
    assert journal.lines == []


# ----------------------------------------------------------------------------- on a terminal

ESCAPE = "\x1b["


def widest(text: str) -> int:
    """The widest line of `text` as a terminal shows it: colour codes take no room."""
    return max(len(re.sub(r"\x1b\[[0-9;]*m", "", line)) for line in text.splitlines())


def test_list_on_a_terminal_is_no_wider_than_the_terminal(cli: Cli, ns: list[str]) -> None:
    shown = cli.on_terminal(*ns, "list", env={"COLUMNS": "60"})
    lines = shown.splitlines()
    assert widest(shown) <= 60
    assert lines[0].split() == ["CATEGORY", "NAME", "DISTRIBUTION", "STATUS"]  # TARGET, VERSION
    assert ["model", "vit", "good-pack", "ok"] in [line.split() for line in lines]


def test_list_on_a_narrow_terminal_cuts_cells_with_an_ellipsis(cli: Cli, ns: list[str]) -> None:
    shown = cli.on_terminal(*ns, "list", env={"COLUMNS": "36"})
    lines = shown.splitlines()
    assert widest(shown) <= 36
    assert lines[0].split() == ["CATEGORY", "NAME", "DISTRIBUTION", "STATUS"]
    assert "malformed-p\u2026" in shown  # the widest column gave way first, to its header's width
    assert ["model", "vit", "good-pack", "ok"] in [line.split() for line in lines]


def test_list_piped_keeps_every_cell_whatever_the_width(cli: Cli, ns: list[str]) -> None:
    piped = cli(*ns, "list", env={"COLUMNS": "36"})
    assert "tp_good.models:vit" in piped.stdout
    assert "malformed-pack" in piped.stdout
    assert widest(piped.stdout) > 36


def test_plugins_on_a_terminal_is_no_wider_than_the_terminal(cli: Cli, ns: list[str]) -> None:
    shown = cli.on_terminal(*ns, "plugins", env={"COLUMNS": "50"})
    assert widest(shown) <= 50
    assert "good-pack" in shown


def test_list_on_a_terminal_colours_every_status_but_ok(cli: Cli, ns: list[str]) -> None:
    shown = cli.on_terminal(*ns, "list", env={"TORCHPLUG_DISABLE": "blocked-pack"})
    assert f"{ESCAPE}1;31mconflict{ESCAPE}0m" in shown
    assert f"{ESCAPE}31mbroken{ESCAPE}0m" in shown
    assert f"{ESCAPE}2mdisabled{ESCAPE}0m" in shown
    vit = next(line for line in shown.splitlines() if " vit " in line)
    assert ESCAPE not in vit  # the common case stays quiet
    assert vit.split()[-1] == "ok"


def test_list_on_a_terminal_colours_a_settled_name(cli: Cli, ns: list[str]) -> None:
    shown = cli.on_terminal(*ns, "--prefer", "optimizer.lion=rival-pack", "list", "optimizer")
    assert f"{ESCAPE}33mok (preferred){ESCAPE}0m" in shown


def test_plugins_on_a_terminal_dims_a_disabled_distribution(cli: Cli, ns: list[str]) -> None:
    shown = cli.on_terminal(*ns, "plugins", env={"TORCHPLUG_DISABLE": "blocked-pack"})
    blocked = next(line for line in shown.splitlines() if line.startswith("blocked-pack"))
    assert f"{ESCAPE}2mdisabled{ESCAPE}0m" in blocked


@pytest.mark.parametrize("command", [["list"], ["plugins"]], ids=" ".join)
def test_no_colour_with_NO_COLOR_on_a_terminal(cli: Cli, ns: list[str], command: list[str]) -> None:
    env = {"NO_COLOR": "1", "TORCHPLUG_DISABLE": "blocked-pack"}
    shown = cli.on_terminal(*ns, *command, env=env)
    assert "conflict" in shown or "disabled" in shown
    assert ESCAPE not in shown


@pytest.mark.parametrize("command", [["list"], ["plugins"]], ids=" ".join)
def test_no_colour_in_a_pipe_nor_in_json(cli: Cli, ns: list[str], command: list[str]) -> None:
    env = {"TORCHPLUG_DISABLE": "blocked-pack", "TERM": "xterm"}
    assert ESCAPE not in cli(*ns, *command, env=env).stdout
    shown = cli.on_terminal(*ns, *command, "--json", env=env)
    assert ESCAPE not in shown
    assert json.loads(shown)


def test_json_on_a_narrow_terminal_has_every_field_whole(cli: Cli, ns: list[str]) -> None:
    rows = json.loads(cli.on_terminal(*ns, "list", "--json", env={"COLUMNS": "30"}))
    vit = next(r for r in rows if r["name"] == "vit")
    assert vit["target"] == "tp_good.models:vit"


def test_the_run_table_fits_the_terminal_through_render_table(cli: Cli, tmp_path: Path) -> None:
    pytest.importorskip("torchplug_train")
    config = Path(__file__).resolve().parents[1] / "examples" / "quickstart.toml"
    cli.env["PYTHONPATH"] = ""  # the installed packs only
    shown = cli.on_terminal(
        "lock", str(config), "--output", str(tmp_path / "q.lock.json"), env={"COLUMNS": "70"}
    )
    table = shown.split("Wrote ")[0].splitlines()
    assert table[0].split()[:3] == ["PATH", "CATEGORY", "NAME"]
    assert widest("\n".join(table)) <= 70
    assert "\u2026" in shown


# ----------------------------------------------------------------------------- plugins


def test_plugins_json_gives_each_distribution_with_version_and_counts(
    cli: Cli, ns: list[str]
) -> None:
    dists = {d["distribution"]: d for d in cli.json(*ns, "plugins")}
    assert set(dists) == {
        "good-pack",
        "rival-pack",
        "broken-pack",
        "malformed-pack",
        "blocked-pack",
        "hook-pack",
    }
    assert dists["good-pack"]["version"] == "1.0"
    assert dists["good-pack"]["components"] == {"model": 1, "optimizer": 1}
    assert dists["hook-pack"]["hooks"] == 1


def test_plugins_json_marks_disabled_distributions(cli: Cli, ns: list[str]) -> None:
    dists = cli.json(*ns, "plugins", env={"TORCHPLUG_DISABLE": "blocked-pack"})
    assert {d["distribution"] for d in dists if d["disabled"]} == {"blocked-pack"}


def test_plugins_shows_a_table_of_distributions(cli: Cli, ns: list[str]) -> None:
    result = cli(*ns, "plugins")
    assert result.returncode == 0
    good = next(line for line in result.stdout.splitlines() if line.startswith("good-pack"))
    assert "1.0" in good.split()
    assert "model: 1, optimizer: 1" in good


# ----------------------------------------------------------------------------- check


def test_check_exits_1_on_a_conflict_and_says_how_to_resolve_it(cli: Cli, ns: list[str]) -> None:
    result = cli(*ns, "check")
    assert result.returncode == 1
    assert "lion" in result.stdout
    assert '"optimizer.lion" = "' in result.stdout  # the torchplug.toml lines to paste
    assert "--prefer optimizer.lion=" in result.stdout
    assert "TORCHPLUG_DISABLE" in result.stdout


def test_check_json_lists_conflicts_and_broken_entries(cli: Cli, ns: list[str]) -> None:
    report = cli.json(*ns, "check")
    assert report["ok"] is False
    assert {(f["kind"], f["name"]) for f in report["findings"]} == {
        ("conflict", "lion"),
        ("broken", "malformed"),
    }


def test_check_exits_0_when_nothing_is_wrong(site: FakeSite, tmp_path: Path) -> None:
    clean = unique_namespace("clean")
    site.add("clean-pack", groups={f"{clean}.model": {"vit": "tp_good.models:vit"}})
    result = Cli(tmp_path, site)("--namespace", clean, "check", "--deep")
    assert result.returncode == 0, result.stdout
    assert "No problems found" in result.stdout


def test_check_exits_1_on_a_broken_entry_alone(site: FakeSite, tmp_path: Path) -> None:
    only_broken = unique_namespace("broken")
    site.add(
        "only-broken-pack",
        entry_points_txt=f"[{only_broken}.model]\nmalformed = tp_malformed:build()\n",
    )
    result = Cli(tmp_path, site)("--namespace", only_broken, "check")
    assert result.returncode == 1
    assert "fix:" in result.stdout


# ----------------------------------------------------------------------------- errors


def test_an_error_goes_to_stderr_with_a_non_zero_exit_and_no_traceback(
    cli: Cli, ns: list[str]
) -> None:
    result = cli(*ns, "list", "--category", "optimiser")
    assert result.returncode != 0
    assert result.stdout == ""
    assert result.stderr.startswith("torchplug: error:")
    assert "Did you mean 'optimizer'?" in result.stderr
    assert "Traceback" not in result.stderr


def test_traceback_shows_the_traceback_of_an_error(cli: Cli, ns: list[str]) -> None:
    result = cli("--traceback", *ns, "list", "--category", "optimiser")
    assert result.returncode != 0
    assert "Traceback" in result.stderr
    assert "ComponentNotFoundError" in result.stderr


def test_an_invalid_namespace_is_an_error_without_traceback(cli: Cli) -> None:
    result = cli("--namespace", "My-Framework", "list")
    assert result.returncode != 0
    assert result.stderr.startswith("torchplug: error:")
    assert "Traceback" not in result.stderr


def test_no_command_prints_the_help_with_every_installed_command(cli: Cli) -> None:
    result = cli()
    assert result.returncode == 0, result.stderr
    assert "usage: torchplug" in result.stdout
    for command in ("list", "show", "plugins", "check", "cache", "new-pack"):
        assert f"\n  {command} " in result.stdout


def test_the_console_script_runs_the_same_command_line(cli: Cli, ns: list[str]) -> None:
    script = Path(sys.executable).with_name("torchplug")
    if not script.exists():
        pytest.skip(f"no console script beside {sys.executable}")
    by_script = cli(*ns, "list", "--json", program=[str(script)])
    by_module = cli(*ns, "list", "--json")
    assert by_script.returncode == 0, by_script.stderr
    assert json.loads(by_script.stdout) == json.loads(by_module.stdout)


# ----------------------------------------------------------------------------- cycle collection
# The script runs a core command that imports no plugin without the cycle collector; loading
# and running anything else, a pack's command included, keeps it on.

_GC_COMMAND = """\
import gc

print("import:", gc.isenabled())


class GcCommand:
    help = "say whether the cycle collector is on"

    def __init__(self):
        print("init:", gc.isenabled())

    def add_arguments(self, parser):
        print("arguments:", gc.isenabled())

    def run(self, registry, args):
        print("run:", gc.isenabled())
        return 0
"""


def test_a_packs_command_loads_and_runs_with_the_cycle_collector_on(
    cli: Cli, default_site: FakeSite
) -> None:
    default_site.add(
        "tp-gc-pack",
        entry_points={"commands": {"gc-state": "tp_gc_command:GcCommand"}},
        modules={"tp_gc_command": _GC_COMMAND},
    )
    cli.env["PYTHONPATH"] += os.pathsep + str(default_site.root)
    result = cli("gc-state", env={"TORCHPLUG_CACHE": "0"})
    assert result.returncode == 0, result.stderr
    assert result.stdout == "import: True\ninit: True\narguments: True\nrun: True\n"


@pytest.fixture
def collector_seen_by_list(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether the cycle collector was on while ``list`` ran, run by run (the command itself
    is not changed: its run is called, after the look)."""
    import gc

    from torchplug.cli._listing import List

    seen: list[bool] = []
    listing_run = List.run

    def looked_at(self: List, registry: object, args: object) -> int:
        seen.append(gc.isenabled())
        return listing_run(self, registry, args)  # type: ignore[arg-type]

    monkeypatch.setattr(List, "run", looked_at)
    return seen


def test_the_script_lists_without_the_collector_and_turns_it_back_on(
    default_site: FakeSite,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    collector_seen_by_list: list[bool],
) -> None:
    import gc

    from torchplug.cli._main import script

    default_site.add("tp-listed-pack", entry_points={"model": {"listed": "tp_listed:m"}})
    monkeypatch.setattr(sys, "argv", ["torchplug", "list", "model"])
    try:
        assert script() == 0
        assert gc.isenabled()
        assert gc.get_freeze_count() > 0  # what the listing made is not walked again
    finally:
        gc.unfreeze()
    assert collector_seen_by_list == [False]
    assert "listed" in capsys.readouterr().out


def test_main_lists_with_the_collector_on(
    default_site: FakeSite, collector_seen_by_list: list[bool]
) -> None:
    """Only the script, whose process ends with the command, changes the collection."""
    import gc

    from torchplug.cli._main import main

    default_site.add("tp-listed-pack", entry_points={"model": {"listed": "tp_listed:m"}})
    frozen = gc.get_freeze_count()
    assert main(["list", "model"]) == 0
    assert collector_seen_by_list == [True]
    assert gc.get_freeze_count() == frozen
