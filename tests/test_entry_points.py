"""`torchplug entry-points`: a pack's entry points written from its source and its enumerators.

Every test writes a real pack source tree (pyproject.toml, src/<package>/...) in a temporary
directory and runs the command on it: in this process through the command class, as the CLI will
call it, or in a fresh process through a small harness. Generated tables are installed as real
dist-info folders to show that the registry resolves what was written.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

import pytest
import torchplug
from torchplug import Registry
from torchplug.cli._entry_points import EntryPointsCommand
from torchplug.cli._pyproject import MARKER
from torchplug.testing import FakeSite

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: torchplug depends on tomli there
    import tomli as tomllib

_numbers = itertools.count()

#: The command as the CLI runs it, until it is reached as `torchplug entry-points`: parse the
#: arguments with the command's own parser, run it on the default registry, print errors the way
#: the CLI does (exit 2).
HARNESS = """\
import argparse, sys
import torchplug
from torchplug.cli._entry_points import EntryPointsCommand

command = EntryPointsCommand()
parser = argparse.ArgumentParser(prog="torchplug entry-points")
command.add_arguments(parser)
args = parser.parse_args(sys.argv[1:])
try:
    sys.exit(command.run(torchplug.registry, args))
except torchplug.TorchplugError as exc:
    print(f"torchplug: error: {exc}", file=sys.stderr)
    sys.exit(2)
"""

PYPROJECT = """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "{dist}"
version = "0.1.0"
dependencies = [
    "torchplug",  # the groups below
]

[project.entry-points.pytest11]
{package} = "{package}.fixtures"

# Norms: written by hand.
[project.entry-points."torchplug.norm"]
rmsnorm = "{package}.norms:RMSNorm"  # keep this comment

[tool.ruff]
line-length = 100  # and this one
"""


class Pack:
    """A pack's source tree in a temporary directory, with a package name no other test uses."""

    def __init__(self, root: Path) -> None:
        number = next(_numbers)
        self.root = root
        self.package = f"tpep_pack{number}"
        self.dist = f"tpep-pack{number}"
        self.root.mkdir(parents=True, exist_ok=True)
        self.pyproject.write_text(PYPROJECT.format(dist=self.dist, package=self.package))
        self.module("", '"""The package: imports nothing."""\n')

    @property
    def pyproject(self) -> Path:
        return self.root / "pyproject.toml"

    @property
    def text(self) -> str:
        return self.pyproject.read_text()

    def module(self, name: str, source: str) -> Path:
        """Write ``src/<package>/<name>.py`` (``name`` dotted, "" for the package itself)."""
        parts = [self.package, *filter(None, name.split("."))]
        directory = self.root.joinpath("src", *parts[:-1] if name else parts)
        directory.mkdir(parents=True, exist_ok=True)
        for depth in range(1, len(parts)):
            init = self.root.joinpath("src", *parts[:depth], "__init__.py")
            if not init.exists():
                init.write_text("")
        path = directory / (f"{parts[-1]}.py" if name else "__init__.py")
        path.write_text(source)
        return path

    def groups(self) -> dict[str, dict[str, str]]:
        """The entry-point groups pyproject.toml declares, read as the build backend reads them."""
        return tomllib.loads(self.text)["project"].get("entry-points", {})

    def run(self, *args: str, registry: Registry | None = None) -> int:
        """The command in this process, through its class, as the CLI calls it."""
        command = EntryPointsCommand()
        parser = argparse.ArgumentParser(prog="torchplug entry-points")
        command.add_arguments(parser)
        return command.run(
            registry or torchplug.registry, parser.parse_args([str(self.root), *args])
        )


@pytest.fixture
def pack(tmp_path: Path) -> Pack:
    before = set(sys.modules)
    yield Pack(tmp_path / "pack")
    for name in set(sys.modules) - before:  # the enumerators' modules, imported from the tree
        if name.startswith("tpep_"):
            del sys.modules[name]


def lion_module(decorator: str, imports: str = "import torchplug") -> str:
    return f"{imports}\n\n\n{decorator}\nclass Lion:\n    pass\n"


