"""``ops.linalg.column_sums`` (Linear's bias gradient, 1ᵀ G as a BLAS matrix-vector product)
against NumPy's ``sum(axis=0)``."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.ops.linalg import column_sums


@pytest.mark.parametrize("dtype, rtol", [(np.float32, 1e-5), (np.float64, 1e-13)])
@pytest.mark.parametrize("shape", [(128, 512), (1, 7), (3, 1), (1000, 3)])
def test_column_sums_equal_numpys_to_rounding(dtype, rtol, shape):
    matrix = np.random.default_rng(0).random(shape).astype(dtype)  # positive: no cancellation
    sums = column_sums(matrix)
    assert sums.shape == shape[1:] and sums.dtype == dtype
    np.testing.assert_allclose(sums, matrix.astype(np.float64).sum(axis=0), rtol=rtol)


def test_column_sums_of_no_rows_are_zeros_and_results_are_fresh_writable_arrays():
    np.testing.assert_array_equal(column_sums(np.zeros((0, 4), np.float32)), np.zeros(4))
    first = column_sums(np.ones((2, 3), np.float32))
    first += 1  # the result is not the cached vector of ones, nor read-only
    np.testing.assert_array_equal(column_sums(np.ones((2, 3), np.float32)), [2, 2, 2])


def test_special_values_propagate_as_in_a_sum():
    matrix = np.array([[np.inf, np.nan, 1.0, np.inf], [1.0, 2.0, -np.inf, -np.inf]], np.float32)
    with np.errstate(invalid="ignore"):  # inf − inf warns in both, as "invalid value"
        np.testing.assert_array_equal(column_sums(matrix), matrix.sum(axis=0))


@pytest.mark.parametrize("dtype", [np.float16, np.int64])
def test_other_dtypes_are_summed_by_numpy(dtype):
    matrix = np.arange(12).reshape(4, 3).astype(dtype)
    sums = column_sums(matrix)
    assert sums.dtype == matrix.sum(axis=0).dtype
    np.testing.assert_array_equal(sums, matrix.sum(axis=0))


def test_linear_bias_gradient_is_the_column_sums_of_the_upstream_gradient():
    x = cr.tensor(np.random.default_rng(1).standard_normal((6, 4)), requires_grad=True)
    layer = cr.nn.Linear(4, 3).double()
    upstream = np.random.default_rng(2).standard_normal((6, 3))
    layer(x).backward(upstream)
    np.testing.assert_allclose(layer.bias.grad.numpy(), upstream.sum(axis=0), rtol=1e-14)
