"""PyTorch's promotion with 0-d operands: a tensor with dimensions outranks a 0-d tensor (or
array) of the same kind, which outranks a Python scalar; a 0-d operand of a higher kind wins.
The result dtype is decided before NumPy runs, so NumPy 1's value-based casting and NumPy 2's
NEP 50 give the same answers."""

from __future__ import annotations

import operator

import numpy as np
import pytest

import chainrule as cr
from chainrule import dtypes

BINARY = {
    "add": operator.add, "sub": operator.sub, "mul": operator.mul, "div": operator.truediv,
    "pow": operator.pow,
}
COMPARE = {"eq": operator.eq, "lt": operator.lt, "ge": operator.ge}

# (dimensioned dtype, 0-d dtype, expected result): PyTorch's table.
CASES = [
    (cr.float32, cr.float64, cr.float32),
    (cr.float16, cr.float64, cr.float16),
    (cr.float64, cr.float32, cr.float64),
    (cr.int32, cr.int64, cr.int32),
    (cr.int8, cr.int64, cr.int8),
    (cr.int32, cr.float64, cr.float64),  # a 0-d operand of a higher kind wins
    (cr.bool, cr.int64, cr.int64),
    (cr.bool, cr.float32, cr.float32),
]


def operands(dimensioned, zero_dim):
    a = cr.tensor([1, 2, 3], dtype=dimensioned)
    b = cr.tensor(2, dtype=zero_dim)
    return a, b


@pytest.mark.parametrize("dimensioned, zero_dim, expected", CASES)
def test_promote_ranks_a_zero_dim_operand_below_a_dimensioned_one(dimensioned, zero_dim,
                                                                   expected):
    assert dtypes.promote(dimensioned, zero_dim, False, True) == expected
    assert dtypes.promote(zero_dim, dimensioned, True, False) == expected
    assert dtypes.promote(zero_dim, dimensioned, True, True) == dtypes.promote(zero_dim,
                                                                              dimensioned)


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("zero_dim_kind", ["tensor", "array"])
def test_a_zero_dim_float64_operand_keeps_a_float32_tensor_float32(name, zero_dim_kind):
    a = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = cr.tensor(2.0, dtype=cr.float64) if zero_dim_kind == "tensor" else np.array(2.0)
    for out in (BINARY[name](a, b), BINARY[name](b, a)):
        assert out.dtype == cr.float32, name
    out = BINARY[name](a, b)
    expected = BINARY[name](a.detach().numpy().astype(np.float64), 2.0).astype(np.float32)
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-6)
    out.sum().backward()
    assert a.grad.dtype == cr.float32


def test_maximum_with_a_zero_dim_float64_tensor_stays_float32():
    a = cr.tensor([1.0, 3.0])
    out = a.maximum(cr.tensor(2.0, dtype=cr.float64))
    assert out.dtype == cr.float32 and out.tolist() == [2.0, 3.0]


def test_the_gradient_of_a_zero_dim_float64_operand_stays_float64():
    a = cr.tensor([1.0, 2.0, 3.0])
    b = cr.tensor(2.0, dtype=cr.float64, requires_grad=True)
    (a * b).sum().backward()
    assert b.grad.dtype == cr.float64 and b.grad.item() == 6.0


@pytest.mark.parametrize("name", sorted(COMPARE))
def test_comparisons_run_in_the_promoted_dtype(name):
    a = cr.tensor([0.1, 0.2], dtype=cr.float32)
    b = cr.tensor(0.1, dtype=cr.float64)
    expected = COMPARE[name](np.float32([0.1, 0.2]), np.float32(0.1))
    np.testing.assert_array_equal(COMPARE[name](a, b).numpy(), expected)


def test_where_ranks_a_zero_dim_operand_below_a_dimensioned_one():
    cond = cr.tensor([True, False])
    a, b = cr.tensor([1.0, 2.0]), cr.tensor(5.0, dtype=cr.float64)
    assert cr.where(cond, a, b).dtype == cr.float32
    assert cr.where(cond, b, a).dtype == cr.float32
    assert cr.where(cond, b, a).tolist() == [5.0, 2.0]


# PyTorch refuses to subtract bool tensors, so that pair has nothing to compare with.
TORCH_CASES = [(*case, name) for case in CASES for name in ["add", "sub", "mul", "div", "eq", "lt"]
               if not (name == "sub" and case[0] == cr.bool)]


@pytest.mark.parametrize("dimensioned, zero_dim, expected, name", TORCH_CASES)
def test_result_dtypes_match_torch(dimensioned, zero_dim, expected, name):
    torch = pytest.importorskip("torch")
    op = {**BINARY, **COMPARE}[name]
    a, b = operands(dimensioned, zero_dim)
    ta, tb = (torch.from_numpy(np.array(t.numpy())) for t in (a, b))
    for ours, theirs in ((op(a, b), op(ta, tb)), (op(b, a), op(tb, ta))):
        assert str(theirs.dtype) == f"torch.{ours.dtype.name}" or (
            ours.dtype == cr.bool and theirs.dtype == torch.bool)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
