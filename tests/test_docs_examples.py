"""Every Python and shell example in the documentation runs, and says what it really does.

Which fenced blocks run, per language:

- ``python``: the page's blocks run in order in one fresh interpreter (one session per page).
  A line ``expression  # -> value`` asserts that ``repr(expression) == "value"``. When a block
  prints, and the block right after it is a ``text`` block, that block is its expected output.
- ``bash``: a script run with ``bash -e``: it must exit with status 0.
- ``console``: a terminal session. Each ``$ command`` runs in bash and its output (stdout and
  stderr, interleaved as on a terminal) must match the lines under it, as in a doctest: ``...``
  stands for any text (for example a speed, or a path that differs between machines), and runs
  of whitespace compare equal.
- ``python`` and ``toml`` blocks whose first line names a file (``# pyproject.toml``,
  ``# src/<package>/<module>.py``, ``# tests/test_<name>.py``) are the files of an example pack:
  the pack is installed (its dist-info written from the ``pyproject.toml``), its modules are
  imported and its tests are run with pytest. A ``bash`` block whose first line names a
  ``.sh`` file is written to that file, for a later block to run.
- Any other language (``text``, ``toml``, ``json``) is output or configuration, not run.

A block that cannot run here carries a marker on the line right above its opening fence,
``<!-- not run: <why> -->``, for instance a ``pip install`` from the package index or torchrun on
GPUs. Every block without one runs. A marker with no reason, or not followed by a block, fails.

Each page runs in a directory of its own holding a copy of ``examples/`` (``torchplug run``
writes ``runs/`` and lock files there), with a private scan cache, and with the example packs the
page assumes installed in a site directory on ``PYTHONPATH`` (`PAGE_PACKS`). A pack the page
shows is installed there too, unless `PAGE_PACKS` puts it in a site of its own, which only the
commands that name that site see. The page's Python session runs first, then its shell blocks in
order.
"""

from __future__ import annotations

import ast
import doctest
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tokenize
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the docs examples are checked on 3.11+
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted(
    [
        ROOT / "README.md",
        *(ROOT / "docs" / "pages").rglob("*.md"),
        *(p for p in (ROOT / "examples").rglob("*.md") if "runs" not in p.parts),
    ]
)
RUNNABLE = {"python", "bash", "console"}
NOT_RUN = re.compile(r"^\s*<!--\s*not run:\s*(?P<why>.*?)\s*-->\s*$")
FENCE = re.compile(r"^(?P<indent>\s*)```(?P<lang>[\w-]*)")
FILE_HEADER = re.compile(r"^# (?P<path>[\w./-]+\.(?:py|toml|sh))\b")
OUTPUT_FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _name(path: Path) -> str:
    """`path` as messages and `PAGE_PACKS` name it: relative to the repository root."""
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)


@dataclass
class Block:
    """One fenced code block of a Markdown page."""

    page: Path
    line: int  # 1-based line of the first line of code, just below the opening fence
    lang: str
    code: str
    not_run: str | None = None  # the reason given by a <!-- not run: ... --> marker
    next_lang: str | None = None  # the next block's language, when only blank lines part them
    next_code: str = ""

    @property
    def where(self) -> str:
        return f"{_name(self.page)}:{self.line}"

    @property
    def file(self) -> str | None:
        """The path this block is the content of, when its first line names one."""
        if self.lang not in {"python", "toml", "bash"}:
            return None
        match = FILE_HEADER.match(self.code.split("\n", 1)[0])
        return match["path"] if match else None


def read_blocks(page: Path) -> list[Block]:
    """The fenced blocks of `page`, with their markers; malformed markers raise."""
    lines = page.read_text("utf-8").splitlines()
    blocks: list[Block] = []
    index = 0
    last_end = -1  # line index of the previous block's closing fence
    while index < len(lines):
        fence = FENCE.match(lines[index])
        if fence is None:
            marker = NOT_RUN.match(lines[index])
            if marker and not (index + 1 < len(lines) and FENCE.match(lines[index + 1])):
                raise AssertionError(
                    f"{_name(page)}:{index + 1}: a not-run marker must be on the line "
                    "right above the block it marks"
                )
            index += 1
            continue
        indent, start = fence["indent"], index
        index += 1
        body = []
        while index < len(lines) and lines[index].strip() != "```":
            body.append(lines[index][len(indent) :])
            index += 1
        reason = None
        if start > 0 and (marker := NOT_RUN.match(lines[start - 1])):
            reason = marker["why"]
            if not reason:
                raise AssertionError(f"{_name(page)}:{start}: give a reason: not run: <why>")
        block = Block(page, start + 2, fence["lang"], "\n".join(body) + "\n", reason)
        if blocks and all(not line.strip() for line in lines[last_end + 1 : start]):
            blocks[-1].next_lang, blocks[-1].next_code = block.lang, block.code
        blocks.append(block)
        last_end = index
        index += 1
    return blocks


