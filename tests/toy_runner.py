"""A real mmengine Runner (MMExtRunner) around a tiny model, for hook tests that need many quick iterations.

The model has a ``backbone`` (Linear + BatchNorm) and a ``head``, returns two loss terms, and can turn ``loss_b``
into NaN at chosen iterations (on one rank only, for the distributed test).
"""
from __future__ import annotations

import uuid
from typing import Iterable

import torch
import torch.nn as nn
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.logging import MessageHub
from mmengine.model import BaseModel, is_model_wrapper
from torch.utils.data import Dataset


class ToyDataset(Dataset):
    def __init__(self, size: int = 16) -> None:
        gen = torch.Generator().manual_seed(0)
        self.inputs = torch.randn(size, 4, generator=gen)
        self.labels = self.inputs.sum(1) + 0.1 * torch.randn(size, generator=gen)

    def __len__(self) -> int:
        return len(self.inputs)

    def __getitem__(self, i: int) -> dict:
        return dict(inputs=self.inputs[i], labels=self.labels[i])


class ToyModel(BaseModel):
    def __init__(self, nan_at: Iterable[int] = (), nan_rank: int | None = None, nan_in: str = 'loss') -> None:
        super().__init__()
        torch.manual_seed(0)
        self.backbone = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU())
        self.head = nn.Linear(8, 1)
        self.nan_at = set(nan_at)
        self.nan_rank = nan_rank
        self.nan_in = nan_in  # 'loss': loss_b only; 'input': the forward pass (BatchNorm statistics included)

    def forward(self, inputs, labels=None, mode='tensor'):
        iteration = MessageHub.get_current_instance().get_info('iter')
        bad = mode == 'loss' and iteration in self.nan_at and self.nan_rank in (None, get_rank())
        if bad and self.nan_in == 'input':
            inputs = inputs * float('nan')
        out = self.head(self.backbone(inputs)).squeeze(1)
        if mode != 'loss':
            return out
        loss_a = ((out - labels) ** 2).mean()
        loss_b = 0.1 * out.abs().mean()
        if bad and self.nan_in == 'loss':
            loss_b = loss_b * float('nan')
        return dict(loss_a=loss_a, loss_b=loss_b)


class Snapshots(Hook):
    """Copies of every parameter and buffer before each training iteration (keyed by the iteration index)."""

    priority = 'LOWEST'

    def __init__(self) -> None:
        self.before: dict[int, dict[str, torch.Tensor]] = {}
        self.norm_training: dict[int, bool] = {}

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        self.before[runner.iter] = {k: v.detach().clone() for k, v in model.state_dict().items()}
        self.norm_training[runner.iter] = model.backbone[1].training


def toy_runner(work_dir, model: nn.Module, hooks: list = (), max_epochs: int = 2,
               optim_type: str = 'NonFiniteGuardOptimWrapper', launcher: str = 'none', resume: bool = False,
               load_from: str | None = None, dataset_size: int = 16, log_level: str = 'WARNING'):
    """An MMExtRunner with AdamW (weight decay, so even a zero-gradient step would change weights), 4 samples a
    batch, a checkpoint every epoch."""
    from mmext.engine import MMExtRunner
    return MMExtRunner(
        model=model,
        work_dir=str(work_dir),
        experiment_name=f'toy_{uuid.uuid4().hex[:8]}',
        train_dataloader=dict(dataset=ToyDataset(dataset_size), sampler=dict(type='DefaultSampler', shuffle=False),
                              batch_size=4, num_workers=0, collate_fn=dict(type='default_collate')),
        optim_wrapper=dict(type=optim_type, optimizer=dict(type='AdamW', lr=0.05, weight_decay=0.1)),
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=1),
                           logger=dict(type='LoggerHook', interval=1)),
        custom_hooks=list(hooks),
        default_scope='mmdet',
        launcher=launcher,
        resume=resume,
        load_from=load_from,
        randomness=dict(seed=0),
        log_level=log_level,
    )
