"""``kernels.column_sums``: 1ᵀM, within the bound of a sum's rounding error of the exact sums:
|computed − exact| ≤ n·ε·Σ|mᵢⱼ| per column (n rows, ε the dtype's machine epsilon), the exact
sums taken in long double."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.kernels import column_sums

from .helpers import DTYPES, same_bits


def _within_rounding(sums: np.ndarray, matrix: np.ndarray) -> None:
    wide = matrix.astype(np.longdouble)
    exact, scale = wide.sum(axis=0), np.abs(wide).sum(axis=0)
    bound = matrix.shape[0] * np.finfo(matrix.dtype).eps * scale
    assert np.all(np.abs(sums.astype(np.longdouble) - exact) <= bound)


def _matrix(layout: str, dtype, shape) -> np.ndarray:
    rows, cols = shape
    matrix = np.random.default_rng(0).standard_normal(
        (cols, rows) if layout == "transposed" else shape).astype(dtype)
    special = [np.finfo(dtype).smallest_subnormal, -0.0, np.finfo(dtype).tiny]
    matrix.reshape(-1)[:3] = special[: matrix.size]
    if layout == "transposed":
        return matrix.T
    if layout == "strided":
        return np.repeat(matrix, 2, axis=1)[:, ::2]
    return matrix


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", ["contiguous", "transposed", "strided"])
@pytest.mark.parametrize("shape", [(128, 512), (1, 7), (3, 1), (1000, 3)])
def test_sums_are_within_a_sums_rounding_of_the_exact_sums(dtype, layout, shape):
    matrix = _matrix(layout, dtype, shape)
    sums = column_sums(matrix)
    assert sums.shape == shape[1:] and sums.dtype == dtype
    _within_rounding(sums, matrix)


@pytest.mark.parametrize("dtype", DTYPES)
def test_special_values_propagate_as_in_a_sum(dtype):
    matrix = np.array([[np.inf, np.nan, 1.0, np.inf, -0.0, 0.0],
                       [1.0, 2.0, -np.inf, -np.inf, -0.0, -0.0]], dtype)
    with np.errstate(invalid="ignore"):  # inf − inf is an invalid operation
        sums = column_sums(matrix)
    np.testing.assert_array_equal(sums, np.array([np.inf, np.nan, -np.inf, np.nan, 0, 0]))


def test_no_rows_give_zeros_and_results_are_fresh_writable_arrays():
    np.testing.assert_array_equal(column_sums(np.zeros((0, 4), np.float32)), np.zeros(4))
    first = column_sums(np.ones((2, 3), np.float32))
    first += 1
    np.testing.assert_array_equal(column_sums(np.ones((2, 3), np.float32)), [2, 2, 2])


def test_integers_are_summed_exactly():
    matrix = np.arange(12).reshape(4, 3).astype(np.int64)
    assert same_bits(column_sums(matrix), np.array([18, 22, 26], np.int64))


def test_linear_bias_gradient_is_the_column_sums_of_the_upstream_gradient():
    x = cr.tensor(np.random.default_rng(1).standard_normal((6, 4)), requires_grad=True)
    layer = cr.nn.Linear(4, 3).double()
    upstream = np.random.default_rng(2).standard_normal((6, 3))
    layer(x).backward(upstream)
    np.testing.assert_allclose(layer.bias.grad.numpy(), upstream.sum(axis=0), rtol=1e-14)
