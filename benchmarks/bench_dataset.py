"""Dataset start-up: building mmext's ``CustomCocoDataset`` vs mmdet's ``CocoDataset`` on a COCO-train-shaped file.

The file (:mod:`benchmarks.coco_synth`): 118,287 images, about 860,000 objects with polygons, 80 categories
(quick: 2,000 images), generated once with a fixed seed and cached outside the repository. Each build runs in a
fresh interpreter (so that peak resident memory is its own): the dataset is built as a training config builds
it (``filter_cfg=dict(filter_empty_gt=True, min_size=32)``, serialised, no pipeline), timed from the call to
the built dataset; the peak RSS is the process's (``VmHWM``, imports included; the note gives the peak before
the build). Runs alternate. The first build of each then hashes every ``get_data_info(i)`` (after its time and
memory are taken) to check that the two datasets hold the same ``data_list``. The floor: reading and parsing the
file into Python objects with the fastest JSON parser installed (each of msgspec / orjson / ujson / json that is
there is timed; the garbage collector paused, as the loaders pause it), also in fresh interpreters. Then the
dataloader-worker memory (:mod:`benchmarks.dataset_workers`).

``CustomCocoDataset`` is measured only when ``import mmext`` registers it in mmdet's DATASETS; otherwise its
figures are 'n/a'.
"""
from __future__ import annotations

import importlib.util

from benchmarks.common import Measure, Row, interleaved, load_average, ratio_row, run_python, speedup_row
from benchmarks.coco_synth import COCO_TRAIN_IMAGES, coco_like_file
from benchmarks.dataset_workers import worker_rows

SPEEDUP_GOAL, MEMORY_GOAL, FLOOR_GOAL = 8.0, 0.3, 2.0
PARSERS = ('msgspec', 'orjson', 'ujson', 'json')

_CHILD = '''
import gc, hashlib, json, sys, time
kind, ann_file, digest = sys.argv[1], sys.argv[2], sys.argv[3] == '1'


def peak_mb():  # VmHWM: this process's peak RSS (ru_maxrss would include the parent's, carried over exec)
    with open('/proc/self/status') as f:
        return next(int(line.split()[1]) for line in f if line.startswith('VmHWM')) / 1024


if kind.startswith('parse:'):
    parser = kind.split(':', 1)[1]
    loads = {'orjson': lambda: __import__('orjson').loads, 'json': lambda: json.loads,
             'ujson': lambda: __import__('ujson').loads,
             'msgspec': lambda: __import__('msgspec').json.decode}[parser]()
    base = peak_mb()
    gc.disable()
    t0 = time.perf_counter()
    with open(ann_file, 'rb') as f:
        data = loads(f.read())
    seconds = time.perf_counter() - t0
    gc.enable()
    count = len(data['images'])
else:
    from mmdet.registry import DATASETS
    import mmdet.datasets  # noqa: F401
    if kind != 'CocoDataset':
        import mmext  # noqa: F401
    base = peak_mb()
    t0 = time.perf_counter()
    dataset = DATASETS.build(dict(type=kind, ann_file=ann_file, data_prefix=dict(img='images/'),
                                  filter_cfg=dict(filter_empty_gt=True, min_size=32), pipeline=[]))
    seconds = time.perf_counter() - t0
    count = len(dataset)
out = dict(seconds=seconds, peak_mb=peak_mb(), base_mb=base, count=count)
if digest and not kind.startswith('parse:'):
    h = hashlib.sha256()
    for i in range(len(dataset)):
        h.update(json.dumps(dataset.get_data_info(i), sort_keys=True).encode())
    out['digest'] = h.hexdigest()
print(json.dumps(out))
'''


def custom_dataset_registered() -> bool:
    """Whether ``import mmext`` registers ``CustomCocoDataset`` in mmdet's DATASETS."""
    import mmext  # noqa: F401
    from mmdet.registry import DATASETS
    return 'CustomCocoDataset' in DATASETS  # a lookup: mmext registers at the registry's first one