# ------------------------------------------------------------------ registrations, read from source


@pytest.mark.parametrize(
    ("imports", "decorator"),
    [
        ("import torchplug", '@torchplug.registry.register_optimizer("lion")'),
        ("import torchplug", '@torchplug.registry.register("optimizer", "lion")'),
        ("from torchplug import registry", '@registry.register_optimizer("lion")'),
        ("from torchplug import registry as reg", '@reg.register("optimizer", name="lion")'),
        ("import torchplug as tp", '@tp.registry.register(category="optimizer", name="lion")'),
        ("import torchplug\nreg = torchplug.registry", '@reg.register_optimizer(name="lion")'),
    ],
)
def test_a_registration_decorator_becomes_an_entry_point(pack, imports, decorator, capsys):
    pack.module("optim", lion_module(decorator, imports))
    assert pack.run() == 0
    assert pack.groups()["torchplug.optimizer"] == {"lion": f"{pack.package}.optim:Lion"}


def test_a_registration_call_becomes_an_entry_point_of_the_registering_module(pack, capsys):
    pack.module(
        "norms",
        "import torchplug\nfrom torch import nn\nfrom .impl import ScaleNorm\n\n"
        'torchplug.registry.register("norm", "scalenorm", ScaleNorm)\n'
        'torchplug.registry.register("norm", "layernorm", obj=nn.LayerNorm)\n',
    )
    assert pack.run() == 0
    # The group was written by hand; now that the source registers norms, it holds exactly those.
    assert pack.groups()["torchplug.norm"] == {
        "layernorm": f"{pack.package}.norms:nn.LayerNorm",
        "scalenorm": f"{pack.package}.norms:ScaleNorm",
    }


def test_aliases_are_entry_points_with_the_same_target(pack, capsys):
    pack.module(
        "optim",
        lion_module('@torchplug.registry.register("optimizer", "lion", aliases=["lion_v1", "l"])'),
    )
    pack.run()
    target = f"{pack.package}.optim:Lion"
    assert pack.groups()["torchplug.optimizer"] == {"l": target, "lion": target, "lion_v1": target}


def test_a_registration_is_read_without_importing_the_module(pack, capsys):
    pack.module(
        "optim",
        'raise RuntimeError("this module must not be imported")\n'
        + lion_module('@torchplug.registry.register_optimizer("lion")'),
    )
    assert pack.run() == 0
    assert "lion" in pack.groups()["torchplug.optimizer"]


def test_registrations_that_do_not_run_on_import_are_not_entry_points(pack, capsys):
    pack.module(
        "optim",
        "import torchplug\n"
        "from torchplug import Registry\n"
        "from somewhere import registry as other_library\n"
        'mine = Registry("myfw")\n\n'
        "def setup():\n"
        '    torchplug.registry.register("optimizer", "in_a_function", object)\n\n'
        "class Holder:\n"
        '    @torchplug.registry.register_optimizer("a_method")\n'
        "    def method(self): ...\n\n"
        '@mine.register("optimizer", "other_registry")\n'
        "class Mine: ...\n\n"
        '@other_library.register("optimizer", "other_library")\n'
        "class Theirs: ...\n\n"
        '@torchplug.registry.register_optimizer("lion")\n'
        "class Lion: ...\n",
    )
    pack.run()
    assert pack.groups()["torchplug.optimizer"] == {"lion": f"{pack.package}.optim:Lion"}


def test_a_registration_under_a_module_level_condition_counts(pack, capsys):
    pack.module(
        "optim",
        "import torchplug\ntry:\n    import fast\nexcept ImportError:\n    fast = None\n"
        'if fast is not None:\n    @torchplug.registry.register_optimizer("fast_lion")\n'
        "    class FastLion: ...\n",
    )
    pack.run()
    assert pack.groups()["torchplug.optimizer"] == {"fast_lion": f"{pack.package}.optim:FastLion"}


