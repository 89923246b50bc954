"""Standard output carries a command's result only: what plugins print while imported goes to stderr."""

from __future__ import annotations

import json

import pytest
from torchplug.testing import FakeSite

#: Ways a plugin's module writes to standard output while it is imported.
CHATTER = {
    "print": ("print('hello from a plugin')\n", "hello from a plugin"),
    "sys.stdout.write": ("import sys\nsys.stdout.write('{not json')\n", "{not json"),
    "file descriptor 1": ("import os\nos.write(1, b'raw bytes on fd 1\\n')\n", "raw bytes on fd 1"),
}


@pytest.fixture(params=list(CHATTER))
def chatty(request: pytest.FixtureRequest, torchplug_site: FakeSite) -> str:
    """A pack whose module writes to standard output when imported; returns what it writes."""
    source, written = CHATTER[request.param]
    torchplug_site.add(
        "chatty-pack",
        entry_points={"model": {"talker": "tp_chatty:build"}},
        modules={"tp_chatty": source + "def build():\n    pass\n"},
    )
    return written


def test_check_deep_json_stays_json_when_a_plugin_prints_at_import(cli, chatty: str) -> None:
    ran = cli("check", "--deep", "--json")
    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout)["ok"] is True
    assert chatty in ran.stderr


def test_check_deep_text_holds_only_the_report_when_a_plugin_prints_at_import(
    cli, chatty: str
) -> None:
    ran = cli("check", "--deep")
    assert ran.stdout.startswith("No problems found")
    assert chatty in ran.stderr


def test_show_import_json_stays_json_when_a_plugin_prints_at_import(cli, chatty: str) -> None:
    ran = cli("show", "model", "talker", "--import", "--json")
    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout)["name"] == "talker"
    assert chatty in ran.stderr


def test_show_import_survives_a_plugin_calling_sys_exit(torchplug_site: FakeSite, cli) -> None:
    torchplug_site.add(
        "exiting-pack",
        entry_points={"model": {"quitter": "tp_quitter:build"}},
        modules={"tp_quitter": "import sys\nsys.exit(7)\n"},
    )
    ran = cli("show", "model", "quitter", "--import", "--json")
    assert ran.returncode == 0, ran.stderr
    (provider,) = json.loads(ran.stdout)["providers"]
    assert "sys.exit(7)" in provider["note"]
