"""when_imported: a callback right after a module is imported (how the checkpoint loader goes in)."""
import inspect
import sys

import pytest

from mmext.compat import post_import
from mmext.compat.post_import import when_imported


@pytest.fixture
def module_file(tmp_path, monkeypatch):
    (tmp_path / 'mmext_watched_module.py').write_text('def answer():\n    return 42\n')
    monkeypatch.syspath_prepend(str(tmp_path))
    yield 'mmext_watched_module'
    sys.modules.pop('mmext_watched_module', None)
    post_import._CALLBACKS.pop('mmext_watched_module', None)


def test_callback_runs_once_after_the_import_with_the_real_loader_left_in_place(module_file):
    seen = []
    when_imported(module_file, lambda module: seen.append(module.answer()))
    assert seen == [] and post_import._FINDER in sys.meta_path
    import mmext_watched_module
    import mmext_watched_module  # noqa: F811  (again: no second call)
    assert seen == [42]
    assert post_import._FINDER not in sys.meta_path  # nothing left to watch
    assert 'return 42' in inspect.getsource(mmext_watched_module.answer)
    assert type(mmext_watched_module.__loader__).__name__ == 'SourceFileLoader'


def test_callback_runs_at_once_for_an_imported_module(module_file):
    import mmext_watched_module
    seen = []
    when_imported(module_file, seen.append)
    assert seen == [mmext_watched_module]
