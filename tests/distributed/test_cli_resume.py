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

from chainrule.io import load_file
from tests.distributed.mpi import MPIEXEC, ROOT, is_open_mpi, launch, mpi_env, needs_mpi

TRAIN = ["-m", "chainrule", "train", "--distributed", "--data", "spirals", "--model", "mlp:32",
         "--epochs", "40", "--batch-size", "8", "--quiet", "--timeout", "10"]


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


@needs_mpi
def test_a_killed_job_resumes_to_the_parameters_of_an_uninterrupted_one(tmp_path):
    whole, cut = tmp_path / "whole", tmp_path / "cut"
    result, _ = launch(TRAIN + ["--out", str(whole)], timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "run saved in" in result.stdout and result.stdout.count("test accuracy") == 1

    command = [MPIEXEC, *(["--oversubscribe"] if is_open_mpi() else []), "-n", "2",
               sys.executable, *TRAIN, "--out", str(cut)]
    job = subprocess.Popen(command, cwd=ROOT, env=mpi_env(), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not (cut / "checkpoint.safetensors").exists() and job.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.005)
    pids = rank_pids(job.pid)
    assert 1 in pids, "rank 1 not found"
    os.kill(pids[1], signal.SIGKILL)
    job.communicate(timeout=60)
    assert job.returncode != 0
    assert not (cut / "model.safetensors").exists(), "the job finished before the kill"

    result, _ = launch(TRAIN[:3] + ["--resume", str(cut), "--distributed", "--quiet"],
                       timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"resuming {cut} at epoch" in result.stdout
    expected, got = weights(whole / "model.safetensors"), weights(cut / "model.safetensors")
    assert expected.keys() == got.keys()
    for name in expected:
        np.testing.assert_array_equal(got[name], expected[name])