@pytest.mark.parametrize(
    ("code", "problem"),
    [
        (
            "for name in ('a', 'b'):\n    torchplug.registry.register('optimizer', name, object)\n",
            "the name of this registration is not a string literal",
        ),
        (
            "CATEGORY = 'optimizer'\ntorchplug.registry.register(CATEGORY, 'a', object)\n",
            "the category of this registration is not a string literal",
        ),
        (
            "torchplug.registry.register('optimizer', 'a', object, aliases=ALIASES)\n",
            "the aliases of this registration are not a literal list of names",
        ),
        (
            "decorate = torchplug.registry.register_optimizer('a')\n",
            "the registered object cannot be told from this call",
        ),
        (
            "torchplug.registry.register('optimizer', 'has space', object)\n",
            "component name 'has space' contains whitespace",
        ),
    ],
)
def test_a_registration_that_cannot_be_read_is_an_error_naming_its_line(pack, code, problem):
    path = pack.module("optim", "import torchplug\n" + code)
    before = pack.text
    with pytest.raises(torchplug.TorchplugError) as caught:
        pack.run()
    message = str(caught.value)
    assert message.startswith(f"{path}:")
    assert problem in message
    assert "--from MODULE:CALLABLE" in message  # what to do instead
    assert pack.text == before


def test_a_flat_layout_is_read_from_its_packages_and_not_its_tests(tmp_path, capsys):
    root = tmp_path / "flat"
    pack = Pack(tmp_path / "unused")
    root.mkdir()
    (root / "pyproject.toml").write_text(pack.text)
    for package in (pack.package, "tests"):
        (root / package).mkdir()
        (root / package / "__init__.py").write_text("")
        (root / package / "optim.py").write_text(
            lion_module(f'@torchplug.registry.register_optimizer("{package}")')
        )
    (root / "setup.py").write_text(lion_module('@torchplug.registry.register_optimizer("setup")'))
    pack.root = root
    pack.run()
    assert pack.groups()["torchplug.optimizer"] == {pack.package: f"{pack.package}.optim:Lion"}


def test_source_directories_can_be_named(pack, capsys):
    lib = pack.root / "lib"
    lib.mkdir()
    (lib / "other_mod.py").write_text(lion_module('@torchplug.registry.register_optimizer("x")'))
    pack.module("optim", lion_module('@torchplug.registry.register_optimizer("ignored")'))
    pack.run("--source", "lib")
    assert pack.groups()["torchplug.optimizer"] == {"x": "other_mod:Lion"}


# ------------------------------------------------------------------ pyproject.toml, edited in place


def test_a_second_run_changes_nothing_byte_for_byte(pack, capsys):
    pack.module("optim", lion_module('@torchplug.registry.register_optimizer("lion")'))
    assert pack.run() == 0
    first = pack.pyproject.read_bytes()
    assert pack.run() == 0
    assert pack.pyproject.read_bytes() == first
    assert (
        capsys.readouterr()
        .out.splitlines()[-1]
        .endswith("up to date, 1 entry points in 1 group(s).")
    )


def test_only_generated_groups_change_and_every_other_line_stays(pack, capsys):
    pack.module("optim", lion_module('@torchplug.registry.register_optimizer("lion")'))
    before = pack.text
    pack.run()
    added = (
        f'[project.entry-points."torchplug.optimizer"]\n{MARKER}\n'
        f'lion = "{pack.package}.optim:Lion"\n\n'
    )
    # The new group goes after the last entry-point table; nothing else moves.
    at = before.index("[tool.ruff]")
    assert pack.text == before[:at] + added + before[at:]


def test_a_group_spread_between_other_tables_is_rewritten_in_place(pack, capsys):
    pack.pyproject.write_text(
        pack.text
        + f'\n[project.entry-points."torchplug.optimizer"]\n{MARKER}\nold = "x:Old"\n'
        + '\n[tool.other]\nkey = 1\n\n[project.entry-points."torchplug.hooks"]\nh = "x.hooks"\n'
    )
    pack.module("optim", lion_module('@torchplug.registry.register_optimizer("lion")'))
    pack.run()
    text = pack.text
    assert f'{MARKER}\nlion = "{pack.package}.optim:Lion"\n\n[tool.other]\nkey = 1\n' in text
    assert "old =" not in text
    assert pack.groups()["torchplug.hooks"] == {"h": "x.hooks"}


