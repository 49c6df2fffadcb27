"""Finding mmdet's own tools and running a script as __main__ with mmext imported (tools/with_mmext.py)."""
import json
import os.path as osp
import sys

import mmdet
import pytest

from mmext.engine.commands.mmdet_tools import find_mmdet_tool, run_script
from mmext.errors import ConfigError


def test_a_path_is_taken_as_given_and_a_name_from_mmdets_tools(tmp_path, monkeypatch):
    mine = tmp_path / 'train.py'  # the user's own script wins over mmdet's tool of that name
    mine.write_text('')
    assert find_mmdet_tool(str(mine)) == str(mine)
    monkeypatch.chdir(tmp_path)
    assert find_mmdet_tool('train.py') == 'train.py'
    monkeypatch.chdir(osp.dirname(tmp_path))
    found = find_mmdet_tool('misc/print_config.py')
    assert found == osp.join(osp.dirname(mmdet.__file__), '.mim', 'tools', 'misc', 'print_config.py')
    assert osp.isfile(found) and osp.isfile(find_mmdet_tool('train.py'))


def test_an_unknown_tool_names_where_it_looked_and_examples():
    with pytest.raises(ConfigError, match=r"no script 'misc/print_confg.py', and mmdet has no tool .*\.mim/tools/misc/"
                                          r'print_confg\.py \(e\.g\. train\.py, test\.py, misc/print_config\.py'):
        find_mmdet_tool('misc/print_confg.py')


@pytest.fixture
def restored_argv_and_path():
    argv, path = list(sys.argv), list(sys.path)
    yield
    sys.argv[:], sys.path[:] = argv, path
    sys.modules.pop('tool_helper', None)


def test_a_script_runs_as_main_with_its_arguments_and_its_folder_on_the_path(tmp_path, restored_argv_and_path):
    (tmp_path / 'tool_helper.py').write_text('VALUE = 42\n')  # a sibling module, as mmdet's tools import theirs
    script = tmp_path / 'tool.py'
    script.write_text('import json, sys\nimport tool_helper\n'
                      'if __name__ == "__main__":\n'
                      '    json.dump(dict(argv=sys.argv, value=tool_helper.VALUE, mmext="mmext" in sys.modules),\n'
                      '              open(sys.argv[2], "w"))\n')
    out = tmp_path / 'out.json'
    run_script(str(script), ['cfg.py', str(out)])
    assert json.loads(out.read_text()) == dict(argv=[str(script), 'cfg.py', str(out)], value=42, mmext=True)
    assert sys.path[0] == str(tmp_path)
