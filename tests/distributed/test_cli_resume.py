"""``mpiexec -n 2 chainrule train --distributed``: rank 0 writes the run; when a rank is
killed mid-run the job ends, and ``--resume`` from the checkpoint left behind reaches the same
final parameters as the uninterrupted run (issue 17's resume acceptance test)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from chainrule.io import load_file
from tests.distributed.mpi import MPIEXEC, ROOT, is_open_mpi, launch, mpi_env, needs_mpi

TRAIN = ["-m", "chainrule", "train", "--distributed", "--data", "spirals", "--model", "mlp:32",
         "--epochs", "20", "--batch-size", "8", "--quiet", "--timeout", "10"]


def rank_pids(parent: int) -> dict[int, int]:
    """rank -> pid of the chainrule processes below ``parent`` (Linux /proc)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes().split(b"\0")
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        rank = [v.split(b"=")[1] for v in environ if v.startswith(b"OMPI_COMM_WORLD_RANK=")]
        if rank and b"chainrule" in cmdline and _descends(int(entry.name), parent):
            found[int(rank[0])] = int(entry.name)
    return found


def _descends(pid: int, ancestor: int) -> bool:
    while pid > 1:
        if pid == ancestor:
            return True
        try:
            pid = int((Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            return False
    return False


def weights(path: Path) -> dict[str, np.ndarray]:
    arrays, _ = load_file(str(path))
    return arrays


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    """The weights of the whole run, trained without a stop."""
    whole = tmp_path_factory.mktemp("whole")
    result, _ = launch(TRAIN + ["--out", str(whole)], timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "run saved in" in result.stdout and result.stdout.count("test accuracy") == 1
    return weights(whole / "model.safetensors")


def start_and_stop(out: Path, stop) -> tuple[int, str]:
    """Start the run into ``out``; once its first checkpoint exists, ``stop(ranks)``."""
    command = [MPIEXEC, *(["--oversubscribe"] if is_open_mpi() else []), "-n", "2",
               sys.executable, *TRAIN, "--out", str(out)]
    job = subprocess.Popen(command, cwd=ROOT, env=mpi_env(), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not (out / "checkpoint.safetensors").exists() and job.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.005)
    pids = rank_pids(job.pid)
    assert sorted(pids) == [0, 1], "the ranks were not found"
    stop(pids)
    _, stderr = job.communicate(timeout=60)
    assert not (out / "model.safetensors").exists(), "the job finished before the stop"
    return job.returncode, stderr


def resume_and_compare(out: Path, expected: dict) -> None:
    result, _ = launch(TRAIN[:3] + ["--resume", str(out), "--distributed", "--quiet"],
                       timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"resuming {out} at epoch" in result.stdout
    got = weights(out / "model.safetensors")
    assert expected.keys() == got.keys()
    for name in expected:
        np.testing.assert_array_equal(got[name], expected[name])


@needs_mpi
def test_a_killed_job_resumes_to_the_parameters_of_an_uninterrupted_one(tmp_path,
                                                                       uninterrupted):
    status, _ = start_and_stop(tmp_path, lambda pids: os.kill(pids[1], signal.SIGKILL))
    assert status != 0
    resume_and_compare(tmp_path, uninterrupted)


@needs_mpi
def test_sigterm_stops_every_rank_at_the_same_batch_and_the_run_resumes(tmp_path,
                                                                        uninterrupted):
    """SIGTERM reaches the ranks at different moments; they stop together, rank 0 saves."""
    def terminate(pids):
        for pid in pids.values():
            os.kill(pid, signal.SIGTERM)

    status, stderr = start_and_stop(tmp_path, terminate)
    assert status == 128 + signal.SIGTERM, stderr[-3000:]
    assert "chainrule: interrupted at " in stderr
    resume_and_compare(tmp_path, uninterrupted)
