"""What a sweep leaves for a person: the best trial (values, metric, checkpoint) and PNG plots of the study."""
from __future__ import annotations

import json
import os.path as osp
import warnings

PLOTS = {
    'optimization_history.png': 'plot_optimization_history',
    'param_importances.png': 'plot_param_importances',
    'parallel_coordinate.png': 'plot_parallel_coordinate',
}
BEST_TRIAL_FILE = 'best_trial.json'


def trial_counts(study) -> dict[str, int]:
    """How many trials are in each state, e.g. ``{'COMPLETE': 3, 'PRUNED': 1, 'FAIL': 1}``."""
    counts: dict[str, int] = {}
    for trial in study.get_trials(deepcopy=False):
        counts[trial.state.name] = counts.get(trial.state.name, 0) + 1
    return counts


def best_trial_summary(study, metric: str) -> dict | None:
    """The best complete trial as a dict (number, value, params, best checkpoint, work dir), or None."""
    try:
        best = study.best_trial
    except ValueError:  # no complete trial yet
        return None
    return {'study': study.study_name, 'trial': best.number, 'metric': metric, 'value': best.value,
            'direction': study.direction.name.lower(), 'params': best.params,
            'best_checkpoint': best.user_attrs.get('best_checkpoint'), 'work_dir': best.user_attrs.get('work_dir'),
            'host': best.user_attrs.get('host'), 'trials': trial_counts(study)}


def write_summary(study, metric: str, out_dir: str) -> dict | None:
    """Write ``best_trial.json`` into ``out_dir`` and return the summary (None when no trial completed)."""
    summary = best_trial_summary(study, metric)
    if summary is not None:
        with open(osp.join(out_dir, BEST_TRIAL_FILE), 'w') as f:
            json.dump(summary, f, indent=2)
    return summary


def write_plots(study, metric: str, out_dir: str) -> tuple[list[str], dict[str, str]]:
    """Draw the optimisation history, parameter importances and parallel coordinates as PNGs (matplotlib).

    A plot that the study cannot support yet (importances need two complete trials with different values) is
    skipped with its reason rather than failing the sweep.

    Returns:
        The PNG paths written, and ``{file name: reason}`` for the plots skipped.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    import optuna.visualization.matplotlib as ovm
    written, skipped = [], {}
    complete = [t for t in study.get_trials(deepcopy=False) if t.state.name == 'COMPLETE']
    for filename, function in PLOTS.items():
        if not complete or (function == 'plot_param_importances' and len(complete) < 2):
            skipped[filename] = f'needs {"two" if complete else "one"} or more complete trials'
            continue
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')  # optuna marks its matplotlib plots experimental
            try:
                ax = getattr(ovm, function)(study, target_name=metric)
            except (ValueError, RuntimeError, ZeroDivisionError) as err:
                skipped[filename] = ' '.join(str(err).split())
                plt.close('all')
                continue
        figure = (ax.flat[0] if hasattr(ax, 'flat') else ax).get_figure()
        figure.set_size_inches(max(figure.get_size_inches()[0], 8), max(figure.get_size_inches()[1], 5))
        path = osp.join(out_dir, filename)
        figure.savefig(path, dpi=100, bbox_inches='tight')
        plt.close('all')
        written.append(path)
    return written, skipped


def format_report(study, summary: dict | None, plots: list[str], skipped: dict[str, str]) -> str:
    """The lines ``tools/sweep.py`` prints at the end."""
    counts = ', '.join(f'{n} {state.lower()}' for state, n in sorted(trial_counts(study).items()))
    lines = [f"mmext: study '{study.study_name}': {counts}"]
    if summary is None:
        lines.append('  no trial completed: see each trial\'s fail_reason below and its work dir')
    else:
        lines += [f"  best trial:      #{summary['trial']}  {summary['metric']} = {summary['value']:.4f}",
                  *[f'    {key} = {value}' for key, value in summary['params'].items()],
                  f"  best checkpoint: {summary['best_checkpoint']}",
                  f"  work dir:        {summary['work_dir']}"]
    for trial in study.get_trials(deepcopy=False):
        if trial.state.name == 'FAIL':
            lines.append(f"  trial #{trial.number} failed: {trial.user_attrs.get('fail_reason', 'unknown reason')}")
    lines += [f'  plot:            {p}' for p in plots]
    lines += [f'  (no {name}: {reason})' for name, reason in skipped.items()]
    return '\n'.join(lines)
