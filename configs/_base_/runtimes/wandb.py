# default_runtime + Weights & Biases (pip install wandb): the same scalars, the resolved config and the versions
# (mmext, mmdet, ..., plugins) in the run config. Offline by default (runs are written under the work dir and need
# no network or account; upload later with `wandb sync`); WANDB_MODE=online logs live, WANDB_PROJECT names the project.
# One switch: in your config's _base_ list, use '../_base_/runtimes/wandb.py' instead of
# '../_base_/default_runtime.py'.
_base_ = '../default_runtime.py'

vis_backends = [
    dict(type='LocalVisBackend'),
    dict(type='WandbVisBackend',
         init_kwargs=dict(project='{{$WANDB_PROJECT:mmext}}', mode='{{$WANDB_MODE:offline}}')),
]
visualizer = dict(type='DetLocalVisualizer', vis_backends=vis_backends, name='visualizer')
default_hooks = dict(run_params=dict(type='RunParamsHook'))
