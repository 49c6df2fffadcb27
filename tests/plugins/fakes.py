"""Fake plugin distributions, as pluggy and pytest test their own entry-point loading.

In process: :class:`FakeDist` / :class:`FakeEntryPoint` stand in for ``importlib.metadata`` objects
(monkeypatch ``importlib.metadata.distributions``). On disk: :func:`write_installed_plugin` writes a module and a
``.dist-info`` folder that ``importlib.metadata`` finds on ``sys.path``, for tests in a fresh interpreter and for
``benchmarks/bench_plugins.py``.
"""
from __future__ import annotations

import importlib.metadata
import textwrap
from pathlib import Path

from mmext.plugins.manager import ENTRY_POINT_GROUP


class FakeEntryPoint:
    """An entry point whose ``load()`` returns ``plugin`` (or raises ``error``) and counts its calls."""

    group = ENTRY_POINT_GROUP

    def __init__(self, name: str, plugin: object = None, error: BaseException | None = None) -> None:
        self.name = name
        self.value = f'fake_{name}_plugin'
        self.plugin = plugin
        self.error = error
        self.loads = 0

    def load(self) -> object:
        self.loads += 1
        if self.error is not None:
            raise self.error
        return self.plugin


class FakeDist:
    """A distribution with a name, a version and entry points."""

    def __init__(self, name: str, version: str, *entry_points: FakeEntryPoint) -> None:
        self.metadata = {'Name': name, 'Version': version}
        self.version = version
        self.entry_points = list(entry_points)


def install_fake_dists(monkeypatch, *dists: FakeDist) -> None:
    """Make ``importlib.metadata.distributions()`` return exactly ``dists``."""
    monkeypatch.setattr(importlib.metadata, 'distributions', lambda: iter(dists))


def write_installed_plugin(site: Path, name: str, body: str, version: str = '1.0') -> None:
    """Write plugin ``name`` into folder ``site`` as an installed distribution ``fake-<name>``.

    Args:
        site: A folder to put on ``PYTHONPATH``.
        name: The entry-point name; the module is ``fake_<name>_plugin``.
        body: The module's source (hook implementations).
        version: The distribution's version.
    """
    module = f'fake_{name}_plugin'
    (site / f'{module}.py').write_text(textwrap.dedent(body))
    info = site / f'fake_{name}-{version}.dist-info'
    info.mkdir(parents=True, exist_ok=True)
    (info / 'METADATA').write_text(f'Metadata-Version: 2.1\nName: fake-{name}\nVersion: {version}\n')
    (info / 'entry_points.txt').write_text(f'[{ENTRY_POINT_GROUP}]\n{name} = {module}\n')
