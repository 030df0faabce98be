"""``kernels.column_sums``: 1ᵀM. The fast path (a matrix-vector product with ones) adds in
another order than the reference ``sum(axis=0)``, so the two are compared with the bound of a
sum's rounding error: |computed − exact| ≤ n·ε·Σ|mᵢⱼ| per column (n rows, ε machine epsilon),
the exact sums taken in float64 (or longdouble for float64 inputs)."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.kernels import column_sums

from .helpers import DTYPES, reference, same_bits


def _within_rounding(sums: np.ndarray, matrix: np.ndarray) -> None:
    wide = matrix.astype(np.longdouble)
    exact, scale = wide.sum(axis=0), np.abs(wide).sum(axis=0)
    bound = matrix.shape[0] * np.finfo(matrix.dtype).eps * scale
    assert np.all(np.abs(sums.astype(np.longdouble) - exact) <= bound)


def _matrix(layout: str, dtype, shape=(128, 512)) -> np.ndarray:
    matrix = np.random.default_rng(0).standard_normal(
        (shape[1], shape[0]) if layout == "transposed" else shape).astype(dtype)
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
def test_fast_path_and_reference_are_within_a_sums_rounding_of_the_exact_sums(dtype, layout,
                                                                               shape):
    matrix = _matrix(layout, dtype, shape)
    fast = column_sums(matrix)
    with reference("column_sums"):
        plain = column_sums(matrix)
    assert same_bits(plain, matrix.sum(axis=0))
    for sums in (fast, plain):
        assert sums.shape == shape[1:] and sums.dtype == dtype
        _within_rounding(sums, matrix)


@pytest.mark.parametrize("dtype", DTYPES)
def test_special_values_propagate_as_in_the_reference(dtype):
    matrix = np.array([[np.inf, np.nan, 1.0, np.inf, -0.0, 0.0],
                       [1.0, 2.0, -np.inf, -np.inf, -0.0, -0.0]], dtype)
    with np.errstate(invalid="ignore"):  # inf − inf warns in both, as "invalid value"
        fast = column_sums(matrix)
        with reference("column_sums"):
            plain = column_sums(matrix)
    np.testing.assert_array_equal(fast[:4], plain[:4])  # NaN where the reference has NaN
    np.testing.assert_array_equal(fast[4:], [0.0, 0.0])  # the sign of a zero sum may differ


def test_no_rows_give_zeros_and_results_are_fresh_writable_arrays():
    np.testing.assert_array_equal(column_sums(np.zeros((0, 4), np.float32)), np.zeros(4))
    first = column_sums(np.ones((2, 3), np.float32))
    first += 1  # the result is not the cached vector of ones, nor read-only
    np.testing.assert_array_equal(column_sums(np.ones((2, 3), np.float32)), [2, 2, 2])


@pytest.mark.parametrize("dtype", [np.float16, np.int64])
def test_other_dtypes_take_the_reference(dtype):
    matrix = np.arange(12).reshape(4, 3).astype(dtype)
    assert same_bits(column_sums(matrix), matrix.sum(axis=0))


def test_linear_bias_gradient_is_the_column_sums_of_the_upstream_gradient():
    x = cr.tensor(np.random.default_rng(1).standard_normal((6, 4)), requires_grad=True)
    layer = cr.nn.Linear(4, 3).double()
    upstream = np.random.default_rng(2).standard_normal((6, 3))
    layer(x).backward(upstream)
    np.testing.assert_allclose(layer.bias.grad.numpy(), upstream.sum(axis=0), rtol=1e-14)
