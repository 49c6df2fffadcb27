"""One-to-one matching: own class first, then another class (a confusion), crowd regions ignored."""
import numpy as np

from mmext.analysis.matching import match_image


def test_own_class_first_then_confusion_then_false_positive():
    gt = np.array([[0, 0, 10, 10], [0, 0, 10, 11]], float)
    gt_labels = np.array([0, 1])
    dets = np.array([[0, 0, 10, 10], [0, 0, 10, 10], [50, 50, 60, 60]], float)
    pairs, missed, fps = match_image(gt, gt_labels, np.zeros((0, 4)), dets, np.array([1, 1, 0]),
                                     np.array([0.9, 0.8, 0.7]), 0.5)
    # the best detection takes the class-1 object although the class-0 one overlaps more; the second, with no
    # class-1 object left, is a confusion with the class-0 object; the third is a false positive
    assert pairs == [(1, 1), (0, 1)] and len(missed) == 0 and fps.tolist() == [0]


def test_crowd_region_swallows_detections_and_unmatched_objects_are_missed():
    gt = np.array([[0, 0, 10, 10]], float)
    crowd = np.array([[100, 100, 200, 200]], float)
    dets = np.array([[120, 120, 130, 130]], float)
    pairs, missed, fps = match_image(gt, np.array([2]), crowd, dets, np.array([0]), np.array([0.9]), 0.5)
    assert pairs == [] and missed.tolist() == [2] and len(fps) == 0