# --------------------------------------------------------------------------- example packs


@dataclass
class Pack:
    """An installed-looking distribution: dist-info from metadata, modules from source text."""

    name: str
    version: str
    groups: dict[str, dict[str, str]]
    modules: dict[str, str] = field(default_factory=dict)
    tests: list[Block] = field(default_factory=list)

    def install(self, site: Path) -> None:
        dist_info = site / f"{self.name.replace('-', '_')}-{self.version}.dist-info"
        dist_info.mkdir(parents=True, exist_ok=True)
        (dist_info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {self.name}\nVersion: {self.version}\n"
            f"Summary: {self.name}, an example pack of the torchplug docs\n",
            "utf-8",
        )
        text = "".join(
            f"[{group}]\n" + "".join(f"{k} = {v}\n" for k, v in entries.items()) + "\n"
            for group, entries in self.groups.items()
        )
        (dist_info / "entry_points.txt").write_text(text, "utf-8")
        for module, source in self.modules.items():
            path = site.joinpath(*module.split(".")).with_suffix(".py")
            path.parent.mkdir(parents=True, exist_ok=True)
            for parent in path.relative_to(site).parents:
                if parent != Path(".") and not (site / parent / "__init__.py").exists():
                    (site / parent / "__init__.py").write_text("", "utf-8")
            path.write_text(source, "utf-8")


def packs_of(page: Path) -> dict[str, Pack]:
    """The packs whose ``pyproject.toml`` and source files a page shows."""
    packs: dict[str, Pack] = {}
    modules: dict[str, str] = {}
    tests: list[Block] = []
    for block in read_blocks(page):
        path = block.file
        if path is None or block.not_run is not None:
            continue
        if path == "pyproject.toml":
            project = tomllib.loads(block.code)["project"]
            groups = {g: dict(e) for g, e in project.get("entry-points", {}).items()}
            packs[project["name"]] = Pack(project["name"], project["version"], groups)
        elif path.startswith("src/"):
            modules[path[len("src/") : -len(".py")].replace("/", ".")] = block.code
        elif path.startswith("tests/"):
            tests.append(block)
    for pack in packs.values():
        package = pack.name.replace("-", "_")
        pack.modules = {m: s for m, s in modules.items() if m.split(".")[0] == package}
        pack.tests = [t for t in tests if package in t.code]
    return packs


LION = '''import torch


class Lion(torch.optim.Optimizer):
    """Another Lion: the one torchplug-extra ships."""

    def __init__(self, params, lr: float = 1e-4, weight_decay: float = 0.0):
        super().__init__(params, {"lr": lr, "weight_decay": weight_decay})
'''
FOCAL = '''import torch


class FocalLoss(torch.nn.Module):
    """Cross-entropy that down-weights easy examples."""

    def __init__(self, gamma: float = 2.0):
        super().__init__()
        self.gamma = gamma
'''
DICE = """import segmentation_kit  # not installed: loading this module fails

DiceLoss = segmentation_kit.DiceLoss
"""
SCALENORM = '''import torch


class ScaleNorm(torch.nn.Module):
    """Takes no `dim` and no `eps`: check --deep reports it."""

    def __init__(self, *, scale: float = 1.0):
        super().__init__()
        self.scale = scale
'''


def _torchplug_data(version: str) -> Pack:
    """torchplug-data as installed here, under another version number (no modules: the real
    package is imported)."""
    import importlib_metadata

    installed = importlib_metadata.distribution("torchplug-data")
    groups: dict[str, dict[str, str]] = {}
    for entry in installed.entry_points:
        groups.setdefault(entry.group, {})[entry.name] = entry.value
    return Pack("torchplug-data", version, groups)


