"""tools/cuda_kernels.py: the GPU architectures of an extension's CUDA kernels, read from its ELF file."""
from __future__ import annotations

from importlib import metadata

import pytest

from cuda_kernels import (built_archs, describe, fatbin_entries, kernel_archs, main, missing, mmcv_extension,
                          parse_arch_list, runs_on)
from tests.tools.fakes import CUBIN, PTX, elf, fatbin


def test_fatbin_entries_reads_every_entry_of_consecutive_fat_binaries():
    # two translation units, the second 8-byte padded after the first, as the linker lays them out
    data = fatbin([(CUBIN, 80), (CUBIN, 90)]) + b'\0' * 8 + fatbin([(CUBIN, 80), (PTX, 90)])
    assert fatbin_entries(data) == ['sm_80', 'sm_90', 'sm_80', 'compute_90']


def test_kernel_archs_of_an_elf_with_and_without_device_code(tmp_path):
    cuda = elf(tmp_path / 'cuda.so', {'.text': b'\x90' * 10, '.nv_fatbin': fatbin([(CUBIN, 90), (CUBIN, 80)])})
    cpu = elf(tmp_path / 'cpu.so', {'.text': b'\x90' * 10})
    assert kernel_archs(cuda) == ['sm_80', 'sm_90']
    assert describe(cuda) == 'sm_80 sm_90 (2 cubins, 0 PTX)'
    assert kernel_archs(cpu) == []
    assert 'no CUDA kernels' in describe(cpu)


def test_a_file_that_is_not_elf_is_refused(tmp_path):
    (tmp_path / 'x.so').write_bytes(b'not an elf at all' * 8)
    with pytest.raises(ValueError, match='not a 64-bit little-endian ELF'):
        kernel_archs(tmp_path / 'x.so')


@pytest.mark.parametrize('archs, cap, runs', [
    (['sm_80'], (8, 0), True), (['sm_80'], (8, 6), True),   # a cubin runs on later minors of its major
    (['sm_86'], (8, 0), False), (['sm_80'], (9, 0), False),  # not on earlier minors, not on another major
    (['compute_90'], (12, 0), True), (['compute_90'], (8, 9), False),  # PTX: any newer GPU
    (['sm_90a'], (9, 0), True)])
def test_runs_on_follows_cuda_compatibility(archs, cap, runs):
    assert runs_on(archs, cap) is runs


def test_arch_lists_and_what_they_leave_out():
    assert parse_arch_list('8.0;9.0+PTX') == [(8, 0, False), (9, 0, True)]
    assert parse_arch_list('7.5 8.6') == [(7, 5, False), (8, 6, False)]
    assert built_archs('8.0;9.0+PTX') == ['sm_80', 'sm_90', 'compute_90']
    assert missing(['sm_80', 'sm_90'], '8.0;8.6;9.0') == []
    assert missing(['sm_80', 'sm_90'], '7.5;12.0') == ['7.5', '12.0']
    with pytest.raises(ValueError, match="'sm_80' in TORCH_CUDA_ARCH_LIST"):
        parse_arch_list('sm_80')


def test_cli_exit_code_says_whether_the_kernels_cover_the_list(tmp_path, capsys):
    cuda = elf(tmp_path / 'cuda.so', {'.nv_fatbin': fatbin([(CUBIN, 80), (CUBIN, 90)])})
    assert main([str(cuda), '--need', '8.0;9.0']) == 0
    assert main([str(cuda), '--need', '7.5']) == 1
    assert main([str(elf(tmp_path / 'cpu.so', {'.text': b'\0'}))]) == 1
    assert 'sm_80 sm_90' in capsys.readouterr().out


def test_the_installed_mmcv_has_cuda_kernels_exactly_when_torch_is_the_cuda_build():
    """True of both set-ups: the CPU stack's mmcv has none, the CUDA stack's mmcv has them."""
    import torch
    extension = mmcv_extension(next(iter(metadata.distributions(name='mmcv'))))
    assert extension is not None and extension.exists()
    assert bool(kernel_archs(extension)) is (torch.version.cuda is not None), describe(extension)
