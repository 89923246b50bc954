"""`torchplug show` and `torchplug.cli._source`: a component's definition, read from its source text.

Reading must never import the plugin: the modules written here append to a journal when they
run, and every test that reads from source checks that the journal stays empty.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import inspect
import py_compile
import sys
from pathlib import Path

import pytest
from torchplug.cli._source import read_source
from torchplug.testing import FakeSite

#: A plugin module with a function and a class, both typed and documented.
LION = '''
"""The Lion optimizer."""
from typing import Optional


def build_lion(params, lr: float = 1e-4, betas: tuple[float, float] = (0.9, 0.99), *,
               weight_decay: Optional[float] = None) -> "Lion":
    """Build Lion for `params`."""
    return Lion(params, lr)


class Lion:
    """Lion: the sign of an interpolated momentum."""

    def __init__(self, params, lr=1e-4, /, maximize: bool = False, **defaults) -> None:
        self.params = params
'''


def add_lion(site: FakeSite, journal, dist: str = "tp-lion", module: str = "tp_lion.optim") -> None:
    site.add(
        dist,
        "0.3.1",
        entry_points={"optimizer": {"lion": f"{module}:Lion", "lion_fn": f"{module}:build_lion"}},
        modules={module: journal.write("'imported ' + __name__") + LION},
    )


# ----------------------------------------------------------------------------- through the CLI


def test_show_prints_provider_target_file_line_and_signature(cli, torchplug_site, journal):
    add_lion(torchplug_site, journal)
    shown = cli("show", "optimizer", "lion_fn", env={"COLUMNS": "200"})
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0] == "optimizer 'lion_fn' (ok)"
    assert "provider      tp-lion 0.3.1" in lines
    assert "target        tp_lion.optim:build_lion" in lines
    source = torchplug_site.root / "tp_lion" / "optim.py"
    line = next(
        i for i, t in enumerate(source.read_text().splitlines(), 1) if "def build_lion" in t
    )
    assert f"file          {source}:{line}" in lines
    assert "read from     source text, nothing imported" in lines
    assert (
        "def build_lion(params, lr: float = 0.0001, betas: tuple[float, float] = (0.9, 0.99), *, "
        "weight_decay: Optional[float] = None) -> 'Lion'"
    ) in lines
    assert "    Build Lion for `params`." in lines


def test_a_class_shows_its_init_signature_without_self_and_its_docstring(
    cli, torchplug_site, journal
):
    add_lion(torchplug_site, journal)
    shown = cli("show", "optimizer", "lion")
    lines = shown.stdout.splitlines()
    assert "class Lion(params, lr=0.0001, /, maximize: bool = False, **defaults) -> None" in lines
    assert "    Lion: the sign of an interpolated momentum." in lines


WRAPPED_LION = """\
def build_lion(
    params,
    lr: float = 0.0001,
    betas: tuple[float, float] = (0.9, 0.99),
    *,
    weight_decay: Optional[float] = None,
) -> 'Lion'"""


@pytest.mark.parametrize("env", [{}, {"COLUMNS": "100"}], ids=["piped-80", "COLUMNS"])
def test_a_signature_too_wide_is_printed_one_parameter_a_line(cli, torchplug_site, journal, env):
    add_lion(torchplug_site, journal)
    shown = cli("show", "optimizer", "lion_fn", env=env)
    assert shown.returncode == 0, shown.stderr
    assert WRAPPED_LION + "\n\n    Build Lion for `params`." in shown.stdout
    assert max(map(len, shown.stdout.splitlines()[-9:])) <= 80


def test_an_imported_signature_too_wide_is_wrapped_the_same_way(cli, torchplug_site, journal):
    add_lion(torchplug_site, journal)
    shown = cli("show", "optimizer", "lion_fn", "--import", env={"COLUMNS": "60"})
    assert WRAPPED_LION in shown.stdout


def test_json_keeps_the_signature_on_one_line(cli, torchplug_site, journal):
    add_lion(torchplug_site, journal)
    (provider,) = cli("show", "optimizer", "lion_fn", "--json", env={"COLUMNS": "40"}).json()[
        "providers"
    ]
    assert provider["signature"].startswith("(params, lr: float = 0.0001, betas:")


#: A class documented in its body and in its __init__, and one documented in its __init__ only.
DOCUMENTED = '''
class Documented:
    """A gadget: documented in the class body."""

    def __init__(self, size: int = 1) -> None:
        """Make one.

        Args:
            size: how big.
        """


class InitOnly:
    def __init__(self, size: int = 1) -> None:
        """Documented in __init__ only."""


class Inheriting(InitOnly):
    """Its own words; the base's __init__ documents the base."""
