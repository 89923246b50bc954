"""Reading a pack's registration calls from its source text, without importing it.

`torchplug entry-points` turns ``@registry.register_optimizer("lion")`` on a class into the entry
point ``lion = "pkg.optim:Lion"``. Importing the pack to find out would run its code, pull in torch
and see only what one environment happens to import; so each module under the pack's source roots
is parsed with `ast`, and a call counts as a registration only when its callee resolves, through
the module's own imports, to the default registry: ``torchplug.registry.register(...)`` or one of
its ``register_<category>`` shortcuts. This module knows nothing of pyproject.toml or the CLI.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from .._errors import TorchplugError
from .._names import category_problem, component_problem
from ._source import _dotted

#: The registry whose registrations become entry points of the ``torchplug.*`` groups.
_REGISTRY = "torchplug.registry"
#: ``Registry.register_<category>`` shortcuts; anything else is spelt ``register(category, ...)``.
_SHORTCUTS = ("model", "optimizer", "scheduler", "loss")
#: Directories of a flat-layout pack that hold no pack code.
_NOT_SOURCE = frozenset({"tests", "test", "docs", "examples", "benchmarks", "build", "dist"})


class RegistrationError(TorchplugError):
    """A registration call that cannot be read from the source text alone."""


@dataclass(frozen=True)
class Registration:
    """One registration call: `names` (the name, then its aliases) of `category` -> `target`."""

    category: str
    names: tuple[str, ...]
    target: str  # "module:attribute.path", always an attribute of the registering module
    file: Path
    line: int

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


def source_files(root: Path, *, packages_only: bool) -> Iterator[tuple[str, Path]]:
    """``(module name, file)`` for every ``.py`` file under the import root `root`.

    With `packages_only` (a flat layout, where the root is the pack's own directory), only
    directories with an ``__init__.py`` are entered and tests, docs and build output are skipped.
    """
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        if not all(part.isidentifier() for part in parts):
            continue  # not importable under this root: __pycache__, "my-scripts", ...
        if packages_only:
            if len(parts) < 2 or parts[0] in _NOT_SOURCE:
                continue
            packages = [root.joinpath(*parts[:depth]) for depth in range(1, len(parts))]
            if not all((package / "__init__.py").is_file() for package in packages):
                continue
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        yield module, path


def find_registrations(roots: Iterable[tuple[Path, bool]]) -> list[Registration]:
    """Every registration in the modules under `roots`, pairs of (root, packages_only)."""
    found: list[Registration] = []
    for root, packages_only in roots:
        for module, path in source_files(root, packages_only=packages_only):
            try:
                text = path.read_text(encoding="utf-8")
                tree = ast.parse(text, filename=str(path))
            except (OSError, UnicodeDecodeError, SyntaxError) as exc:
                raise RegistrationError(
                    f"cannot read {path} to look for registrations: {exc}. Fix the file, or "
                    "leave it out with --source pointing at the directories that hold the pack's "
                    "modules."
                ) from None
            found.extend(read_registrations(tree, module, path))
    return found


def _module_statements(body: Sequence[ast.stmt]) -> Iterator[ast.stmt]:
    """Statements that run when the module is imported: the body and its if/try/with/for
    blocks, not function or class bodies."""
    for stmt in body:
        yield stmt
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        for field in ("body", "orelse", "finalbody"):
            yield from _module_statements(getattr(stmt, field, []))
        for handler in getattr(stmt, "handlers", []):
            yield from _module_statements(handler.body)


class _Reader:
    """The registrations of one module, resolved through the names its imports bind."""

    def __init__(self, module: str, file: Path) -> None:
        self.module = module
        self.file = file
        self.bindings: dict[str, str] = {}  # local name -> what it stands for, dotted

    def bind(self, stmt: ast.stmt) -> None:
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                if alias.asname:
                    self.bindings[alias.asname] = alias.name
                else:
                    root = alias.name.split(".")[0]
                    self.bindings[root] = root
        elif isinstance(stmt, ast.ImportFrom) and stmt.module and not stmt.level:
            for alias in stmt.names:
                if alias.name != "*":
                    self.bindings[alias.asname or alias.name] = f"{stmt.module}.{alias.name}"
        elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target, value = stmt.targets[0], self.resolve(stmt.value)
            if isinstance(target, ast.Name):  # `reg = torchplug.registry`
                if value == _REGISTRY:
                    self.bindings[target.id] = value
                else:
                    self.bindings.pop(target.id, None)

    def resolve(self, node: ast.expr) -> str | None:
        """The dotted name `node` stands for, through the module's imports; None if unknown."""
        parts = _dotted(node)
        if parts is None or parts[0] not in self.bindings:
            return None
        return ".".join([self.bindings[parts[0]], *parts[1:]])

    def registration_kind(self, call: ast.Call) -> str | None:
        """``"register"`` or the category of a ``register_<category>`` shortcut, for a call of
        the default registry; None for any other call."""
        callee = self.resolve(call.func)
        if callee is None or not callee.startswith(_REGISTRY + "."):
            return None
        method = callee[len(_REGISTRY) + 1 :]
        if method == "register":
            return method
        category = method.removeprefix("register_")
        return category if method.startswith("register_") and category in _SHORTCUTS else None

    def _fail(self, node: ast.AST, message: str) -> RegistrationError:
        line = getattr(node, "lineno", 0)
        return RegistrationError(
            f"{self.file}:{line}: {message}. `torchplug entry-points` reads registrations from "
            "the source text without importing it: write the category, the name and the aliases "
            "as string literals, or list names that are computed at import time from an "
            "enumerator (--from MODULE:CALLABLE)."
        )

    def _literal(self, node: ast.expr, what: str) -> str:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        raise self._fail(node, f"the {what} of this registration is not a string literal")

    def _aliases(self, node: ast.expr | None) -> tuple[str, ...]:
        if node is None:
            return ()
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            return tuple(self._literal(element, "alias") for element in node.elts)
        raise self._fail(node, "the aliases of this registration are not a literal list of names")

    def read(self, call: ast.Call, kind: str, decorated: str | None) -> Registration:
        """The registration `call` makes; `decorated` is the name of the definition it decorates."""
        keywords = {k.arg: k.value for k in call.keywords if k.arg is not None}
        if any(k.arg is None for k in call.keywords) or any(
            isinstance(a, ast.Starred) for a in call.args
        ):
            raise self._fail(call, "this registration passes *args or **kwargs")
        parameters = ["category", "name", "obj"] if kind == "register" else ["name", "obj"]
        given = dict(zip(parameters, call.args, strict=False))
        given.update({k: v for k, v in keywords.items() if k in parameters})
        category = self._literal(given["category"], "category") if "category" in given else kind
        if "name" not in given or (kind == "register" and "category" not in given):
            raise self._fail(call, "this registration does not say its category and name")
        names = (self._literal(given["name"], "name"), *self._aliases(keywords.get("aliases")))
        for problem in (category_problem(category), *map(component_problem, names)):
            if problem:
                raise self._fail(call, problem)
        if decorated is not None and "obj" not in given:
            attribute = decorated
        elif decorated is None and "obj" in given:
            obj = _dotted(given["obj"])
            if obj is None:
                raise self._fail(call, "the registered object is not a name or a dotted name")
            attribute = ".".join(obj)
        else:  # a decorator factory kept for later, or a decorator that is also given an object
            raise self._fail(call, "the registered object cannot be told from this call")
        return Registration(category, names, f"{self.module}:{attribute}", self.file, call.lineno)


def read_registrations(tree: ast.Module, module: str, file: Path) -> list[Registration]:
    """The registrations module `module` (parsed as `tree`, read from `file`) makes on import."""
    reader = _Reader(module, file)
    found: list[Registration] = []
    for stmt in _module_statements(tree.body):
        reader.bind(stmt)
        decorated: set[int] = set()
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            reader.bindings.pop(stmt.name, None)
            for decorator in stmt.decorator_list:
                if isinstance(decorator, ast.Call):
                    kind = reader.registration_kind(decorator)
                    if kind is not None:
                        found.append(reader.read(decorator, kind, stmt.name))
                        decorated.add(id(decorator))
            expressions: list[ast.AST] = [*stmt.decorator_list]
        else:
            # The statement's own expressions; nested blocks are visited as statements.
            expressions = [
                node
                for field, node in ast.iter_fields(stmt)
                if field not in ("body", "orelse", "finalbody", "handlers")
                for node in (node if isinstance(node, list) else [node])
                if isinstance(node, ast.AST)
            ]
        for expression in expressions:
            for node in ast.walk(expression):
                if isinstance(node, ast.Call) and id(node) not in decorated:
                    kind = reader.registration_kind(node)
                    if kind is not None:
                        found.append(reader.read(node, kind, None))
    return found
