"""What chainrule.distributed refuses, with PyTorch's kind of error and a message naming the
problem; and that ``import chainrule`` never imports mpi4py."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import chainrule.distributed as dist
from chainrule import nn
from tests.distributed.mpi import ROOT, needs_mpi, run_worker


def test_import_chainrule_does_not_import_mpi4py():
    code = ("import sys, chainrule; chainrule.nn.parallel.DistributedDataParallel; "
            "chainrule.utils.data.DistributedSampler; print('mpi4py' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == "False"


def test_nn_parallel_names_the_distributed_class():
    assert nn.parallel.DistributedDataParallel is dist.DistributedDataParallel
    with pytest.raises(AttributeError, match="no attribute 'DataParallel2'"):
        nn.parallel.DataParallel2  # noqa: B018


@pytest.mark.parametrize("call", [dist.get_rank, dist.get_world_size, dist.barrier,
                                  dist.destroy_process_group,
                                  lambda: nn.parallel.DistributedDataParallel(nn.Linear(2, 2))])
def test_without_init_process_group_every_call_says_so(call):
    assert not dist.is_initialized()
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        call()


@pytest.mark.parametrize("backend", ["nccl", "ucc", "tcp"])
def test_a_backend_other_than_mpi_is_refused(backend):
    with pytest.raises(ValueError, match=f"backend '{backend}' is not available; chainrule "
                                         "runs on MPI"):
        dist.init_process_group(backend)
    assert not dist.is_initialized()


@needs_mpi
def test_bad_calls_in_a_process_group(tmp_path):
    result, _ = run_worker("errors", str(tmp_path), n=1)
    assert result.returncode == 0, result.stderr[-3000:]
    found = json.loads((tmp_path / "errors.json").read_text())
    expected = {
        "twice": ("RuntimeError", "initialize the default process group twice"),
        "not_a_tensor": ("TypeError", "all_reduce: expected a Tensor, got ndarray"),
        "bad_op": ("TypeError", "op must be a ReduceOp, got 'sum'"),
        "avg_int": ("TypeError", "ReduceOp.AVG needs a floating tensor, got int64"),
        "bad_src": ("ValueError", "src 4 is not a rank of a group of 1"),
        "gather_count": ("ValueError", "tensor_list holds 3 tensors; the group has 1 ranks"),
        "gather_shape": ("ValueError", "must have shape (2,) and dtype float32, got (3,)"),
        "scatter_count": ("ValueError", "input_list holds 0 tensors"),
        "other_group": ("ValueError", "only the default process group"),
        "ddp_not_module": ("TypeError", "module must be a Module, got function"),
        "ddp_bucket": ("ValueError", "bucket_cap_mb must be positive, got 0"),
        "unfinished": ("RuntimeError", "expected to have finished reduction in the prior "
                                       "iteration"),
    }
    for name, (kind, text) in expected.items():
        assert found[name] is not None, f"{name} raised nothing"
        assert found[name][0] == kind and text in found[name][1], (name, found[name])
    assert "find_unused_parameters=True" in found["unfinished"][1]
    assert "'b.weight'" in found["unfinished"][1] and "'a." not in found["unfinished"][1]
    assert found["state"] == [True, 0, 1, "mpi"] and found["after"] is False
