"""BiFPN against mmdet's FPN and PAFPN at the same width: forward+backward time and peak memory, as ratios.

    python benchmarks/bench_bifpn.py                  # D0 and D3 widths, 512x512-equivalent maps
    python benchmarks/bench_bifpn.py --quick          # seconds: D0, small maps, few rounds
    python benchmarks/bench_bifpn.py --reference PATH/TO/mmdetection/projects/EfficientDet/efficientdet

Inputs are EfficientNet C3-C5 maps (B0's channels for D0, B3's for D3) of a 512x512 image, batch 2 on CPU
(8 on a GPU). Every neck makes P3-P7 at the preset's width; FPN and PAFPN as in mmdet's RetinaNet
(``add_extra_convs='on_input'``). Rounds are interleaved (each neck once per round, the order reversed every other
round), so a machine that gets busier mid-run slows all necks alike; the time is the median round, with the
range, and the speed-up against the reference the median [range] of the per-round ratios. Peak memory is CUDA's
peak on a GPU and, on CPU, the peak of the bytes the profiler saw allocated and freed during one forward+backward.

With ``--reference`` (or ``$MMDET_EFFICIENTDET_DIR``), mmdet's reference BiFPN is timed too, on the same
weights as mmext's (``pool_padding='zeros'``; weights whose eval outputs depend on the input, see
``bifpn_reference.realistic_weights``), and the largest output difference between the two (relative to the
largest output), in train and in eval mode, is printed.
"""
from __future__ import annotations

import argparse
import copy
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

import torch

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make `benchmarks` and the working tree's mmext importable
    sys.path.insert(0, str(ROOT))

from benchmarks.bifpn_reference import build_pair, find_reference, load_reference  # noqa: E402
from benchmarks.common import Measure, Row, speedup_row  # noqa: E402

#: (preset, EfficientNet C3-C5 channels) measured by default.
CASES = {'D0': [40, 112, 320], 'D3': [48, 136, 384]}


