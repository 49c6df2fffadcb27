"""The confusion matrix on a hand-made case with a known answer: its CSV cell by cell, and its PNG."""
import csv

import cv2
import numpy as np

from mmext.analysis.confusion import draw_confusion, write_confusion_csv
from mmext.analysis.matching import confusion_and_errors


def test_csv_holds_the_known_counts_with_a_background_row_and_column(hand, tmp_path):
    matrix, _ = confusion_and_errors(hand['gt'], hand['preds'], 0.5, 0.3)
    path = tmp_path / 'confusion.csv'
    write_confusion_csv(matrix, hand['gt'].classes, str(path))
    rows = list(csv.reader(open(path)))
    assert rows == [['ground truth \\ predicted', 'cat', 'dog', 'background'],
                    ['cat', '1', '0', '1'],         # image 1's cat found, image 2's missed
                    ['dog', '1', '0', '0'],         # image 1's dog called a cat
                    ['background', '0', '1', '0']]  # the dog predicted on nothing


def test_png_is_drawn_for_few_and_for_many_classes(tmp_path):
    matrix = np.array([[5, 1, 0], [0, 3, 2], [1, 0, 0]])
    draw_confusion(matrix, ['cat', 'dog'], str(tmp_path / 'small.png'), 0.5, 0.3)
    small = cv2.imread(str(tmp_path / 'small.png'))
    assert small is not None and small.shape[:2] == (415, 535)  # 0.55 in a row + 2.5 in, colour bar 1.2 in, 100 dpi
    many = np.arange(51 * 51).reshape(51, 51) % 7  # 50 classes: past 40 the counts are left out of the cells
    draw_confusion(many, [f'class{i}' for i in range(50)], str(tmp_path / 'many.png'), 0.5, 0.3)
    big = cv2.imread(str(tmp_path / 'many.png'))
    assert big is not None and big.shape[0] > small.shape[0] * 5  # grows with the classes, up to 40 in
    # a row that is all background (no ground truth of that class) draws without dividing by zero
    draw_confusion(np.zeros((3, 3), int), ['cat', 'dog'], str(tmp_path / 'empty.png'), 0.5, 0.3)
    assert cv2.imread(str(tmp_path / 'empty.png')) is not None
