"""Dataloader workers' memory: it must not grow with the annotation file (part of ``bench_dataset.py``).

mmengine serialises a dataset's records into one numpy buffer so that forked dataloader workers share it
instead of copying every Python object they touch (reference counts are written into the objects). mmext's
``CustomCocoDataset`` holds numpy columns instead, shared the same way. Measured: for each dataset and for two
COCO-like files (a small and a large one, one after the other in a fresh interpreter), the dataset is built (no
pipeline), a torch ``DataLoader`` with 4 forked workers reads 2,000 records spread over the dataset through them,
and the workers' unique memory (USS: private pages, what each worker costs on its own) and proportional memory (PSS:
shared pages split among the processes sharing them) are summed from ``/proc/<pid>/smaps_rollup``. The goal is on the USS
growth from the small file to the large one (shared pages are not the workers' cost: the PSS grows with any
shared store, mmdet's included, and is in the note).
"""
from __future__ import annotations

from benchmarks.coco_synth import coco_like_file
from benchmarks.common import Row, run_python

WORKERS, RECORDS = 4, 2000
GROWTH_GOAL_MB = 32.0  # 4 workers x 8 MB: allocator noise, far below any per-annotation copy

_CHILD = '''
import gc, json, sys
kind, workers, records, ann_files = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
from mmdet.registry import DATASETS
import mmdet.datasets  # noqa: F401
if kind != 'CocoDataset':
    import mmext  # noqa: F401
from torch.utils.data import DataLoader


def rollup(pid):
    found = {}
    with open(f'/proc/{pid}/smaps_rollup') as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3 and parts[2] == 'kB':
                found[parts[0].rstrip(':')] = int(parts[1]) / 1024
    return found


def measure(ann_file):
    dataset = DATASETS.build(dict(type=kind, ann_file=ann_file, data_prefix=dict(img='images/'),
                                  filter_cfg=dict(filter_empty_gt=True, min_size=32), pipeline=[]))
    step = max(1, len(dataset) // records)
    loader = DataLoader(dataset, batch_size=16, num_workers=workers, persistent_workers=True,
                        sampler=list(range(0, len(dataset), step))[:records], collate_fn=len)
    iterator = iter(loader)
    read = sum(iterator)  # every record built in a worker and sent back
    per_worker = [rollup(w.pid) for w in iterator._workers]
    found = dict(uss_mb=sum(r['Private_Clean'] + r['Private_Dirty'] for r in per_worker),
                 pss_mb=sum(r['Pss'] for r in per_worker), main_rss_mb=rollup('self')['Rss'], records=read,
                 images=len(dataset))
    iterator._shutdown_workers()
    return found


# one file after the other in this process: workers are forked afresh for each, so their private memory is
# their own whatever the process still holds from the file before
found = {}
for ann_file in ann_files:
    found[ann_file] = measure(ann_file)
    gc.collect()
print(json.dumps(found))
'''


def measure_workers(kind: str, sizes: tuple[int, ...]) -> dict[int, dict]:
    """Per size, the workers' summed USS / PSS (MB) for ``kind`` built on the generated file of that many
    images (the files one after the other in one fresh interpreter)."""
    files = [str(coco_like_file(n, seed=0)) for n in sizes]
    found = run_python(_CHILD, [kind, str(WORKERS), str(RECORDS), *files], timeout=1800)
    return {n: found[f] for n, f in zip(sizes, files)}


def worker_rows(sizes: tuple[int, int], ours: str | None) -> list[Row]:
    """One row: the growth of the workers' summed USS from the small file to the large one, mmext vs mmdet."""
    small, large = sizes
    kinds = {'anchor': 'CocoDataset'} | ({'mmext': ours} if ours else {})
    found = {name: measure_workers(kind, sizes) for name, kind in kinds.items()}

    def growth(name: str) -> float:
        return found[name][large]['uss_mb'] - found[name][small]['uss_mb']

    def cell(name: str) -> str:
        f = found[name]
        return f'{growth(name):+.0f} MB ({f[small]["uss_mb"]:.0f} -> {f[large]["uss_mb"]:.0f})'

    def other(name: str) -> str:
        f = found[name]
        return (f'PSS {f[small]["pss_mb"]:.0f} -> {f[large]["pss_mb"]:.0f} MB, main process RSS '
                f'{f[small]["main_rss_mb"]:.0f} -> {f[large]["main_rss_mb"]:.0f} MB')
    mine = 'mmext' in found
    note = f'{WORKERS} forked workers, {RECORDS} records read; ' + (
        f'mmext {other("mmext")}; ' if mine else 'CustomCocoDataset is not registered by import mmext here; ') + \
        f'CocoDataset {other("anchor")}'
    return [Row(f'dataloader workers: summed USS growth ({small} -> {large} img)', cell('mmext') if mine else None,
                cell('anchor'), None, f'<= +{GROWTH_GOAL_MB:g} MB', growth('mmext') <= GROWTH_GOAL_MB if mine else None,
                note)]
