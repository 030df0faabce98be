"""A rank that dies or hangs makes the survivor stop with a clear error within the group's
timeout (3 s in the worker) instead of waiting forever (issue 17's fault acceptance test)."""

from __future__ import annotations

import pytest

from tests.distributed.mpi import is_open_mpi, needs_mpi, run_worker

TIMEOUT = 3.0


@needs_mpi
@pytest.mark.parametrize("how", ["kill", "hang"])
def test_the_survivor_reports_the_lost_rank_within_the_timeout(tmp_path, how):
    # Open MPI's mpiexec ends the whole job at once when a rank dies; --enable-recovery lets
    # the job go on, so that the survivor itself must notice (a hung rank needs no option).
    options = ("--enable-recovery",) if how == "kill" and is_open_mpi() else ()
    result, seconds = run_worker("fault", str(tmp_path), how, timeout=60, mpi_options=options)
    if not options:  # with --enable-recovery, Open MPI's mpiexec exits 0 after an abort
        assert result.returncode != 0
    assert ("rank 0: DistributedDataParallel: averaging gradients: the other ranks did not "
            f"answer within the timeout of {TIMEOUT:g} s (a rank died or hung)") in result.stderr
    assert seconds < TIMEOUT + 15  # start-up, a few steps, the timeout, the abort