def _inputs(channels: list[int], image: int, batch: int, device: str) -> list[torch.Tensor]:
    return [torch.randn(batch, c, image // s, image // s, device=device) for c, s in zip(channels, (8, 16, 32))]


def _step(neck: torch.nn.Module, feats: list[torch.Tensor]) -> None:
    outs = neck(feats)
    torch.autograd.backward(outs, [torch.ones_like(o) for o in outs])


def _sync(device: str) -> None:
    if device == 'cuda':
        torch.cuda.synchronize()


def peak_memory_mb(neck: torch.nn.Module, feats: list[torch.Tensor], device: str) -> float:
    """Peak memory of one forward+backward above what was allocated before it, in MB."""
    if device == 'cuda':
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
        _step(neck, feats)
        torch.cuda.synchronize()
        return (torch.cuda.max_memory_allocated() - base) / 2 ** 20
    from torch.profiler import ProfilerActivity, profile
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        _step(neck, feats)
    live = peak = 0
    for event in sorted(prof.events(), key=lambda e: e.time_range.start):
        live += event.self_cpu_memory_usage
        peak = max(peak, live)
    return peak / 2 ** 20


def time_interleaved(runs: dict[str, Callable[[], None]], rounds: int, warmup: int, device: str
                     ) -> dict[str, list[float]]:
    """Seconds of each call of each function, calling each once per round, in reversed order every other round."""
    for _ in range(warmup):
        for fn in runs.values():
            fn()
    seconds: dict[str, list[float]] = {name: [] for name in runs}
    for r in range(rounds):
        for name, fn in (list(runs.items()) if r % 2 == 0 else list(runs.items())[::-1]):
            _sync(device)
            start = time.perf_counter()
            fn()
            _sync(device)
            seconds[name].append(time.perf_counter() - start)
    return seconds


def build_necks(preset: str, channels: list[int]) -> dict[str, torch.nn.Module]:
    """mmext's BiFPN at a preset, and mmdet's FPN and PAFPN at the same width, P3-P7 each."""
    import mmext  # noqa: F401  registers BiFPN
    from mmdet.registry import MODELS
    from mmext.models.necks import BIFPN_PRESETS
    width = BIFPN_PRESETS[preset]['out_channels']
    common = dict(in_channels=channels, out_channels=width, num_outs=5)
    return {
        'BiFPN': MODELS.build(dict(type='BiFPN', preset=preset, **common)),
        'FPN': MODELS.build(dict(type='FPN', add_extra_convs='on_input', **common)),
        'PAFPN': MODELS.build(dict(type='PAFPN', add_extra_convs='on_input', **common)),
    }


def run_benchmark(quick: bool = False, presets: list[str] | None = None, reference: str | None = None,
                  rounds: int | None = None, device: str | None = None) -> list[dict]:
    """Measure every neck at every preset; one row per (preset, neck).

    Args:
        quick: Small maps (128x128 image), D0 only, 3 rounds: seconds in all.
        presets: Presets to measure. Defaults to D0 and D3 (D0 with ``quick``).
        reference: The folder of mmdet's ``projects/EfficientDet/efficientdet``; defaults to
            ``$MMDET_EFFICIENTDET_DIR``; skipped when neither is there.
        rounds: Timed rounds. Defaults to 3 (quick) or 10.
        device: ``'cpu'`` or ``'cuda'``. Defaults to CUDA when there is one.

    Returns:
        Rows with ``bench, preset, neck, width, ms, peak_mb, time_vs_fpn, memory_vs_fpn`` (and for the
        reference's rows ``max_rel_diff`` against mmext's BiFPN on the same weights, and
        ``max_rel_diff_eval``, and ``speedup_of_mmext`` with ``speedup_min``/``speedup_max``; ``ms_min``/``ms_max``
        give every neck's range).
    """
    device = device or ('cuda' if torch.cuda.is_available() else 'cpu')
    presets = presets or (['D0'] if quick else list(CASES))
    image, batch = (128 if quick else 512), (8 if device == 'cuda' else 2)
    rounds = rounds or (3 if quick else 10)
    ref_dir = find_reference(reference)
    rows = []
    for preset in presets:
        channels = CASES[preset]
        necks = {name: neck.to(device).train() for name, neck in build_necks(preset, channels).items()}
        width = necks['BiFPN'].out_channels
        extra = {}
        if ref_dir is not None:
            ref, ours = build_pair(load_reference(ref_dir), channels, width, necks['BiFPN'].num_repeats)
            necks['reference'], necks['BiFPN (zeros pad)'] = ref.to(device).train(), ours.to(device).train()
            feats = _inputs(channels, image, batch, device)
            extra['reference'] = dict(max_rel_diff=_max_diff(ref, ours, feats),
                                      max_rel_diff_eval=_max_diff(ref.eval(), ours.eval(), feats))
            ref.train(), ours.train()
        feats = _inputs(channels, image, batch, device)
        samples = time_interleaved({n: (lambda m=m: _step(m, feats)) for n, m in necks.items()}, rounds,
                                   warmup=2, device=device)
        times = {name: statistics.median(values) for name, values in samples.items()}
        memory = {name: peak_memory_mb(neck, feats, device) for name, neck in necks.items()}
        for name in necks:
            row = dict(bench='bifpn', preset=preset, neck=name, width=width, device=device, batch=batch,
                       image=image, ms=times[name] * 1e3, ms_min=min(samples[name]) * 1e3,
                       ms_max=max(samples[name]) * 1e3, peak_mb=memory[name],
                       time_vs_fpn=times[name] / times['FPN'], memory_vs_fpn=memory[name] / memory['FPN'],
                       **extra.get(name, {}))
            if name == 'BiFPN (zeros pad)':
                row['memory_vs_reference'] = memory[name] / memory['reference']
            if name == 'reference':
                ratios = [a / b for a, b in zip(samples['reference'], samples['BiFPN (zeros pad)'])]
                row.update(speedup_of_mmext=statistics.median(ratios), speedup_min=min(ratios),
                           speedup_max=max(ratios), samples_ms=[s * 1e3 for s in samples[name]],
                           samples_mmext_ms=[s * 1e3 for s in samples['BiFPN (zeros pad)']])
            rows.append(row)
    return rows


def _max_diff(ref: torch.nn.Module, ours: torch.nn.Module, feats: list[torch.Tensor]) -> float:
    """The largest output difference on ``feats`` relative to the largest output (float32 rounds relative to the
    magnitude; eval-mode outputs of the calibrated weights reach the hundreds). BN statistics are put back."""
    states = [copy.deepcopy(m.state_dict()) for m in (ref, ours)]
    with torch.no_grad():
        pairs = list(zip(ref(feats), ours(feats)))
        diff = max(float((a - b).abs().max()) for a, b in pairs) / max(float(a.abs().max()) for a, _ in pairs)
    for module, state in zip((ref, ours), states):
        module.load_state_dict(state)
    return diff


def rows(quick: bool = False) -> list[Row]:
    """The suite's rows (``benchmarks/run.py``): per preset, BiFPN's time and memory as multiples of mmdet's FPN and
    PAFPN at the same width (informative: BiFPN does more work), and, when mmdet's reference BiFPN is found, the
    BiFPN issues' goal: at least 1.5x faster than the reference on the same weights, outputs equal."""
    measured = run_benchmark(quick=quick)
    table: list[Row] = []
    for preset in dict.fromkeys(r['preset'] for r in measured):
        by_neck = {r['neck']: r for r in measured if r['preset'] == preset}
        ours = by_neck['BiFPN']
        size = f"{preset}, {ours['image']}x{ours['image']}-equivalent maps, batch {ours['batch']}"
        for anchor in ('FPN', 'PAFPN'):
            other = by_neck[anchor]
            table.append(Row(f'BiFPN fwd+bwd time vs mmdet {anchor} ({size})', Measure([ours['ms']], 'ms'),
                             Measure([other['ms']], 'ms'), ours['ms'] / other['ms'], 'informative', None,
                             f"peak memory {ours['peak_mb']:.0f} MB vs {other['peak_mb']:.0f} MB "
                             f"({ours['peak_mb'] / other['peak_mb']:.2f}x); same width {ours['width']}"))
        if 'reference' in by_neck:
            ref, same = by_neck['reference'], by_neck['BiFPN (zeros pad)']
            table.append(speedup_row(
                f'BiFPN vs mmdet EfficientDet reference ({size})', Measure(ref['samples_mmext_ms'], 'ms'),
                Measure(ref['samples_ms'], 'ms'), 1.5,
                f"same weights; outputs differ by at most {ref['max_rel_diff']:.1e} (train), "
                f"{ref['max_rel_diff_eval']:.1e} (eval) of the largest output; per-round speed-up "
                f"{ref['speedup_of_mmext']:.2f}x "
                f"[{ref['speedup_min']:.2f}-{ref['speedup_max']:.2f}]; peak memory "
                f"{same['peak_mb'] / ref['peak_mb']:.2f}x the reference's"))
        else:
            table.append(Row(f'BiFPN vs mmdet EfficientDet reference ({size})', None, None, None,
                             '>= 1.5x faster', None, 'reference not found: set MMDET_EFFICIENTDET_DIR to '
                             "mmdetection's projects/EfficientDet/efficientdet"))
    return table


def format_table(rows: list[dict]) -> str:
    """The rows as a fixed-width table, ratios against FPN of the same preset."""
    lines = [f'{"preset":6} {"neck":18} {"width":>5} {"fwd+bwd ms [range]":>24} {"x FPN":>6} {"peak MB":>8} '
             f'{"x FPN":>6}']
    for r in rows:
        spread = f'{r["ms"]:.1f} [{r["ms_min"]:.1f}-{r["ms_max"]:.1f}]'
        line = (f'{r["preset"]:6} {r["neck"]:18} {r["width"]:5d} {spread:>24} {r["time_vs_fpn"]:6.2f} '
                f'{r["peak_mb"]:8.1f} {r["memory_vs_fpn"]:6.2f}')
        if 'memory_vs_reference' in r:
            line += f'   peak memory {r["memory_vs_reference"]:.2f}x the reference\'s'
        if 'speedup_of_mmext' in r:
            line += (f'   mmext BiFPN is {r["speedup_of_mmext"]:.2f}x [{r["speedup_min"]:.2f}-{r["speedup_max"]:.2f}] '
                     f'as fast; outputs differ by at most {r["max_rel_diff"]:.1e} (train), '
                     f'{r["max_rel_diff_eval"]:.1e} (eval) of the largest output')
        lines.append(line)
    first = rows[0] if rows else {}
    load = ' '.join(f'{x:.2f}' for x in os.getloadavg())
    lines.append(f'(device {first.get("device")}, batch {first.get("batch")}, {first.get("image")}x'
                 f'{first.get("image")}-equivalent maps, {torch.get_num_threads()} threads; load average at the '
                 f'end {load})')
    return '\n'.join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--quick', action='store_true', help='small maps, D0 only, 3 rounds (seconds)')
    parser.add_argument('--presets', nargs='+', choices=list(CASES), help='presets to measure (default: all)')
    parser.add_argument('--reference', help="mmdet's projects/EfficientDet/efficientdet folder, to compare")
    parser.add_argument('--rounds', type=int, help='timed rounds (default 10, quick 3)')
    parser.add_argument('--threads', type=int, help='torch CPU threads (default: torch\'s)')
    parser.add_argument('--device', choices=['cpu', 'cuda'], help='default: cuda when present')
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    rows = run_benchmark(quick=args.quick, presets=args.presets, reference=args.reference, rounds=args.rounds,
                         device=args.device)
    print(format_table(rows))
    return 0


if __name__ == '__main__':
    sys.exit(main())