def test_comments_of_entries_that_stay_are_kept(pack, capsys):
    target = f"{pack.package}.optim:Lion"
    pack.pyproject.write_text(
        pack.text
        + '\n[project.entry-points."torchplug.optimizer"]\n# about the table\n\n'
        + f'# about lion\nlion = "{target}"  # the sign of the momentum\nold = "x:Old"  # gone\n'
    )
    pack.module(
        "optim",
        lion_module('@torchplug.registry.register("optimizer", "lion", aliases=["adam_sign"])'),
    )
    pack.run()
    table = pack.text.split('[project.entry-points."torchplug.optimizer"]\n')[1]
    assert table == (
        f"{MARKER}\n# about the table\n\n"
        f'adam_sign = "{target}"\n# about lion\nlion = "{target}"  # the sign of the momentum\n'
    )


def test_a_generated_group_that_nothing_produces_any_more_is_removed(pack, capsys):
    pack.module("optim", lion_module('@torchplug.registry.register_optimizer("lion")'))
    sched = pack.module("sched", lion_module('@torchplug.registry.register_scheduler("warm")'))
    pack.run()
    assert set(pack.groups()) >= {"torchplug.optimizer", "torchplug.scheduler"}
    sched.unlink()
    pack.run()
    groups = pack.groups()
    assert "torchplug.scheduler" not in groups
    assert groups["torchplug.norm"] == {"rmsnorm": f"{pack.package}.norms:RMSNorm"}  # by hand


def test_with_nothing_to_generate_the_marked_groups_are_not_wiped(pack, capsys):
    path = pack.module("optim", lion_module('@torchplug.registry.register_optimizer("lion")'))
    pack.run()
    path.unlink()
    before = pack.text
    with pytest.raises(torchplug.TorchplugError, match=r"would be removed\. Name the enumerator"):
        pack.run()
    assert pack.text == before


def test_check_exits_1_with_the_difference_and_changes_nothing(pack, capsys):
    pack.module(
        "optim",
        lion_module('@torchplug.registry.register("optimizer", "lion", aliases=["lion2"])'),
    )
    pack.run()
    pack.module("optim", lion_module('@torchplug.registry.register_optimizer("lion")'))
    pack.module("sched", lion_module('@torchplug.registry.register_scheduler("warm")'))
    before = pack.text
    capsys.readouterr()
    assert pack.run("--check") == 1
    assert pack.text == before
    out = capsys.readouterr().out
    assert out.splitlines()[:4] == [
        '[project.entry-points."torchplug.optimizer"]',
        f'  - lion2 = "{pack.package}.optim:Lion"',
        '[project.entry-points."torchplug.scheduler"]',
        f'  + warm = "{pack.package}.sched:Lion"',
    ]
    assert (
        f"the entry points are stale (2 group(s) differ). Run `torchplug entry-points {pack.root}`"
        in out
    )


def test_check_exits_0_when_current(pack, capsys):
    pack.module("optim", lion_module('@torchplug.registry.register_optimizer("lion")'))
    pack.run()
    capsys.readouterr()
    assert pack.run("--check") == 0
    assert capsys.readouterr().out.endswith("up to date, 1 entry points in 1 group(s).\n")


def test_a_changed_target_is_shown_with_its_old_value(pack, capsys):
    pack.module("optim", lion_module('@torchplug.registry.register_optimizer("lion")'))
    pack.run()
    pack.module(
        "optim",
        lion_module('@torchplug.registry.register_optimizer("lion")').replace("Lion", "Lion2"),
    )
    capsys.readouterr()
    assert pack.run("--check") == 1
    line = f'  ~ lion = "{pack.package}.optim:Lion2"  (was "{pack.package}.optim:Lion")'
    assert line in capsys.readouterr().out.splitlines()


def test_a_pyproject_without_project_metadata_is_an_error(pack):
    pack.pyproject.write_text('[tool.setuptools]\npackages = ["x"]\n')
    with pytest.raises(torchplug.TorchplugError, match=r"has no \[project\] table"):
        pack.run()


