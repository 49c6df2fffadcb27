"""``MMExtRunner``: mmengine's Runner with mmext's config preparation, CPU-distributed support, atomic checkpoints
and exact resume.

Registered in mmengine's root RUNNERS (mmdet's RUNNERS is its child, so mmdet-scoped lookups find it too): mmdet's own
``tools/train.py`` builds ``runner_type`` from the root registry without a scope. A config with
``runner_type = 'MMExtRunner'`` thus gets the same behaviour from mmext's ``tools/train.py`` and from mmdet's own
(after ``custom_imports``).

Example:
    >>> # in a config
    >>> custom_imports = dict(imports=['mmext'], allow_failed_imports=False)
    >>> runner_type = 'MMExtRunner'
"""
from __future__ import annotations

from mmengine.config import Config
from mmengine.dist import is_distributed, master_only
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from mmext.compat.distributed import (cpu_ddp_wrapper_cfg, cuda_available, init_cpu_process_group,
                                      slurm_rendezvous_env)
from mmext.runtime.checkpoint_files import atomic_backend_args
from mmext.engine.config.dataset_paths import check_dataset_paths, check_evaluator_paths
from mmext.engine.config.prepare import explain_build_error, prepare_config
from mmext.engine.resume.loops import exact_loop_cfg
from mmext.registry import register


@register(RUNNERS)
class MMExtRunner(Runner):
    """A Runner that prepares the config (see :func:`mmext.engine.config.prepare.prepare_config`) before building,
    trains distributed on CPU with gloo when there is no CUDA, writes checkpoints atomically and trains with
    loops that resume exactly (see :mod:`mmext.engine.resume.loops`)."""

    @classmethod
    def from_cfg(cls, cfg: Config) -> 'MMExtRunner':
        """Build a runner from a config after :func:`prepare_config` has completed it; the log names the loaded
        plugins and their versions, so a run can be reproduced. The annotation files read for
        ``num_classes='auto'`` are handed to the datasets built from the same configs (read once)."""
        from mmext.engine.config.num_classes import AnnotationReads
        reads = AnnotationReads()
        runner = super().from_cfg(prepare_config(cfg, reads))
        runner._annotation_reads = reads
        from mmext.plugins.manager import PLUGINS
        runner.logger.info(PLUGINS.summary())
        return runner

    def setup_env(self, env_cfg: dict) -> None:
        """Initialise the process group with gloo on CPU (mmengine's own init assumes CUDA), then the rest.
        Under Slurm the rendezvous port follows the job id on CUDA too (mmengine would take 29500 for every job)."""
        if self.distributed and not is_distributed() and self.launcher == 'slurm':
            slurm_rendezvous_env()
        if self.distributed and not is_distributed() and not cuda_available():
            init_cpu_process_group(self.launcher)
        super().setup_env(env_cfg)

    def wrap_model(self, model_wrapper_cfg, model):
        """Wrap with DDP; on CPU without ``device_ids`` (CPU modules reject them)."""
        if self.distributed and not cuda_available():
            model_wrapper_cfg = cpu_ddp_wrapper_cfg(model_wrapper_cfg)
        return super().wrap_model(model_wrapper_cfg, model)

    def train(self):
        """Check the training and validation files, log the effective total batch size (what ``--auto-scale-lr``
        scales by), then train."""
        self._check_paths('train', 'val')
        loader = self._train_dataloader
        batch = loader.batch_size if hasattr(loader, 'batch_size') else (loader or {}).get('batch_size')
        if batch:
            self.logger.info(f'effective total batch size: {self.world_size} process(es) x {batch} = '
                             f'{self.world_size * batch}')
        return super().train()

    def val(self):
        """Check the validation files, then validate (the training reads are not needed: let them go)."""
        self._annotation_reads = None
        self._check_paths('val')
        return super().val()

    def test(self):
        """Check the test files, then test (the training reads are not needed: let them go)."""
        self._annotation_reads = None
        self._check_paths('test')
        return super().test()

    def _check_paths(self, *splits: str) -> None:
        """Check the files of the ``<split>_dataloader`` and ``<split>_evaluator`` configs that a job uses,
        named as in the config (``val_dataloader.dataset.ann_file``), so the message says which option to fix."""
        for split in splits:
            loader = getattr(self, f'_{split}_dataloader', None)
            if isinstance(loader, dict):
                check_dataset_paths(loader.get('dataset'), f'{split}_dataloader.dataset')
            check_evaluator_paths(getattr(self, f'_{split}_evaluator', None), f'{split}_evaluator')

    @staticmethod
    def build_dataloader(dataloader, seed=None, diff_rank_seed=False):
        """Check the dataset's files first, so a wrong path is one readable error, not a deep traceback."""
        if isinstance(dataloader, dict):
            check_dataset_paths(dataloader.get('dataset'), 'dataloader.dataset')
        return Runner.build_dataloader(dataloader, seed=seed, diff_rank_seed=diff_rank_seed)

    def build_val_loop(self, loop):
        """Build the validation loop, then give CocoMetric the dataset's label -> category id table."""
        loop = super().build_val_loop(loop)
        share_category_ids(loop)
        return loop

    def build_test_loop(self, loop):
        """Build the test loop, then give CocoMetric the dataset's label -> category id table."""
        loop = super().build_test_loop(loop)
        share_category_ids(loop)
        return loop

    def build_evaluator(self, evaluator):
        """Check the metric's annotation file first (see :meth:`build_dataloader`)."""
        check_evaluator_paths(evaluator, 'evaluator')
        return super().build_evaluator(evaluator)

    def build_train_loop(self, loop):
        """mmengine's standard train loops become their exactly-resumable subclasses (same arguments); the
        training dataset gets the annotations already read for ``num_classes='auto'``."""
        reads = getattr(self, '_annotation_reads', None)
        if reads is not None and isinstance(self._train_dataloader, dict):
            self._train_dataloader = dict(self._train_dataloader,
                                          dataset=reads.hand_over(self._train_dataloader.get('dataset')))
        return super().build_train_loop(exact_loop_cfg(loop, self._train_dataloader))

    @master_only
    def save_checkpoint(self, out_dir, filename, file_client_args=None, save_optimizer=True,
                        save_param_scheduler=True, meta=None, by_epoch=True, backend_args=None):
        """mmengine's ``save_checkpoint``, written atomically to a local folder (see :mod:`mmext.runtime.checkpoint_files`)."""
        if file_client_args is None:
            backend_args = atomic_backend_args(out_dir, backend_args)
        super().save_checkpoint(out_dir, filename, file_client_args, save_optimizer, save_param_scheduler, meta,
                                by_epoch, backend_args)


def build_runner(cfg: Config):
    """Build the runner the config asks for (``runner_type``, MMExtRunner by default) from mmdet's registry,
    with an unregistered type in the config turned into a readable error."""
    from mmdet.registry import RUNNERS
    try:
        return RUNNERS.build(cfg)
    except KeyError as err:
        readable = explain_build_error(err)
        if readable is None:
            raise
        raise readable from None


def share_category_ids(loop) -> None:
    """Hand the dataset's ``cat_ids`` (label -> category id) to metrics that would look them up by name.

    mmdet's CocoMetric matches class names to the json's categories in list order; a dataset whose labels
    follow id order or a given class order (``CustomCocoDataset``) says which id each label is.
    """
    evaluator = getattr(loop, 'evaluator', None)
    for metric in getattr(evaluator, 'metrics', []):
        cat_ids = (metric.dataset_meta or {}).get('cat_ids')
        if cat_ids and getattr(metric, 'cat_ids', 'absent') is None:
            metric.cat_ids = list(cat_ids)
