"""Reading a component's definition from its source file, without importing or executing it.

`torchplug show` has to work where importing would not: a pack that pulls in torch, one whose
import is broken, one that must not run yet. So the module file is found the way the import system
would find it (``sys.path`` order, packages, namespace packages, setuptools' editable finders),
parsed with `ast`, and re-exports such as ``from .optim import Lion`` are followed to the definition.
What cannot be read that way (compiled extensions, bytecode only, names made at import time) is
reported as such; `inspect_imported` is the explicit alternative that imports the target.
"""

from __future__ import annotations

import ast
import inspect
import sys
import tokenize
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any, cast

from .._locate import ModuleFile, Unreadable, editable_mappings, locate_module
from .._metadata import split_target
from ._signature import format_definition

#: Re-exports followed before giving up: deep enough for torch.nn, short of any cycle.
_MAX_HOPS = 64

_FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef
_DefinitionNode = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef


@dataclass(frozen=True)
class ComponentSource:
    """What the source of an entry point's target says about it.

    `note` says what could not be read and why (the other fields hold what could), naming
    ``--import`` when importing would answer, or where an inherited ``__init__`` comes from.
    """

    target: str
    kind: str  # "class", "function", "module", "value"; "unknown" when nothing could be read
    module: str | None = None  # the module that defines it, after following re-exports
    qualname: str | None = None
    file: str | None = None
    line: int | None = None
    signature: str | None = None  # "(params, lr: float = 0.001)"; a class's __init__ minus self
    docstring: str | None = None  # a class's, then its own __init__'s when that has one too
    decorators: tuple[str, ...] = ()
    reexported_by: tuple[str, ...] = ()  # modules the name was imported through, outermost first
    imported: bool = False  # read with `inspect` after importing, not from the source text
    note: str | None = None

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["decorators"] = list(self.decorators)
        data["reexported_by"] = list(self.reexported_by)
        return data

    def format(self, width: int = 80) -> str:
        """The lines ``torchplug show`` prints for one provider, under its distribution; a
        signature longer than `width` is printed one parameter a line."""
        lines = [f"target        {self.target}"]
        if self.module:
            via = f" (re-exported by {', '.join(self.reexported_by)})" if self.reexported_by else ""
            lines.append(f"defined in    {self.module}{via}")
        if self.file:
            lines.append(f"file          {self.file}" + (f":{self.line}" if self.line else ""))
        read = "imported, read with inspect" if self.imported else "source text, nothing imported"
        lines.append(f"read from     {read}")
        if self.note:
            lines.append(f"note          {self.note}")
        name = (self.qualname or "").rsplit(".", 1)[-1]
        if self.kind in ("class", "function") and name:
            lines.append("")
            lines.extend(f"@{d}" for d in self.decorators)
            keyword = "class" if self.kind == "class" else "def"
            lines.append(format_definition(f"{keyword} {name}", self.signature or "", width))
        if self.docstring:
            lines.append("")
            lines.extend(f"    {line}".rstrip() for line in self.docstring.splitlines())
        return "\n".join(lines)


def _render_parameter(arg: ast.arg, default: ast.expr | None) -> str:
    text = arg.arg
    if arg.annotation is not None:
        text += f": {ast.unparse(arg.annotation)}"
        if default is not None:
            text += f" = {ast.unparse(default)}"
    elif default is not None:
        text += f"={ast.unparse(default)}"
    return text