def test_a_missing_pyproject_is_an_error_saying_where_to_run(tmp_path):
    pack = Pack(tmp_path / "pack")
    pack.pyproject.unlink()
    with pytest.raises(torchplug.TorchplugError, match="Run the command in a pack's directory"):
        pack.run()


# ------------------------------------------------------------------ enumerators


def enumerator(result: str) -> str:
    return f"def components():\n    return {result}\n"


def test_an_enumerator_lists_components_of_an_upstream_library(pack, capsys):
    pack.module("upstream", "class Adam: ...\nclass Lamb: ...\n")
    pack.module(
        "_enumerate",
        "from . import upstream\n\n"
        "def components():\n"
        "    return {'optimizer': {cls.__name__.lower(): f'{upstream.__name__}:{cls.__name__}'\n"
        "                          for cls in (upstream.Adam, upstream.Lamb)}}\n",
    )
    assert pack.run("--from", f"{pack.package}._enumerate:components") == 0
    assert pack.groups()["torchplug.optimizer"] == {
        "adam": f"{pack.package}.upstream:Adam",
        "lamb": f"{pack.package}.upstream:Lamb",
    }


def test_enumerators_can_be_named_in_pyproject(pack, capsys):
    pack.module("upstream", "class Adam: ...\n")
    pack.module(
        "_enumerate", enumerator(f"{{'optimizer': {{'adam': '{pack.package}.upstream:Adam'}}}}")
    )
    pack.pyproject.write_text(
        pack.text
        + f'\n[tool.torchplug.entry-points]\nfrom = ["{pack.package}._enumerate:components"]\n'
    )
    assert pack.run() == 0
    assert pack.groups()["torchplug.optimizer"] == {"adam": f"{pack.package}.upstream:Adam"}
    assert pack.run("--check") == 0


def test_an_unknown_setting_is_an_error_naming_the_file(pack):
    pack.pyproject.write_text(pack.text + '\n[tool.torchplug.entry-points]\nfrom_ = ["x:y"]\n')
    with pytest.raises(torchplug.TorchplugError, match=r"unknown key\(s\) \['from_'\]") as caught:
        pack.run()
    assert str(pack.pyproject) in str(caught.value)


@pytest.mark.parametrize(
    ("result", "problem"),
    [
        ("[('optimizer', {})]", "returned list; it must return a mapping"),
        ("{'optimizer': ['adam']}", "returned dict; it must return a mapping"),
        ("{'hooks': {'x': 'os:getcwd'}}", "category 'hooks' is reserved"),
        ("{'Optimizer': {'x': 'os:getcwd'}}", "category 'Optimizer' is not a lowercase identifier"),
        ("{'optimizer': {'a:b': 'os:getcwd'}}", "contains ':'"),
        ("{'optimizer': {'x': 3}}", "its target is int 3, not 'module:attr'"),
        ("{'optimizer': {'x': 'os:no_such_thing'}}", "its target 'os:no_such_thing' does not load"),
        ("{'optimizer': {'x': 'no_such_module_tpep:X'}}", "ModuleNotFoundError"),
    ],
)
def test_an_enumerator_that_breaks_the_contract_is_an_error(pack, result, problem):
    pack.module("_enumerate", enumerator(result))
    before = pack.text
    with pytest.raises(torchplug.TorchplugError) as caught:
        pack.run("--from", f"{pack.package}._enumerate:components")
    assert problem in str(caught.value)
    assert f"{pack.package}._enumerate:components" in str(caught.value)
    assert pack.text == before


def test_an_enumerator_that_raises_is_an_error_chained_to_its_exception(pack):
    pack.module("_enumerate", "def components():\n    raise ValueError('upstream moved')\n")
    with pytest.raises(
        torchplug.TorchplugError, match="raised ValueError: upstream moved"
    ) as caught:
        pack.run("--from", f"{pack.package}._enumerate:components")
    assert isinstance(caught.value.__cause__, ValueError)  # what --traceback shows


