import os
import pickle

import numpy as np
import pytest
import torch
from mmengine.logging import MessageHub
from mmengine.runner.checkpoint import CheckpointLoader

import mmext  # noqa: F401  installs the safe loader
from mmext.compat.checkpoint import safe_load_checkpoint
from mmext.errors import CheckpointError
from tests.conftest import run_tool


def _mmengine_like_checkpoint() -> dict:
    """What mmengine 0.10 puts in a checkpoint besides weights: a message hub with HistoryBuffers of numpy."""
    hub = MessageHub.get_instance('mmext-test-ckpt')
    for i in range(3):
        hub.update_scalar('train/loss', float(i) + 0.5)
        hub.update_scalar('train/lr', np.float64(1e-3))
    hub.update_info('iter', 3)
    return dict(meta=dict(epoch=1, iter=3, seed=np.int64(7), dataset_meta=dict(classes=('a', 'b'))),
                state_dict=dict(w=torch.ones(2)), message_hub=hub.state_dict())


def test_plain_torch_load_refuses_mmengine_checkpoints(tmp_path):
    """The breakage the compat layer exists for (torch >= 2.6 loads with weights_only=True)."""
    path = tmp_path / 'ckpt.pth'
    torch.save(_mmengine_like_checkpoint(), path)
    with pytest.raises(pickle.UnpicklingError, match='Unsupported global'):
        torch.load(path)


def test_mmengine_checkpoint_loads_through_mmengine_loader(tmp_path):
    path = tmp_path / 'ckpt.pth'
    torch.save(_mmengine_like_checkpoint(), path)
    loaded = CheckpointLoader.load_checkpoint(str(path), map_location='cpu')
    hub = loaded['message_hub']
    assert hub['log_scalars']['train/loss'].current() == 2.5
    assert loaded['meta']['seed'] == 7
    assert torch.equal(loaded['state_dict']['w'], torch.ones(2))


class _RunsCode:
    """A pickle payload that creates a file when unpickled: what a malicious checkpoint does."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}',))


def test_malicious_checkpoint_is_refused_and_its_code_does_not_run(tmp_path):
    marker = tmp_path / 'pwned'
    path = tmp_path / 'evil.pth'
    torch.save(dict(state_dict=dict(w=torch.ones(1)), payload=_RunsCode(marker)), path)
    with pytest.raises(CheckpointError, match=r'refusing to load checkpoint .*evil\.pth.*system'):
        CheckpointLoader.load_checkpoint(str(path), map_location='cpu')
    with pytest.raises(CheckpointError):
        safe_load_checkpoint(str(path))
    assert not marker.exists()


def test_truncated_checkpoint_is_a_readable_error(tmp_path):
    path = tmp_path / 'cut.pth'
    torch.save(dict(w=torch.ones(1000)), path)
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(CheckpointError, match='cannot read checkpoint'):
        safe_load_checkpoint(str(path))


def test_missing_checkpoint_names_the_path(tmp_path):
    with pytest.raises(CheckpointError, match='nope.pth does not exist'):
        CheckpointLoader.load_checkpoint(str(tmp_path / 'nope.pth'))


class _ReachesOsThroughGetattr:
    """getattr is needed for HistoryBuffer's methods; it must not reach anything else."""

    def __reduce__(self):
        import builtins
        from mmengine.logging import HistoryBuffer
        return (builtins.getattr, (HistoryBuffer, '__init__'))  # an allowed class, a non-statistics attribute


def test_getattr_only_resolves_history_buffer_methods(tmp_path):
    path = tmp_path / 'getattr.pth'
    torch.save(dict(x=_ReachesOsThroughGetattr()), path)
    with pytest.raises(CheckpointError, match="refusing to load .* it contains 'getattr',"):
        safe_load_checkpoint(str(path))


def test_loader_goes_in_when_mmengines_checkpoint_module_is_imported_after_mmext():
    """import mmext does not import mmengine's runner; the loader is in place as soon as it is imported."""
    code = ('import sys; import mmext; print(\'mmengine.runner\' in sys.modules); '
            'from mmengine.runner import Runner; from mmengine.runner.checkpoint import CheckpointLoader; '
            "print(CheckpointLoader._schemes[''].__module__)")
    result = run_tool(['-c', code], env={'MMEXT_DISABLE_PLUGIN_AUTOLOAD': '1'}, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == ['False', 'mmext.compat.checkpoint']