def render_signature(node: _FunctionNode, *, drop_first: bool = False) -> str:
    """The signature as `inspect` prints it, from the AST: annotations and defaults as source."""
    args = node.args
    positional = [*args.posonlyargs, *args.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults))
    defaults += args.defaults
    pairs = list(zip(positional, defaults, strict=True))
    positional_only = len(args.posonlyargs)
    if drop_first and pairs:
        pairs = pairs[1:]
        positional_only = max(0, positional_only - 1)
    params = []
    for index, (arg, default) in enumerate(pairs):
        params.append(_render_parameter(arg, default))
        if index == positional_only - 1:
            params.append("/")
    if args.vararg is not None:
        params.append("*" + _render_parameter(args.vararg, None))
    elif args.kwonlyargs:
        params.append("*")
    for arg, kw_default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        params.append(_render_parameter(arg, kw_default))
    if args.kwarg is not None:
        params.append("**" + _render_parameter(args.kwarg, None))
    returns = f" -> {ast.unparse(node.returns)}" if node.returns is not None else ""
    return f"({', '.join(params)}){returns}"


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _bound_names(stmt: ast.stmt) -> Iterator[str]:
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        yield stmt.name
    elif isinstance(stmt, ast.Assign):
        for target in stmt.targets:
            yield from _assigned_names(target)
    elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
        if isinstance(stmt.target, ast.Name):
            yield stmt.target.id
    elif isinstance(stmt, ast.Import):
        for alias in stmt.names:
            yield alias.asname or alias.name.split(".")[0]
    elif isinstance(stmt, ast.ImportFrom):
        for alias in stmt.names:
            if alias.name != "*":
                yield alias.asname or alias.name


def _assigned_names(target: ast.expr) -> Iterator[str]:
    """Names an assignment target binds: ``a``, ``a, (b, *c)``; not ``a.attr`` or ``a[i]``."""
    if isinstance(target, ast.Name):
        yield target.id
    elif isinstance(target, (ast.Tuple, ast.List)):
        for element in target.elts:
            yield from _assigned_names(element)
    elif isinstance(target, ast.Starred):
        yield from _assigned_names(target.value)


def _blocks(stmt: ast.stmt) -> list[list[ast.stmt]]:
    """The statement lists nested in a compound statement that still run at module level."""
    if isinstance(stmt, ast.If):
        return [stmt.orelse] if _is_type_checking(stmt.test) else [stmt.body, stmt.orelse]
    if isinstance(stmt, ast.Try):
        return [stmt.body, *(h.body for h in stmt.handlers), stmt.orelse]
    if sys.version_info >= (3, 11) and isinstance(stmt, ast.TryStar):
        return [stmt.body, *(h.body for h in stmt.handlers), stmt.orelse]
    if isinstance(stmt, (ast.With, ast.AsyncWith)):
        return [stmt.body]
    return []


def _walk_body(body: list[ast.stmt], nested: bool = False) -> Iterator[tuple[ast.stmt, bool]]:
    for stmt in body:
        yield stmt, nested
        for block in _blocks(stmt):
            yield from _walk_body(block, True)


def _binding(body: list[ast.stmt], name: str) -> ast.stmt | None:
    """The statement that gives `name` its value when the body runs.

    The last unconditional binding wins, as it would at run time; a name bound only inside
    ``if``/``try`` blocks takes the first such binding (the ``try`` branch of an import fallback).
    """
    plain: ast.stmt | None = None
    conditional: ast.stmt | None = None
    for stmt, nested in _walk_body(body):
        if name in _bound_names(stmt):
            if not nested:
                plain = stmt
            elif conditional is None:
                conditional = stmt
    return plain or conditional


def _dotted(node: ast.expr) -> list[str] | None:
    """``a.b.c`` -> ``["a", "b", "c"]``; None for anything but names and attributes."""
    if isinstance(node, ast.Name):
        return [node.id]
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return None if base is None else [*base, node.attr]
    return None


def _absolute(module: str, is_package: bool, stmt: ast.ImportFrom) -> str:
    if not stmt.level:
        return stmt.module or ""
    parts = module.split(".") if is_package else module.split(".")[:-1]
    base = parts[: len(parts) - (stmt.level - 1)] if stmt.level > 1 else parts
    return ".".join([*base, *([stmt.module] if stmt.module else [])])


@dataclass(frozen=True)
class _Found:
    module: str
    file: ModuleFile
    node: ast.AST  # a definition, an assignment, or the module itself
    qualname: str | None
    in_class: bool
    via: tuple[str, ...]