@pytest.mark.parametrize("spec", ["no_colon", "tpep_missing_module:components"])
def test_an_enumerator_that_cannot_be_loaded_is_an_error(pack, spec):
    with pytest.raises(torchplug.TorchplugError, match="enumerator"):
        pack.run("--from", spec)


def test_one_name_with_two_targets_is_an_error_naming_both_sources(pack):
    path = pack.module("optim", lion_module('@torchplug.registry.register_optimizer("lion")'))
    pack.module("_enumerate", enumerator("{'optimizer': {'lion': 'os:getcwd'}}"))
    with pytest.raises(torchplug.TorchplugError) as caught:
        pack.run("--from", f"{pack.package}._enumerate:components")
    message = str(caught.value)
    assert (
        f"optimizer 'lion' is given two targets: '{pack.package}.optim:Lion' by {path}:" in message
    )
    assert f"and 'os:getcwd' by {pack.package}._enumerate:components" in message


def test_another_namespace_gets_the_enumerated_groups_and_no_registrations(pack, capsys):
    pack.module("optim", lion_module('@torchplug.registry.register_optimizer("lion")'))
    pack.module("_enumerate", enumerator("{'backbone': {'cnn': 'os:getcwd'}}"))
    pack.run("--from", f"{pack.package}._enumerate:components", registry=Registry("myfw"))
    groups = pack.groups()
    assert groups["myfw.backbone"] == {"cnn": "os:getcwd"}
    assert "torchplug.optimizer" not in groups


# ------------------------------------------------------------------ what was written, installed


def test_the_written_entry_points_resolve_once_installed(pack, torchplug_site: FakeSite, capsys):
    optim = lion_module('@torchplug.registry.register_optimizer("lion")')
    pack.module("optim", optim)
    pack.module("upstream", "class Lamb:\n    pass\n")
    pack.module(
        "_enumerate", enumerator(f"{{'optimizer': {{'lamb': '{pack.package}.upstream:Lamb'}}}}")
    )
    pack.run("--from", f"{pack.package}._enumerate:components")
    # Install it as pip would: a dist-info folder whose entry_points.txt has the written groups.
    groups = pack.groups()
    torchplug_site.add(
        pack.dist,
        groups={f"{torchplug_site.namespace}.optimizer": groups["torchplug.optimizer"]},
        modules={f"{pack.package}.upstream": "class Lamb:\n    pass\n"},
    )
    registry = torchplug_site.registry()
    assert sorted(registry.list("optimizer")) == ["lamb", "lion"]
    assert registry.info("optimizer", "lion").target == f"{pack.package}.optim:Lion"
    assert registry.get("optimizer", "lamb").__name__ == "Lamb"


def test_a_kwargs_wrapper_with_a_signature_keeps_key_checking(torchplug_site: FakeSite):
    """What the docs teach for bulk packs: ``__signature__`` makes a ``**kwargs`` builder checkable."""
    torchplug_site.add(
        "wrapper-pack",
        entry_points={"model": {"net": "tpep_wrapper:net", "loose": "tpep_wrapper:loose"}},
        modules={
            "tpep_wrapper": (
                "import inspect\n\n"
                "class Net:\n"
                "    def __init__(self, num_classes: int = 1000, drop_rate: float = 0.0): ...\n\n"
                "def loose(**kwargs):\n    return Net(**kwargs)\n\n"
                "def net(**kwargs):\n    return Net(**kwargs)\n\n"
                "net.__signature__ = inspect.signature(Net)\n"
            )
        },
    )
    registry = torchplug_site.registry()
    with pytest.raises(TypeError) as unchecked:  # from inside the constructor, no config path
        registry.build("model", {"type": "loose", "num_clases": 10})
    assert not isinstance(unchecked.value, torchplug.ConfigError)
    with pytest.raises(torchplug.ConfigError) as caught:
        registry.build("model", {"type": "net", "num_clases": 10})
    assert "unknown key 'num_clases'" in str(caught.value)
    assert "Did you mean 'num_classes'?" in str(caught.value)
    with pytest.raises(torchplug.ConfigError, match="expected int"):
        registry.build("model", {"type": "net", "num_classes": "ten"})


