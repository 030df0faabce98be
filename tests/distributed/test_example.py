"""examples/distributed_mnist.py runs under ``mpiexec -n 2``: rank 0 alone reports and saves a
model that loads into the example's MLP and predicts as well as reported."""

from __future__ import annotations

import os

import numpy as np
import pytest

from tests.distributed.mpi import launch, needs_mpi

HAS_FASHION = os.path.isdir("/usr/share/datasets/fashion-mnist")


@needs_mpi
@pytest.mark.real_data
@pytest.mark.skipif(not HAS_FASHION, reason="dataset-fashion-mnist is not installed")
def test_the_distributed_example_trains_and_rank_0_saves(tmp_path):
    out = tmp_path / "mlp.safetensors"
    result, _ = launch(["examples/distributed_mnist.py", "--epochs", "1", "--samples", "2048",
                        "--out", str(out)], timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = [line for line in result.stdout.splitlines() if "test accuracy" in line]
    assert len(lines) == 1 and "(2 processes)" in lines[0]
    reported = float(lines[0].split("test accuracy ")[1].split("%")[0]) / 100
    assert reported > 0.5  # 2,048 images, one epoch: far above the 10% of guessing

    import importlib.util

    import chainrule
    from chainrule.data.datasets import load_fashion_mnist
    from tests.distributed.mpi import ROOT

    spec = importlib.util.spec_from_file_location("example", ROOT / "examples" /
                                                  "distributed_mnist.py")
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    model = example.build_mlp().load(str(out))
    _, (x_test, y_test) = load_fashion_mnist(flatten=True)
    with chainrule.no_grad():
        predicted = model(chainrule.tensor(x_test)).numpy().argmax(axis=1)
    assert np.mean(predicted == y_test) == pytest.approx(reported, abs=5e-5)
