"""`torchplug new-pack` (`torchplug.cli._new_pack`): a new pack copied from the template pack.

The template is checked here as a template (one example per category, placeholders only where
they are renamed); the packs written from it are checked as packs: their examples meet the
installed contracts, their own tests pass, and the last tests install one with real pip into a
fresh venv and run its tox against this checkout, as the README of a new pack says to.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import re
import sys
import venv
import zipfile
from pathlib import Path

import pytest
import torchplug
from torchplug._errors import InvalidNameError
from torchplug.cli._new_pack import (
    DEFAULT_CATEGORY,
    TEMPLATE,
    ScaffoldError,
    create_pack,
    template_examples,
    template_files,
)
from torchplug.testing import FakeSite, unique_namespace

CHECKOUT = Path(__file__).resolve().parents[1]
TREE = {
    "README.md",
    "constraints.txt",
    "pyproject.toml",
    "tox.ini",
    "src/torchplug_lion/__init__.py",
    "src/torchplug_lion/py.typed",
    "src/torchplug_lion/scheduler.py",
    "tests/test_lion_pack.py",
    "tests/test_lion_scheduler.py",
}
#: Contracts a test site declares, so that what new-pack learns from installed packs is visible.
CONTRACTS = """\
from torchplug import Contract

WIDGET = Contract("widget", returns="a widget")
GADGET = Contract("gadget", ("size",), ("colour",), returns="a gadget")
SCHEDULER = Contract("scheduler", ("optimizer",), returns="a test site's scheduler")
"""


def new_pack(run_process, *args: str, cwd: Path, env: dict[str, str] | None = None):
    return run_process(sys.executable, "-m", "torchplug", "new-pack", *args, cwd=cwd, env=env)


def files_of(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def add_contracts(site: FakeSite, **contracts: str) -> None:
    site.add(
        "contract-pack",
        groups={f"{site.namespace}.contracts": contracts},
        modules={"tp_contracts": CONTRACTS},
    )


# ----------------------------------------------------------------------------- the template


TEMPLATE_CATEGORIES = [
    "scheduler",
    "dataset",
    "model",
    "optimizer",
    "loss",
    "norm",
    "activation",
    "mlp",
    "newcategory",  # the generic example, for any category without one of its own
]
COMMON_FILES = {
    "README.md",
    "constraints.txt",
    "pyproject.toml",
    "tox.ini",
    "src/torchplug_newpack/__init__.py",
    "src/torchplug_newpack/py.typed",
    "tests/test_newpack_pack.py",
}


def test_the_template_has_one_module_and_one_test_per_example():
    files = template_files()
    examples = template_examples(files["pyproject.toml"])
    assert [e.category for e in examples] == TEMPLATE_CATEGORIES
    owned = {path for e in examples for path in e.files}
    assert owned <= set(files)
    assert set(files) - owned == COMMON_FILES


def test_the_template_ships_its_files_and_no_cache():
    root = Path(torchplug.cli.__file__).parent / "templates" / TEMPLATE
    on_disk = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    shipped = set(template_files())
    assert shipped == {p for p in on_disk if "__pycache__" not in p and not p.startswith(".")}


def test_placeholders_appear_only_where_they_are_renamed():
    for path, text in template_files().items():
        rest = text.replace("torchplug-newpack", "").replace("torchplug_newpack", "")
        # The short name only as the prefix of a component, test function or test file name.
        assert re.findall(r"newpack(?!_)", rest) == [], path
        if path.endswith(("newcategory.py", "pyproject.toml")):
            continue
        for line in text.splitlines():  # elsewhere only on a line of the generic example
            assert "newcategory" not in line or "newpack_example" in line, (path, line)


def test_the_template_pins_the_torch_the_project_tests_with():
    pins = re.compile(r"^torch==\S+$", re.MULTILINE)
    project = pins.findall((CHECKOUT / "tests" / "constraints.txt").read_text())
    assert pins.findall(template_files()["constraints.txt"]) == project


# ----------------------------------------------------------------------------- the tree written


def test_new_pack_writes_the_tree_into_a_directory_named_after_the_pack(run_process, tmp_path):
    made = new_pack(run_process, "torchplug-lion", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert files_of(tmp_path / "torchplug-lion") == TREE
    assert f"Created torchplug-lion in {tmp_path / 'torchplug-lion'}" in made.stdout
    assert "scheduler 'lion_warmup' -> torchplug_lion.scheduler:LinearWarmup" in made.stdout
    assert made.stderr == ""  # installed packs declare schedulers: nothing to warn about


def test_no_placeholder_is_left_in_a_new_pack(tmp_path):
    create_pack("torchplug-lion", tmp_path / "pack", ["scheduler", "norm", "callback"])
    for path in files_of(tmp_path / "pack"):
        text = (tmp_path / "pack" / path).read_text()
        assert "newpack" not in path + text, path
        assert "newcategory" not in path + text, path


def test_the_default_example_is_a_scheduler_that_needs_no_torch(tmp_path):
    assert DEFAULT_CATEGORY == "scheduler"
    pack = create_pack("torchplug-lion", tmp_path / "pack")
    pyproject = (tmp_path / "pack" / "pyproject.toml").read_text()
    assert '[project.entry-points."torchplug.scheduler"]\n' in pyproject
    assert 'lion_warmup = "torchplug_lion.scheduler:LinearWarmup"\n' in pyproject
    assert "torch>" not in pyproject
    assert "torch==" not in (tmp_path / "pack" / "constraints.txt").read_text()
    assert pack.components == (
        ("scheduler", "lion_warmup", "torchplug_lion.scheduler:LinearWarmup"),
    )


def test_a_torch_example_makes_torch_a_dependency_pinned_by_constraints(tmp_path):
    create_pack("torchplug-lion", tmp_path / "pack", ["norm"])
    pyproject = (tmp_path / "pack" / "pyproject.toml").read_text()
    assert '    "torch>=2.1",\n' in pyproject
    assert 'lion_layernorm = "torchplug_lion.norm:build_layernorm"\n' in pyproject
    pin = (tmp_path / "pack" / "constraints.txt").read_text().splitlines()[-1]
    try:  # the torch installed where new-pack runs, else the template's
        assert pin == f"torch=={importlib.metadata.version('torch').split('+')[0]}"
    except importlib.metadata.PackageNotFoundError:
        assert pin == template_files()["constraints.txt"].splitlines()[-1]


def test_tox_installs_torchplug_from_the_checkout_named_by_torchplug_source(tmp_path):
    create_pack("torchplug-lion", tmp_path / "pack")
    tox = (tmp_path / "pack" / "tox.ini").read_text()
    assert "deps =\n    {env:TORCHPLUG_SOURCE:}\n" in tox
    assert "PIP_CONSTRAINT = {tox_root}{/}constraints.txt" in tox
    assert (
        "TORCHPLUG_SOURCE=/path/to/torchplug tox" in (tmp_path / "pack" / "README.md").read_text()
    )


def test_the_next_steps_name_the_checkout_torchplug_was_installed_from(tmp_path):
    if not Path(torchplug.__file__).resolve().is_relative_to(CHECKOUT):
        pytest.skip("torchplug is not installed in editable mode from this checkout")
    pack = create_pack("torchplug-lion", tmp_path / "pack")
    assert pack.torchplug_source == str(CHECKOUT)
    assert pack.format().endswith(f"\n  TORCHPLUG_SOURCE={CHECKOUT} tox")


def test_categories_keep_their_order_and_only_their_files(tmp_path):
    pack = create_pack("torchplug-lion", tmp_path / "pack", ["optimizer", "dataset", "optimizer"])
    assert [c for c, _, _ in pack.components] == ["optimizer", "dataset"]
    assert files_of(tmp_path / "pack") == TREE - {
        "src/torchplug_lion/scheduler.py",
        "tests/test_lion_scheduler.py",
    } | {
        "src/torchplug_lion/optimizer.py",
        "src/torchplug_lion/dataset.py",
        "tests/test_lion_optimizer.py",
        "tests/test_lion_dataset.py",
    }
    readme = (tmp_path / "pack" / "README.md").read_text()
    assert "lion_sgd_nesterov" in readme and "lion_counting" in readme
    assert "lion_warmup" not in readme


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
    assert payload["warnings"] == []


# ----------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("name", "distribution", "package"),
    [
        ("torchplug-lion", "torchplug-lion", "torchplug_lion"),
        ("Torchplug_Lion", "torchplug-lion", "torchplug_lion"),
        ("torchplug.lion", "torchplug-lion", "torchplug_lion"),
        ("torchplug--lion", "torchplug-lion", "torchplug_lion"),
        ("LabPack2", "labpack2", "labpack2"),
        ("my-newpack", "my-newpack", "my_newpack"),  # holds a placeholder: renamed once only
    ],
)
def test_names_are_normalised(tmp_path, name, distribution, package):
    pack = create_pack(name, tmp_path / "pack")
    assert (pack.distribution, pack.package) == (distribution, package)
    pyproject = (tmp_path / "pack" / "pyproject.toml").read_text()
    assert f'name = "{distribution}"' in pyproject
    short = package.removeprefix("torchplug_")
    assert f'{short}_warmup = "{package}.scheduler:LinearWarmup"' in pyproject
    assert (tmp_path / "pack" / "src" / package / "__init__.py").is_file()
    assert (tmp_path / "pack" / "tests" / f"test_{short}_pack.py").is_file()


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


# ----------------------------------------------------------------------------- directories


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


# ----------------------------------------------------------------------------- categories


def test_the_call_in_the_comments_is_the_installed_contract(torchplug_site, tmp_path):
    add_contracts(torchplug_site, scheduler="tp_contracts:SCHEDULER", widget="tp_contracts:WIDGET")
    registry = torchplug_site.registry()
    pack = create_pack(
        "torchplug-lion", tmp_path / "pack", ["scheduler", "widget"], registry=registry
    )
    pyproject = (tmp_path / "pack" / "pyproject.toml").read_text()
    assert "# scheduler: fn(optimizer, **hp) -> a test site's scheduler\n" in pyproject
    assert "# widget: fn(**hp) -> a widget\n" in pyproject
    assert pack.warnings == ()


def test_a_category_without_a_contract_says_so_in_the_comment(torchplug_site, tmp_path):
    create_pack("torchplug-lion", tmp_path / "pack", ["widget"], registry=torchplug_site.registry())
    pyproject = (tmp_path / "pack" / "pyproject.toml").read_text()
    assert (
        "# widget: no installed pack declares its call (group torchplug.contracts)\n" in pyproject
    )


def test_an_undeclared_category_is_written_with_a_did_you_mean_warning(run_process, tmp_path):
    made = new_pack(run_process, "torchplug-lion", "--category", "optimiser", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert made.stderr.startswith(
        "torchplug: warning: no installed pack declares category 'optimiser'. "
        "Did you mean 'optimizer'? The pack declares it as a new category "
        "(group 'torchplug.optimiser')"
    )
    assert f"remove {tmp_path / 'torchplug-lion'} and run new-pack again" in made.stderr
    pyproject = (tmp_path / "torchplug-lion" / "pyproject.toml").read_text()
    assert 'lion_example = "torchplug_lion.optimiser:Example"' in pyproject


def test_the_warning_is_in_the_json_too(torchplug_site, tmp_path):
    pack = create_pack(
        "torchplug-lion", tmp_path / "pack", ["callbak"], registry=torchplug_site.registry()
    )
    (warning,) = pack.as_dict()["warnings"]
    assert warning.startswith("no installed pack declares category 'callbak'. The pack declares")


@pytest.mark.parametrize("how", ["components", "contract"])
def test_a_category_an_installed_pack_declares_gets_no_warning(torchplug_site, tmp_path, how):
    if how == "components":
        torchplug_site.add("widget-pack", entry_points={"widget": {"w": "tp_widgets:w"}})
    else:
        add_contracts(torchplug_site, widget="tp_contracts:WIDGET")
    registry = torchplug_site.registry()
    pack = create_pack("torchplug-lion", tmp_path / "pack", ["widget"], registry=registry)
    assert pack.warnings == ()


def test_a_broken_contract_is_a_warning_not_a_failure(torchplug_site, tmp_path):
    add_contracts(torchplug_site, widget="tp_contracts:NO_SUCH_CONTRACT")
    registry = torchplug_site.registry()
    pack = create_pack("torchplug-lion", tmp_path / "pack", ["widget"], registry=registry)
    (warning,) = pack.warnings
    assert warning.startswith("the contract of category 'widget' cannot be loaded (")
    assert (tmp_path / "pack" / "src" / "torchplug_lion" / "widget.py").is_file()


def test_a_category_whose_call_passes_inputs_and_has_no_example_is_refused(
    torchplug_site, tmp_path
):
    add_contracts(torchplug_site, gadget="tp_contracts:GADGET")
    with pytest.raises(ScaffoldError, match=r"no example for category 'gadget' \(called as fn\("):
        create_pack(
            "torchplug-lion", tmp_path / "pack", ["gadget"], registry=torchplug_site.registry()
        )
    assert not (tmp_path / "pack").exists()


def test_the_refusal_reaches_the_command_line(default_site, run_process, tmp_path):
    add_contracts(default_site, gadget="tp_contracts:GADGET")
    made = new_pack(
        run_process,
        "torchplug-lion",
        "--category",
        "gadget",
        cwd=tmp_path,
        env={"PYTHONPATH": str(default_site.root), "TORCHPLUG_CACHE": "0"},
    )
    assert made.returncode == 2
    assert "torchplug: error: new-pack has no example for category 'gadget'" in made.stderr
    assert not (tmp_path / "torchplug-lion").exists()


def test_each_new_category_gets_its_own_generic_example(tmp_path):
    pack = create_pack("torchplug-lion", tmp_path / "pack", ["callback", "class"])
    assert pack.components == (
        ("callback", "lion_example", "torchplug_lion.callback:Example"),
        ("class", "lion_example", "torchplug_lion.class_:Example"),  # a keyword: module class_
    )
    written = files_of(tmp_path / "pack")
    assert {"src/torchplug_lion/callback.py", "src/torchplug_lion/class_.py"} <= written
    assert {"tests/test_lion_callback.py", "tests/test_lion_class.py"} <= written
    test = (tmp_path / "pack" / "tests" / "test_lion_class.py").read_text()
    assert 'torchplug_registry.build("class", spec)' in test


def test_a_category_named_like_another_file_is_refused(tmp_path):
    with pytest.raises(ScaffoldError, match=r"tests/test_lion_pack\.py"):
        create_pack("torchplug-lion", tmp_path / "pack", ["pack"])
    assert not (tmp_path / "pack").exists()


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


def test_help_has_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    from torchplug.cli import main

    with pytest.raises(SystemExit):
        main(["new-pack", "--help"])
    assert "example:\n  torchplug new-pack" in capsys.readouterr().out


# ----------------------------------------------------------------------------- the examples work

ALL_CATEGORIES = [*TEMPLATE_CATEGORIES[:-1], "callback"]  # "callback": the generic example


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
        yield site, pack
    finally:
        site.deactivate()


def test_every_example_meets_the_contract_installed_packs_declare(every_example, monkeypatch):
    monkeypatch.setenv("TORCHPLUG_CACHE", "0")
    site, pack = every_example
    registry = site.registry()
    declared = 0
    for category, name, _ in pack.components:
        contract = torchplug.Registry().contract(category)  # what this environment declares
        if contract is not None:
            declared += 1
            assert contract.violations(registry.get(category, name)) == [], category
    # torchplug-train and torchplug-transformer declare the calls of most example categories.
    assert declared >= len(pack.components) - 2
    report = registry.check(deep=True)  # imports each example's module
    assert report.findings == (), report.format()


def test_no_example_module_imports_torch(every_example, run_process):
    site, _ = every_example
    modules = ", ".join(f"torchplug_lion.{c}" for c in ALL_CATEGORIES)
    ran = run_process(
        sys.executable,
        "-c",
        f"import sys; import {modules}; print(sorted(m for m in sys.modules if m == 'torch'))",
        env={"PYTHONPATH": str(site.root)},
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip() == "[]"


def run_generated_tests(run_process, pack: Path, site: FakeSite):
    """The new pack's own tests, with `site` (default namespace) and its src/ on the path."""
    return run_process(
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        env={"PYTHONPATH": f"{site.root}:{pack / 'src'}", "TORCHPLUG_CACHE": "0"},
        cwd=pack,
    )


