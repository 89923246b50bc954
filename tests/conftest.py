"""What the core tests need beyond the `torchplug_site` / `torchplug_registry` fixtures.

- ``journal``: a file that plugin modules and hook implementations append to when they run, so a
  test can see what was imported, and how often, without touching the loading mechanism.
- ``second_site``: another site directory on ``sys.path`` with the same namespace, placed first.
- ``default_site``: a site of the default ``torchplug`` namespace, for the few tests that must see
  what a user of ``torchplug.registry`` sees (they assert membership, never equality).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from torchplug.testing import FakeSite


class Journal:
    """A file that code under test appends one line to each time it runs."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def write(self, expression: str) -> str:
        """One line of Python source that appends the value of `expression` to the journal."""
        return f"with open({str(self.path)!r}, 'a') as _journal: _journal.write({expression} + '\\n')\n"

    def plugin(self, *functions: str, body: str = "") -> str:
        """Source of a module that records ``imported <module>`` when executed, then defines each
        of `functions` as a function returning ``"<module>.<function>"``, then runs `body`."""
        lines = [self.write("'imported ' + __name__")]
        for function in functions:
            lines.append(f"def {function}(*args, **kwargs):\n    return __name__ + '.{function}'\n")
        return "\n".join(lines) + body

    @property
    def lines(self) -> list[str]:
        return self.path.read_text("utf-8").splitlines() if self.path.exists() else []


@pytest.fixture
def journal(tmp_path: Path) -> Journal:
    return Journal(tmp_path / "journal.txt")


@pytest.fixture
def second_site(torchplug_site: FakeSite, tmp_path: Path) -> Iterator[FakeSite]:
    site = FakeSite(tmp_path / "second-site-packages", namespace=torchplug_site.namespace)
    site.activate()  # inserted before torchplug_site: it comes first on sys.path
    try:
        yield site
    finally:
        site.deactivate()


@pytest.fixture
def default_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSite]:
    monkeypatch.setenv("TORCHPLUG_CACHE", "0")  # leave the user's scan cache alone
    site = FakeSite(tmp_path / "default-site-packages", namespace="torchplug")
    site.activate()
    try:
        yield site
    finally:
        site.deactivate()
