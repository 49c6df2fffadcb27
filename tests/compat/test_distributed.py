import pytest

from mmext.compat.distributed import cpu_ddp_wrapper_cfg, init_cpu_process_group
from mmext.errors import MmextError


def test_cpu_wrapper_drops_device_ids_and_keeps_user_settings():
    cfg = cpu_ddp_wrapper_cfg(dict(type='MMDistributedDataParallel', find_unused_parameters=True,
                                   device_ids=[0]))
    assert cfg == dict(type='MMDistributedDataParallel', broadcast_buffers=False, find_unused_parameters=True,
                       device_ids=None)


def test_missing_launcher_variables_are_named(monkeypatch):
    for key in ('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT'):
        monkeypatch.delenv(key, raising=False)
    with pytest.raises(MmextError, match='RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT'):
        init_cpu_process_group('pytorch')


def test_unsupported_launcher_on_cpu():
    with pytest.raises(MmextError, match="launcher 'mpi' is not supported on CPU"):
        init_cpu_process_group('mpi')
