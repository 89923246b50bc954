"""Real installed-looking distributions for tests: ``*.dist-info`` folders plus modules on ``sys.path``.

No mocking: importlib-metadata reads these folders exactly as it reads what pip installs. Pack
authors get the same helpers through the pytest fixtures in `torchplug.pytest_plugin`.
"""

from __future__ import annotations

import importlib
import itertools
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path

from ._loading import forget_failures
from ._names import normalize_distribution
from ._registry import Registry

_counter = itertools.count()


def unique_namespace(prefix: str = "tptest") -> str:
    """A namespace no installed pack uses, so a test sees only the distributions it writes."""
    return f"{prefix}{next(_counter)}"


def entry_points_text(groups: Mapping[str, Mapping[str, str]]) -> str:
    """``{"group": {"name": "mod:attr"}}`` as the ``entry_points.txt`` that pip would write."""
    parts = []
    for group, entries in groups.items():
        parts.append(f"[{group}]")
        parts.extend(f"{name} = {value}" for name, value in entries.items())
        parts.append("")
    return "\n".join(parts)


class FakeSite:
    """A directory on ``sys.path`` holding distributions written on demand.

    `entry_points` given to `add` are keyed by category and go into the groups
    ``"<namespace>.<category>"``; `groups` takes full group names for anything else. Outside
    pytest, call `activate` before use and `deactivate` after.

    Args:
        root: The directory; created if missing.
        namespace: The namespace whose groups `entry_points` are written to, and of `registry`.
    """

    def __init__(self, root: Path, namespace: str = "torchplug") -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.namespace = namespace

    def dist_info(self, name: str, version: str) -> Path:
        """The dist-info folder that `add` writes for this distribution."""
        return self.root / f"{normalize_distribution(name).replace('-', '_')}-{version}.dist-info"

    def add(
        self,
        name: str,
        version: str = "1.0",
        *,
        entry_points: Mapping[str, Mapping[str, str]] | None = None,
        groups: Mapping[str, Mapping[str, str]] | None = None,
        modules: Mapping[str, str] | None = None,
        entry_points_txt: str | None = None,
        metadata: str | None = None,
    ) -> Path:
        """Write a distribution; `modules` maps dotted module names to their source text.

        `entry_points_txt` and `metadata` replace the generated files verbatim, to write broken ones.
        Returns the dist-info folder.
        """
        all_groups = {f"{self.namespace}.{c}": e for c, e in (entry_points or {}).items()}
        all_groups.update(groups or {})
        folder = self.dist_info(name, version)
        folder.mkdir(parents=True, exist_ok=True)
        if metadata is None:
            metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
        (folder / "METADATA").write_text(metadata, encoding="utf-8")
        text = entry_points_txt if entry_points_txt is not None else entry_points_text(all_groups)
        (folder / "entry_points.txt").write_text(text, encoding="utf-8")
        for module, source in (modules or {}).items():
            self.write_module(module, source)
        importlib.invalidate_caches()
        return folder

    def write_module(self, module: str, source: str) -> Path:
        """Write ``a.b.c`` as ``a/b/c.py`` with ``__init__.py`` files for its packages."""
        parts = module.split(".")
        directory = self.root.joinpath(*parts[:-1])
        directory.mkdir(parents=True, exist_ok=True)
        for depth in range(1, len(parts)):
            init = self.root.joinpath(*parts[:depth], "__init__.py")
            if not init.exists():
                init.write_text("", encoding="utf-8")
        path = directory / f"{parts[-1]}.py"
        path.write_text(source, encoding="utf-8")
        return path

    def remove(self, name: str, version: str = "1.0") -> None:
        """Uninstall: delete the distribution's dist-info folder (its modules stay)."""
        shutil.rmtree(self.dist_info(name, version))
        importlib.invalidate_caches()

    def registry(self, **kwargs: object) -> Registry:
        """A fresh registry of this site's namespace; keyword arguments go to `Registry`."""
        return Registry(self.namespace, **kwargs)  # type: ignore[arg-type]

    def activate(self) -> None:
        """Put the site first on ``sys.path``."""
        sys.path.insert(0, str(self.root))
        importlib.invalidate_caches()

    def deactivate(self) -> None:
        """Take the site off ``sys.path`` and forget every module imported from it, and which of
        them failed to import (the next site may reuse their names)."""
        root = str(self.root)
        while root in sys.path:
            sys.path.remove(root)
        for module_name, module in list(sys.modules.items()):
            file = getattr(module, "__file__", None) or ""
            if file.startswith(root):
                del sys.modules[module_name]
        forget_failures()
        importlib.invalidate_caches()
