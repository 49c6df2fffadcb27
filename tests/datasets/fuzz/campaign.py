"""A fuzz run: many generated cases through both readers, with counts of what was found.

    python -m tests.datasets.fuzz --files 100000 --seed 1 --jobs 2 --out /tmp/fuzz-findings

prints progress and, at the end, the figures (files, disagreements, foreign exceptions, files per second);
every finding's file is written to ``--out`` with a line saying what was wrong.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from tests.datasets.fuzz.differential import (CASE_SECONDS, Foreign, dataset_differences, differences,
                                              path_rule_differences, read_both, time_limit)
from tests.datasets.fuzz.generate import Case, make_case
from tests.datasets.fuzz.seeds import image_folder


@dataclass
class Finding:
    case: Case
    what: str  # 'disagreement' | 'foreign' | 'timeout'
    detail: str


@dataclass
class Figures:
    files: int = 0
    builds: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    findings: list = field(default_factory=list)
    verdicts: Counter = field(default_factory=Counter)  # first problem kind or error class of the reference

    def count(self, what: str) -> int:
        return sum(f.what == what for f in self.findings)

    def line(self) -> str:
        rate = self.files / self.seconds if self.seconds else 0.0
        return (f'{self.files} files ({self.builds} datasets built), {self.count("disagreement")} disagreements, '
                f'{self.count("foreign")} foreign exceptions, {self.count("timeout")} timeouts, '
                f'{self.seconds:.1f} s ({self.cpu_seconds:.1f} s of CPU), {rate:.0f} files/s')


def run_case(case: Case, work: Path, img_dir: str) -> Finding | None:
    """Both readers (and for some cases the dataset) on one case; the finding, if any."""
    path = str(work / f'case{case.index}.json')
    with open(path, 'wb') as f:
        f.write(case.content)
    folder = img_dir if case.with_img_dir else None
    try:
        with time_limit(CASE_SECONDS):
            ref, fast, content = read_both(path, folder, case.level, case.small_chunks, case.limits)
            diff = differences(ref, fast) or path_rule_differences(case.content, folder)
            if diff is None and case.build:
                diff = dataset_differences(path, folder, case.level, case.policy, content, case.pipeline,
                                           case.limits, fast.error)
    except Foreign as err:
        return Finding(case, 'foreign', str(err))
    except TimeoutError as err:
        return Finding(case, 'timeout', str(err))
    finally:
        os.unlink(path)
    return Finding(case, 'disagreement', diff) if diff else None


def run(files: int, seed: int = 0, first: int = 0, progress: bool = False, build_every: int = 20,
        work: Path | None = None, out: str | None = None) -> Figures:
    """Cases ``first .. first + files - 1`` of the run with ``seed`` (each finding's file written to ``out``)."""
    from mmengine.logging import MMLogger
    from mmengine.registry import init_default_scope
    init_default_scope('mmdet')
    logger = MMLogger.get_current_instance()
    old_level, logger.level = logger.level, logging.ERROR  # the dataset's warnings: thousands of them
    with tempfile.TemporaryDirectory(prefix='mmext-fuzz-') as tmp:
        work = Path(work or tmp)
        img_dir = image_folder(work / 'data')['img_dir']
        figures, start, cpu = Figures(), time.perf_counter(), time.process_time()
        try:
            for index in range(first, first + files):
                case = make_case(seed, index, img_dir, build_every=build_every)
                finding = run_case(case, work, img_dir)
                figures.files += 1
                figures.builds += case.build
                if finding is not None:
                    figures.findings.append(finding)
                    if out:
                        save(finding, Path(out))
                if progress and figures.files % 1000 == 0:
                    figures.seconds, figures.cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
                    print(f'  {figures.line()}', file=sys.stderr, flush=True)
        finally:
            logger.level = old_level
        figures.seconds, figures.cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
    return figures


def save(finding: Finding, out: Path) -> None:
    """The finding's file and what was wrong, as ``out/<index>.json`` and ``.txt``."""
    out.mkdir(parents=True, exist_ok=True)
    (out / f'{finding.case.index}.json').write_bytes(finding.case.content)
    (out / f'{finding.case.index}.txt').write_text(f'{finding.what} {finding.case}\n{finding.detail}\n'[:20000])


def _worker(args: tuple) -> Figures:
    files, seed, first, build_every, out = args
    return run(files, seed, first, progress=first == 0, build_every=build_every, out=out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description='Differential fuzzing of the COCO readers.')
    parser.add_argument('--files', type=int, default=2000)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--first', type=int, default=0, help='index of the first case (replay: --first K --files 1)')
    parser.add_argument('--jobs', type=int, default=1)
    parser.add_argument('--build-every', type=int, default=20, help='build CustomCocoDataset for 1 case in N')
    parser.add_argument('--out', help='folder for the files of the findings')
    args = parser.parse_args(argv)
    start = time.perf_counter()
    if args.jobs > 1:
        import multiprocessing
        share = -(-args.files // args.jobs)
        parts = [(min(share, args.files - k * share), args.seed, args.first + k * share, args.build_every, args.out)
                 for k in range(args.jobs) if args.files - k * share > 0]
        with multiprocessing.get_context('fork').Pool(len(parts)) as pool:
            results = pool.map(_worker, parts)
        figures = Figures(sum(r.files for r in results), sum(r.builds for r in results),
                          cpu_seconds=sum(r.cpu_seconds for r in results),
                          findings=[f for r in results for f in r.findings])
        figures.seconds = time.perf_counter() - start
    else:
        figures = run(args.files, args.seed, args.first, progress=True, build_every=args.build_every, out=args.out)
    for finding in figures.findings[:50]:
        print(f'{finding.what} case {finding.case.index} ({finding.case.name}, level={finding.case.level}, '
              f'img_dir={finding.case.with_img_dir}, small_chunks={finding.case.small_chunks}, '
              f'limits={finding.case.limits}): '
              f'{finding.detail.splitlines()[0][:400]}')
    print(f'seed {args.seed}: {figures.line()}')
    return 1 if figures.findings else 0