#: Packs that pages assume installed without showing their source.
EXAMPLE_PACKS: dict[str, Callable[[], Pack]] = {
    "torchplug-lion": lambda: packs_of(ROOT / "docs/pages/writing-a-pack.md")["torchplug-lion"],
    "torchplug-vision": lambda: packs_of(ROOT / "docs/pages/contracts.md")["torchplug-vision"],
    "torchplug-extra": lambda: Pack(
        "torchplug-extra",
        "1.2.0",
        {
            "torchplug.optimizer": {"lion": "torchplug_extra.optim:Lion"},
            "torchplug.loss": {"focal": "torchplug_extra.losses:FocalLoss"},
        },
        {"torchplug_extra.optim": LION, "torchplug_extra.losses": FOCAL},
    ),
    "torchplug-contrib": lambda: Pack(
        "torchplug-contrib",
        "0.1.0",
        {
            "torchplug.loss": {"dice": "torchplug_contrib.losses:DiceLoss"},
            "torchplug.norm": {"scalenorm": "torchplug_contrib.norms:ScaleNorm"},
        },
        {"torchplug_contrib.losses": DICE, "torchplug_contrib.norms": SCALENORM},
    ),
}

#: Per page (relative to the repository root): the example packs installed for it, by site
#: directory relative to the page's working directory. The site ``site`` is on PYTHONPATH; any
#: other is there for the page's commands to name. A name may be one of the page's own packs:
#: placed in another site, it is seen only by the commands that name that site (a hook plugin
#: that would otherwise join every run of the page, from its first).
PAGE_PACKS: dict[str, dict[str, tuple[str, ...]]] = {
    "README.md": {"site": ("torchplug-extra",)},
    "docs/pages/registry.md": {"site": ("torchplug-lion", "torchplug-extra")},
    "docs/pages/duplicates-and-broken-packs.md": {
        "site": ("torchplug-lion", "torchplug-extra", "torchplug-contrib")
    },
    "docs/pages/cache.md": {"site-vision": ("torchplug-vision",)},
    "docs/pages/many-packs.md": {"site": ("torchplug-lion", "torchplug-extra")},
    "docs/pages/training.md": {"site-evallog": ("ourlab-evallog",)},
}
#: Packs built otherwise than from a name: (page, site) -> packs.
PAGE_EXTRA_PACKS: dict[tuple[str, str], Callable[[], list[Pack]]] = {
    ("docs/pages/distributed.md", "site-a"): lambda: [_torchplug_data("0.1.0")],
    ("docs/pages/distributed.md", "site-b"): lambda: [_torchplug_data("0.2.0")],
}


# --------------------------------------------------------------------------- running


@dataclass
class Workspace:
    """Where a page's examples run: a working directory and the environment of its commands."""

    cwd: Path
    env: dict[str, str]
    #: pack name -> the directory it is installed in, for the pack's own imports and tests
    pack_paths: dict[str, Path] = field(default_factory=dict)

    def run(
        self, args: list[str], *, path: Path | None = None, **kwargs: object
    ) -> subprocess.CompletedProcess[str]:
        """Run `args` as the page's commands run; `path` goes first on PYTHONPATH."""
        env = self.env
        if path is not None:
            env = {
                **env,
                "PYTHONPATH": os.pathsep.join(filter(None, [str(path), env["PYTHONPATH"]])),
            }
        return subprocess.run(
            args,
            cwd=self.cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=600,
            **kwargs,  # type: ignore[call-overload]
        )


