"""tools/check_stack.py: what it asks the installer to do, for the CPU and for the CUDA stack."""
from __future__ import annotations

from pathlib import Path

import pytest

import check_stack
from check_stack import Installed, main, problems, torch_cuda
from tests.tools.fakes import CUBIN, dist, elf, fatbin

EXT = 'mmcv/_ext.cpython-311-x86_64-linux-gnu.so'


def torch_version_file(cuda: str | None) -> bytes:
    return f"__version__ = 'x'\ncuda: Optional[str] = {cuda and repr(cuda)}\nhip = None\n".encode()


def environment(site: Path, cuda: str | None, kernels: list[int] | None, nvidia: bool) -> Installed:
    """A site folder with torch (CPU build when ``cuda`` is None), mmcv (with ``kernels`` for those sm_XY, or none)."""
    version = '2.13.0' if cuda else '2.13.0+cpu'
    dist(site, 'torch', version, {'torch/version.py': torch_version_file(cuda)})
    sections = {'.text': b'\x90' * 8}
    if kernels:
        sections['.nv_fatbin'] = fatbin([(CUBIN, arch) for arch in kernels])
    elf(site / 'ext.so', sections)
    dist(site, 'mmcv', '2.1.0', {EXT: (site / 'ext.so').read_bytes()})
    dist(site, 'mmengine', '0.10.7')
    if nvidia:
        dist(site, 'nvidia-cublas', '13.1.1.3')
        dist(site, 'nvidia-cudnn-cu13', '9.20.0.48')
    return Installed([str(site)])


def stack_problems(device, installed, tmp_path, gpus=(), stamp=None):
    """problems() without the lines about packages the fake environment leaves out (mmdet, pytest, ...)."""
    stamp_file = tmp_path / 'stamp'
    if stamp is not None:
        stamp_file.write_text(stamp)
    found = problems(device, installed, stamp=stamp_file, gpus=lambda: list(gpus))
    return [p for p in found if 'found None' not in p and 'mmext is' not in p]


def gpu(cap):
    return dict(index=0, name='NVIDIA X', capability=cap, driver='580.95.05')


def current(device):
    return f'{check_stack._stamp()} {device}\n'


def test_the_cpu_stack_as_before(tmp_path):
    assert stack_problems('cpu', environment(tmp_path, None, None, False), tmp_path, stamp=current('cpu')) == []


def test_the_cpu_stack_refuses_cuda_packages(tmp_path):
    found = stack_problems('cpu', environment(tmp_path, '13.0', [80, 90], True), tmp_path, stamp=current('cpu'))
    assert found == ['CUDA packages were pulled in (nvidia-cublas, nvidia-cudnn-cu13...): something asked for '
                     'another torch']


def test_the_cuda_stack_accepts_them_with_mmcvs_cuda_kernels(tmp_path):
    installed = environment(tmp_path, '13.0', [80, 90], True)
    assert torch_cuda(installed) == '13.0'
    assert stack_problems('cuda', installed, tmp_path, gpus=[gpu((9, 0))], stamp=current('cuda')) == []
    assert stack_problems('cuda', installed, tmp_path, gpus=[gpu((8, 6))], stamp=current('cuda')) == []


def test_the_cuda_stack_refuses_the_cpu_torch(tmp_path):
    installed = environment(tmp_path, None, [80, 90], False)
    assert torch_cuda(installed) is None
    found = stack_problems('cuda', installed, tmp_path, stamp=current('cuda'))
    assert found == ['torch 2.13.0+cpu is the CPU build, and the CUDA stack was chosen']


def test_an_mmcv_built_without_cuda_says_how_to_rebuild(tmp_path):
    found = stack_problems('cuda', environment(tmp_path, '13.0', None, True), tmp_path, stamp=current('cuda'))
    assert len(found) == 1
    assert found[0].startswith('mmcv 2.1.0 is installed WITHOUT its CUDA kernels (_ext.cpython-311-x86_64-linux-gnu.so '
                               'has no .nv_fatbin section): rebuild with: MMEXT_DEVICE=cuda bash tools/install_stack.sh ')


def test_mmcv_kernels_that_do_not_run_on_the_visible_gpu(tmp_path):
    installed = environment(tmp_path, '13.0', [90], True)
    found = stack_problems('cuda', installed, tmp_path, gpus=[gpu((8, 0))], stamp=current('cuda'))
    assert len(found) == 1
    assert "mmcv's CUDA kernels are for sm_90, which do not run on this machine's GPU (compute capability 8.0)" in found[0]
    assert 'rebuild with: MMEXT_DEVICE=cuda bash tools/install_stack.sh' in found[0]
    assert stack_problems('cuda', installed, tmp_path, gpus=[], stamp=current('cuda')) == []  # no GPU: nothing to say


@pytest.mark.parametrize('stamp, device, line', [
    (None, 'cpu', 'the set-up files changed since the last install'),
    ('0123 cpu\n', 'cpu', 'the set-up files changed since the last install'),
    ('STAMP cpu\n', 'cuda', 'the set-up installed the cpu stack, and the cuda stack is chosen now'),
    ('STAMP cuda\n', 'cpu', 'the set-up installed the cuda stack, and the cpu stack is chosen now'),
    ('STAMP\n', 'cuda', 'the set-up installed the cpu stack'),  # a stamp from before the CUDA stack: the CPU one
    ('STAMP\n', 'cpu', None)])
def test_the_stamp_records_which_stack_was_installed(tmp_path, stamp, device, line):
    installed = environment(tmp_path, '13.0' if device == 'cuda' else None, [80, 90] if device == 'cuda' else None,
                            device == 'cuda')
    stamp = stamp and stamp.replace('STAMP', check_stack._stamp())
    found = stack_problems(device, installed, tmp_path, stamp=stamp)
    if line is None:
        assert found == []
    else:
        assert len(found) == 1 and found[0].startswith(line), found


def test_main_refuses_a_wrong_mmext_device(capsys):
    assert main([], env={'MMEXT_DEVICE': 'gpu'}) == 1
    assert "error: MMEXT_DEVICE='gpu' is not one of cpu, cuda" in capsys.readouterr().err
