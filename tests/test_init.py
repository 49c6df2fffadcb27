"""``import mmext``: cheap (no heavy module imported), and every registered name there at the first lookup."""
from tests.conftest import run_tool

# What mmext's modules subclass (about 1.2 s of imports); imported by a registry's first lookup, not by mmext.
HEAVY = ('mmengine.runner', 'mmengine.hooks', 'mmdet.models', 'mmdet.engine', 'mmdet.datasets',
         'mmdet.evaluation', 'mmext.hooks', 'mmext.engine', 'mmext.models', 'mmext.datasets', 'mmext.optim',
         'mmext.evaluation')

SCRIPT = f'''
import sys
import mmdet, mmext
print('heavy after import mmext:', [m for m in {HEAVY!r} if m in sys.modules])
from mmdet.registry import DATASETS, HOOKS, LOOPS, METRICS, MODELS, OPTIM_WRAPPER_CONSTRUCTORS, OPTIM_WRAPPERS
from mmengine.registry import RUNNERS
neck = MODELS.build(dict(type='BiFPN', in_channels=[8, 16, 32], out_channels=8, num_outs=3, num_repeats=1))
print(type(neck).__module__)
for registry, name in [(DATASETS, 'CustomCocoDataset'), (HOOKS, 'PredictionGridHook'), (METRICS, 'FastCocoMetric'),
                       (LOOPS, 'ExactEpochBasedTrainLoop'), (OPTIM_WRAPPERS, 'NonFiniteGuardOptimWrapper'),
                       (OPTIM_WRAPPER_CONSTRUCTORS, 'RuleBasedOptimWrapperConstructor'), (RUNNERS, 'MMExtRunner')]:
    print(registry.get(name).__module__)
print(mmext.hooks.PredictionGridHook.__name__, 'hooks' in dir(mmext))
'''


def test_import_mmext_imports_nothing_heavy_and_registers_at_the_first_lookup():
    result = run_tool(['-c', SCRIPT], env={'MMEXT_DISABLE_PLUGIN_AUTOLOAD': '1'}, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.splitlines() == [
        'heavy after import mmext: []', 'mmext.models.necks.bifpn', 'mmext.datasets.custom_coco',
        'mmext.hooks.prediction_grid_hook', 'mmext.evaluation.coco_metric', 'mmext.engine.resume.loops',
        'mmext.optim.nonfinite_guard_optim_wrapper', 'mmext.optim.rule_constructor', 'mmext.engine.runner',
        'PredictionGridHook True']
