"""``torchplug new-pack``: a new pack's source tree, copied from the template pack.

The template, ``templates/torchplug-newpack``, is a complete pack checked by ruff and mypy with
the project: one example component per category, each with its module, its entry-point group and
its test. `create_pack` copies it, keeps the chosen categories' examples and renames its
placeholders: the distribution ``torchplug-newpack``, the package ``torchplug_newpack``, the prefix
``newpack`` of component names, and ``newcategory``, whose example stands for any category the
template has none for. A category's call (the comment above its group) is the contract an
installed pack declares for it (`Registry.contract`): new-pack knows no category by itself.
"""

from __future__ import annotations

import argparse
import json
import keyword
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._errors import InvalidNameError, TorchplugError
from .._names import category_problem, did_you_mean, normalize_distribution
from .._registry import Registry

if TYPE_CHECKING:
    if sys.version_info >= (3, 11):
        from importlib.resources.abc import Traversable
    else:
        from importlib.abc import Traversable

    from .. import Contract

#: The template pack's directory under ``templates/``, and its distribution name.
TEMPLATE = "torchplug-newpack"
_PACKAGE = "torchplug_newpack"
_SHORT = "newpack"  # component names are "<short>_<what>"
_GENERIC = "newcategory"  # the example written for a category the template has no example for

#: A component of this category needs no torch, so a fresh pack installs and tests in seconds.
DEFAULT_CATEGORY = "scheduler"

#: PEP 508 names: letters, digits and ``-_.``, starting and ending with a letter or digit.
_DISTRIBUTION_NAME = re.compile(r"^([a-z0-9]|[a-z0-9][a-z0-9._-]*[a-z0-9])$", re.IGNORECASE)
#: One entry-point group of the template's pyproject.toml: its comment, table and single entry.
_GROUP = re.compile(
    r'^(?:#.*\n)*\[project\.entry-points\."torchplug\.(?P<category>\w+)"\]\n'
    rf'(?P<name>\w+) = "{_PACKAGE}\.(?P<module>\w+):(?P<attribute>\w+)"\n\n?',
    re.MULTILINE,
)
_TORCH_IMPORT = re.compile(r"^\s*(?:import|from)\s+torch\b", re.MULTILINE)
_TORCH_DEPENDENCY = '    "torch>=2.1",\n'
_TORCHPLUG_DEPENDENCY = '    "torchplug>=0.1",\n'
_TORCH_PIN = re.compile(r"^torch==.*\n", re.MULTILINE)


class ScaffoldError(TorchplugError):
    """A pack cannot be written: the directory is taken, or a category has no example that fits."""


@dataclass(frozen=True)
class _Example:
    """One example component of the template, as its pyproject.toml declares it."""

    category: str  # in the template: "newcategory" for the generic example
    name: str  # "newpack_warmup"
    module: str  # "scheduler", under the template's package
    attribute: str  # "LinearWarmup"

    @property
    def files(self) -> tuple[str, str]:
        """The template files that belong to this example alone: its module and its test."""
        return f"src/{_PACKAGE}/{self.module}.py", f"tests/test_{_SHORT}_{self.category}.py"


@dataclass(frozen=True)
class _Choice:
    """A category of the new pack, the example written for it, and its call as a comment says."""

    category: str
    example: _Example
    call: str

    @property
    def module(self) -> str:
        if self.example.category != _GENERIC:
            return self.example.module
        return f"{self.category}_" if keyword.iskeyword(self.category) else self.category


@dataclass(frozen=True)
class WrittenPack:
    """What `create_pack` wrote, and what the person running it should know."""

    directory: Path
    distribution: str
    package: str
    components: tuple[tuple[str, str, str], ...]  # (category, name, target)
    files: tuple[Path, ...]
    warnings: tuple[str, ...] = ()
    torchplug_source: str | None = None  # the local checkout torchplug runs from, if any

    def as_dict(self) -> dict[str, Any]:
        return {
            "directory": str(self.directory),
            "distribution": self.distribution,
            "package": self.package,
            "components": [{"category": c, "name": n, "target": t} for c, n, t in self.components],
            "files": [str(f.relative_to(self.directory)) for f in self.files],
            "warnings": list(self.warnings),
        }

    def format(self) -> str:
        """A summary and the next commands, as ``torchplug new-pack`` prints them."""
        lines = [f"Created {self.distribution} in {self.directory}:"]
        lines += [f"  {f.relative_to(self.directory)}" for f in self.files]
        lines += ["", "Components:"]
        lines += [f"  {c} {n!r} -> {t}" for c, n, t in self.components]
        tox = f"TORCHPLUG_SOURCE={self.torchplug_source} tox" if self.torchplug_source else "tox"
        lines += [
            "",
            "Next:",
            f"  cd {self.directory}",
            '  python -m pip install -c constraints.txt -e ".[test]"',
            "  python -m pytest",
            f"  {tox}",
        ]
        return "\n".join(lines)


