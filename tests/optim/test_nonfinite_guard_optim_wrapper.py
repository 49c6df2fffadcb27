"""The AMP variant of the guard: the same refusal of a NaN/inf loss, AMP's own backward and step underneath.

The hook-level behaviour (stop, skip, resume, 2 processes) is tested in tests/hooks/test_nonfinite_loss_guard_hook.py
with the plain wrapper; here the AMP class, which mmengine only constructs when a GPU is visible. On a CPU-only
machine the availability check is patched and torch's GradScaler disables itself, so what runs is the class
composition (guard first, AmpOptimWrapper's backward/step/state_dict underneath).
"""
import pytest
import torch
import torch.nn as nn
from mmdet.registry import OPTIM_WRAPPERS

import mmext  # noqa: F401  (registers the wrappers)
from mmext.errors import NonFiniteLossError
from mmext.optim import NonFiniteGuardAmpOptimWrapper


@pytest.fixture
def amp_wrapper(monkeypatch):
    if not torch.cuda.is_available():
        monkeypatch.setattr('mmengine.optim.optimizer.amp_optimizer_wrapper.is_cuda_available', lambda: True)
    model = nn.Linear(3, 1)
    wrapper = OPTIM_WRAPPERS.build(dict(type='NonFiniteGuardAmpOptimWrapper', loss_scale='dynamic',
                                        optimizer=torch.optim.SGD(model.parameters(), lr=0.1)))
    return model, wrapper


def test_amp_wrapper_steps_on_a_finite_loss_and_refuses_a_nan_one(amp_wrapper):
    model, wrapper = amp_wrapper
    assert isinstance(wrapper, NonFiniteGuardAmpOptimWrapper) and hasattr(wrapper, 'loss_scaler')
    before = model.weight.detach().clone()
    wrapper.update_params(model(torch.ones(2, 3)).sum())
    assert not torch.equal(model.weight, before)
    after_good = model.weight.detach().clone()
    with pytest.raises(NonFiniteLossError, match='total loss=nan on rank 0'):
        wrapper.update_params(model(torch.ones(2, 3)).sum() * float('nan'))
    assert torch.equal(model.weight, after_good)
    assert 'loss_scaler' in wrapper.state_dict()  # AMP's state still saved with checkpoints
