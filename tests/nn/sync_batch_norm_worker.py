"""What each rank runs in tests/nn/test_parallel_wrappers.py's MPI test (``python -m
tests.nn.sync_batch_norm_worker OUT_DIR`` under mpiexec): SyncBatchNorm on this rank's part
of one global batch, the results saved for the test to compare with one BatchNorm over the
whole batch."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

import chainrule as cr
import chainrule.distributed as dist
from chainrule import nn

GLOBAL_SHAPE = (8, 3, 5)


def global_data() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The whole batch, the upstream gradient, and the layer's γ and β."""
    rng = np.random.default_rng(11)
    return (rng.standard_normal(GLOBAL_SHAPE) * 2 + 1, rng.standard_normal(GLOBAL_SHAPE),
            rng.uniform(0.5, 1.5, 3), rng.standard_normal(3))


def main(out: str) -> None:
    dist.init_process_group("mpi")
    rank, size = dist.get_rank(), dist.get_world_size()
    x, upstream, weight, bias = global_data()
    part = slice(rank * len(x) // size, (rank + 1) * len(x) // size)
    layer = nn.SyncBatchNorm(3, momentum=0.2, dtype=cr.float64)
    layer.weight.data[:], layer.bias.data[:] = weight, bias
    local = cr.tensor(x[part], requires_grad=True)
    y = layer(local)
    y.backward(cr.tensor(upstream[part]))
    np.savez(Path(out) / f"rank{rank}.npz", y=y.detach().numpy(), grad=local.grad.numpy(),
             weight_grad=layer.weight.grad.numpy(), running_mean=layer.running_mean.numpy(),
             running_var=layer.running_var.numpy())
    dist.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1])
