# default_runtime + MLflow (pip install mlflow-skinny): the same scalars as metrics, the resolved config (flattened)
# and the versions (mmext, mmdet, ..., plugins) as params, config.py and the logs as artifacts.
# The store is the SQLite file work_dirs/mlflow.db unless MLFLOW_TRACKING_URI names another (http://server:5000,
# postgresql://...). MLflow 3 refuses plain-folder stores, so a local store is SQLite. Artifacts (config, logs) go
# where MLflow puts them by default (./mlruns for a local store) unless artifact_location is set below.
# One switch: in your config's _base_ list, use '../_base_/runtimes/mlflow.py' instead of
# '../_base_/default_runtime.py'.   View: mlflow ui --backend-store-uri sqlite:///work_dirs/mlflow.db
_base_ = '../default_runtime.py'

vis_backends = [
    dict(type='LocalVisBackend'),
    dict(type='MLflowVisBackend', exp_name='mmext',
         tracking_uri='{{$MLFLOW_TRACKING_URI:sqlite:///work_dirs/mlflow.db}}'),
]
visualizer = dict(type='DetLocalVisualizer', vis_backends=vis_backends, name='visualizer')
default_hooks = dict(run_params=dict(type='RunParamsHook'))
