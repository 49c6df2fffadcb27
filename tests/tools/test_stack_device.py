"""tools/stack_device.py: which stack a machine gets, and the checks before a CUDA set-up downloads gigabytes."""
from __future__ import annotations

import subprocess
from collections import namedtuple

import pytest

from stack_device import (DEFAULT_ARCH_LIST, StackError, arch_list, check_disk, check_gpus, choose_device,
                          cuda_packages, driver_present, list_gpus, main, recorded_device, require_gpu)
from tests.tools.fakes import fake_run


SMI = 'nvidia-smi --query-gpu'
H200 = '0, NVIDIA H200, 9.0, 580.95.05\n'


@pytest.mark.parametrize('env, driver, device', [
    ({}, False, 'cpu'), ({}, True, 'cuda'),
    ({'MMEXT_DEVICE': 'cpu'}, True, 'cpu'),    # a GPU machine can still choose the CPU stack
    ({'MMEXT_DEVICE': 'cuda'}, False, 'cuda'),  # and a machine without one the CUDA stack (make check-cuda-stack)
    ({'MMEXT_DEVICE': ' CUDA '}, False, 'cuda'), ({'MMEXT_DEVICE': ''}, True, 'cuda')])
def test_choose_device(env, driver, device):
    assert choose_device(env, detect=lambda: driver) == device


@pytest.mark.parametrize('env, recorded, device', [
    ({}, 'cuda', 'cuda'),  # a venv set up with the CUDA stack keeps it on a machine without a GPU
    ({}, 'cpu', 'cpu'),    # and a CPU venv on a GPU machine stays CPU
    ({'MMEXT_DEVICE': 'cpu'}, 'cuda', 'cpu'), ({}, None, 'cuda')])
def test_the_venvs_recorded_stack_comes_before_detection(env, recorded, device):
    assert choose_device(env, detect=lambda: True, recorded=recorded) == device


def test_recorded_device_reads_the_stamp(tmp_path):
    assert recorded_device(tmp_path) is None
    (tmp_path / '.mmext-stack').write_text('0123abc\n')  # a stamp of before the choice existed
    assert recorded_device(tmp_path) is None
    (tmp_path / '.mmext-stack').write_text('0123abc cuda\n')
    assert recorded_device(tmp_path) == 'cuda'


def test_a_wrong_mmext_device_is_one_line_naming_the_values():
    with pytest.raises(StackError, match=r"MMEXT_DEVICE='gpu' is not one of cpu, cuda"):
        choose_device({'MMEXT_DEVICE': 'gpu'}, detect=lambda: True)


def test_driver_present(tmp_path):
    proc = tmp_path / 'version'
    none = lambda name: None  # noqa: E731
    smi = lambda name: '/usr/bin/nvidia-smi'  # noqa: E731
    assert not driver_present(proc, which=none)
    proc.write_text('NVRM version: NVIDIA UNIX x86_64 Kernel Module  580.95.05\n')
    assert driver_present(proc, which=none)
    missing = tmp_path / 'absent'
    assert driver_present(missing, which=smi, run=fake_run({'nvidia-smi -L': 'GPU 0: NVIDIA H200 (UUID: x)\n'}))
    # nvidia-smi installed but no driver behind it (a container started without the GPU)
    failed = subprocess.CalledProcessError(9, 'nvidia-smi')
    assert not driver_present(missing, which=smi, run=fake_run({'nvidia-smi -L': failed}))


def test_list_gpus_parses_nvidia_smi_and_skips_its_warnings():
    out = 'WARNING: infoROM is corrupted at gpu 0000:41:00.0\n' + H200 + '1, NVIDIA A100-SXM4-80GB, 8.0, 580.95.05\n'
    gpus = list_gpus(fake_run({SMI: out}))
    assert [(g['index'], g['name'], g['capability']) for g in gpus] == [
        (0, 'NVIDIA H200', (9, 0)), (1, 'NVIDIA A100-SXM4-80GB', (8, 0))]
    assert list_gpus(fake_run({})) == []  # no nvidia-smi


def test_arch_list_takes_the_users_then_the_gpus_then_the_default():
    gpus = list_gpus(fake_run({SMI: H200 + '1, NVIDIA A100, 8.0, 580.1\n2, NVIDIA H200, 9.0, 580.1\n'}))
    assert arch_list({'TORCH_CUDA_ARCH_LIST': '8.6'}, gpus) == '8.6'
    assert arch_list({}, gpus) == '8.0;9.0'
    assert arch_list({}, []) == DEFAULT_ARCH_LIST
    assert {'8.0', '9.0'} <= set(DEFAULT_ARCH_LIST.split(';'))


def gpu(cap, driver='580.95.05', name='NVIDIA X'):
    return dict(index=0, name=name, capability=cap, driver=driver)


def test_check_gpus_refuses_what_torch_cannot_run_on():
    check_gpus([gpu((9, 0)), gpu((8, 6))], '13.0', 'sm_75 sm_80 sm_86 sm_90 sm_100 sm_120')
    check_gpus([], '13.0')  # no GPU visible: nothing to refuse
    with pytest.raises(StackError, match=r'GPU 0 \(NVIDIA P100\) has compute capability 6\.0; CUDA 13\.0 .* supports '
                                         r'7\.5 and newer: .*MMEXT_DEVICE=cpu'):
        check_gpus([gpu((6, 0), name='NVIDIA P100')], '13.0')
    with pytest.raises(StackError, match=r'driver 535\.104 is too old .* needs driver 580 or newer\): update the '
                                         r'driver, or set MMEXT_DEVICE=cpu'):
        check_gpus([gpu((9, 0), driver='535.104')], '13.0')
    with pytest.raises(StackError, match=r'has kernels for sm_90 only'):
        check_gpus([gpu((8, 0))], '13.0', 'sm_90')


def test_require_gpu_says_what_to_do_without_one():
    require_gpu([gpu((9, 0))])
    with pytest.raises(StackError, match='no NVIDIA GPU visible .* make check-cuda-stack checks the CUDA stack'):
        require_gpu([])


def test_check_disk_needs_the_room_on_the_first_existing_parent(tmp_path):
    Usage = namedtuple('Usage', 'total used free')
    seen = []
    usage = lambda path: seen.append(path) or Usage(0, 0, 3.2e9)  # noqa: E731
    check_disk(str(tmp_path / 'new' / 'venv'), 3, usage=usage)
    assert seen == [tmp_path]
    with pytest.raises(StackError, match=r'only 3\.2 GB free on the disk of .*venv; the CUDA stack .* needs about '
                                         r'10 GB there: free some space, or set MMEXT_DEVICE=cpu'):
        check_disk(str(tmp_path / 'venv'), 10, usage=usage)


def test_cuda_packages_are_the_nvidia_cuda_and_triton_distributions():
    Dist = namedtuple('Dist', 'metadata')
    dists = [Dist({'Name': n}) for n in ('torch', 'nvidia-cublas', 'cuda-bindings', 'triton', 'numpy', 'nvidia_nccl_cu13')]
    assert cuda_packages(lambda: dists) == ['cuda-bindings', 'nvidia-cublas', 'nvidia_nccl_cu13', 'triton']


def test_cli_prints_error_lines(capsys, monkeypatch):
    monkeypatch.setenv('MMEXT_DEVICE', 'tpu')
    assert main(['choose']) == 1
    assert capsys.readouterr().err.startswith("error: MMEXT_DEVICE='tpu' is not one of cpu, cuda")
    monkeypatch.setenv('MMEXT_DEVICE', 'cpu')
    assert main(['choose']) == 0 and capsys.readouterr().out == 'cpu\n'
