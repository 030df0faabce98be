"""``kernels.flush_subnormals``: exactly the subnormals become +0, on special values, layouts and
dtypes; every other bit pattern is kept."""

from __future__ import annotations

import numpy as np
import pytest

from chainrule.kernels import flush_subnormals

from .helpers import DTYPES, LAYOUTS, array, same_bits, special_values


@pytest.mark.parametrize("dtype", DTYPES + [np.float16])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_subnormals_become_zero_and_nothing_else_changes(layout, dtype):
    values = array(layout, dtype)
    before = values.copy()
    flush_subnormals(values)
    tiny = np.finfo(dtype).tiny
    subnormal = (np.abs(before) < tiny) & (before != 0)
    assert subnormal.any()  # the input has some, so the test tests something
    assert same_bits(values[subnormal], np.zeros(subnormal.sum(), dtype))
    assert same_bits(values[~subnormal], before[~subnormal])


@pytest.mark.parametrize("dtype", DTYPES + [np.float16])
def test_special_values(dtype):
    values = special_values(dtype)
    expected = values.copy()
    expected[2:6] = 0.0  # ± the smallest and the largest subnormal; everything else stays
    flush_subnormals(values)
    assert same_bits(values, expected)  # −0 stays −0, NaN stays NaN, tiny stays tiny


def test_a_buffer_without_subnormals_is_unchanged():
    values = np.array([0.0, -0.0, 1.0, np.finfo(np.float32).tiny], np.float32)
    before = values.copy()
    flush_subnormals(values)
    assert same_bits(values, before)
