"""``chainrule.testing.assert_close`` against PyTorch's: the same verdicts, default tolerances
by dtype, and messages that name the mismatch."""

from __future__ import annotations

import math

import numpy as np
import pytest

import chainrule as cr
from chainrule.testing import assert_close

# (actual, expected, keyword arguments), built by the library given
CASES = {
    "equal": lambda lib: (lib.tensor([1.0, 2.0]), lib.tensor([1.0, 2.0]), {}),
    "within_float32": lambda lib: (lib.tensor([1.0, 2.0]), lib.tensor([1.0, 2.0 + 2e-6]), {}),
    "beyond_float32": lambda lib: (lib.tensor([1.0, 2.0]), lib.tensor([1.0, 2.001]), {}),
    "float64_strict": lambda lib: (lib.tensor([1.0], dtype=lib.float64),
                                   lib.tensor([1.0 + 1e-6], dtype=lib.float64), {}),
    "given_tolerance": lambda lib: (lib.tensor([1.0, 2.0]), lib.tensor([1.0, 2.001]),
                                    {"rtol": 1e-3, "atol": 0.0}),
    "dtype": lambda lib: (lib.tensor([1.0]), lib.tensor([1.0], dtype=lib.float64), {}),
    "dtype_unchecked": lambda lib: (lib.tensor([1.0]), lib.tensor([1.0], dtype=lib.float64),
                                    {"check_dtype": False}),
    "shape": lambda lib: (lib.tensor([1.0, 2.0]), lib.tensor([1.0]), {}),
    "nan": lambda lib: (lib.tensor([math.nan]), lib.tensor([math.nan]), {}),
    "nan_equal": lambda lib: (lib.tensor([math.nan]), lib.tensor([math.nan]),
                              {"equal_nan": True}),
    "infinities": lambda lib: (lib.tensor([math.inf, -math.inf]),
                               lib.tensor([math.inf, -math.inf]), {}),
    "integers": lambda lib: (lib.tensor([1, 2]), lib.tensor([1, 3]), {}),
    "python_floats": lambda lib: (1.0, 1.0 + 1e-9, {}),
    "dict": lambda lib: ({"w": lib.ones(2)}, {"w": lib.ones(2) * 1.01}, {}),
    "list": lambda lib: ([lib.ones(2), lib.zeros(1)], [lib.ones(2), lib.zeros(1)], {}),
}


def verdict(lib, name):
    actual, expected, kwargs = CASES[name](lib)
    try:
        lib.testing.assert_close(actual, expected, **kwargs)
    except AssertionError:
        return False
    return True


@pytest.mark.parametrize("name", CASES)
def test_the_verdict_is_torchs(name):
    torch = pytest.importorskip("torch")
    assert verdict(cr, name) == verdict(torch, name)


def test_the_verdicts_without_torch():
    passing = {"equal", "within_float32", "given_tolerance", "dtype_unchecked", "nan_equal",
               "infinities", "python_floats", "list"}
    assert {name for name in CASES if verdict(cr, name)} == passing


def test_the_message_names_the_mismatch():
    with pytest.raises(AssertionError) as raised:
        assert_close(cr.tensor([[1.0, 2.0], [3.0, 4.0]]), cr.tensor([[1.0, 2.0], [3.0, 4.5]]))
    message = str(raised.value)
    assert "Mismatched elements: 1 / 4 (25.0%)" in message
    assert "Greatest absolute difference: 0.5 at index (1, 1) (up to 1e-05 allowed)" in message
    with pytest.raises(AssertionError, match=r"'shape' at item \['w'\]"):
        assert_close({"w": cr.ones(2)}, {"w": cr.ones(3)})
    with pytest.raises(AssertionError, match="^custom$"):
        assert_close(cr.ones(1), cr.zeros(1), msg="custom")


def test_bad_calls_are_refused():
    with pytest.raises(ValueError, match="both rtol and atol"):
        assert_close(cr.ones(1), cr.ones(1), rtol=1e-3)
    with pytest.raises(TypeError, match="cannot compare Tensor with list"):
        assert_close(cr.ones(2), [1.0, 1.0])
    assert_close(np.ones(2), np.ones(2))  # NumPy arrays compare like tensors
