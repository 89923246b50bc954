"""Writing a new pack's source tree: what ``torchplug new-pack`` creates.

The tree is the shape of `plugins/torchplug-torch`, a pack author's model: hatchling, a ``src/``
package whose ``__init__`` imports nothing, entry points with comments, tests that use the
``torchplug_registry`` fixture. Each chosen category gets one small example component that meets
its contract; the examples that need torch import it inside the builder.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import Any

from ._errors import InvalidNameError, TorchplugError
from ._names import category_problem, normalize_distribution


def _contract(category: str) -> Any:
    """The installed contract of `category` (the training loop's pack declares the common ones)."""
    from ._registry import default_registry

    try:
        return default_registry.contract(category)
    except TorchplugError:
        return None


#: A component of this category needs no torch, so a fresh pack installs and tests in seconds.
DEFAULT_CATEGORY = "scheduler"

#: PEP 508 names: letters, digits and ``-_.``, starting and ending with a letter or digit.
_DISTRIBUTION_NAME = re.compile(r"^([a-z0-9]|[a-z0-9][a-z0-9._-]*[a-z0-9])$", re.IGNORECASE)


class ScaffoldError(TorchplugError):
    """A pack cannot be written: the directory is taken, or a category has no example."""


@dataclass(frozen=True)
class _Example:
    """One example component: its module source, its test, and whether it needs torch."""

    suffix: str  # the component name is "<pack short name>_<suffix>"
    attribute: str  # what the entry point names in the module
    module: str  # the module's source (a Template)
    test: str  # test functions for tests/test_<package>.py (a Template)
    needs_torch: bool = False


def _torch_module(type_imports: str, body: str) -> str:
    """An example module that imports torch only for type checking and inside its builder."""
    return (
        '"""$category components of $dist."""\n\n'
        "from __future__ import annotations\n\n"
        "from typing import TYPE_CHECKING\n\n"
        f"if TYPE_CHECKING:\n{type_imports}\n\n{body}"
    )


_TORCH_NOTE = "torch is imported on the first build, so importing this module stays cheap."

_EXAMPLES: dict[str, _Example] = {
    "scheduler": _Example(
        "warmup",
        "LinearWarmup",
        '''"""$category components of $dist."""

from __future__ import annotations

from typing import Any, Protocol


class _Optimizer(Protocol):
    param_groups: list[dict[str, Any]]


class LinearWarmup:
    """Raise each param group's learning rate linearly from ``start_factor`` times
    its base value to the base value over ``warmup_steps`` steps, then hold it.

    It touches only ``optimizer.param_groups``: any torch optimizer works, and this
    module needs no torch. Call `step` after each ``optimizer.step()``.
    """

    def __init__(
        self, optimizer: _Optimizer, warmup_steps: int = 100, start_factor: float = 0.0
    ) -> None:
        if warmup_steps < 1:
            raise ValueError(f"warmup_steps must be at least 1, got {warmup_steps}")
        self.optimizer = optimizer
        self.warmup_steps = warmup_steps
        self.start_factor = start_factor
        self.base_lrs = [group["lr"] for group in optimizer.param_groups]
        self.last_step = 0
        self._apply()

    def step(self) -> None:
        """Advance the schedule by one optimizer step."""
        self.last_step += 1
        self._apply()

    def get_last_lr(self) -> list[float]:
        """The learning rate of each param group, as torch's schedulers report it."""
        return [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        return {"last_step": self.last_step, "base_lrs": list(self.base_lrs)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.last_step = state["last_step"]
        self.base_lrs = list(state["base_lrs"])
        self._apply()

    def _apply(self) -> None:
        progress = min(self.last_step / self.warmup_steps, 1.0)
        factor = self.start_factor + (1.0 - self.start_factor) * progress
        groups = self.optimizer.param_groups
        for group, base_lr in zip(groups, self.base_lrs, strict=True):
            group["lr"] = base_lr * factor
''',
        """def test_${name}_warms_up_linearly(torchplug_registry):
    optimizer = types.SimpleNamespace(param_groups=[{"lr": 0.1}])  # all it touches
    spec = {"type": f"{PACK}:$name", "warmup_steps": 4}
    scheduler = torchplug_registry.build("scheduler", spec, optimizer)
    assert optimizer.param_groups[0]["lr"] == 0.0
    for _ in range(4):
        scheduler.step()
    assert scheduler.get_last_lr() == [pytest.approx(0.1)]
""",
    ),
    "dataset": _Example(
        "counting",
        "build_counting",
        '''"""$category components of $dist."""

from __future__ import annotations


def build_counting(
    num_batches: int = 4, batch_size: int = 8, start: int = 0
) -> list[tuple[list[int], list[int]]]:
    """Toy batches for next-number prediction: each target is its input plus one.

    Replace it with your data; a real dataset yields tensors, or what your loop takes.
    """
    batches = []
    for index in range(num_batches):
        first = start + index * batch_size
        inputs = list(range(first, first + batch_size))
        batches.append((inputs, [x + 1 for x in inputs]))
    return batches
''',
        """def test_${name}_gives_input_target_batches(torchplug_registry):
    spec = {"type": f"{PACK}:$name", "num_batches": 3}
    batches = torchplug_registry.build("dataset", spec)
    assert len(batches) == 3
    for inputs, targets in batches:
        assert targets == [x + 1 for x in inputs]
""",
    ),
    "model": _Example(
        "mlp",
        "build_mlp",
        _torch_module(
            "    from torch import nn\n",
            '''def build_mlp(
    in_features: int = 16, hidden: int = 64, out_features: int = 16
) -> nn.Module:
    """A two-layer perceptron, Linear-GELU-Linear: replace it with your model.

    $torch_note
    """
    from torch import nn

    return nn.Sequential(
        nn.Linear(in_features, hidden), nn.GELU(), nn.Linear(hidden, out_features)
    )
''',
        ),
        """def test_${name}_maps_features(torchplug_registry):
    spec = {"type": f"{PACK}:$name", "in_features": 4, "out_features": 2}
    model = torchplug_registry.build("model", spec)
    assert model(torch.randn(3, 4)).shape == (3, 2)
""",
        needs_torch=True,
    ),
    "optimizer": _Example(
        "sgd_nesterov",
        "build_sgd_nesterov",
        _torch_module(
            "    from collections.abc import Iterable\n\n    import torch\n",
            '''def build_sgd_nesterov(
    params: Iterable[torch.Tensor], lr: float = 0.01, momentum: float = 0.9
) -> torch.optim.Optimizer:
    """SGD with Nesterov momentum always on: replace it with your optimizer.

    $torch_note
    """
    import torch

    return torch.optim.SGD(params, lr=lr, momentum=momentum, nesterov=True)
''',
        ),
        """def test_${name}_takes_a_step(torchplug_registry):
    weight = torch.nn.Parameter(torch.ones(3))
    spec = {"type": f"{PACK}:$name", "lr": 0.1}
    optimizer = torchplug_registry.build("optimizer", spec, [weight])
    weight.sum().backward()
    optimizer.step()
    assert torch.all(weight < 1)
""",
        needs_torch=True,
    ),
    "loss": _Example(
        "smoothed_cross_entropy",
        "build_smoothed_cross_entropy",
        _torch_module(
            "    from torch import nn\n",
            '''def build_smoothed_cross_entropy(label_smoothing: float = 0.1) -> nn.Module:
    """Cross-entropy of class logits, label smoothing on: replace it with your loss.

    $torch_note
    """
    from torch import nn

    return nn.CrossEntropyLoss(label_smoothing=label_smoothing)
''',
        ),
        """def test_${name}_gives_a_finite_scalar(torchplug_registry):
    loss_fn = torchplug_registry.build("loss", f"{PACK}:$name")
    loss = loss_fn(torch.randn(8, 5), torch.randint(0, 5, (8,)))
    assert loss.ndim == 0
    assert torch.isfinite(loss)
""",
        needs_torch=True,
    ),
    "norm": _Example(
        "layernorm",
        "build_layernorm",
        _torch_module(
            "    from torch import nn\n",
            '''def build_layernorm(dim: int, eps: float = 1e-5, bias: bool = False) -> nn.Module:
    """LayerNorm over the last dimension, bias off by default: replace it with yours.

    $torch_note
    """
    from torch import nn

    return nn.LayerNorm(dim, eps=eps, bias=bias)
''',
        ),
        """def test_${name}_normalises_the_last_dimension(torchplug_registry):
    norm = torchplug_registry.build("norm", f"{PACK}:$name", 16)
    y = norm(torch.randn(2, 3, 16) * 5 + 3)
    assert torch.allclose(y.mean(-1), torch.zeros(2, 3), atol=1e-5)
""",
        needs_torch=True,
    ),
    "activation": _Example(
        "gelu_tanh",
        "build_gelu_tanh",
        _torch_module(
            "    from torch import nn\n",
            '''def build_gelu_tanh() -> nn.Module:
    """GELU with the tanh approximation: replace it with your activation.

    $torch_note
    """
    from torch import nn

    return nn.GELU(approximate="tanh")
''',
        ),
        """def test_${name}_keeps_the_shape(torchplug_registry):
    activation = torchplug_registry.build("activation", f"{PACK}:$name")
    x = torch.randn(2, 3, 4)
    assert activation(x).shape == x.shape
""",
        needs_torch=True,
    ),
    "mlp": _Example(
        "gelu_mlp",
        "build_gelu_mlp",
        _torch_module(
            "    from torch import nn\n",
            '''def build_gelu_mlp(dim: int, hidden_dim: int, dropout: float = 0.0) -> nn.Module:
    """Linear-GELU-Linear, ``dim`` to ``hidden_dim`` and back: replace it with yours.

    $torch_note
    """
    from torch import nn

    return nn.Sequential(
        nn.Linear(dim, hidden_dim),
        nn.GELU(),
        nn.Dropout(dropout),
        nn.Linear(hidden_dim, dim),
    )
''',
        ),
        """def test_${name}_keeps_the_model_dimension(torchplug_registry):
    mlp = torchplug_registry.build("mlp", f"{PACK}:$name", 8, 32)
    assert mlp(torch.randn(2, 5, 8)).shape == (2, 5, 8)
""",
        needs_torch=True,
    ),
}

#: For a category without a built-in contract: its call site is the pack author's to define.
_GENERIC = _Example(
    "example",
    "Example",
    '''"""$category components of $dist."""

from __future__ import annotations


class Example:
    """A placeholder $category: replace it with your component.

    The keyword arguments of ``__init__`` are the hyperparameters a config may set;
    torchplug checks a config's keys against them before building.
    """

    def __init__(self, scale: float = 1.0) -> None:
        self.scale = scale
''',
    """def test_${name}_takes_its_hyperparameters(torchplug_registry):
    spec = {"type": f"{PACK}:$name", "scale": 2.0}
    built = torchplug_registry.build("$category", spec)
    assert built.scale == 2.0
""",
)

_PYPROJECT = """[build-system]
requires = ["hatchling>=1.21"]
build-backend = "hatchling.build"

[project]
name = "$dist"
version = "0.1.0"
description = "torchplug components: $names."
readme = "README.md"
requires-python = ">=3.10"
classifiers = [
    "Programming Language :: Python :: 3",
    "Typing :: Typed",
]
# A pack depends on torchplug for its entry-point groups and on what its components need.
dependencies = [
$dependencies]

[project.optional-dependencies]
test = ["pytest>=7"]

# Each group "torchplug.<category>" lists components as  name = "module:attribute".
# - The name is what a config or `registry.get(category, name)` asks for: lowercase snake_case,
#   unique among installed packs (hence the pack's name as a prefix).
# - `torchplug list` reads these lines without importing anything; the target's module is imported
#   on the first `get`. `torchplug show <category> <name>` prints its signature from source.
# - A builder's leading parameters are what the category's call site passes (the comment above
#   each group); the rest are hyperparameters with defaults, checked against a config's keys.

$entry_points"""

_README = """# $dist

torchplug components, selectable by name once the pack is installed:

| category | name | call |
|---|---|---|
$table

```python
import torchplug

# Each `get` returns a builder; its module is imported on the first `get`.
$usage
```

## Develop

```bash
python -m pip install -e ".[test]"
python -m pytest                  # or: tox
torchplug list --filter '${short}_*'
torchplug check --deep            # imports every installed entry point, reports any problem
```

## Adding a component

1. Write a typed class or builder function in `src/$package/`: its leading parameters are what
   the category's call site passes (the table above), the rest are hyperparameters with defaults.
   Import heavy libraries inside the builder.
2. Declare it in `pyproject.toml`, group `[project.entry-points."torchplug.<category>"]`.
3. Reinstall (`python -m pip install -e .`): torchplug reads entry points from installed metadata.
   The tests in `tests/` resolve and check every declared entry point; add one that builds it.
"""

_TOX = """[tox]
requires = tox>=4.11
env_list = py

[testenv]
description = run the tests and torchplug's deep check against the installed pack
extras = test
commands =
    python -m pytest {posargs}
    torchplug check --deep
"""

_TESTS = '''"""Tests of $dist.

Its entry points resolve and check clean, and its example components build.
Run them against the installed pack:

    python -m pip install -e ".[test]" && python -m pytest
"""

from __future__ import annotations

$imports

PACK = "$dist"
#: (category, name) of every component the installed pack declares.
COMPONENTS = sorted(
    (ep.group.partition(".")[2], ep.name)
    for ep in distribution(PACK).entry_points
    if ep.group.startswith("torchplug.")
    and ep.group.partition(".")[2] not in ("hooks", "contracts", "deprecated")
)


def test_the_pack_declares_components():
    assert COMPONENTS, f"{PACK} declares no entry points: is it installed?"


@pytest.mark.parametrize(("category", "name"), COMPONENTS)
def test_entry_point_resolves(torchplug_registry, category, name):
    info = torchplug_registry.info(category, f"{PACK}:{name}")
    assert info.status == "ok", info.problem
    assert torchplug_registry.get(category, f"{PACK}:{name}") is not None


def test_check_finds_nothing_wrong_with_the_pack(torchplug_registry):
    report = torchplug_registry.check(deep=True)  # imports every installed entry point
    mine = [
        f
        for f in report.findings
        if any(p.distribution == PACK for p in f.providers)
        or f.message.startswith(f"{PACK}:")  # a problem in the pack's metadata
    ]
    assert not mine, report.format()
'''


@dataclass(frozen=True)
class NewPack:
    """What `create_pack` wrote."""

    directory: Path
    distribution: str
    package: str
    components: tuple[tuple[str, str, str], ...]  # (category, name, target)
    files: tuple[Path, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "directory": str(self.directory),
            "distribution": self.distribution,
            "package": self.package,
            "components": [{"category": c, "name": n, "target": t} for c, n, t in self.components],
            "files": [str(f.relative_to(self.directory)) for f in self.files],
        }

    def format(self) -> str:
        """A summary and the next commands, as ``torchplug new-pack`` prints them."""
        lines = [f"Created {self.distribution} in {self.directory}:"]
        lines += [f"  {f.relative_to(self.directory)}" for f in self.files]
        lines += ["", "Components:"]
        lines += [f"  {c} {n!r} -> {t}" for c, n, t in self.components]
        lines += [
            "",
            "Next:",
            f"  cd {self.directory}",
            '  python -m pip install -e ".[test]"',
            "  python -m pytest",
        ]
        return "\n".join(lines)


def _torchplug_requirement() -> str:
    import importlib_metadata

    try:
        version = importlib_metadata.version("torchplug")
    except importlib_metadata.PackageNotFoundError:  # running from a source tree
        return "torchplug"
    release = re.match(r"\d+(\.\d+)?", version)
    return f"torchplug>={release.group(0)}" if release else "torchplug"


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


def _examples(categories: Sequence[str]) -> dict[str, _Example]:
    chosen: dict[str, _Example] = {}
    for category in dict.fromkeys(categories or [DEFAULT_CATEGORY]):
        problem = category_problem(category)
        if problem:
            raise InvalidNameError(problem)
        if category in _EXAMPLES:
            chosen[category] = _EXAMPLES[category]
        elif _contract(category) is not None:
            contract = _contract(category).describe()
            raise ScaffoldError(
                f"new-pack has no example for category {category!r} (called as {contract}): "
                "its builders return modules that need a class of their own, as the "
                "torchplug-transformer pack's do. Choose another category here and add yours "
                f"by hand; examples exist for {', '.join(sorted(_EXAMPLES))} and any category "
                "without a built-in contract."
            )
        else:
            chosen[category] = _GENERIC
    return chosen


def _module_name(category: str) -> str:
    return f"{category}_" if keyword.iskeyword(category) or category == "tests" else category


def _call(category: str) -> str:
    """How the category's call site calls a builder, for the comments and the README."""
    contract = _contract(category)
    return contract.describe() if contract else "fn(**hp), a category of your own"


def _short_name(package: str) -> str:
    """The prefix of the pack's component names: ``torchplug_lion`` -> ``lion``."""
    return package.removeprefix("torchplug_") or package


def _components(package: str, examples: dict[str, _Example]) -> list[tuple[str, str, str]]:
    """(category, name, target) of each example; names carry the pack's name against clashes."""
    return [
        (c, f"{_short_name(package)}_{e.suffix}", f"{package}.{_module_name(c)}:{e.attribute}")
        for c, e in examples.items()
    ]


def _render(dist: str, package: str, examples: dict[str, _Example]) -> dict[str, str]:
    """Every file of the pack by its path relative to the pack's directory."""
    short = _short_name(package)
    values = {"dist": dist, "package": package, "short": short, "torch_note": _TORCH_NOTE}
    files: dict[str, str] = {}
    components = _components(package, examples)
    groups, tests = [], []
    for (category, name, target), example in zip(components, examples.values(), strict=True):
        local = {**values, "category": category, "name": name}
        files[f"src/{package}/{_module_name(category)}.py"] = Template(example.module).substitute(
            local
        )
        tests.append(Template(example.test).substitute(local))
        groups.append(
            f'# {category}: {_call(category)}\n[project.entry-points."torchplug.{category}"]\n'
            f'{name} = "{target}"\n'
        )
    needs_torch = any(e.needs_torch for e in examples.values())
    dependencies = [_torchplug_requirement(), *(["torch>=2.1"] if needs_torch else [])]
    imports = ["from importlib.metadata import distribution", "", "import pytest"]
    if any(e is _EXAMPLES["scheduler"] for e in examples.values()):
        imports.insert(0, "import types")
    if needs_torch:
        imports.append("import torch")
    files["pyproject.toml"] = Template(_PYPROJECT).substitute(
        values,
        names=", ".join(f"{c} {n!r}" for c, n, _ in components),
        dependencies="".join(f'    "{d}",\n' for d in dependencies),
        entry_points="\n".join(groups),
    )
    files["README.md"] = Template(_README).substitute(
        values,
        table="\n".join(f"| `{c}` | `{n}` | `{_call(c)}` |" for c, n, _ in components),
        usage="\n".join(f'torchplug.registry.get("{c}", "{n}")' for c, n, _ in components),
    )
    files["tox.ini"] = _TOX
    files[f"src/{package}/__init__.py"] = (
        f'"""torchplug components of {dist}.\n\nImport nothing here: `registry.get` imports '
        'a component\'s module on first use.\n"""\n'
    )
    files[f"src/{package}/py.typed"] = ""
    files[f"tests/test_{package}.py"] = Template(_TESTS).substitute(
        values, imports="\n".join(imports)
    ) + "".join(f"\n\n{t}" for t in tests)
    return files


def create_pack(
    name: str,
    directory: str | Path | None = None,
    categories: Sequence[str] = (),
    *,
    namespace: str = "torchplug",
) -> NewPack:
    """Write a new pack named `name` into `directory` (default ``./<name>``), which must not exist
    or be empty; one example component per category (default: `DEFAULT_CATEGORY`)."""
    if namespace != "torchplug":
        raise ScaffoldError(
            f"new-pack writes packs of the torchplug namespace, not {namespace!r}: run it without "
            f"--namespace, then rename the groups in pyproject.toml to '{namespace}.<category>'"
        )
    dist, package = _check_names(name)
    examples = _examples(categories)
    root = Path(directory) if directory is not None else Path.cwd() / name
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise ScaffoldError(
            f"{root} already exists and is not an empty directory; new-pack never overwrites. "
            "Choose another --directory or remove it."
        )
    files = _render(dist, package, examples)
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    components = tuple(_components(package, examples))
    return NewPack(root, dist, package, components, tuple(sorted(root / f for f in files)))
