"""The examples reach what they promise. The Fashion-MNIST MLP (about a minute on 2 cores) runs
with the default test command, as the suite's one check on real data (marked real_data); the
CNN takes several minutes and is marked slow (``python -m pytest -m slow tests/test_examples.py``).
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import numpy as np
import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
HAS_FASHION = os.path.isdir("/usr/share/datasets/fashion-mnist")


def load(name: str):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_function_descent_matches_the_worked_example(capsys):
    x = load("function_descent").main()
    assert "autograd [4.0, 27.0], numerical [4.0, 27.0]" in capsys.readouterr().out
    assert abs(x[0]) < 1e-6 and x[1] == pytest.approx(0.033, abs=0.001)


def test_spiral_network_reaches_the_case_studys_accuracy(capsys):
    accuracy = load("spiral_from_scratch").main()
    out = capsys.readouterr().out
    difference = float(out.split("largest difference ")[1].split()[0])
    assert difference < 1e-12  # autograd equals the hand-derived backpropagation
    assert accuracy >= 0.97


def test_sigmoid_least_squares_network_learns_the_moons(capsys):
    accuracy = load("sigmoid_least_squares").main()
    assert "gradient check of a sigmoid layer with the quadratic cost: True" in \
        capsys.readouterr().out
    assert accuracy >= 0.97


def test_xor_demo_loss_falls(capsys):
    final = load("demo_xor").main()
    losses = [float(line.split("loss")[1]) for line in capsys.readouterr().out.splitlines()
              if line.startswith("step")]
    assert final < 0.01 and losses[-1] < losses[0] / 10


@pytest.mark.real_data
@pytest.mark.skipif(not HAS_FASHION, reason="dataset-fashion-mnist is not installed")
def test_fashion_mnist_mlp_passes_89_5_percent():
    assert load("fashion_mnist_mlp").main(verbose=0) >= 0.895


@pytest.mark.slow
@pytest.mark.skipif(not HAS_FASHION, reason="dataset-fashion-mnist is not installed")
def test_fashion_mnist_cnn_passes_92_5_percent():
    assert load("fashion_mnist_cnn").main(verbose=0) >= 0.925


def test_examples_do_not_leak_global_numpy_randomness():
    state = np.random.get_state()[1].copy()
    load("function_descent").main(steps=3)
    assert np.array_equal(state, np.random.get_state()[1])