def make_workspace(page: Path, root: Path) -> Workspace:
    cwd = root / "work"
    cwd.mkdir()
    shutil.copytree(
        ROOT / "examples", cwd / "examples", ignore=shutil.ignore_patterns("runs", "*.lock.json")
    )
    relative = _name(page)
    own = packs_of(page)
    placed = PAGE_PACKS.get(relative, {})
    elsewhere = {name for site, names in placed.items() if site != "site" for name in names}
    sites: dict[str, list[Pack]] = {
        "site": [pack for name, pack in own.items() if name not in elsewhere]
    }
    for site, names in placed.items():
        sites.setdefault(site, []).extend(
            own[name] if name in own else EXAMPLE_PACKS[name]() for name in names
        )
    for (extra_page, site), make in PAGE_EXTRA_PACKS.items():
        if extra_page == relative:
            sites.setdefault(site, []).extend(make())
    # The packs of the site on PYTHONPATH each get a directory, in the order of their names:
    # the order of a conflict's providers follows sys.path, while the order of the entries of
    # one directory is the file system's.
    on_path = []
    pack_paths: dict[str, Path] = {}
    for pack in sorted(sites.pop("site"), key=lambda p: p.name):
        pack.install(cwd / "site" / pack.name)
        on_path.append(str(cwd / "site" / pack.name))
    for site, packs in sites.items():
        (cwd / site).mkdir(exist_ok=True)
        for pack in packs:
            pack.install(cwd / site)
            pack_paths[pack.name] = cwd / site
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TORCHPLUG_", "PYTEST_"))}
    bin_dir = str(Path(sys.executable).parent)  # torchplug, torchrun and this python
    env.update(
        PATH=os.pathsep.join([bin_dir, env.get("PATH", "")]),
        PYTHONPATH=os.pathsep.join([*on_path, *filter(None, [env.get("PYTHONPATH")])]),
        XDG_CACHE_HOME=str(root / "cache"),
        XDG_CONFIG_HOME=str(root / "config"),  # no user settings of whoever runs the tests
        NO_COLOR="1",
        PYTHONUNBUFFERED="1",  # stdout and stderr interleave as they would on a terminal
        PYTHONDONTWRITEBYTECODE="1",
    )
    env.pop("COLUMNS", None)
    return Workspace(cwd, env, pack_paths)


def console_commands(block: Block) -> list[tuple[str, str]]:
    """``(command, expected output)`` for each ``$ command`` of a console block."""
    pairs: list[tuple[str, list[str]]] = []
    for line in block.code.splitlines():
        if line.startswith("$ "):
            pairs.append((line[2:], []))
        elif not pairs:
            raise AssertionError(f"{block.where}: a console block starts with '$ command'")
        else:
            pairs[-1][1].append(line)
    return [(command, "\n".join(out).strip("\n") + "\n" if out else "") for command, out in pairs]


SEPARATOR = "=== the docs example runs its next command ==="


def run_console(block: Block, space: Workspace) -> list[str]:
    """Run a console block's commands in one bash process; the mismatches, described."""
    commands = console_commands(block)
    # The separator is echoed between commands without disturbing `$?`, so `echo $?` works.
    script = "exec 2>&1\n" + "".join(
        f"__status=$?; echo '{SEPARATOR}'; (exit $__status)\n{command}\n" for command, _ in commands
    )
    result = space.run(["bash", "-c", script])
    outputs = result.stdout.split(SEPARATOR + "\n")[1:]
    outputs += [""] * (len(commands) - len(outputs))
    checker = doctest.OutputChecker()
    problems = []
    for (command, want), got in zip(commands, outputs, strict=True):
        if not checker.check_output(want, got, OUTPUT_FLAGS):
            problems.append(f"$ {command}\n--- expected:\n{want}--- got:\n{got}")
    return problems


def run_bash(block: Block, space: Workspace) -> list[str]:
    result = space.run(["bash", "-e", "-c", block.code])
    if result.returncode != 0:
        return [f"exit status {result.returncode}:\n{result.stdout}"]
    return []


def expected_values(source: str) -> dict[int, str]:
    """Line number -> the text after ``# ->`` in a comment on that line."""
    found = {}
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT and token.string.startswith("# -> "):
            found[token.start[0]] = token.string[len("# -> ") :].strip()
    return found


class _Checks(ast.NodeTransformer):
    """Turns ``expression  # -> value`` into ``__check__(expression, "value", line)``."""

    def __init__(self, expected: dict[int, str]) -> None:
        self.expected = expected
        self.used: set[int] = set()

    def visit_Expr(self, node: ast.Expr) -> ast.AST:
        line = node.end_lineno or node.lineno
        if line not in self.expected:
            return node
        self.used.add(line)
        call = ast.Call(
            ast.Name("__check__", ast.Load()),
            [node.value, ast.Constant(self.expected[line]), ast.Constant(line)],
            [],
        )
        return ast.copy_location(ast.Expr(call), node)


