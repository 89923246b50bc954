"""`torchplug new-pack`: the source tree of a new pack, which installs and passes its own tests.

The last two tests are the end to end: the generated pack is built with pip, installed next to
this checkout's torchplug, listed by the CLI there, and its own tests run with pytest.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import venv
from pathlib import Path

import pytest
from torchplug._errors import InvalidNameError
from torchplug._scaffold import _EXAMPLES, DEFAULT_CATEGORY, create_pack
from torchplug.testing import FakeSite, unique_namespace

TREE = {
    "README.md",
    "pyproject.toml",
    "tox.ini",
    "src/torchplug_lion/__init__.py",
    "src/torchplug_lion/py.typed",
    "src/torchplug_lion/scheduler.py",
    "tests/test_torchplug_lion.py",
}


def new_pack(run_process, *args: str, cwd: Path):
    return run_process(sys.executable, "-m", "torchplug", "new-pack", *args, cwd=cwd)


def files_of(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def test_new_pack_writes_the_tree_into_a_directory_named_after_the_pack(run_process, tmp_path):
    made = new_pack(run_process, "torchplug-lion", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert files_of(tmp_path / "torchplug-lion") == TREE
    assert f"Created torchplug-lion in {tmp_path / 'torchplug-lion'}" in made.stdout
    assert "scheduler 'lion_warmup' -> torchplug_lion.scheduler:LinearWarmup" in made.stdout


def test_the_default_example_is_a_scheduler_that_needs_no_torch(tmp_path):
    assert DEFAULT_CATEGORY == "scheduler"
    pack = create_pack("torchplug-lion", tmp_path / "pack")
    pyproject = (tmp_path / "pack" / "pyproject.toml").read_text()
    assert '[project.entry-points."torchplug.scheduler"]\n' in pyproject
    assert 'lion_warmup = "torchplug_lion.scheduler:LinearWarmup"\n' in pyproject
    assert "torch>" not in pyproject
    assert pack.components == (
        ("scheduler", "lion_warmup", "torchplug_lion.scheduler:LinearWarmup"),
    )


def test_a_torch_example_makes_torch_a_dependency(tmp_path):
    create_pack("torchplug-lion", tmp_path / "pack", ["norm"])
    pyproject = (tmp_path / "pack" / "pyproject.toml").read_text()
    assert '    "torch>=2.1",\n' in pyproject
    assert 'lion_layernorm = "torchplug_lion.norm:build_layernorm"\n' in pyproject


def test_json_output_lists_files_and_components(run_process, tmp_path):
    made = new_pack(run_process, "torchplug-lion", "--category", "dataset", "--json", cwd=tmp_path)
    payload = json.loads(made.stdout)
    assert (payload["distribution"], payload["package"]) == ("torchplug-lion", "torchplug_lion")
    assert payload["components"] == [
        {
            "category": "dataset",
            "name": "lion_counting",
            "target": "torchplug_lion.dataset:build_counting",
        }
    ]
    assert set(payload["files"]) == files_of(tmp_path / "torchplug-lion")


@pytest.mark.parametrize(
    ("name", "distribution", "package"),
    [
        ("torchplug-lion", "torchplug-lion", "torchplug_lion"),
        ("Torchplug_Lion", "torchplug-lion", "torchplug_lion"),
        ("torchplug.lion", "torchplug-lion", "torchplug_lion"),
        ("torchplug--lion", "torchplug-lion", "torchplug_lion"),
        ("LabPack2", "labpack2", "labpack2"),
    ],
)
def test_names_are_normalised(tmp_path, name, distribution, package):
    pack = create_pack(name, tmp_path / "pack")
    assert (pack.distribution, pack.package) == (distribution, package)
    assert f'name = "{distribution}"' in (tmp_path / "pack" / "pyproject.toml").read_text()
    assert (tmp_path / "pack" / "src" / package / "__init__.py").is_file()


@pytest.mark.parametrize("name", ["-lion", "lion-", "my pack", "lion!", "3d-pack", "class"])
def test_a_name_that_is_no_distribution_or_package_name_is_refused(tmp_path, name):
    with pytest.raises(InvalidNameError):
        create_pack(name, tmp_path / "pack")
    assert not (tmp_path / "pack").exists()


def test_a_name_that_would_shadow_an_importable_module_is_refused(run_process, tmp_path):
    made = new_pack(run_process, "json", cwd=tmp_path)
    assert made.returncode == 2
    assert "a module named 'json' is already importable" in made.stderr
    assert not (tmp_path / "json").exists()


def test_an_existing_directory_is_never_overwritten(run_process, tmp_path):
    (tmp_path / "torchplug-lion").mkdir()
    (tmp_path / "torchplug-lion" / "pyproject.toml").write_text("mine")
    made = new_pack(run_process, "torchplug-lion", cwd=tmp_path)
    assert made.returncode == 2
    assert "already exists and is not an empty directory; new-pack never overwrites" in made.stderr
    assert "Traceback" not in made.stderr
    assert files_of(tmp_path / "torchplug-lion") == {"pyproject.toml"}
    assert (tmp_path / "torchplug-lion" / "pyproject.toml").read_text() == "mine"


def test_an_empty_directory_is_used(run_process, tmp_path):
    (tmp_path / "here").mkdir()
    made = new_pack(run_process, "torchplug-lion", "--directory", "here", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert files_of(tmp_path / "here") == TREE


def test_a_category_with_a_contract_but_no_example_is_refused(run_process, tmp_path):
    made = new_pack(run_process, "torchplug-lion", "--category", "attention", cwd=tmp_path)
    assert made.returncode == 2
    assert "no example for category 'attention'" in made.stderr
    assert not (tmp_path / "torchplug-lion").exists()


def test_an_invalid_category_is_refused(run_process, tmp_path):
    made = new_pack(run_process, "torchplug-lion", "--category", "Optimizer", cwd=tmp_path)
    assert made.returncode == 2
    assert "is not a lowercase identifier" in made.stderr


def test_another_namespace_is_refused(run_process, tmp_path):
    made = run_process(
        sys.executable, "-m", "torchplug", "--namespace", "myfw", "new-pack", "x", cwd=tmp_path
    )
    assert made.returncode == 2
    assert "new-pack writes packs of the torchplug namespace" in made.stderr


def test_help_has_an_example(capsys):
    from torchplug.cli import main

    with pytest.raises(SystemExit):
        main(["new-pack", "--help"])
    assert "example:\n  torchplug new-pack" in capsys.readouterr().out


ALL_CATEGORIES = [*sorted(_EXAMPLES), "callback"]  # "callback": no built-in contract


@pytest.fixture
def every_example(tmp_path: Path):
    """A pack with every example, its dist-info and src/ written as a site of its own namespace."""
    pack = create_pack("torchplug-lion", tmp_path / "pack", ALL_CATEGORIES)
    site = FakeSite(tmp_path / "pack" / "src", namespace=unique_namespace())
    site.add(
        "torchplug-lion",
        "0.1.0",
        entry_points={c: {n: t} for c, n, t in pack.components},
    )
    site.activate()
    try:
        yield site
    finally:
        site.deactivate()


def test_every_example_meets_its_category_contract(every_example, monkeypatch):
    monkeypatch.setenv("TORCHPLUG_CACHE", "0")
    report = every_example.registry().check(deep=True)  # imports each example's module
    assert report.findings == (), report.format()


def test_no_example_module_imports_torch(every_example, run_process):
    modules = ", ".join(f"torchplug_lion.{c}" for c in ALL_CATEGORIES)
    ran = run_process(
        sys.executable,
        "-c",
        f"import sys; import {modules}; print(sorted(m for m in sys.modules if m == 'torch'))",
        env={"PYTHONPATH": str(every_example.root)},
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip() == "[]"


# ----------------------------------------------------------------------------- end to end, real pip


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="torch is not installed")
def test_every_example_passes_its_generated_tests(run_process, tmp_path):
    """All examples, torch ones included, against this environment's torch and torchplug."""
    made = new_pack(
        run_process, "tp-all-examples", *(f"--category={c}" for c in ALL_CATEGORIES), cwd=tmp_path
    )
    assert made.returncode == 0, made.stderr
    pack, site = tmp_path / "tp-all-examples", tmp_path / "site"
    pip = [sys.executable, "-m", "pip"]
    built = run_process(*pip, "wheel", "--no-deps", "-q", "-w", tmp_path / "wheels", pack)
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp_path / "wheels").glob("*.whl")
    installed = run_process(*pip, "install", "--no-deps", "-q", "--target", site, wheel)
    assert installed.returncode == 0, installed.stderr
    tested = run_process(
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        env={"PYTHONPATH": str(site), "TORCHPLUG_CACHE": "0"},
        cwd=pack,
    )
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert f"{2 + 2 * len(ALL_CATEGORIES)} passed" in tested.stdout


@pytest.mark.slow
def test_generated_pack_installs_lists_and_passes_its_tests_in_a_fresh_venv(
    run_process, tmp_path, torchplug_wheel
):
    made = new_pack(run_process, "e2e-fresh-pack", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    pack = tmp_path / "e2e-fresh-pack"
    built = run_process(
        sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", tmp_path / "wheels", pack
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp_path / "wheels").glob("e2e_fresh_pack-*.whl")

    env = tmp_path / "venv"
    venv.create(env, with_pip=True)
    python = env / "bin" / "python"
    installed = run_process(python, "-m", "pip", "install", "-q", torchplug_wheel, wheel, "pytest")
    assert installed.returncode == 0, installed.stdout + installed.stderr

    listed = run_process(env / "bin" / "torchplug", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = [(r["category"], r["name"], r["distribution"], r["status"]) for r in listed.json()]
    assert rows == [("scheduler", "e2e_fresh_pack_warmup", "e2e-fresh-pack", "ok")]

    tested = run_process(python, "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=pack)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "4 passed" in tested.stdout
