"""Learning-rate schedules that follow ``--cfg-options train_cfg.max_epochs=N``.

In mmdet's configs the schedule's length is written twice: ``train_cfg.max_epochs`` and the ``end`` (and
``T_max`` or ``milestones``) of each ``param_scheduler``. Overriding only the first, the way users shorten or
lengthen a run, leaves a cosine schedule unfinished (training stops at a high learning rate) or a step schedule
decaying at the old epochs. mmext stretches every epoch-based scheduler that ended at the old ``max_epochs`` to the
new one (``milestones`` in proportion: mmdet's 1x ``[8, 11]`` of 12 becomes its 2x ``[16, 22]`` of 24), and says
so. Iteration-based warm-ups and schedulers that end elsewhere are left as written; so is everything when the
command line sets ``param_scheduler`` itself.
"""
from __future__ import annotations

from typing import Any

from mmengine.config import Config


def _stretch(scheduler: dict, old: int, new: int) -> str | None:
    """Stretch one scheduler config in place; the note saying what changed, or None when it does not apply."""
    if not isinstance(scheduler, dict) or not scheduler.get('by_epoch', True) or scheduler.get('end') != old:
        return None
    begin = scheduler.get('begin', 0)
    if new <= begin:
        return None  # a scheduler that starts after the new end never runs; nothing sensible to stretch
    changes = [f'end {old} -> {new}']
    scheduler['end'] = new
    if scheduler.get('T_max') == old - begin:
        scheduler['T_max'] = new - begin
        changes.append(f'T_max {old - begin} -> {new - begin}')
    if 'milestones' in scheduler:
        before = list(scheduler['milestones'])
        after = [min(new - 1, max(1, round(m * new / old))) for m in before]
        scheduler['milestones'] = after
        changes.append(f'milestones {before} -> {after}')
    return f"{scheduler.get('type', 'scheduler')}: {', '.join(changes)}"


def follow_max_epochs(cfg: Config, old_max_epochs: Any, cfg_options: dict) -> list[str]:
    """Make the config's epoch-based schedulers end at its (overridden) ``train_cfg.max_epochs``.

    Args:
        cfg: The config after ``--cfg-options`` were merged; changed in place.
        old_max_epochs: ``train_cfg.max_epochs`` as the config file had it, before the overrides.
        cfg_options: The overrides (a ``param_scheduler`` among them disables the adjustment).

    Returns:
        One note per changed scheduler (empty when nothing changed), for the log.
    """
    new = (cfg.get('train_cfg') or {}).get('max_epochs')
    if (not isinstance(old_max_epochs, int) or not isinstance(new, int) or new == old_max_epochs or new < 1
            or any(key.split('.')[0] == 'param_scheduler' for key in cfg_options)):
        return []
    schedulers = cfg.get('param_scheduler')
    if isinstance(schedulers, dict):
        schedulers = [schedulers]
    notes = [note for s in schedulers or [] if (note := _stretch(s, old_max_epochs, new))]
    return [f'param_scheduler follows train_cfg.max_epochs={new} (was {old_max_epochs}): {note}' for note in notes]
