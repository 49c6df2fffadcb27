"""How a sweep shares the machine out among trials at once: GPU slices, CPU shares, master ports (GPUs faked)."""
import threading

import pytest

from mmext.sweep.slots import Slot, SlotPool, plan_slots, visible_gpus
from mmext.sweep.study import SweepError

EIGHT = [str(i) for i in range(8)]


def test_every_gpu_gets_used_in_slices_of_k():
    slots = plan_slots(2, None, EIGHT, cpus=32)
    assert [s.devices for s in slots] == [('0', '1'), ('2', '3'), ('4', '5'), ('6', '7')]
    assert {s.processes for s in slots} == {2} and [s.index for s in slots] == [0, 1, 2, 3]
    assert slots[1].env() == {'CUDA_VISIBLE_DEVICES': '2,3'}
    assert [s.devices for s in plan_slots(1, None, EIGHT, cpus=32)] == [(d,) for d in EIGHT]
    assert [s.devices for s in plan_slots(8, None, EIGHT, cpus=32)] == [tuple(EIGHT)]
    assert [s.devices for s in plan_slots(2, 2, EIGHT, cpus=32)] == [('0', '1'), ('2', '3')]  # --parallel caps


def test_slices_come_from_cuda_visible_devices():
    gpus = visible_gpus({'CUDA_VISIBLE_DEVICES': '3, 5,GPU-8f2c,7'}, count=4)
    assert gpus == ['3', '5', 'GPU-8f2c', '7']
    assert [s.env() for s in plan_slots(2, None, gpus, cpus=8)] == [{'CUDA_VISIBLE_DEVICES': '3,5'},
                                                                    {'CUDA_VISIBLE_DEVICES': 'GPU-8f2c,7'}]
    assert visible_gpus({}, count=2) == ['0', '1']
    assert visible_gpus({'CUDA_VISIBLE_DEVICES': ''}, count=0) == [] == visible_gpus({}, count=0)


def test_on_the_cpu_parallel_trials_share_the_cores():
    assert plan_slots(1, None, [], cpus=8) == [Slot(0, 1, None, 8)]
    assert plan_slots(1, 2, [], cpus=2) == [Slot(0, 1, None, 1), Slot(1, 1, None, 1)]
    slots = plan_slots(2, 2, [], cpus=16)
    assert [(s.processes, s.threads) for s in slots] == [(2, 4), (2, 4)]
    assert slots[0].env() == {'OMP_NUM_THREADS': '4'}
    assert slots[1].describe() == 'slot 1 (2 CPU processes, 4 thread(s) each)'
    assert plan_slots(1, 4, [], cpus=2)[0].threads == 1  # never 0


@pytest.mark.parametrize('k, parallel, gpus, message', [
    (4, None, ['0', '1'], r'^--gpus-per-trial 4: only 2 CUDA GPU\(s\) are visible here; use --gpus-per-trial 2 or '
                          r'fewer$'),
    (3, None, EIGHT, r'^--gpus-per-trial 3 leaves 2 of the 8 visible GPUs idle; use one of 1, 2, 4, 8, or make 6 '
                     r'GPUs visible with CUDA_VISIBLE_DEVICES$'),
    (2, 5, EIGHT, r'^--parallel 5 with --gpus-per-trial 2 needs 10 GPUs; 8 are visible here, enough for 4 trial'),
    (0, None, EIGHT, r'^--gpus-per-trial must be >= 1, got 0$'),
    (1, 0, [], r'^--parallel must be >= 1, got 0$'),
])
def test_what_the_gpus_cannot_hold_is_a_clear_error(k, parallel, gpus, message):
    with pytest.raises(SweepError, match=message):
        plan_slots(k, parallel, gpus, cpus=8)


def test_pool_lends_each_running_trial_its_own_slot_and_port():
    pool = SlotPool(plan_slots(1, None, ['0', '1', '2'], cpus=8))
    assert not pool.in_process and SlotPool(plan_slots(1, None, [], cpus=8)).in_process
    taken, together = [], threading.Barrier(3, timeout=10)

    def trial():
        with pool.take() as (slot, port):
            together.wait()  # all three hold a slot at the same time (a fourth would wait for one)
            taken.append((slot.index, port))

    threads = [threading.Thread(target=trial) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=15)
    assert sorted(index for index, _ in taken) == [0, 1, 2]
    assert len({port for _, port in taken}) == 3
    assert pool._free.qsize() == 3 and not pool._ports  # all given back