class NewPack:
    """Write a new pack: pyproject.toml, one example component per category, tests, tox.ini.

    The pack's tox takes torchplug from a local checkout when TORCHPLUG_SOURCE names one
    (TORCHPLUG_SOURCE=/path/to/torchplug tox), and pins torch with the pack's constraints.txt.

    example:
      torchplug new-pack torchplug-lion --category optimizer --category scheduler
    """

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("name", help="the distribution name, e.g. torchplug-lion")
        parser.add_argument(
            "--directory",
            metavar="DIR",
            help="where to write the pack (default: ./NAME); must not exist or be empty",
        )
        parser.add_argument(
            "--category",
            dest="categories",
            action="append",
            default=[],
            metavar="CATEGORY",
            help="write an example component of this category (repeatable; default: scheduler); "
            "a category no installed pack declares is written as a new one, with a warning",
        )
        parser.add_argument("--json", action="store_true", help="print JSON instead of text")

    def run(self, registry: Registry, args: argparse.Namespace) -> int:
        pack = create_pack(
            args.name,
            args.directory,
            args.categories,
            namespace=registry.namespace,
            registry=registry,
        )
        for warning in pack.warnings:
            print(f"torchplug: warning: {warning}", file=sys.stderr)
        print(json.dumps(pack.as_dict(), indent=2) if args.json else pack.format())
        return 0


# ----------------------------------------------------------------------------- the template


def _walk(node: Traversable, prefix: str = "") -> Iterator[tuple[str, str]]:
    for child in sorted(node.iterdir(), key=lambda c: c.name):
        if child.name.startswith(".") or child.name == "__pycache__":
            continue  # caches a tool may leave in a source checkout
        if child.is_dir():
            yield from _walk(child, f"{prefix}{child.name}/")
        elif not child.name.endswith(".pyc"):
            yield f"{prefix}{child.name}", child.read_text(encoding="utf-8")


def template_files() -> dict[str, str]:
    """Every file of the template pack, by its path relative to the pack's directory."""
    return dict(_walk(resources.files(__package__) / "templates" / TEMPLATE))


def template_examples(pyproject: str) -> list[_Example]:
    """The examples the template's pyproject.toml declares, in its order."""
    return [
        _Example(m["category"], m["name"], m["module"], m["attribute"])
        for m in _GROUP.finditer(pyproject)
    ]


# ----------------------------------------------------------------------------- choosing examples


def _installed_contract(registry: Registry, category: str) -> tuple[Contract | None, str | None]:
    """The contract an installed pack declares for `category`, or why it cannot be read: a broken
    pack is `torchplug check`'s to report, and must not stop a new pack being written."""
    try:
        return registry.contract(category), None
    except TorchplugError as exc:
        return None, str(exc)


def _call(contract: Contract | None, broken: str | None) -> str:
    """A category's call, as the comment above its group in pyproject.toml says it."""
    if broken:
        return "its contract cannot be loaded, see `torchplug check --deep`"
    if contract is None:
        return "no installed pack declares its call (group torchplug.contracts)"
    return contract.describe()


def _choose(
    categories: Sequence[str], registry: Registry, examples: list[_Example], root: Path
) -> tuple[list[_Choice], list[str]]:
    """The example for each category (default `DEFAULT_CATEGORY`), and what to warn about."""
    by_category = {e.category: e for e in examples if e.category != _GENERIC}
    (generic,) = (e for e in examples if e.category == _GENERIC)
    installed = set(registry.categories())
    choices: list[_Choice] = []
    warnings: list[str] = []
    for category in dict.fromkeys(categories or [DEFAULT_CATEGORY]):
        problem = category_problem(category)
        if problem:
            raise InvalidNameError(problem)
        contract, broken = _installed_contract(registry, category)
        call = _call(contract, broken)
        if broken:
            warnings.append(
                f"the contract of category {category!r} cannot be loaded ({broken}); "
                "pyproject.toml does not show its call"
            )
        elif contract is None and category not in installed:
            # A new category is legitimate, a typo is not: say which it may be, and write it.
            hint = did_you_mean(category, {*installed, *by_category})
            warnings.append(
                f"no installed pack declares category {category!r}.{hint} The pack declares it as "
                f"a new category (group 'torchplug.{category}') that nothing installed calls yet; "
                f"if that is a typo, remove {root} and run new-pack again."
            )
        if category in by_category:
            choices.append(_Choice(category, by_category[category], call))
        elif contract is not None and (contract.inputs or contract.keywords):
            raise ScaffoldError(
                f"new-pack has no example for category {category!r} (called as {call}): the "
                "generic example takes no inputs, so it cannot meet that call. Choose another "
                "category here and add yours by hand; examples exist for "
                f"{', '.join(sorted(by_category))} and any category whose call passes no inputs."
            )
        else:
            choices.append(_Choice(category, generic, call))
    return choices, warnings


