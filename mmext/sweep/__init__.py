"""Hyperparameter sweeps on Optuna: a search space over config keys, one real training per trial, a shared study.

Imported by ``tools/sweep.py`` only (not by ``import mmext``): Optuna and SQLAlchemy stay out of every training.
"""
from mmext.sweep.runner import SweepResult, run_sweep
from mmext.errors import SpaceError
from mmext.sweep.space import Param, load_space

__all__ = ['run_sweep', 'SweepResult', 'Param', 'SpaceError', 'load_space']
