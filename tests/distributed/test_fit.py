"""``fit(..., distributed=True)`` under ``mpiexec -n 2``: the process group is joined and the
model wrapped by fit itself, an (x, y) pair is sharded by a DistributedSampler, rank 0 alone
prints, and both ranks record the same averaged history and reach the parameters of one
process stepping on the union of the two shards' batches."""

from __future__ import annotations

import numpy as np

import chainrule
from chainrule import nn, optim
from chainrule.utils.data import DistributedSampler
from tests.distributed import workers
from tests.distributed.mpi import needs_mpi, run_worker


def reference(epochs=2, per_rank=8):
    """One process: at each step, the batch is rank 0's next 8 indices then rank 1's."""
    model = workers.make_model(0)
    x, y = workers.make_data()
    samplers = [DistributedSampler(range(len(x)), num_replicas=2, rank=r, seed=0)
                for r in (0, 1)]
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    for epoch in range(epochs):
        shares = []
        for sampler in samplers:
            sampler.set_epoch(epoch)
            shares.append(list(sampler))
        for start in range(0, len(shares[0]), per_rank):
            rows = shares[0][start:start + per_rank] + shares[1][start:start + per_rank]
            optimizer.zero_grad()
            nn.CrossEntropyLoss()(model(chainrule.tensor(x[rows])),
                                  chainrule.tensor(y[rows])).backward()
            optimizer.step()
    return {name: p.detach().numpy() for name, p in model.named_parameters()}


@needs_mpi
def test_fit_distributed_on_two_ranks(tmp_path):
    result, _ = run_worker("fit", str(tmp_path))
    assert result.returncode == 0, result.stderr[-3000:]
    ranks = [np.load(tmp_path / f"rank{r}.npz") for r in (0, 1)]
    assert "Epoch 2/2" in str(ranks[0]["printed"]) and str(ranks[1]["printed"]) == ""
    np.testing.assert_array_equal(ranks[0]["loss"], ranks[1]["loss"])
    np.testing.assert_array_equal(ranks[0]["accuracy"], ranks[1]["accuracy"])
    assert ranks[0]["loss"][1] < ranks[0]["loss"][0]
    for name, value in reference().items():
        key = name
        np.testing.assert_array_equal(ranks[0][key], ranks[1][key])
        np.testing.assert_allclose(ranks[0][key], value, rtol=1e-5, atol=1e-6)