def test_the_generated_tests_look_only_at_the_pack_s_own_entries(run_process, tmp_path):
    pack = create_pack("torchplug-lion", tmp_path / "pack")
    site = FakeSite(tmp_path / "site")  # the torchplug namespace, seen by the subprocess only
    site.add("torchplug-lion", "0.1.0", entry_points={c: {n: t} for c, n, t in pack.components})
    site.add(  # shares the pack's name: a conflict for `torchplug check`, not for the pack
        "rival-pack",
        entry_points={"scheduler": {"lion_warmup": "tp_rival:Warmup"}},
        modules={"tp_rival": "class Warmup:\n    pass\n"},
    )
    site.add("broken-pack", entry_points={"scheduler": {"broken": "tp_no_such_module:thing"}})
    tested = run_generated_tests(run_process, pack.directory, site)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "3 passed" in tested.stdout


def test_the_generated_tests_fail_on_a_broken_entry_of_the_pack(run_process, tmp_path):
    pack = create_pack("torchplug-lion", tmp_path / "pack")
    site = FakeSite(tmp_path / "site")
    entries = {n: t for _, n, t in pack.components}
    entries["lion_missing"] = "torchplug_lion.scheduler:NoSuchClass"
    site.add("torchplug-lion", "0.1.0", entry_points={"scheduler": entries})
    tested = run_generated_tests(run_process, pack.directory, site)
    assert tested.returncode == 1, tested.stdout + tested.stderr
    assert "1 failed, 3 passed" in tested.stdout
    assert "test_entry_point_loads_and_takes_its_category_call[scheduler-lion_missing]" in (
        tested.stdout
    )


