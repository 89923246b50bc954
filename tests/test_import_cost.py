"""``import torchplug`` is cheap: no metadata scan, no pluggy, no torch, no plugin module.

Each check runs in a fresh interpreter (this one has long imported everything) with a site on
PYTHONPATH whose packs would write a marker file if any of their modules were imported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from torchplug.testing import FakeSite

HEAVY = ["importlib_metadata", "importlib.metadata", "pluggy", "torch", "numpy"]
PLUGIN_MODULES = ["tp_cost_models", "tp_cost_hooks"]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> FakeSite:
    """A default-namespace pack (not put on this process's sys.path) whose modules leave a mark."""
    root = tmp_path_factory.mktemp("import-cost")
    marker = root / "imported.txt"
    record = f"open({str(marker)!r}, 'a').write(__name__ + '\\n')\n"
    site = FakeSite(root / "site-packages", namespace="torchplug")
    site.add(
        "tp-cost-pack",
        entry_points={
            "model": {"tp-cost-model": "tp_cost_models:build"},
            "hooks": {"h": "tp_cost_hooks"},
        },
        modules={
            "tp_cost_models": record + "def build():\n    return 'built'\n",
            # It implements the hook a first load calls: loading a component imports it.
            "tp_cost_hooks": record + "def torchplug_component_loaded(category, name): ...\n",
        },
    )
    return site


def modules_after(site: FakeSite, code: str) -> dict[str, object]:
    """Run `code` in a fresh interpreter; what it leaves in sys.modules, and any marker."""
    script = f"import json, sys\n{code}\nprint(json.dumps(sorted(sys.modules)))\n"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TORCHPLUG_")}
    env["PYTHONPATH"] = str(site.root)
    env["TORCHPLUG_CACHE"] = "0"
    marker = site.root.parent / "imported.txt"
    marker.unlink(missing_ok=True)
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=env,
        cwd=site.root.parent,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return {
        "modules": set(json.loads(result.stdout.splitlines()[-1])),
        "imported": marker.read_text().split() if marker.exists() else [],
    }


@pytest.fixture(scope="module")
def after_import(site: FakeSite) -> dict[str, object]:
    return modules_after(site, "import torchplug")


@pytest.fixture(scope="module")
def after_reading(site: FakeSite) -> dict[str, object]:
    return modules_after(
        site,
        "from torchplug import registry\n"
        "assert 'tp-cost-model' in registry.list('model')\n"
        "registry.info('model', 'tp-cost-model')\n"
        "registry.categories()\n"
        "registry.entries()\n"
        "registry.check()\n",
    )


@pytest.mark.parametrize("module", HEAVY)
def test_importing_torchplug_does_not_import(after_import: dict, module: str) -> None:
    assert module not in after_import["modules"]


@pytest.mark.parametrize("module", PLUGIN_MODULES)
def test_importing_torchplug_imports_no_plugin_module(after_import: dict, module: str) -> None:
    assert module not in after_import["modules"]
    assert after_import["imported"] == []


def test_importing_torchplug_does_not_import_the_command_line(after_import: dict) -> None:
    assert "torchplug.cli" not in after_import["modules"]


@pytest.mark.parametrize("module", ["pluggy", "torch", "numpy", *PLUGIN_MODULES])
def test_reading_the_registry_does_not_import(after_reading: dict, module: str) -> None:
    assert module not in after_reading["modules"]


def test_reading_the_registry_imports_no_plugin_module(after_reading: dict) -> None:
    assert after_reading["imported"] == []


def test_the_public_names_import_in_a_fresh_interpreter(site: FakeSite) -> None:
    after = modules_after(
        site,
        "from torchplug import (registry, Registry, TorchplugError, ComponentNotFoundError,\n"
        "    DuplicateComponentError, PluginLoadError)\n",
    )
    assert "torchplug" in after["modules"]
    assert "pluggy" not in after["modules"]


def test_hookimpl_imports_pluggy_on_first_use(site: FakeSite) -> None:
    after = modules_after(site, "import torchplug\ntorchplug.hookimpl\n")
    assert "pluggy" in after["modules"]


def test_version_is_the_installed_distributions_version() -> None:
    import importlib_metadata
    import torchplug

    assert torchplug.__version__ == importlib_metadata.version("torchplug")


def test_an_unknown_attribute_of_the_package_raises_attribute_error() -> None:
    import torchplug

    with pytest.raises(AttributeError):
        torchplug.no_such_attribute  # noqa: B018


def test_get_imports_the_plugin_module_in_a_fresh_interpreter(site: FakeSite) -> None:
    # The other side of the checks above: the marker does appear once a component is used.
    after = modules_after(
        site, "from torchplug import registry\nregistry.get('model', 'tp-cost-model')\n"
    )
    assert "tp_cost_models" in after["modules"]
    assert after["imported"] == ["tp_cost_models", "tp_cost_hooks"]


def test_a_warm_build_in_a_project_with_settings_imports_no_parser(tmp_path) -> None:
    """The project's preferences (a glob, in pyproject.toml) are read from their parsed copy and
    matched by hand, as is a listing's glob: a warm build imports no TOML parser and no `re`,
    which cost it more than everything else it does."""
    site = FakeSite(tmp_path / "site-packages", namespace="torchplug")
    site.add(
        "tp-settled-a",
        entry_points={"model": {"tp-settled": "tp_settled_a:build"}},
        modules={"tp_settled_a": "def build(width=1):\n    return 'a'\n"},
    )
    site.add(
        "tp-settled-b",
        entry_points={"model": {"tp-settled": "tp_settled_b:build"}},
        modules={"tp_settled_b": "def build(width=1):\n    return 'b'\n"},
    )
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[project]\nname = "mine"\ndependencies = ["torchplug"]\n\n'
        '[tool.torchplug.prefer]\n"model.tp-*" = "tp-settled-b"\n',
        "utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("TORCHPLUG_")}
    env.update(PYTHONPATH=str(site.root), XDG_CACHE_HOME=str(tmp_path / "cache"))
    # Printed a line each, not as JSON: importing json imports `re`.
    script = (
        "import sys, torchplug\n"
        "built = torchplug.registry.build('model', {'type': 'tp-settled', 'width': 2})\n"
        "assert torchplug.registry.list('model', 'tp-*') == ['tp-settled']\n"
        "print(built, *sorted(sys.modules), sep='\\n')\n"
    )

    def printed(code: str) -> list[str]:
        ran = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            env=env,
            cwd=project,
            timeout=120,
        )
        assert ran.returncode == 0, ran.stderr
        return ran.stdout.split()

    at_start = set(printed("import sys; print(*sorted(sys.modules), sep='\\n')"))
    runs = []
    for _ in range(2):  # the first scans and parses; the second is warm
        built, *modules = printed(script)
        runs.append((built, set(modules)))
    assert [built for built, _ in runs] == ["b", "b"]
    assert "tomllib" in runs[0][1] or "tomli" in runs[0][1]  # it did parse, once
    for parser in ("re", "tomllib", "tomli", "fnmatch"):
        assert parser in at_start or parser not in runs[1][1], parser
