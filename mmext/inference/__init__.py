"""Predicting with a trained detector: loading from a work dir or checkpoint, batched, sliced, images and video.

``mmext.Detector`` is the Python entry point; ``tools/infer.py`` the command line (see :mod:`.run`).
"""
from mmext.inference.detector import Detector, PredictionList
from mmext.inference.prediction import Prediction
from mmext.inference.slicing import SliceOptions

__all__ = ['Detector', 'Prediction', 'PredictionList', 'SliceOptions']
