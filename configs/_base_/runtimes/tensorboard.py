# default_runtime + TensorBoard: the scalars of the local json (losses, lr, val metrics) also as TensorBoard events in
# <work_dir>/<timestamp>/vis_data/, plus the resolved config and the versions (mmext, mmdet, ..., plugins) as text.
# One switch: in your config's _base_ list, use '../_base_/runtimes/tensorboard.py' instead of
# '../_base_/default_runtime.py'.   View: tensorboard --logdir work_dirs
_base_ = '../default_runtime.py'

vis_backends = [dict(type='LocalVisBackend'), dict(type='TensorboardVisBackend')]
visualizer = dict(type='DetLocalVisualizer', vis_backends=vis_backends, name='visualizer')
default_hooks = dict(run_params=dict(type='RunParamsHook'))