'''


@pytest.mark.parametrize("imported", [False, True], ids=["source", "imported"])
@pytest.mark.parametrize(
    ("name", "docstring"),
    [
        (
            "documented",
            "A gadget: documented in the class body.\n\nMake one.\n\nArgs:\n    size: how big.",
        ),
        ("init_only", "Documented in __init__ only."),
        ("inheriting", "Its own words; the base's __init__ documents the base."),
    ],
)
def test_a_class_shows_its_docstring_and_its_own_inits(
    cli, torchplug_site, journal, name, docstring, imported
):
    torchplug_site.add(
        "tp-gadgets",
        entry_points={
            "gadget": {
                "documented": "tp_gadgets:Documented",
                "init_only": "tp_gadgets:InitOnly",
                "inheriting": "tp_gadgets:Inheriting",
            }
        },
        modules={"tp_gadgets": DOCUMENTED},
    )
    options = ["--import"] if imported else []
    (provider,) = cli("show", "gadget", name, "--json", *options).json()["providers"]
    assert provider["docstring"] == docstring
    shown = cli("show", "gadget", name, *options).stdout
    assert "\n".join(f"    {line}".rstrip() for line in docstring.splitlines()) in shown


def test_show_and_list_import_no_plugin_module(cli, torchplug_site, journal):
    add_lion(torchplug_site, journal)
    for command in (["show", "optimizer", "lion"], ["show", "optimizer", "lion", "--json"]):
        assert cli(*command).returncode == 0
    assert cli("list", "--filter", "lion*").returncode == 0
    assert journal.lines == []


def test_every_provider_of_a_conflicted_name_is_shown(cli, torchplug_site, journal):
    add_lion(torchplug_site, journal, "tp-lion", "tp_lion.optim")
    add_lion(torchplug_site, journal, "tp-rival", "tp_rival.optim")
    shown = cli("show", "optimizer", "lion")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("optimizer 'lion' (conflict: provided by 2 entry points")
    assert "provider      tp-lion 0.3.1" in shown.stdout
    assert "provider      tp-rival 0.3.1" in shown.stdout
    assert shown.stdout.count("class Lion(params") == 2
    assert journal.lines == []


def test_a_qualified_name_shows_one_provider_of_a_conflict(cli, torchplug_site, journal):
    add_lion(torchplug_site, journal, "tp-lion", "tp_lion.optim")
    add_lion(torchplug_site, journal, "tp-rival", "tp_rival.optim")
    payload = cli("show", "optimizer", "tp-rival:lion", "--json").json()
    assert [p["distribution"] for p in payload["providers"]] == ["tp-rival"]


def test_json_gives_every_field_per_provider(cli, torchplug_site, journal):
    add_lion(torchplug_site, journal)
    payload = cli("show", "optimizer", "lion", "--json").json()
    assert (payload["category"], payload["name"], payload["status"]) == ("optimizer", "lion", "ok")
    (provider,) = payload["providers"]
    assert provider["distribution"] == "tp-lion"
    assert provider["version"] == "0.3.1"
    assert provider["kind"] == "class"
    assert provider["module"] == "tp_lion.optim"
    assert provider["file"] == str(torchplug_site.root / "tp_lion" / "optim.py")
    assert (
        provider["signature"]
        == "(params, lr=0.0001, /, maximize: bool = False, **defaults) -> None"
    )
    assert provider["docstring"] == "Lion: the sign of an interpolated momentum."
    assert provider["imported"] is False
    assert provider["note"] is None


def test_import_option_imports_the_target_and_reads_it_with_inspect(cli, torchplug_site, journal):
    add_lion(torchplug_site, journal)
    shown = cli("show", "optimizer", "lion_fn", "--import", env={"COLUMNS": "200"})
    assert shown.returncode == 0, shown.stderr
    assert "read from     imported, read with inspect" in shown.stdout
    assert "def build_lion(params, lr: float = 0.0001" in shown.stdout
    assert journal.lines == ["imported tp_lion.optim"]


def test_import_option_never_imports_a_disabled_distribution(cli, torchplug_site, journal):
    add_lion(torchplug_site, journal)
    shown = cli("show", "optimizer", "lion", "--import", env={"TORCHPLUG_DISABLE": "tp-lion"})
    assert shown.returncode == 0, shown.stderr
    assert "provider      tp-lion 0.3.1 [disabled]" in shown.stdout
    assert "not imported: TORCHPLUG_DISABLE blocks tp-lion" in shown.stdout
    assert "read from     source text, nothing imported" in shown.stdout
    assert journal.lines == []


def test_compiled_extension_is_named_and_import_is_offered(cli, torchplug_site):
    (torchplug_site.root / "tp_native").mkdir()
    (torchplug_site.root / "tp_native" / "__init__.py").write_text("")
    suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
    (torchplug_site.root / "tp_native" / f"fast{suffix}").write_bytes(b"\x7fELF not really")
    torchplug_site.add("tp-native", entry_points={"loss": {"fast": "tp_native.fast:loss"}})
    shown = cli("show", "loss", "fast")
    assert shown.returncode == 0, shown.stderr
    assert "tp_native.fast is a compiled extension module" in shown.stdout
    assert "--import reads the imported object instead" in shown.stdout


def test_unknown_name_is_an_error_on_stderr_without_traceback(cli, torchplug_site, journal):
    add_lion(torchplug_site, journal)
    shown = cli("show", "optimizer", "lino")
    assert shown.returncode == 2
    assert shown.stdout == ""
    assert "No optimizer named 'lino'" in shown.stderr
    assert "Did you mean 'lion'?" in shown.stderr
    assert "Traceback" not in shown.stderr


def test_help_has_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    from torchplug.cli import main

    with pytest.raises(SystemExit) as exited:
        main(["show", "--help"])
    assert exited.value.code == 0
    assert "example:\n  torchplug show" in capsys.readouterr().out


# ----------------------------------------------------------------------------- reading source


def read(site: FakeSite, module: str, source: str, attribute: str | None, package: bool = False):
    """Write `module` into the site and read ``module:attribute`` without importing it."""
    site.write_module(f"{module}.__init__" if package else module, source)
    importlib.invalidate_caches()
    found = read_source(f"{module}:{attribute}" if attribute else module)
    assert module not in sys.modules
    return found


@pytest.mark.parametrize(
    "definition",
    [
        "def f(a, b=1, *args, c, d=2, **kw): ...",
        "def f(a: int, /, b: 'str' = 'x', *, c: list[int] | None = None) -> dict[str, int]: ...",
        "def f(x=(1, 2), y={'k': [1.5, None]}, z=-1e-3, w=True, v=b'\\x00'): ...",
        "def f(*, only): ...",
        "def f(a, /): ...",
        "def f(): ...",
        "async def f(a, b: float = 0.5): ...",
        "class f:\n    def __init__(self, x: int, y=3) -> None: ...",
        "class f:\n    def __init__(self, /, x, *rest, **kw): ...",
    ],
    ids=[
        "varargs",
        "positional-only-and-annotations",
        "literal-defaults",
        "keyword-only",
        "positional-only-alone",
        "empty",
        "async",
        "class",
        "class-positional-only-self",
    ],
)
def test_signature_from_source_matches_inspect_of_the_imported_object(
    torchplug_site, request, definition
):
    module = f"tp_sig_{request.node.callspec.id.replace('-', '_')}"
    found = read(torchplug_site, module, definition + "\n", "f")
    imported = importlib.import_module(module)
    assert found.signature == str(inspect.signature(imported.f))


def test_a_reexport_is_followed_to_the_module_that_defines_it(torchplug_site):
    torchplug_site.write_module("tp_pack.optim", LION)
    found = read(torchplug_site, "tp_pack", "from .optim import Lion as Lion\n", "Lion", True)
    assert (found.kind, found.module, found.qualname) == ("class", "tp_pack.optim", "Lion")
    assert found.file == str(torchplug_site.root / "tp_pack" / "optim.py")
    assert found.reexported_by == ("tp_pack",)


def test_a_star_import_is_followed(torchplug_site):
    torchplug_site.write_module(
        "tp_star.modules.norm", "class RMSNorm:\n    def __init__(self, dim): ...\n"
    )
    torchplug_site.write_module("tp_star.modules.__init__", "from .norm import RMSNorm\n")
    found = read(torchplug_site, "tp_star", "from tp_star.modules import *\n", "RMSNorm", True)
    assert (found.module, found.signature) == ("tp_star.modules.norm", "(dim)")
    assert found.reexported_by == ("tp_star", "tp_star.modules")


def test_an_alias_assignment_is_followed(torchplug_site):
    source = "def build(lr=0.1):\n    '''Build.'''\n\nbuild_v1 = build\n"
    found = read(torchplug_site, "tp_alias", source, "build_v1")
    assert (found.kind, found.qualname, found.signature) == ("function", "build", "(lr=0.1)")


def test_a_method_is_read_through_its_class(torchplug_site):
    source = (
        "class Outer:\n    @classmethod\n    def create(cls, size: int = 2):\n        '''Make.'''\n"
    )
    found = read(torchplug_site, "tp_method", source, "Outer.create")
    assert (found.qualname, found.signature) == ("Outer.create", "(size: int = 2)")
    assert found.decorators == ("classmethod",)


def test_the_last_unconditional_definition_wins(torchplug_site):
    source = "def f(old): ...\n\ndef f(new): ...\n"
    assert read(torchplug_site, "tp_redefined", source, "f").signature == "(new)"


def test_a_docstring_assigned_as_a_literal_is_read(torchplug_site):
    source = "class Adam:\n    def __init__(self, params): ...\n\nAdam.__doc__ = '''Adam.'''\n"
    found = read(torchplug_site, "tp_doc", source, "Adam")
    assert (found.docstring, found.note) == ("Adam.", None)


def test_a_docstring_computed_at_import_time_points_to_import(torchplug_site):
    source = "class Adam:\n    def __init__(self, params): ...\n\nAdam.__doc__ = 'A' + 'dam'\n"
    found = read(torchplug_site, "tp_doc_computed", source, "Adam")
    assert found.docstring is None
    assert "docstring is computed at import time (line 4)" in found.note
    assert "--import" in found.note


def test_an_inherited_init_is_read_from_the_base_class(torchplug_site):
    torchplug_site.write_module(
        "tp_base.core", "class Base:\n    def __init__(self, size=4): ...\n"
    )
    source = "from tp_base.core import Base\nclass Middle(Base): ...\nclass Child(Middle): ...\n"
    found = read(torchplug_site, "tp_child", source, "Child")
    assert (found.kind, found.qualname, found.signature) == ("class", "Child", "(size=4)")
    assert found.note == "__init__ inherited from tp_base.core:Base"


def test_a_class_whose_init_cannot_be_read_points_to_import(torchplug_site):
    found = read(torchplug_site, "tp_noinit", "class Child(Unknown):\n    '''Kid.'''\n", "Child")
    assert (found.kind, found.signature, found.docstring) == ("class", None, "Kid.")
    assert "class Child defines no readable __init__ (bases: Unknown)" in found.note
    assert "--import" in found.note


def test_a_value_made_by_a_call_points_to_import(torchplug_site):
    source = "import functools\nbuild = functools.partial(print, sep='')\n"
    found = read(torchplug_site, "tp_partial", source, "build")
    assert (found.kind, found.line, found.signature) == ("value", 2, None)
    assert "it is assigned `functools.partial(print, sep='')`" in found.note
    assert "--import" in found.note


def test_a_module_target_shows_the_module_docstring(torchplug_site):
    found = read(torchplug_site, "tp_hooks", '"""Our hooks."""\n', None)
    assert (found.kind, found.docstring, found.line) == ("module", "Our hooks.", 1)


def test_names_made_by_a_module_getattr_point_to_import(torchplug_site):
    source = "def __getattr__(name):\n    return name\n"
    found = read(torchplug_site, "tp_lazy", source, "anything")
    assert found.kind == "unknown"
    assert "tp_lazy has no statement that defines anything" in found.note
    assert "module-level __getattr__" in found.note


def test_a_missing_module_is_reported(torchplug_site):
    found = read_source("tp_absent.optim:Lion")
    assert found.kind == "unknown"
    assert "module tp_absent.optim is not found on sys.path" in found.note


def test_a_malformed_target_is_reported():
    assert "malformed entry-point value" in read_source("not a target").note


def test_a_bytecode_only_module_is_named_and_import_is_offered(torchplug_site, tmp_path):
    source = tmp_path / "compiled.py"
    source.write_text("def f(x): ...\n")
    torchplug_site.write_module("tp_pyc.__init__", "")
    py_compile.compile(str(source), cfile=str(torchplug_site.root / "tp_pyc" / "compiled.pyc"))
    found = read_source("tp_pyc.compiled:f")
    assert "tp_pyc.compiled is installed as bytecode only" in found.note
    assert "--import" in found.note


def test_a_module_in_a_namespace_package_is_found(torchplug_site):
    (torchplug_site.root / "tp_ns" / "part").mkdir(parents=True)
    (torchplug_site.root / "tp_ns" / "part" / "mod.py").write_text("def f(a): ...\n")
    assert read_source("tp_ns.part.mod:f").signature == "(a)"


def test_the_first_module_on_the_path_wins_as_it_does_for_import(torchplug_site, second_site):
    torchplug_site.write_module("tp_shadow", "def f(later): ...\n")
    second_site.write_module("tp_shadow", "def f(first): ...\n")  # earlier on sys.path
    assert read_source("tp_shadow:f").signature == "(first)"


def test_a_setuptools_editable_install_is_found_through_its_finder_mapping(
    torchplug_site, tmp_path
):
    checkout = tmp_path / "checkout" / "src" / "tp_editable"
    checkout.mkdir(parents=True)
    (checkout / "__init__.py").write_text("def build(lr=0.5): ...\n")
    folder = torchplug_site.add("tp-editable", entry_points={"loss": {"e": "tp_editable:build"}})
    finder = "__editable___tp_editable_1_0_finder.py"
    (torchplug_site.root / finder).write_text(
        f"MAPPING: dict[str, str] = {{'tp_editable': {str(checkout)!r}}}\n"
    )
    (folder / "RECORD").write_text(f"{finder},,\n{folder.name}/METADATA,,\n")
    assert read_source("tp_editable:build").kind == "unknown"  # not on sys.path
    found = read_source("tp_editable:build", str(folder))
    assert (found.file, found.signature) == (str(checkout / "__init__.py"), "(lr=0.5)")


@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="torch is not installed")
def test_a_third_party_target_is_read_from_its_installed_source():
    found = read_source("torch.optim:AdamW")
    assert (found.kind, found.module, found.reexported_by) == (
        "class",
        "torch.optim.adamw",
        ("torch.optim",),
    )
    assert found.signature.startswith("(params")
    assert Path(found.file).name == "adamw.py"


# ----------------------------------------------------------------------------- laying out signatures


@pytest.mark.parametrize(
    ("signature", "parameters", "tail"),
    [
        ("()", [], ""),
        ("(a, b=1, *args, c, **kw)", ["a", "b=1", "*args", "c", "**kw"], ""),
        ("(a, /, b, *, c) -> None", ["a", "/", "b", "*", "c"], " -> None"),
        (
            "(betas: tuple[float, float] = (0.9, 0.99))",
            ["betas: tuple[float, float] = (0.9, 0.99)"],
            "",
        ),
        ("(sep: str = ', ', end='),')", ["sep: str = ', '", "end='),'"], ""),
        ('(q="a\\"b, c")', ['q="a\\"b, c"'], ""),
        (
            "(d={'k': [1, 2]}, f=Component('norm', 'rms'))",
            ["d={'k': [1, 2]}", "f=Component('norm', 'rms')"],
            "",
        ),
        ("(x) -> dict[str, int]", ["x"], " -> dict[str, int]"),
    ],
    ids=[
        "empty",
        "varargs",
        "markers",
        "tuple-default",
        "commas-in-strings",
        "escaped-quote",
        "calls",
        "returns",
    ],
)
def test_parameters_are_split_at_the_commas_between_them(signature, parameters, tail):
    from torchplug.cli._signature import split_parameters

    assert split_parameters(signature) == (parameters, tail)


@pytest.mark.parametrize("text", ["", "x", "(a, b", "(a, [b)"])
def test_text_that_is_no_signature_is_not_split(text):
    from torchplug.cli._signature import format_definition, split_parameters

    assert split_parameters(text) is None
    assert format_definition("def f", text, 1) == f"def f{text}"  # printed as it is


def test_a_signature_that_fits_stays_on_one_line():
    from torchplug.cli._signature import format_definition

    assert format_definition("def f", "(a, b=1) -> int", 20) == "def f(a, b=1) -> int"
    assert format_definition("def f", "(a, b=1) -> int", 19) == "def f(\n    a,\n    b=1,\n) -> int"
    assert format_definition("def f", "()", 1) == "def f()"