# ----------------------------------------------------------------------------- writing


def _renamer(table: Mapping[str, str]) -> re.Pattern[str]:
    # One pass, longest placeholder first, so a replacement is never itself renamed.
    return re.compile("|".join(re.escape(k) for k in sorted(table, key=len, reverse=True)))


def _rename(text: str, table: Mapping[str, str]) -> str:
    return _renamer(table).sub(lambda m: table[m.group(0)], text)


def _choice_table(common: Mapping[str, str], package: str, choice: _Choice) -> dict[str, str]:
    """The placeholders of `choice`'s example: the generic one also names category and module."""
    if choice.example.category != _GENERIC:
        return dict(common)
    return {
        **common,
        f"{_PACKAGE}.{_GENERIC}": f"{package}.{choice.module}",
        f"{_PACKAGE}/{_GENERIC}": f"{package}/{choice.module}",
        _GENERIC: choice.category,
    }


def _expand_lines(
    text: str, common: Mapping[str, str], tables: Mapping[_Example, list[dict[str, str]]]
) -> str:
    """Rename `text`; a line naming an example's component is written once per category made
    from that example (none, one, or several for the generic example), each renamed for it."""
    names = {e.name: e for e in tables}
    component = re.compile(r"\b(" + "|".join(map(re.escape, names)) + r")\b")
    out = []
    for line in text.splitlines(keepends=True):
        found = component.search(line)
        if found is None:
            out.append(_rename(line, common))
        else:
            out.extend(_rename(line, table) for table in tables[names[found.group(1)]])
    return "".join(out)


def _pyproject(
    text: str, common: Mapping[str, str], choices: list[_Choice], needs_torch: bool
) -> str:
    """The template's pyproject.toml with one group per choice, its call as the comment."""
    package = common[_PACKAGE]
    head = _rename(_GROUP.sub("", text), common)  # the template's groups close the file
    if not needs_torch:
        head = head.replace(_TORCH_DEPENDENCY, "")
    head = head.replace(_TORCHPLUG_DEPENDENCY, f'    "{_torchplug_requirement()}",\n')
    groups = [
        f"# {c.category}: {c.call}\n"
        f'[project.entry-points."torchplug.{c.category}"]\n'
        f'{_component_name(package, c)} = "{_target(package, c)}"\n'
        for c in choices
    ]
    return head + "\n".join(groups)


def _constraints(text: str, needs_torch: bool) -> str:
    if not needs_torch:
        return _TORCH_PIN.sub("", text)
    version = _installed_version("torch")
    if version is None:  # keep the template's pin: the torch torchplug is tested with
        return text
    return _TORCH_PIN.sub(f"torch=={version.split('+')[0]}\n", text)


def _render(
    template: Mapping[str, str],
    examples: list[_Example],
    dist: str,
    package: str,
    choices: list[_Choice],
) -> dict[str, str]:
    """Every file of the new pack by its path relative to the pack's directory."""
    common = {TEMPLATE: dist, _PACKAGE: package, _SHORT: _short_name(package)}
    tables: dict[_Example, list[dict[str, str]]] = {e: [] for e in examples}
    for choice in choices:
        tables[choice.example].append(_choice_table(common, package, choice))
    owner = {path: e for e in examples for path in e.files}
    files: dict[str, str] = {}
    for path, text in template.items():
        if path in owner:
            for table in tables[owner[path]]:
                _add(files, _rename(path, table), _rename(text, table))
        elif path not in ("pyproject.toml", "constraints.txt"):
            _add(files, _rename(path, common), _expand_lines(text, common, tables))
    needs_torch = any(
        _TORCH_IMPORT.search(template[c.example.files[0]]) is not None for c in choices
    )
    files["pyproject.toml"] = _pyproject(template["pyproject.toml"], common, choices, needs_torch)
    files["constraints.txt"] = _constraints(template["constraints.txt"], needs_torch)
    return files


