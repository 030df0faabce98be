"""Two ranks under mpiexec train to the parameters one process reaches on the concatenated
batches (the acceptance test of issue 17), and the collectives compute what they should."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.distributed import workers
from tests.distributed.mpi import needs_mpi, run_worker


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