# ----------------------------------------------------------------------------- end to end, real pip


@pytest.mark.slow
def test_the_wheel_ships_the_template(torchplug_wheel):
    with zipfile.ZipFile(torchplug_wheel) as wheel:
        shipped = set(wheel.namelist())
    prefix = f"torchplug/cli/templates/{TEMPLATE}/"
    assert {prefix + path for path in template_files()} <= shipped


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
    assert f"{1 + 2 * len(ALL_CATEGORIES)} passed" in tested.stdout


@pytest.fixture
def fresh_venv(run_process, tmp_path, torchplug_wheel) -> Path:
    """A venv with this checkout's torchplug wheel, pytest and tox, from the package index."""
    env = tmp_path / "venv"
    venv.create(env, with_pip=True)
    installed = run_process(
        env / "bin" / "python", "-m", "pip", "install", "-q", torchplug_wheel, "pytest", "tox"
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return env


def tox_in(run_process, env: Path, pack: Path):
    """The new pack's tox, with torchplug from this checkout as its README says."""
    ran = run_process(env / "bin" / "tox", env={"TORCHPLUG_SOURCE": str(CHECKOUT)}, cwd=pack)
    assert (pack / ".tox").is_dir(), "the pack's tox worked somewhere else: " + ran.stdout
    return ran


@pytest.mark.slow
def test_generated_pack_installs_lists_and_passes_its_tests_and_tox_in_a_fresh_venv(
    run_process, tmp_path, fresh_venv
):
    made = run_process(fresh_venv / "bin" / "torchplug", "new-pack", "e2e-fresh-pack", cwd=tmp_path)
    assert made.returncode == 0, made.stderr  # the template comes from the installed wheel
    assert made.stdout.endswith("\n  tox\n")  # installed from a wheel: no checkout to name
    pack = tmp_path / "e2e-fresh-pack"
    python = fresh_venv / "bin" / "python"
    installed = run_process(python, "-m", "pip", "install", "-q", "--no-deps", pack)
    assert installed.returncode == 0, installed.stdout + installed.stderr

    listed = run_process(fresh_venv / "bin" / "torchplug", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = [(r["category"], r["name"], r["distribution"], r["status"]) for r in listed.json()]
    assert rows == [("scheduler", "e2e_fresh_pack_warmup", "e2e-fresh-pack", "ok")]

    tested = run_process(python, "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=pack)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "3 passed" in tested.stdout

    toxed = tox_in(run_process, fresh_venv, pack)
    assert toxed.returncode == 0, toxed.stdout + toxed.stderr
    assert "3 passed" in toxed.stdout
    assert "No problems found (imported every entry point)." in toxed.stdout


@pytest.mark.slow
def test_tox_of_a_torch_pack_installs_the_torch_its_constraints_pin(
    run_process, tmp_path, fresh_venv
):
    made = run_process(
        fresh_venv / "bin" / "torchplug", "new-pack", "tp-norms", "--category=norm", cwd=tmp_path
    )
    assert made.returncode == 0, made.stderr
    pack = tmp_path / "tp-norms"
    constraints = pack / "constraints.txt"
    pinned = constraints.read_text()
    constraints.write_text(re.sub(r"torch==\S+", "torch==2.1.999", pinned))  # no such release
    refused = tox_in(run_process, fresh_venv, pack)
    assert refused.returncode != 0
    assert "2.1.999" in refused.stdout + refused.stderr

    constraints.write_text(pinned)
    toxed = run_process(
        fresh_venv / "bin" / "tox", "-r", env={"TORCHPLUG_SOURCE": str(CHECKOUT)}, cwd=pack
    )
    assert toxed.returncode == 0, toxed.stdout + toxed.stderr
    version = run_process(pack / ".tox" / "py" / "bin" / "python", "-m", "pip", "show", "torch")
    pin = re.search(r"^torch==(\S+)$", pinned, re.MULTILINE)
    assert pin is not None
    assert f"Version: {pin.group(1)}" in version.stdout
