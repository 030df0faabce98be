"""predict holds no memory across calls (docs/reliability.md R-MEM-2): 1,000 calls leave the
traced heap where it was after the first few."""

from __future__ import annotations

import tracemalloc

import numpy as np

from chainrule import nn
from chainrule.train import predict


def test_memory_stays_flat_over_1000_predict_calls():
    model = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 5))
    x = np.random.default_rng(0).standard_normal((40, 20)).astype(np.float32)
    expected = predict(model, x)
    tracemalloc.start()
    try:
        for _ in range(20):
            predict(model, x)
        settled, _ = tracemalloc.get_traced_memory()
        for _ in range(1000):
            out = predict(model, x)
        grown = tracemalloc.get_traced_memory()[0] - settled
    finally:
        tracemalloc.stop()
    np.testing.assert_array_equal(out, expected)
    # One call's outputs take 40 × 5 × 4 = 800 bytes; keeping them all would add 800 kB.
    assert grown < 100_000, f"the heap grew by {grown} bytes over 1000 predict calls"
