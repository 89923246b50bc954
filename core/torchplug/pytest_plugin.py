"""pytest fixtures for torchplug and for pack authors; registered through the ``pytest11`` entry point.

- ``torchplug_site``: a `FakeSite` on ``sys.path`` with its own namespace, removed after the test.
- ``torchplug_registry``: a fresh default-namespace `Registry` that sees what is really installed,
  so a pack's tests can resolve and check its entry points without touching the global registry.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from . import _settings
from ._registry import Registry
from .testing import FakeSite, unique_namespace


@pytest.fixture
def torchplug_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSite]:
    """Installed-looking distributions written by the test, visible to importlib-metadata.

    A `torchplug.testing.FakeSite` put first on ``sys.path``, with a namespace of its own that no
    installed pack uses, so a test sees only what it writes. It is removed after the test, with
    every module imported from it.

    The scan cache is off while it runs: a test may rewrite a dist-info folder in place, which
    pip never does and the cache's validation does not look for.
    """
    monkeypatch.setenv(_settings.CACHE, "0")
    site = FakeSite(tmp_path / "site-packages", namespace=unique_namespace())
    site.activate()
    try:
        yield site
    finally:
        site.deactivate()


@pytest.fixture
def torchplug_registry() -> Registry:
    """A fresh registry of the ``torchplug`` namespace over the real environment.

    It sees the pack under test (and everything else installed) without touching the global
    ``torchplug.registry``.
    """
    return Registry()