def session_main(blocks_file: str) -> int:
    """Run one page's Python blocks in this interpreter (the child side of `run_python`)."""
    import contextlib

    blocks = json.loads(Path(blocks_file).read_text("utf-8"))
    namespace: dict[str, object] = {"__name__": "__main__"}
    mismatches: list[str] = []
    page = blocks[0]["page"] if blocks else ""

    def check(value: object, want: str, line: int) -> None:
        if repr(value) != want:
            mismatches.append(f"{page}:{line}: expected {want}, got {value!r}")

    namespace["__check__"] = check
    for block in blocks:
        source = "\n" * (block["line"] - 1) + block["code"]  # line numbers as in the page
        expected = expected_values(source)
        checks = _Checks(expected)
        tree = ast.fix_missing_locations(checks.visit(ast.parse(source, page)))
        if set(expected) - checks.used:
            lines = sorted(set(expected) - checks.used)
            print(f"{page}:{lines}: '# ->' follows something that is not an expression")
            return 1
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(compile(tree, page, "exec"), namespace)
        if block["expected_output"] is not None:
            checker = doctest.OutputChecker()
            if not checker.check_output(block["expected_output"], printed.getvalue(), OUTPUT_FLAGS):
                mismatches.append(
                    f"{page}:{block['line']}: printed\n{printed.getvalue()}"
                    f"but the text block after it says\n{block['expected_output']}"
                )
        elif printed.getvalue():
            sys.stdout.write(printed.getvalue())
    for mismatch in mismatches:
        print(mismatch)
    return 1 if mismatches else 0


def run_python(blocks: list[Block], space: Workspace, tmp_path: Path) -> list[str]:
    payload = [
        {
            "page": _name(b.page),
            "line": b.line,
            "code": b.code,
            "expected_output": b.next_code if b.next_lang == "text" else None,
        }
        for b in blocks
    ]
    blocks_file = tmp_path / "blocks.json"
    blocks_file.write_text(json.dumps(payload), "utf-8")
    result = space.run([sys.executable, __file__, "session", str(blocks_file)])
    if result.returncode != 0:
        return [result.stdout]
    return []


def run_pack_files(page: Path, space: Workspace) -> list[str]:
    """Import every module of the page's example packs, and run their tests with pytest."""
    problems = []
    for pack in packs_of(page).values():
        site = space.pack_paths.get(pack.name)  # None: on PYTHONPATH with the page's other packs
        for module in pack.modules:
            result = space.run([sys.executable, "-c", f"import {module}"], path=site)
            if result.returncode != 0:
                problems.append(f"import {module} ({pack.name}):\n{result.stdout}")
        for test in pack.tests:
            path = space.cwd / "tests" / Path(test.file or "").name
            path.parent.mkdir(exist_ok=True)
            path.write_text(test.code, "utf-8")
            result = space.run(
                [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(path)],
                path=site,
            )
            if result.returncode != 0:
                problems.append(f"{test.where}: pytest failed:\n{result.stdout}")
    return problems


# --------------------------------------------------------------------------- the tests


def _runnable(page: Path) -> list[Block]:
    return [b for b in read_blocks(page) if b.lang in RUNNABLE and b.not_run is None]


#: Pages whose examples train models for several seconds each.
SLOW_PAGES = {
    "docs/pages/tutorial.md",
    "docs/pages/distributed.md",
    "docs/pages/training.md",
    "examples/README.md",
}


def _params() -> Iterator[object]:
    for page in PAGES:
        marks = [pytest.mark.slow] if _name(page) in SLOW_PAGES else []
        yield pytest.param(page, id=_name(page), marks=marks)


def run_page(page: Path, tmp_path: Path) -> list[str]:
    """Run every example of one page; every mismatch, described."""
    space = make_workspace(page, tmp_path)
    problems = run_pack_files(page, space)
    blocks = _runnable(page)
    for script in (b for b in blocks if b.lang == "bash" and b.file is not None):
        (space.cwd / (script.file or "")).write_text(script.code, "utf-8")
    python = [b for b in blocks if b.lang == "python" and b.file is None]
    if python:
        problems += run_python(python, space, tmp_path)
    for block in blocks:
        if block.file is not None or block.lang == "python":
            continue
        run = run_console if block.lang == "console" else run_bash
        problems += [f"{block.where} ({block.lang}):\n{p}" for p in run(block, space)]
    return problems


