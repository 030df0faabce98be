"""``kernels.flush_subnormals``: the bit-pattern fast path against the reference mask
0 < |x| < tiny, bit for bit, and both against the hand-written expectation."""

from __future__ import annotations

import numpy as np
import pytest

from chainrule.kernels import flush_subnormals

from .helpers import DTYPES, LAYOUTS, array, reference, same_bits, special_values


@pytest.mark.parametrize("dtype", DTYPES + [np.float16])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_fast_path_gives_the_references_bits(layout, dtype):
    fast, plain = array(layout, dtype), array(layout, dtype)
    flush_subnormals(fast)
    with reference("flush_subnormals"):
        flush_subnormals(plain)
    assert same_bits(fast, plain)
    assert not np.any((np.abs(fast) < np.finfo(dtype).tiny) & (fast != 0))


@pytest.mark.parametrize("dtype", DTYPES + [np.float16])
@pytest.mark.parametrize("fast", [True, False])
def test_only_subnormals_become_plus_zero(dtype, fast):
    values = special_values(dtype)
    expected = values.copy()
    expected[2:6] = 0.0  # ± the smallest and the largest subnormal; everything else stays
    if fast:
        flush_subnormals(values)
    else:
        with reference("flush_subnormals"):
            flush_subnormals(values)
    assert same_bits(values, expected)  # −0 stays −0, NaN stays NaN


def test_a_longdouble_buffer_takes_the_reference():
    values = np.array([np.finfo(np.float64).tiny / 4, -0.0, 1.0], np.longdouble)
    tiny = np.finfo(np.longdouble).tiny
    flush_subnormals(values)
    assert values[0] == (0.0 if np.finfo(np.float64).tiny / 4 < tiny else values[0])
    assert np.signbit(values[1]) and values[2] == 1.0