def _add(files: dict[str, str], path: str, text: str) -> None:
    if path in files:  # e.g. a category "pack": its test would be tests/test_<short>_pack.py
        raise ScaffoldError(
            f"two files of the new pack would be written to {path}: a category is named like "
            "another file of the pack. Choose another category name."
        )
    files[path] = text


def _installed_version(distribution: str) -> str | None:
    import importlib_metadata

    try:
        return importlib_metadata.version(distribution)
    except importlib_metadata.PackageNotFoundError:
        return None


def _torchplug_requirement() -> str:
    version = _installed_version("torchplug")
    release = re.match(r"\d+(\.\d+)?", version or "")
    return f"torchplug>={release.group(0)}" if release else "torchplug"


def _torchplug_source() -> str | None:
    """The local directory torchplug was installed from (``pip install -e .``), if it was."""
    import importlib_metadata

    try:
        direct_url = importlib_metadata.distribution("torchplug").read_text("direct_url.json")
        url = json.loads(direct_url or "{}").get("url", "")
    except (importlib_metadata.PackageNotFoundError, ValueError, AttributeError):
        return None
    if not isinstance(url, str) or not url.startswith("file://"):
        return None
    from urllib.parse import unquote, urlparse

    path = Path(unquote(urlparse(url).path))
    return str(path) if path.is_dir() else None


def _check_names(name: str) -> tuple[str, str]:
    """The normalised distribution name and the import package of pack `name`."""
    if not _DISTRIBUTION_NAME.match(name):
        raise InvalidNameError(
            f"{name!r} is not a valid distribution name: use letters, digits, '-', '_' and '.', "
            "starting and ending with a letter or digit (e.g. torchplug-lion)"
        )
    dist = normalize_distribution(name)
    package = dist.replace("-", "_")
    if not package.isidentifier() or keyword.iskeyword(package):
        raise InvalidNameError(
            f"pack {name!r} would be imported as {package!r}, which is not a Python identifier; "
            "choose a name that starts with a letter"
        )
    import importlib.util

    try:  # a top-level name: finders are asked, nothing is imported
        existing = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        existing = None
    if existing is not None:
        where = existing.origin or ", ".join(existing.submodule_search_locations or [])
        raise InvalidNameError(
            f"a module named {package!r} is already importable ({where}); a pack package of that "
            "name would shadow it or be shadowed by it. Choose another name."
        )
    return dist, package


def _short_name(package: str) -> str:
    """The prefix of the pack's component names: ``torchplug_lion`` -> ``lion``."""
    return package.removeprefix("torchplug_") or package


def _component_name(package: str, choice: _Choice) -> str:
    return _short_name(package) + choice.example.name.removeprefix(_SHORT)


def _target(package: str, choice: _Choice) -> str:
    return f"{package}.{choice.module}:{choice.example.attribute}"


def create_pack(
    name: str,
    directory: str | Path | None = None,
    categories: Sequence[str] = (),
    *,
    namespace: str = "torchplug",
    registry: Registry | None = None,
) -> WrittenPack:
    """Write a new pack named `name` into `directory` (default ``./<name>``), which must not exist
    or be empty; one example component per category (default: `DEFAULT_CATEGORY`).

    `registry` (default: ``torchplug.registry``) says which categories installed packs declare
    and how each is called; a category none declares is written with a warning in the result.
    """
    if namespace != "torchplug":
        raise ScaffoldError(
            f"new-pack writes packs of the torchplug namespace, not {namespace!r}: run it without "
            f"--namespace, then rename the groups in pyproject.toml to '{namespace}.<category>'"
        )
    if registry is None:
        from .._registry import default_registry

        registry = default_registry
    dist, package = _check_names(name)
    root = Path(directory) if directory is not None else Path.cwd() / name
    template = template_files()
    examples = template_examples(template["pyproject.toml"])
    choices, warnings = _choose(categories, registry, examples, root)
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise ScaffoldError(
            f"{root} already exists and is not an empty directory; new-pack never overwrites. "
            "Choose another --directory or remove it."
        )
    files = _render(template, examples, dist, package, choices)
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    components = tuple(
        (c.category, _component_name(package, c), _target(package, c)) for c in choices
    )
    return WrittenPack(
        root,
        dist,
        package,
        components,
        tuple(sorted(root / f for f in files)),
        tuple(warnings),
        _torchplug_source(),
    )
