"""mmext's BiFPN against mmdet's reference, when a checkout of it is given (``$MMDET_EFFICIENTDET_DIR``)."""
import pytest
import torch

from benchmarks.bifpn_reference import build_pair, convert_state_dict, find_reference, load_reference

REFERENCE = find_reference()
pytestmark = pytest.mark.skipif(REFERENCE is None, reason='set MMDET_EFFICIENTDET_DIR to mmdetection\'s '
                                                          'projects/EfficientDet/efficientdet to compare')


def test_same_weights_give_the_same_outputs_and_gradients():
    torch.manual_seed(0)
    ref, ours = build_pair(load_reference(REFERENCE), [40, 112, 320], 16, 2)
    ref.double()
    ours.double()
    feats = [torch.randn(2, c, s, s, dtype=torch.float64) for c, s in zip([40, 112, 320], (32, 16, 8))]
    a = ref([f.clone().requires_grad_() for f in feats])
    b = ours([f.clone().requires_grad_() for f in feats])
    assert all(torch.allclose(x, y, rtol=0, atol=1e-10) for x, y in zip(a, b))
    grads = [torch.randn_like(x) for x in a]
    torch.autograd.backward(a, grads)
    torch.autograd.backward(b, grads)
    ref_grads = convert_state_dict({k: p.grad for k, p in ref.named_parameters()})
    for name, param in ours.named_parameters():
        assert torch.allclose(param.grad, ref_grads[name], rtol=0, atol=1e-8), name


def test_same_weights_give_the_same_outputs_in_eval_mode():
    """With weights whose eval-mode outputs depend on the input (``build_pair``'s: fan-in convs, BN statistics of
    real batches); float64 for the mapping, float32 within float32's rounding of the exact (float64) result."""
    torch.manual_seed(0)
    ref, ours = build_pair(load_reference(REFERENCE), [40, 112, 320], 16, 2)
    ref.eval()
    ours.eval()
    feats = [torch.randn(2, c, s, s) for c, s in zip([40, 112, 320], (32, 16, 8))]
    moved = [f + torch.randn_like(f) for f in feats]
    with torch.no_grad():
        a32, b32, b_moved = ref(feats), ours(feats), ours(moved)
        exact = ref.double()([f.double() for f in feats])
        b64 = ours.double()([f.double() for f in feats])
    for x, y, e, z, m in zip(a32, b32, exact, b64, b_moved):
        assert torch.allclose(z, e, rtol=0, atol=1e-10)
        assert (y.double() - e).abs().max() <= max(2 * (x.double() - e).abs().max(), 1e-6 * e.abs().max())
        assert (y - m).std() > 0.2 * y.std() > 0  # the outputs move with the input
