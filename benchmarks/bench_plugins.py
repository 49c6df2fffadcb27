"""What installed plugins add to ``import mmdet; import mmext``: 50 fake plugins against none.

Each fake plugin is a real installed distribution (a module and a ``.dist-info`` with an ``mmext.plugins`` entry
point) that registers one hook class into mmdet's HOOKS, as a small real plugin does. Every measurement runs in a
fresh interpreter. The limit is 50 ms added by 50 plugins to mmext's plugin loading, with the plugins' own base
class (``mmengine.hooks``) imported before: ``import mmext`` imported it itself until registration became lazy, so
that is the like-for-like figure. The same measured as is (the first plugin paying for ``mmengine.hooks``,
about 0.75 s, as a plugin's own import) is shown beside it without a limit.

    python benchmarks/bench_plugins.py [--quick]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NUM_PLUGINS = 50
LIMIT_MS = 50.0

PLUGIN_BODY = '''
from mmext.plugins import hookimpl


@hookimpl
def mmext_register_modules():
    from mmdet.registry import HOOKS
    from mmengine.hooks import Hook
    from mmext.registry import register
    register(HOOKS)(type('Bench{index}Hook', (Hook,), {{}}))
'''

# What PLUGIN_BODY imports for itself: since mmext registers lazily, import mmext no longer imports it, so the
# first plugin pays for it; the last row leaves it out to show what mmext's plugin loading costs.
PLUGIN_IMPORTS = 'mmengine.hooks'

# Times the whole import, and separately the plugin loading that import mmext does (run here explicitly, with
# autoload off during the import, so that it can be timed on its own).
# With a module name as argument, that module (what every plugin imports itself) is imported before the timing.
CHILD = '''
import importlib, json, os, sys, time
t0 = time.perf_counter()
import mmdet, mmext
t1 = time.perf_counter()
if len(sys.argv) > 1:
    importlib.import_module(sys.argv[1])
from mmext.plugins import PLUGINS
env = {k: v for k, v in os.environ.items() if k != 'MMEXT_DISABLE_PLUGIN_AUTOLOAD'}
t2 = time.perf_counter()
loaded = PLUGINS.load(env)
t3 = time.perf_counter()
print(json.dumps(dict(import_s=t1 - t0, load_s=t3 - t2, loaded=len(loaded))))
'''


def _measure(site: str | None, autoload: bool, preload: str = '') -> dict:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (site, str(ROOT)) if p))
    env.pop('MMEXT_DISABLE_PLUGINS', None)
    env.pop('MMEXT_PLUGINS', None)
    if autoload:
        env.pop('MMEXT_DISABLE_PLUGIN_AUTOLOAD', None)
        script = 'import json, time\nt0 = time.perf_counter()\nimport mmdet, mmext\n' \
                 'print(json.dumps(dict(import_s=time.perf_counter() - t0, ' \
                 'loaded=len(mmext.plugins.PLUGINS.records))))'
    else:
        env['MMEXT_DISABLE_PLUGIN_AUTOLOAD'] = '1'
        script = CHILD
    out = subprocess.run([sys.executable, '-c', script, *([preload] if preload else [])], env=env,
                         capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def rows(quick: bool = False) -> list[dict]:
    """Rows for the benchmark suite: import times with and without 50 plugins, and what the plugins add.

    Args:
        quick: 2 interpreters per case instead of 5.

    Returns:
        One dict per row: ``benchmark``, ``case``, ``value``, ``unit``, ``limit`` (or None) and ``ok``.
    """
    sys.path.insert(0, str(ROOT))
    from tests.plugins.fakes import write_installed_plugin
    runs = 2 if quick else 5
    with tempfile.TemporaryDirectory() as tmp:
        for index in range(NUM_PLUGINS):
            write_installed_plugin(Path(tmp), f'bench{index:02d}', PLUGIN_BODY.format(index=index))
        plain, with_plugins, load_none, load_all, own_none, own_all = [], [], [], [], [], []
        for _ in range(runs):  # interleaved, so that a busy moment hits both cases alike
            plain.append(_measure(None, autoload=True)['import_s'])
            full = _measure(tmp, autoload=True)
            assert full['loaded'] == NUM_PLUGINS, full
            with_plugins.append(full['import_s'])
            load_none.append(_measure(None, autoload=False)['load_s'])
            timed = _measure(tmp, autoload=False)
            assert timed['loaded'] == NUM_PLUGINS, timed
            load_all.append(timed['load_s'])
            own_none.append(_measure(None, autoload=False, preload=PLUGIN_IMPORTS)['load_s'])
            own_all.append(_measure(tmp, autoload=False, preload=PLUGIN_IMPORTS)['load_s'])
    added_ms = (statistics.median(load_all) - statistics.median(load_none)) * 1000
    machinery_ms = (statistics.median(own_all) - statistics.median(own_none)) * 1000
    wall_ms = (statistics.median(with_plugins) - statistics.median(plain)) * 1000
    return [
        dict(benchmark='plugins', case='import mmdet + mmext, no plugin', value=statistics.median(plain),
             unit='s', limit=None, ok=None),
        dict(benchmark='plugins', case=f'import mmdet + mmext, {NUM_PLUGINS} plugins',
             value=statistics.median(with_plugins), unit='s', limit=None, ok=None),
        dict(benchmark='plugins', case='difference of the two (whole import, noisy)', value=wall_ms, unit='ms',
             limit=None, ok=None),
        dict(benchmark='plugins', case=f'added by loading {NUM_PLUGINS} plugins (timed on its own)',
             value=added_ms, unit='ms', limit=None, ok=None),
        dict(benchmark='plugins', case=f'the same, {PLUGIN_IMPORTS} (their base class) imported before',
             value=machinery_ms, unit='ms', limit=LIMIT_MS, ok=machinery_ms < LIMIT_MS),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--quick', action='store_true', help='2 interpreters per case instead of 5')
    args = parser.parse_args(argv)
    results = rows(quick=args.quick)
    for row in results:
        limit = f'  (limit {row["limit"]:.0f} {row["unit"]}: {"ok" if row["ok"] else "OVER"})' if row['limit'] else ''
        print(f'{row["case"]:<60} {row["value"]:9.3f} {row["unit"]}{limit}')
    return 0 if all(row['ok'] is not False for row in results) else 1


if __name__ == '__main__':
    sys.exit(main())