def _build(kind: str, ann_file: str, runs: dict) -> dict:
    """One build (or parse) in a fresh interpreter; the first build of each dataset also hashes its data_list
    (after its time and memory are taken)."""
    digest = not kind.startswith('parse:') and kind not in runs
    out = run_python(_CHILD, [kind, ann_file, '1' if digest else '0'], timeout=1800)
    runs.setdefault(kind, []).append(out)
    return out


def rows(quick: bool = False) -> list[Row]:
    """Full: 118,287 images, 3 alternating builds each; workers with 20,000 and 118,287 images. Quick: 2,000
    images, 1 build each; workers with 500 and 2,000 images."""
    found = measure(*((2000, 1) if quick else (COCO_TRAIN_IMAGES, 3)))
    ours = 'CustomCocoDataset' if custom_dataset_registered() else None
    return found + worker_rows((500, 2000) if quick else (20_000, COCO_TRAIN_IMAGES), ours)


def measure(num_images: int, repeats: int) -> list[Row]:
    """The rows for a generated file of ``num_images`` images, ``repeats`` alternating builds of each kind."""
    ann_file = str(coco_like_file(num_images, seed=0))
    ours = 'CustomCocoDataset' if custom_dataset_registered() else None
    parsers = [p for p in PARSERS if importlib.util.find_spec(p) is not None]
    runs: dict[str, list[dict]] = {}
    cases = {'anchor': lambda: _build('CocoDataset', ann_file, runs)['seconds']}
    if ours:
        cases['mmext'] = lambda: _build(ours, ann_file, runs)['seconds']
    for parser in parsers:
        cases[parser] = (lambda p: lambda: _build(f'parse:{p}', ann_file, runs)['seconds'])(parser)
    times = interleaved(cases, repeats)
    memory = {kind: Measure([r['peak_mb'] for r in found], 'MB') for kind, found in runs.items()}
    base = {kind: found[0]['base_mb'] for kind, found in runs.items()}
    added = {kind: Measure([r['peak_mb'] - r['base_mb'] for r in found], 'MB') for kind, found in runs.items()}
    fastest = min(parsers, key=lambda p: times[p].median)
    size = f'{num_images} img'
    load = load_average()
    mmext_time = times.get('mmext')
    not_there = '' if ours else 'CustomCocoDataset is not registered by import mmext here (not merged yet); '
    found = [
        speedup_row(f'dataset build: time ({size})', mmext_time, times['anchor'], SPEEDUP_GOAL,
                    f'{not_there}CustomCocoDataset vs CocoDataset, load+index+filter+serialise; {load}'),
        ratio_row(f'dataset build: peak RSS ({size})', memory.get(ours), memory['CocoDataset'], MEMORY_GOAL,
                  'peak RSS', f'{not_there}whole process; before the build: CocoDataset '
                  f'{base["CocoDataset"]:.0f} MB' + (f', mmext {base[ours]:.0f} MB' if ours else '') +
                  f'; added by the build: CocoDataset {added["CocoDataset"]}' +
                  (f', mmext {added[ours]}' if ours else '')),
        ratio_row(f'dataset build vs JSON parse floor ({size})', mmext_time, times[fastest], FLOOR_GOAL,
                  'build time', f'{not_there}floor: read + {fastest} parse ({", ".join(parsers)} installed), '
                  f'peak RSS {memory[f"parse:{fastest}"].median:.0f} MB; CocoDataset is '
                  f'{times["anchor"].median / times[fastest].median:.2g}x the floor', anchor_name='floor'),
    ]
    if ours:
        mine, theirs = runs[ours][0], runs['CocoDataset'][0]
        same = mine['digest'] == theirs['digest']
        found.append(Row(f'dataset build: identical data_list ({size})', f'{mine["count"]} images',
                         f'{theirs["count"]} images', None, 'identical', same,
                         'sha256 over json of every get_data_info(i): ' + ('equal' if same else 'DIFFERENT')))
    else:
        found.append(Row(f'dataset build: identical data_list ({size})', None,
                         f'{runs["CocoDataset"][0]["count"]} images', None, 'identical', None, not_there.strip()))
    return found
