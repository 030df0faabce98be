"""The in-place twins generated in ``methods.inplace`` (``acos_``, ``eq_``, ``swapaxes_`` ...):
each writes what its out-of-place method returns into the tensor itself, as PyTorch's does."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.methods.inplace import CAST_TWINS, TWINS, VIEW_TWINS

RNG = np.random.default_rng(0)
UNIT = RNG.uniform(0.1, 0.9, (2, 3))  # inside every unary op's domain (acos, logit, erfinv ...)
OTHER = RNG.uniform(0.2, 1.5, (2, 3))
MIXED = np.where(RNG.random((2, 3)) < 0.5, UNIT, OTHER)  # some equal to UNIT, for eq ...
INTS, OTHER_INTS = np.array([[3, 5, 6], [1, 0, 7]]), np.array([[1, 4, 2], [3, 3, 7]])

# name -> (self's values, positional arguments as a function of the library)
SPECIAL = {
    "acosh": (1.0 + UNIT, lambda lib: ()),
    "addmm": (UNIT, lambda lib: (lib.tensor(OTHER[:, :2]), lib.tensor(UNIT[:2]))),
    "clip": (UNIT, lambda lib: (0.3, 0.6)),
    "cumprod": (UNIT, lambda lib: (1,)),
    "cumsum": (UNIT, lambda lib: (0,)),
    "float_power": (UNIT, lambda lib: (2.5,)),
    "swapaxes": (UNIT, lambda lib: (0, 1)),
    "swapdims": (UNIT, lambda lib: (1, 0)),
}
BINARY = {"atan2", "copysign", "divide", "floor_divide", "hypot", "multiply", "subtract",
          "true_divide", "xlogy", *CAST_TWINS} - {"logical_not"}
INTEGER = {"bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not"}


def case(name: str, lib) -> tuple[np.ndarray, tuple]:
    if name in SPECIAL:
        values, args = SPECIAL[name]
        return values, args(lib)
    if name in INTEGER:
        return INTS, () if name == "bitwise_not" else (lib.tensor(OTHER_INTS),)
    if name in BINARY:
        return UNIT, (lib.tensor(MIXED),)
    return UNIT, ()


ALL = sorted(TWINS + CAST_TWINS + list(VIEW_TWINS))


@pytest.mark.parametrize("name", ALL)
def test_the_twin_writes_the_out_of_place_result_into_the_tensor(name):
    values, args = case(name, cr)
    x = cr.tensor(values)
    expected = getattr(cr.tensor(values), name)(*args)
    assert getattr(x, name + "_")(*args) is x
    if name in CAST_TWINS:
        expected = expected.to(x.dtype)
    assert x.shape == expected.shape and x.dtype == expected.dtype
    np.testing.assert_array_equal(x.numpy(), expected.numpy())


@pytest.mark.parametrize("name", ALL)
def test_the_twin_gives_torchs_values(name):
    torch = pytest.importorskip("torch")
    values, ours_args = case(name, cr)
    _, theirs_args = case(name, torch)
    ours, theirs = cr.tensor(values), torch.tensor(values)
    getattr(ours, name + "_")(*ours_args)
    getattr(theirs, name + "_")(*theirs_args)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")


def test_a_recorded_twin_carries_the_gradient():
    leaf = cr.tensor(UNIT, requires_grad=True)
    hidden = leaf * 1.0
    hidden.log1p_()
    hidden.sum().backward()
    np.testing.assert_allclose(leaf.grad.numpy(), 1 / (1 + UNIT), rtol=1e-12)
    with pytest.raises(RuntimeError, match="acos_"):
        cr.tensor(UNIT, requires_grad=True).acos_()


def test_a_result_of_another_dtype_is_refused():
    with pytest.raises(RuntimeError, match="float_power_: the result is float64"):
        cr.tensor(UNIT, dtype=cr.float32).float_power_(2.0)
