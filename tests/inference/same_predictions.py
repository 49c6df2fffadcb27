"""Two predictions of one image hold the same detections, in score order up to near-ties."""
import numpy as np


def assert_same_predictions(got, want, box_atol: float = 1e-3, score_atol: float = 1e-5) -> None:
    """The same boxes, scores and labels; detections whose scores differ by less than ``score_atol`` may come in
    either order.

    Another batch around an image changes the last float bits of its scores, and a weakly trained detector has
    many near-equal ones, so two of them can swap places (seen: boxes 44 and 45 of 100 swapped between batch 4 and
    batch 1) without any detection changing.
    """
    assert len(got.scores) == len(want.scores), (len(got.scores), len(want.scores))
    np.testing.assert_allclose(got.scores, want.scores, atol=score_atol)  # both sorted, best first
    unmatched = list(range(len(want.scores)))
    for i in range(len(got.scores)):
        match = next((j for j in unmatched if want.labels[j] == got.labels[i]
                      and abs(float(want.scores[j]) - float(got.scores[i])) <= 2 * score_atol
                      and np.abs(want.boxes[j] - got.boxes[i]).max() <= box_atol), None)
        assert match is not None, (f'detection {i} (label {got.labels[i]}, score {got.scores[i]:.6f}, box '
                                   f'{got.boxes[i].tolist()}) has no counterpart')
        unmatched.remove(match)