@pytest.mark.parametrize("page", list(_params()))
def test_page_examples_run(page: Path, tmp_path: Path) -> None:
    """Every example of the page runs and says what it really does."""
    problems = run_page(page, tmp_path)
    assert not problems, "\n\n".join(problems)


def test_markers_and_languages_follow_the_convention() -> None:
    """Every block's language is named; only shell and Python blocks carry not-run markers."""
    problems = []
    for page in PAGES:
        for block in read_blocks(page):
            if not block.lang:
                problems.append(f"{block.where}: name the block's language (text for output)")
            if block.not_run is not None and block.lang not in RUNNABLE:
                problems.append(f"{block.where}: a {block.lang} block never runs; drop the marker")
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------- the checker itself


def _write_page(tmp_path: Path, text: str) -> Path:
    page = tmp_path / "page.md"
    page.write_text(text, "utf-8")
    return page


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("```python\n1 + 1  # -> 3\n```\n", "expected 3, got 2"),
        (
            "```python\nprint('hello')\n```\n\n```text\nbye\n```\n",
            "but the text block after it says",
        ),
        ("```python\nraise ValueError('broken example')\n```\n", "ValueError: broken example"),
        ("```console\n$ echo hello\nbye\n```\n", "--- got:\nhello"),
        ("```console\n$ false\n$ echo $?\n0\n```\n", "--- got:\n1"),
        ("```bash\necho so far so good\nfalse\necho never\n```\n", "exit status 1"),
        ("```python\nimport torchplug  # -> torchplug\n```\n", "not an expression"),
    ],
    ids=["value", "printed", "exception", "console", "status", "bash", "statement"],
)
def test_a_broken_example_is_reported(tmp_path: Path, text: str, complaint: str) -> None:
    problems = run_page(_write_page(tmp_path, text), tmp_path)
    assert complaint in "\n".join(problems)


@pytest.mark.parametrize(
    "text",
    [
        "```python\nprint('a 1 b')\n```\n\n```text\na ... b\n```\n",
        "```console\n$ echo 'took 3.2 s'\ntook ... s\n$ false\n$ echo $?\n1\n```\n",
        "<!-- not run: never exits -->\n```bash\nsleep infinity\n```\n",
    ],
    ids=["ellipsis", "console", "marker"],
)
def test_a_working_example_passes(tmp_path: Path, text: str) -> None:
    assert run_page(_write_page(tmp_path, text), tmp_path) == []


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("<!-- not run: -->\n```bash\ntrue\n```\n", "give a reason"),
        ("<!-- not run: later -->\n\n```bash\ntrue\n```\n", "right above the block"),
    ],
)
def test_a_marker_says_why_and_sits_on_its_block(tmp_path: Path, text: str, complaint: str) -> None:
    with pytest.raises(AssertionError, match=complaint):
        read_blocks(_write_page(tmp_path, text))


#: The README's install command: every other line that installs from this checkout repeats it.
README_INSTALL = re.compile(r"python -m pip install [^&\n]*?(?=\s*(?:&&|$))", re.MULTILINE)


def _install_commands(text: str) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(text.splitlines(), 1):
        if "pip install" in line and ("plugins/torchplug-" in line or "examples/packs/" in line):
            yield number, line


def test_install_lines_are_the_readmes() -> None:
    """Every line that installs the first-party packs is the README's; every install from this
    checkout pins torch with the constraints file."""
    readme = next(line for _, line in _install_commands((ROOT / "README.md").read_text("utf-8")))
    match = README_INSTALL.search(readme)
    assert match is not None, readme
    command = match.group(0)
    files = [*PAGES, *(ROOT / "examples").glob("*.toml")]
    problems = []
    for path in files:
        for number, line in _install_commands(path.read_text("utf-8")):
            where = f"{_name(path)}:{number}"
            if "-c tests/constraints.txt" not in line:
                problems.append(f"{where}: no -c tests/constraints.txt: {line.strip()}")
            if "plugins/torchplug-" in line and command not in line:
                problems.append(f"{where}: not the README's line ({command}): {line.strip()}")
    assert not problems, "\n".join(problems)


if __name__ == "__main__" and sys.argv[1:2] == ["session"]:
    sys.exit(session_main(sys.argv[2]))
