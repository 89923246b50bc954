"""`torchplug run` and torch's device-backend autoload (`torchplug_train.autoload`).

Real processes: a model builder that writes down what ``TORCH_DEVICE_BACKEND_AUTOLOAD`` was when
the model was built, and a distribution declaring a real ``torch.backends`` entry point whose
function leaves a marker when torch autoloads it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from torchplug.testing import FakeSite

Cli = Callable[..., subprocess.CompletedProcess[str]]

PROBE = '''
import os
import torch


def probe(in_features: int = 4, out_features: int = 1, hidden: int = 16):
    """An MLP-shaped model that records the autoload variable as the run left it."""
    with open(os.environ["TPX_PROBE_FILE"], "w", encoding="utf-8") as file:
        file.write(os.environ.get("TORCH_DEVICE_BACKEND_AUTOLOAD", "<unset>"))
    return torch.nn.Sequential(torch.nn.Linear(in_features, hidden), torch.nn.Linear(hidden, out_features))
'''

BACKEND = '''
import os


def autoload():
    """What torch calls for each ``torch.backends`` entry point when it is imported."""
    with open(os.environ["TPX_BACKEND_MARKER"], "w", encoding="utf-8") as file:
        file.write("autoloaded")
'''


@pytest.fixture
def probe_site(tmp_path: Path) -> FakeSite:
    site = FakeSite(tmp_path / "site", namespace="torchplug")
    site.add(
        "tpx-probe",
        entry_points={"model": {"tpx_probe": "tpx_probe:probe"}},
        modules={"tpx_probe": PROBE},
    )
    return site


def _run(
    cli: Cli, site: FakeSite, write_config: Callable[..., Path], tmp_path: Path, **env: str
) -> tuple[str, bool]:
    """Train the tiny config with the probe model: (the variable as built, backend autoloaded)."""
    probe, marker = tmp_path / "probe.txt", tmp_path / "backend.txt"
    config = write_config({"model": {"type": "tpx_probe"}, "train": {"steps": 2}})
    result = cli(
        "run",
        config,
        site=site.root,
        env={"TPX_PROBE_FILE": str(probe), "TPX_BACKEND_MARKER": str(marker), **env},
    )
    assert result.returncode == 0, result.stderr
    return probe.read_text(encoding="utf-8"), marker.exists()


def test_with_no_backend_declared_the_run_spares_torch_its_scan(
    torchplug_cli: Cli, probe_site: FakeSite, write_config: Callable[..., Path], tmp_path: Path
) -> None:
    assert _run(torchplug_cli, probe_site, write_config, tmp_path) == ("0", False)


def test_a_declared_backend_is_still_autoloaded(
    torchplug_cli: Cli, probe_site: FakeSite, write_config: Callable[..., Path], tmp_path: Path
) -> None:
    probe_site.add(
        "tpx-backend",
        entry_points={},
        groups={"torch.backends": {"tpx": "tpx_backend:autoload"}},
        modules={"tpx_backend": BACKEND},
    )
    assert _run(torchplug_cli, probe_site, write_config, tmp_path) == ("<unset>", True)


@pytest.mark.parametrize("value", ["0", "1"])
def test_a_value_the_user_set_is_kept(
    torchplug_cli: Cli,
    probe_site: FakeSite,
    write_config: Callable[..., Path],
    tmp_path: Path,
    value: str,
) -> None:
    probed, _ = _run(
        torchplug_cli, probe_site, write_config, tmp_path, TORCH_DEVICE_BACKEND_AUTOLOAD=value
    )
    assert probed == value


DECIDE = """
import os, sys, torchplug
from torchplug_train.autoload import skip_unclaimed_backend_scan
skipped = skip_unclaimed_backend_scan(torchplug.Registry(autoload=sys.argv[1] == "on"))
print(skipped, os.environ.get("TORCH_DEVICE_BACKEND_AUTOLOAD"), "torch" in sys.modules)
"""


@pytest.mark.parametrize(
    ("autoload", "expected"), [("on", "True 0 False"), ("off", "False None False")]
)
def test_a_registry_that_reads_nothing_installed_cannot_say_no_backend_is_there(
    probe_site: FakeSite, autoload: str, expected: str
) -> None:
    """With autoload off the registry knows no group at all: the variable is left alone."""
    env = {k: v for k, v in os.environ.items() if k != "TORCH_DEVICE_BACKEND_AUTOLOAD"}
    env.update(PYTHONPATH=str(probe_site.root), TORCHPLUG_CACHE="0")
    result = subprocess.run(
        [sys.executable, "-c", DECIDE, autoload],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    )
    assert result.stdout.split() == expected.split()
