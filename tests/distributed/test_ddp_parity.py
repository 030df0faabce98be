"""Two ranks under mpiexec train to the parameters one process reaches on the concatenated
batches (the acceptance test of issue 17), and the collectives compute what they should."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from tests.distributed import workers
from tests.distributed.mpi import needs_mpi, run_worker

HAS_FASHION = os.path.isdir("/usr/share/datasets/fashion-mnist")


@needs_mpi
@pytest.mark.parametrize("bucket_cap_mb", ["25", "1e-6"])  # one bucket; one per parameter
def test_two_ranks_reach_the_parameters_of_one_process_on_the_whole_batches(tmp_path,
                                                                            bucket_cap_mb):
    result, _ = run_worker("parity", str(tmp_path), bucket_cap_mb)
    assert result.returncode == 0, result.stderr[-3000:]
    expected = workers.reference_parameters()
    ranks = [np.load(tmp_path / f"rank{r}.npz") for r in (0, 1)]
    assert int(ranks[0]["buckets"]) == (1 if bucket_cap_mb == "25" else len(expected))
    for name, value in expected.items():
        np.testing.assert_array_equal(ranks[0][name], ranks[1][name])
        np.testing.assert_allclose(ranks[0][name], value, rtol=1e-5, atol=1e-6)
    # the run moved away from the initialisation, so agreeing is not trivial
    start = dict(workers.make_model(0).named_parameters())
    assert any(not np.allclose(start[n].detach().numpy(), v) for n, v in expected.items())


@needs_mpi
@pytest.mark.real_data
@pytest.mark.skipif(not HAS_FASHION, reason="dataset-fashion-mnist is not installed")
def test_two_ranks_train_the_fashion_mnist_mlp_as_one_process(tmp_path):
    """Issue 17's acceptance test on its own model and data: 6 steps of the 784-512-256-10 MLP
    on Fashion-MNIST's first images, 8 per rank and step, in 1 MB buckets (two: the first
    layer's 1.6 MB weight is a bucket of its own)."""
    result, _ = run_worker("parity", str(tmp_path), "1", "fashion-mnist")
    assert result.returncode == 0, result.stderr[-3000:]
    expected = workers.reference_parameters("fashion-mnist")
    ranks = [np.load(tmp_path / f"rank{r}.npz") for r in (0, 1)]
    assert int(ranks[0]["buckets"]) == 2
    for name, value in expected.items():
        np.testing.assert_array_equal(ranks[0][name], ranks[1][name])
        np.testing.assert_allclose(ranks[0][name], value, rtol=1e-5, atol=1e-6)


@needs_mpi
def test_the_collectives_on_two_ranks(tmp_path):
    result, _ = run_worker("collectives", str(tmp_path))
    assert result.returncode == 0, result.stderr[-3000:]
    for rank in (0, 1):
        got = json.loads((tmp_path / f"rank{rank}.json").read_text())
        # rank r contributes [r + 1, -2r, 3]: ranks 0 and 1 give [1, 0, 3] and [2, -2, 3]
        assert got["SUM"] == [3.0, -2.0, 6.0]
        assert got["AVG"] == [1.5, -1.0, 3.0]
        assert got["PRODUCT"] == [2.0, -0.0, 9.0]
        assert got["MIN"] == [1.0, -2.0, 3.0]
        assert got["MAX"] == [2.0, 0.0, 3.0]
        assert all(got[op + "_in_place"] for op in ("SUM", "AVG", "MAX"))
        assert got["transposed"] == (2 * np.arange(6).reshape(2, 3).T).tolist()
        assert got["broadcast"] == [1.0, 1.0, 1.0]
        assert got["all_gather"] == [[0.0, 0.0], [1.0, 10.0]]
        assert got["all_gather_into_tensor"] == [0.0, 0.0, 1.0, 10.0]
        # reduce_scatter: rank r gets sum over ranks q of [r + q, 1] = [2r + 1, 2]
        assert got["reduce_scatter"] == [2.0 * rank + 1, 2.0]
        assert got["async"] is True


def branchy_reference(rank_uses_a):
    """The gradients one rank computes alone in the find_unused_parameters case."""
    import chainrule
    from chainrule import nn

    x, y = workers.make_data()
    chainrule.manual_seed(0)
    heads = nn.ModuleDict({"body": nn.Linear(8, 4), "a": nn.Linear(4, 3), "b": nn.Linear(4, 3)})
    h = heads["body"](chainrule.tensor(x[:8]))
    out = heads["a"](h) if rank_uses_a else h[:, :3] * 2.0
    nn.CrossEntropyLoss()(out, chainrule.tensor(y[:8])).backward()
    return {name: m.weight.grad.numpy() if m.weight.grad is not None else np.zeros(m.weight.shape)
            for name, m in heads.items()}


def local_grad(rows):
    import chainrule
    from chainrule import nn

    x, y = workers.make_data()
    model = workers.make_model(0)
    for start in rows:
        nn.CrossEntropyLoss()(model(chainrule.tensor(x[start:start + 8])),
                              chainrule.tensor(y[start:start + 8])).backward()
    return model[0].weight.grad.numpy()


@needs_mpi
def test_no_sync_find_unused_parameters_and_buffers(tmp_path):
    result, _ = run_worker("features", str(tmp_path))
    assert result.returncode == 0, result.stderr[-3000:]
    ranks = [np.load(tmp_path / f"rank{r}.npz") for r in (0, 1)]
    # no_sync: inside, each rank keeps its own sum; after, the average of the ranks' sums
    for rank in (0, 1):
        np.testing.assert_allclose(ranks[rank]["no_sync_local"],
                                   local_grad([8 * rank, 16 + 8 * rank]), rtol=1e-5, atol=1e-7)
    synced = (local_grad([0, 16, 32]) + local_grad([8, 24, 40])) / 2
    for rank in (0, 1):
        np.testing.assert_allclose(ranks[rank]["no_sync_synced"], synced, rtol=1e-5, atol=1e-7)
    # find_unused_parameters: "a" averaged with rank 1's zero, "b" untouched, "body" averaged
    on0, on1 = branchy_reference(True), branchy_reference(False)
    for rank in (0, 1):
        np.testing.assert_allclose(ranks[rank]["unused_a_grad"], on0["a"] / 2, rtol=1e-5,
                                   atol=1e-7)
        assert bool(ranks[rank]["unused_b_grad_is_none"])
        np.testing.assert_allclose(ranks[rank]["unused_body_grad"],
                                   (on0["body"] + on1["body"]) / 2, rtol=1e-5, atol=1e-7)
    # buffers: both ranks updated rank 0's running mean with the same batch
    np.testing.assert_array_equal(ranks[0]["running_mean"], ranks[1]["running_mean"])
    assert np.all(np.abs(ranks[0]["running_mean"]) < 10)