class _Reader:
    """Parses modules once each and resolves ``module:attr.path`` through re-exports."""

    def __init__(self, path: Sequence[str] | None, editable: dict[str, str]) -> None:
        self.path = path
        self.editable = editable
        self.parsed: dict[str, tuple[ModuleFile, ast.Module]] = {}
        self.hops = 0

    def module(self, name: str) -> tuple[ModuleFile, ast.Module]:
        if name not in self.parsed:
            found = locate_module(name, self.path, self.editable)
            if found.kind == "namespace":
                tree = ast.Module(body=[], type_ignores=[])  # a namespace package runs no code
            elif found.kind != "source" or found.path is None:
                raise Unreadable(found.describe())
            else:
                try:
                    with tokenize.open(found.path) as stream:  # honours a coding cookie
                        tree = ast.parse(stream.read(), filename=str(found.path))
                except (OSError, SyntaxError, UnicodeDecodeError, ValueError) as exc:
                    raise Unreadable(f"{found.path} cannot be parsed: {exc}") from None
            self.parsed[name] = (found, tree)
        return self.parsed[name]

    def resolve(self, module: str, attrs: list[str], via: tuple[str, ...] = ()) -> _Found:
        self.hops += 1
        if self.hops > _MAX_HOPS:
            raise Unreadable(f"gave up following re-exports after {_MAX_HOPS} hops at {module}")
        file, tree = self.module(module)
        if not attrs:
            return _Found(module, file, tree, None, False, via)
        stmt = _binding(tree.body, attrs[0])
        if stmt is None:
            return self._star_imported(module, file, tree, attrs, via)
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            return self._member(module, file, stmt, attrs, via)
        if isinstance(stmt, ast.ImportFrom):
            alias = next(a for a in stmt.names if (a.asname or a.name) == attrs[0])
            source = _absolute(module, file.search != (), stmt)
            if source == module:  # `from torch import _C` inside torch: only a submodule fits
                return self.resolve(f"{module}.{alias.name}", attrs[1:], via)
            return self._imported_name(source, alias.name, attrs[1:], (*via, module))
        if isinstance(stmt, ast.Import):
            alias = next(a for a in stmt.names if (a.asname or a.name.split(".")[0]) == attrs[0])
            imported = alias.name if alias.asname else alias.name.split(".")[0]
            return self.resolve(imported, attrs[1:], (*via, module))
        value = getattr(stmt, "value", None)
        dotted = _dotted(value) if value is not None else None
        if dotted is not None and dotted[0] != attrs[0]:  # `Alias = Name` or `= module.Name`
            return self.resolve(module, [*dotted, *attrs[1:]], via)
        if len(attrs) > 1:
            raise Unreadable(
                f"{module}.{attrs[0]} is assigned at line {stmt.lineno}; its attribute "
                f"{'.'.join(attrs[1:])} exists only at run time"
            )
        return _Found(module, file, stmt, attrs[0], False, via)

    def _imported_name(
        self, source: str, name: str, rest: list[str], via: tuple[str, ...]
    ) -> _Found:
        """``from source import name``: an attribute of `source`, else its submodule."""
        _, tree = self.module(source)
        if _binding(tree.body, name) is None:
            try:
                locate_module(f"{source}.{name}", self.path, self.editable)
            except Unreadable:
                pass
            else:
                return self.resolve(f"{source}.{name}", rest, via)
        return self.resolve(source, [name, *rest], via)

    def _star_imported(
        self,
        module: str,
        file: ModuleFile,
        tree: ast.Module,
        attrs: list[str],
        via: tuple[str, ...],
    ) -> _Found:
        for stmt in reversed(_star_sources(tree.body)):  # a later star import overrides
            source = _absolute(module, file.search != (), stmt)
            try:
                _, star_tree = self.module(source)
            except Unreadable:
                continue
            if _binding(star_tree.body, attrs[0]) is not None or _star_sources(star_tree.body):
                try:
                    return self.resolve(source, attrs, (*via, module))
                except Unreadable:
                    continue
        made_at_run_time = any(
            isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and s.name == "__getattr__"
            for s in tree.body
        )
        why = (
            " (its module-level __getattr__ makes names at import time)" if made_at_run_time else ""
        )
        raise Unreadable(f"{module} has no statement that defines {attrs[0]}{why}")

    def _member(
        self,
        module: str,
        file: ModuleFile,
        node: _DefinitionNode,
        attrs: list[str],
        via: tuple[str, ...],
    ) -> _Found:
        qualname = [node.name]
        in_class = False
        for attr in attrs[1:]:
            if not isinstance(node, ast.ClassDef):
                raise Unreadable(f"{'.'.join(qualname)} in {module} is not a class: no {attr}")
            member = _binding(node.body, attr)
            if not isinstance(member, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                raise Unreadable(f"class {'.'.join(qualname)} in {module} defines no {attr}")
            node, in_class = member, True
            qualname.append(attr)
        return _Found(module, file, node, ".".join(qualname), in_class, via)


def _star_sources(body: list[ast.stmt]) -> list[ast.ImportFrom]:
    return [
        stmt
        for stmt, _ in _walk_body(body)
        if isinstance(stmt, ast.ImportFrom) and any(a.name == "*" for a in stmt.names)
    ]


def _with_import_hint(reason: str) -> str:
    return f"{reason} (--import reads the imported object instead)"


def _runtime_docstring(tree: ast.Module, qualname: str | None) -> tuple[str | None, str | None]:
    """A ``Name.__doc__ = ...`` assignment in the module: the text if literal, else a note."""
    for stmt in tree.body:
        if not isinstance(stmt, ast.Assign) or qualname is None:
            continue
        target = stmt.targets[0]
        if _dotted(target) == [*qualname.split("."), "__doc__"]:
            value = stmt.value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                return inspect.cleandoc(value.value), None
            return None, f"its docstring is computed at import time (line {stmt.lineno})"
    return None, None


def _inherited_init(
    reader: _Reader, module: str, node: ast.ClassDef, seen: set[int] | None = None
) -> _Found | None:
    """The ``__init__`` a class without its own inherits, searching bases depth first.

    None when a base cannot be read (what comes after it in the MRO is then unknown) or when
    no class up to ``object`` defines one.
    """
    seen = seen if seen is not None else set()
    if id(node) in seen:  # `class Module(Module)` after importing the other Module
        return None
    seen.add(id(node))
    for base in node.bases:
        dotted = _dotted(base)
        if dotted is None:
            return None
        if dotted == ["object"]:
            continue
        reader.hops = 0  # each base is a chain of re-exports of its own
        try:
            found = reader.resolve(module, dotted)
        except Unreadable:
            return None
        if not isinstance(found.node, ast.ClassDef):
            return None
        init = _binding(found.node.body, "__init__")
        if isinstance(init, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return _Found(found.module, found.file, init, found.qualname, True, ())
        if init is not None:
            return None
        inherited = _inherited_init(reader, found.module, found.node, seen)
        if inherited is not None:
            return inherited
    return None


def _describe_class(reader: _Reader, found: _Found, node: ast.ClassDef) -> dict[str, Any]:
    """Kind, signature and notes of a class, and the docstring of its own ``__init__`` (where many
    classes document their parameters; an inherited one documents its base instead)."""
    notes = []
    init = own = _binding(node.body, "__init__")
    if init is None:
        inherited = _inherited_init(reader, found.module, node)
        if inherited is not None:
            init = cast(ast.FunctionDef, inherited.node)
            notes.append(f"__init__ inherited from {inherited.module}:{inherited.qualname}")
    signature = None
    if isinstance(init, (ast.FunctionDef, ast.AsyncFunctionDef)):
        signature = render_signature(init, drop_first=True)
    else:
        bases = ", ".join(ast.unparse(b) for b in node.bases) or "object"
        notes.append(
            f"class {node.name} defines no readable __init__ (bases: {bases})"
            " (--import reads the imported object instead)"
        )
    init_docstring = ast.get_docstring(own) if isinstance(own, _FunctionNode) else None
    return {"kind": "class", "signature": signature, "notes": notes, "more": init_docstring}


def _describe(reader: _Reader, target: str, found: _Found) -> ComponentSource:
    node = found.node
    common: dict[str, Any] = {
        "target": target,
        "module": found.module,
        "qualname": found.qualname,
        "file": str(found.file.path) if found.file.path else None,
        "reexported_by": found.via,
    }
    if isinstance(node, ast.Module):
        return ComponentSource(kind="module", line=1, docstring=ast.get_docstring(node), **common)
    line = getattr(node, "lineno", None)
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        value = getattr(node, "value", None)
        assigned = ast.unparse(value) if value is not None else "a value"
        if len(assigned) > 80:
            assigned = assigned[:77] + "..."
        return ComponentSource(
            kind="value",
            line=line,
            note=_with_import_hint(f"it is assigned `{assigned}`"),
            **common,
        )
    decorators = tuple(ast.unparse(d) for d in node.decorator_list)
    if isinstance(node, ast.ClassDef):
        described = _describe_class(reader, found, node)
    else:
        bound = found.in_class and any(d.split("(")[0].endswith("classmethod") for d in decorators)
        signature = render_signature(node, drop_first=bound)
        described = {"kind": "function", "signature": signature, "notes": []}
    notes: list[str] = described.pop("notes")
    more: str | None = described.pop("more", None)
    docstring = ast.get_docstring(node)
    if docstring is None:
        docstring, note = _runtime_docstring(reader.parsed[found.module][1], found.qualname)
        if note:
            notes.append(_with_import_hint(note))
    docstring = "\n\n".join(dict.fromkeys(filter(None, [docstring, more]))) or None
    return ComponentSource(
        line=line,
        docstring=docstring,
        decorators=decorators,
        note="; ".join(notes) or None,
        **described,
        **common,
    )


def read_source(
    target: str, location: str | None = None, path: Sequence[str] | None = None
) -> ComponentSource:
    """Read the definition `target` (``module:attr.path``) names from source, importing nothing.

    `location` is the providing distribution's dist-info folder (for editable installs); `path`
    replaces ``sys.path``. Never raises for an unreadable target: `note` says why.
    """
    try:
        module, attr_path = split_target(target)
    except ValueError as exc:
        return ComponentSource(target, "unknown", note=str(exc))
    reader = _Reader(path, editable_mappings(location))
    try:
        found = reader.resolve(module, attr_path.split(".") if attr_path else [])
    except Unreadable as exc:
        where = _where(reader, module)
        return ComponentSource(
            target,
            "unknown",
            module=module,
            file=where,
            note=_with_import_hint(str(exc)),
        )
    return _describe(reader, target, found)


def _where(reader: _Reader, module: str) -> str | None:
    """The target module's file, when it was found even though its definition was not."""
    try:
        found = locate_module(module, reader.path, reader.editable)
    except Unreadable:
        return None
    return str(found.path) if found.path else None


# --------------------------------------------------------------------------- reading by importing


def inspect_imported(target: str) -> ComponentSource:
    """Import `target` and read it with `inspect`: what ``torchplug show --import`` shows.

    Runs the plugin's module, so it also answers for compiled code and names made at import time.
    """
    from .._loading import import_contained

    try:
        obj = import_contained(target)  # a plugin calling sys.exit() at import must not end us
    except Exception as exc:
        return ComponentSource(
            target, "unknown", imported=True, note=f"import failed: {type(exc).__name__}: {exc}"
        )
    kind = (
        "class"
        if inspect.isclass(obj)
        else "module"
        if inspect.ismodule(obj)
        else "function"
        if callable(obj)
        else "value"
    )
    try:
        file = inspect.getsourcefile(obj) or inspect.getfile(obj)
    except TypeError:
        file = None
    try:
        line: int | None = max(inspect.getsourcelines(obj)[1], 1)
    except (OSError, TypeError):
        line = None
    try:
        signature: str | None = str(inspect.signature(obj)) if kind != "module" else None
    except (TypeError, ValueError):
        signature = None
    doc = "\n\n".join(dict.fromkeys(filter(None, map(_cleaned_doc, _documented(obj, kind)))))
    return ComponentSource(
        target,
        kind,
        module=obj.__name__ if kind == "module" else getattr(obj, "__module__", None),
        qualname=getattr(obj, "__qualname__", None) if kind != "module" else None,
        file=file,
        line=line,
        signature=signature,
        docstring=doc or None,
        imported=True,
    )


def _documented(obj: Any, kind: str) -> list[Any]:
    """The objects whose docstrings describe `obj`: a class and its own ``__init__``, as read
    from source."""
    own_init = vars(obj).get("__init__") if kind == "class" else None
    return [obj, own_init] if own_init is not None else [obj]


def _cleaned_doc(obj: Any) -> str | None:
    doc = getattr(obj, "__doc__", None)
    return inspect.cleandoc(doc) if isinstance(doc, str) and doc.strip() else None
