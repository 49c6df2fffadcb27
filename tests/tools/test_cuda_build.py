"""tools/cuda_build.py: the CUDA toolkit for mmcv's build (found or made of wheels) and the cache of builds."""
from __future__ import annotations

import pytest

from cuda_build import (TORCH_NEEDS_HEADERS, assemble_cuda_home, cached_mmcv, find_toolkit, mmcv_cache_name,
                        nvcc_home)
from stack_device import StackError
from tests.tools.fakes import fake_run


def test_find_toolkit_prefers_a_matching_one_and_refuses_an_older_cuda_home(tmp_path, capsys):
    v = lambda release: f'Cuda compilation tools, release {release}, V{release}.88\n'  # noqa: E731
    home = '/opt/cuda-13.0'
    run = fake_run({f'{home}/bin/nvcc --version': v('13.0'), '/opt/cuda-12.4/bin/nvcc --version': v('12.4'),
                    '/usr/bin/nvcc --version': v('13.1'), '/usr/bin/nvcc -dryrun': '#$ _HERE_=/usr/local/cuda-13.1/bin\n',
                    '/old/bin/nvcc --version': v('12.8')})
    none = lambda name: None  # noqa: E731
    full = lambda path: True  # noqa: E731  (every header there)
    assert find_toolkit({'CUDA_HOME': home}, '13.0', which=none, run=run, isfile=full) == home
    with pytest.raises(StackError, match=r'CUDA_HOME=/opt/cuda-12\.4 is 12\.4, older than or incompatible with '
                                         r"torch 2\.13\.0's CUDA 13\.0: unset CUDA_HOME"):
        find_toolkit({'CUDA_HOME': '/opt/cuda-12.4'}, '13.0', which=none, run=run)
    with pytest.raises(StackError, match='CUDA_HOME=/nowhere has no working bin/nvcc'):
        find_toolkit({'CUDA_HOME': '/nowhere'}, '13.0', which=none, run=run)
    with pytest.raises(StackError, match='older than'):  # same major, older minor: torch's headers need the newer
        find_toolkit({'CUDA_HOME': home}, '13.2', which=none, run=run)
    # nvcc on PATH (here a wrapper in /usr/bin): its own folder, as nvcc reports it
    assert find_toolkit({}, '13.0', which=lambda name: '/usr/bin/nvcc', run=run, isfile=full) == '/usr/local/cuda-13.1'
    # one that does not match is passed over, with a note, for the wheels
    assert find_toolkit({}, '13.0', which=lambda name: '/old/bin/nvcc', run=run) is None
    assert 'nvcc 12.8 at /old/bin/nvcc does not match' in capsys.readouterr().err
    assert find_toolkit({}, '13.0', which=none, run=run) is None


def test_a_toolkit_without_the_library_headers_is_passed_over_or_refused(capsys):
    """A toolkit of nvcc and the runtime alone (this machine's /usr/local/cuda-13.0) failed mmcv's build on its
    first kernel: "cusparse.h: No such file or directory"."""
    v = 'Cuda compilation tools, release 13.0, V13.0.88\n'
    run = fake_run({'/usr/bin/nvcc --version': v, '/usr/bin/nvcc -dryrun': '#$ _HERE_=/opt/bare/bin\n',
                    '/opt/bare/bin/nvcc --version': v})
    runtime_only = lambda path: path.endswith('cuda_runtime_api.h')  # noqa: E731
    assert find_toolkit({}, '13.0', which=lambda name: '/usr/bin/nvcc', run=run, isfile=runtime_only) is None
    assert f'/opt/bare has no {", ".join(TORCH_NEEDS_HEADERS)}' in capsys.readouterr().err
    with pytest.raises(StackError, match=r'CUDA_HOME=/opt/bare has no cusparse\.h, .* unset CUDA_HOME'):
        find_toolkit({'CUDA_HOME': '/opt/bare'}, '13.0', which=lambda name: None, run=run, isfile=runtime_only)


def test_nvcc_home_falls_back_to_the_binarys_folder():
    assert nvcc_home('/opt/cuda/bin/nvcc', fake_run({})) == '/opt/cuda'


def test_assemble_cuda_home_links_what_torchs_builder_looks_for(tmp_path):
    wheels = tmp_path / 'site' / 'nvidia' / 'cu13'
    for rel in ('bin/nvcc', 'include/cuda_runtime.h', 'nvvm/bin/cicc', 'lib/libcudart.so.13', 'lib/libnvvm.so.4',
                'lib/libcudadevrt.a'):
        (wheels / rel).parent.mkdir(parents=True, exist_ok=True)
        (wheels / rel).write_text(rel)
    home = assemble_cuda_home(wheels, tmp_path / 'venv' / 'cuda')
    assert (home / 'bin' / 'nvcc').read_text() == 'bin/nvcc'
    assert (home / 'include' / 'cuda_runtime.h').exists() and (home / 'nvvm' / 'bin' / 'cicc').exists()
    assert (home / 'lib64' / 'libcudart.so').resolve() == (wheels / 'lib' / 'libcudart.so.13').resolve()
    assert (home / 'lib64' / 'libcudadevrt.a').exists() and (home / 'lib64' / 'libnvvm.so').exists()
    assemble_cuda_home(wheels, home)  # again (a re-run of the set-up): made anew, no error
    with pytest.raises(StackError, match='nvidia-cuda-nvcc wheel is not installed'):
        assemble_cuda_home(tmp_path / 'empty', tmp_path / 'other')


def test_cached_mmcv_finds_a_finished_build_covering_the_gpus(tmp_path):
    def build(name, wheel=True):
        (tmp_path / name).mkdir()
        if wheel:
            (tmp_path / name / 'mmcv-2.1.0-cp311-cp311-linux_x86_64.whl').write_bytes(b'')
    assert mmcv_cache_name('2.13.0', '13.0', '8.0;9.0') == 'mmcv-2.1.0-torch2.13.0-cuda13.0-arch8.0_9.0'
    build(mmcv_cache_name('2.13.0', '13.0', '8.0;9.0'))
    build(mmcv_cache_name('2.13.0', '13.0', '7.5') + '.partial')  # an interrupted build is never used
    build(mmcv_cache_name('2.12.0', '13.0', '7.5'))  # another torch
    found = cached_mmcv(tmp_path, '2.13.0', '13.0', '9.0')
    assert found is not None and found.parent.name.endswith('arch8.0_9.0')
    assert cached_mmcv(tmp_path, '2.13.0', '13.0', '8.6') == found  # sm_80 code runs on 8.6
    assert cached_mmcv(tmp_path, '2.13.0', '13.0', '7.5') is None
    assert cached_mmcv(tmp_path, '2.13.0', '12.8', '9.0') is None
    assert cached_mmcv(tmp_path / 'absent', '2.13.0', '13.0', '9.0') is None