# ------------------------------------------------------------------ as a command, in a fresh process


def test_the_command_in_a_fresh_process(pack, run_process):
    pack.module("optim", lion_module('@torchplug.registry.register_optimizer("lion")'))
    stale = run_process(sys.executable, "-c", HARNESS, "--check", cwd=pack.root)
    assert (stale.returncode, stale.stderr) == (1, "")
    assert "Run `torchplug entry-points .` to rewrite them." in stale.stdout
    assert run_process(sys.executable, "-c", HARNESS, cwd=pack.root).returncode == 0
    current = run_process(sys.executable, "-c", HARNESS, "--check", cwd=pack.root)
    assert (current.returncode, current.stderr) == (0, "")


def test_bad_input_is_one_error_line_not_a_traceback(pack, run_process):
    pack.module(
        "optim", "import torchplug\nfor n in 'ab':\n    torchplug.registry.register('loss', n, 1)\n"
    )
    result = run_process(sys.executable, "-c", HARNESS, cwd=pack.root)
    assert result.returncode == 2
    assert result.stderr.startswith("torchplug: error: ")
    assert "Traceback" not in result.stderr


def test_without_tomlkit_the_error_names_the_install_command(pack, run_process):
    blocked = "import sys\nsys.modules['tomlkit'] = None  # as if it were not installed\n"
    result = run_process(sys.executable, "-c", blocked + HARNESS, cwd=pack.root)
    assert result.returncode == 2
    assert "tomlkit is not installed" in result.stderr
    assert "python -m pip install 'torchplug[author]'" in result.stderr


def test_neither_torchplug_nor_the_command_module_imports_tomlkit(run_process):
    code = (
        "import sys, torchplug, torchplug.cli._entry_points\n"
        "assert 'tomlkit' not in sys.modules, 'tomlkit was imported'\n"
    )
    result = run_process(sys.executable, "-c", code)
    assert result.returncode == 0, result.stderr


def test_the_first_line_of_the_docstring_is_the_one_line_help():
    summary = EntryPointsCommand.__doc__.splitlines()[0]
    assert summary.startswith("Write a pack's entry points into its pyproject.toml")
    assert len(summary) <= 100


@pytest.mark.slow
def test_a_generated_pack_built_and_installed_by_pip_lists_and_loads_its_names(
    pack, run_process, tmp_path
):
    pack.module("optim", lion_module('@torchplug.registry.register_optimizer("tpep_lion")'))
    pack.module("upstream", "class Lamb:\n    pass\n")
    pack.module(
        "_enumerate",
        enumerator(f"{{'optimizer': {{'tpep_lamb': '{pack.package}.upstream:Lamb'}}}}"),
    )
    generated = run_process(
        sys.executable,
        "-c",
        HARNESS,
        "--from",
        f"{pack.package}._enumerate:components",
        cwd=pack.root,
    )
    assert generated.returncode == 0, generated.stderr
    pip = [sys.executable, "-m", "pip"]
    built = run_process(*pip, "wheel", "--no-deps", "-q", "-w", tmp_path / "wheels", pack.root)
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp_path / "wheels").glob("*.whl")
    site = tmp_path / "site"
    installed = run_process(*pip, "install", "--no-deps", "-q", "--target", site, wheel)
    assert installed.returncode == 0, installed.stderr

    env = {"PYTHONPATH": str(site), "TORCHPLUG_CACHE": "0"}
    listed = run_process(sys.executable, "-m", "torchplug", "list", "optimizer", "--json", env=env)
    rows = [
        (r["name"], r["target"], r["status"])
        for r in listed.json()
        if r["distribution"] == pack.dist
    ]
    assert rows == [
        ("tpep_lamb", f"{pack.package}.upstream:Lamb", "ok"),
        ("tpep_lion", f"{pack.package}.optim:Lion", "ok"),
    ]
    code = "import torchplug; print(torchplug.registry.get('optimizer', 'tpep_lion').__name__)"
    loaded = run_process(sys.executable, "-c", code, env=env)
    assert loaded.stdout.strip() == "Lion", loaded.stderr
