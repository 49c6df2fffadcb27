# mmdet's runtime, with mmext imported (so mmdet's own tools/train.py works too) and mmext's runner.
_base_ = 'mmdet::_base_/default_runtime.py'

custom_imports = dict(imports=['mmext'], allow_failed_imports=False)
runner_type = 'MMExtRunner'

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=10),
    # atomic saves (a crash never leaves no loadable checkpoint) + what an exact resume needs
    checkpoint=dict(type='AtomicCheckpointHook', interval=1, max_keep_ckpts=2),
    # SIGTERM/SIGINT/SIGUSR1: finish the iteration, save, exit with code 75 (resume with --resume)
    preemption=dict(type='PreemptionHook'))
custom_hooks = [dict(type='PredictionGridHook', num_images=8, score_thr=0.3)]
