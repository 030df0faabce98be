"""The Tensor API: attributes, conversion, repr (PyTorch's), in-place ops and __setitem__, the
functional aliases, and the errors bad input raises."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr

# ---------------------------------------------------------------- attributes


def test_shape_attributes():
    t = cr.zeros(2, 3, 4)
    assert t.shape == (2, 3, 4) and isinstance(t.shape, tuple)
    assert t.dtype == cr.float32
    assert t.ndim == 3 and t.dim() == 3
    assert t.size() == (2, 3, 4)
    assert t.size(1) == 3 and t.size(-1) == 4
    assert t.numel() == 24
    assert len(t) == 2
    with pytest.raises(IndexError, match="out of range"):
        t.size(3)


def test_T_of_a_matrix():
    t = cr.tensor([[1, 2, 3], [4, 5, 6]])
    assert t.T.shape == (3, 2)
    assert t.T.tolist() == [[1, 4], [2, 5], [3, 6]]


def test_item():
    assert cr.tensor(2.5).item() == 2.5 and isinstance(cr.tensor(2.5).item(), float)
    assert cr.tensor([7]).item() == 7 and isinstance(cr.tensor([7]).item(), int)
    assert cr.tensor([[True]]).item() is True
    with pytest.raises(ValueError, match="one element"):
        cr.tensor([1.0, 2.0]).item()


def test_python_conversions():
    t = cr.tensor([3.0])
    assert float(t) == 3.0 and int(t) == 3 and bool(t) is True
    assert [10, 20, 30][cr.tensor(2)] == 30
    assert [row.tolist() for row in cr.tensor([[1, 2], [3, 4]])] == [[1, 2], [3, 4]]
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(cr.tensor([1.0, 2.0]))
    with pytest.raises(TypeError, match="0-d"):
        len(cr.tensor(1.0))


def test_numpy_shares_memory_and_refuses_grad_tensors():
    t = cr.tensor([1.0, 2.0])
    t.numpy()[0] = 5.0
    assert t.tolist() == [5.0, 2.0]
    x = cr.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="detach"):
        x.numpy()
    assert x.detach().numpy().tolist() == [1.0]


def test_tolist():
    assert cr.tensor([[1.5, 2.0]]).tolist() == [[1.5, 2.0]]
    assert cr.tensor(3).tolist() == 3


def test_detach_shares_data_and_leaves_the_graph():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = (x * 2).detach()
    assert not y.requires_grad and y.is_leaf and y.grad_fn is None
    d = x.detach()
    assert np.shares_memory(d.numpy(), x.data)


def test_requires_grad_and_is_leaf():
    x = cr.tensor([1.0, 2.0])
    assert not x.requires_grad
    assert x.requires_grad_() is x and x.requires_grad
    y = x * 3
    assert y.requires_grad and not y.is_leaf and x.is_leaf and y.grad_fn is not None
    with pytest.raises(RuntimeError, match="leaf"):
        y.requires_grad_(False)
    assert x.requires_grad_(False) is x and not x.requires_grad


def test_grad_is_a_tensor_without_history():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    assert x.grad is None
    (x * x).sum().backward()
    assert isinstance(x.grad, cr.Tensor)
    assert not x.grad.requires_grad
    assert x.grad.tolist() == [2.0, 4.0]
    assert (x.grad * 2).tolist() == [4.0, 8.0]
    assert x.grad.norm().item() == pytest.approx(np.sqrt(20.0))


def test_conversions():
    x = cr.tensor([1.5, -2.5], requires_grad=True)
    assert x.float() is x
    assert x.double().dtype == cr.float64
    assert x.long().tolist() == [1, -2]
    assert x.to(cr.float64).dtype == cr.float64


def test_clone_copies_and_keeps_the_graph():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    c = x.clone()
    assert c.requires_grad and not c.is_leaf
    assert not np.shares_memory(c.data, x.data)
    (c * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]
    plain = cr.tensor([1.0])
    copy = plain.clone()
    copy.data[0] = 9.0
    assert plain.item() == 1.0


# ---------------------------------------------------------------- repr, like PyTorch's

REPRS = [
    ("floats_4_decimals", lambda lib: lib.tensor([1.5, 2.25])),
    ("integral_floats", lambda lib: lib.tensor([1.0, 2.0])),
    ("ints", lambda lib: lib.tensor([1, 2, 3])),
    ("bools", lambda lib: lib.tensor([True, False])),
    ("scalar_float", lambda lib: lib.tensor(3.5)),
    ("scalar_integral_float", lambda lib: lib.tensor(3.0)),
    ("scalar_int", lambda lib: lib.tensor(7)),
    ("requires_grad", lambda lib: lib.tensor([0.5, -1.25], requires_grad=True)),
    ("float64_shows_dtype", lambda lib: lib.tensor([1.5, 2.0], dtype=lib.float64)),
    ("float64_scalar", lambda lib: lib.tensor(3.0, dtype=lib.float64)),
    ("int32_shows_dtype", lambda lib: lib.tensor([1, 2], dtype=lib.int32)),
    ("matrix", lambda lib: lib.tensor([[1.0, -2.5], [3.25, 4.0]])),
    ("int_matrix", lambda lib: lib.tensor([[1, 2], [3, 4]])),
    ("rounding", lambda lib: lib.tensor([1.123456, 2.0])),
    ("small_scientific", lambda lib: lib.tensor([1e-5, 1.0])),
    ("wide_range_scientific", lambda lib: lib.tensor([123456.0, 1.5])),
    ("wide_range_integral_scientific", lambda lib: lib.tensor([1e5, 1.0])),
    ("nan_inf", lambda lib: lib.tensor([float("nan"), 1.5, float("inf")])),
    ("empty", lambda lib: lib.tensor([])),
    ("empty_2d", lambda lib: lib.zeros(2, 0)),
    ("arange_matrix", lambda lib: lib.arange(12.0).reshape(3, 4)),
]


@pytest.mark.parametrize(("name", "make"), REPRS, ids=[r[0] for r in REPRS])
def test_repr_matches_torch(name, make):
    torch = pytest.importorskip("torch")
    assert repr(make(cr)) == repr(make(torch)).replace("torch.", "chainrule.")


def test_repr_of_a_graph_tensor_names_its_function():
    """PyTorch prints grad_fn=<MulBackward0>; chainrule names its own Function."""
    y = cr.tensor([1.0, 2.0], requires_grad=True) * 2
    assert repr(y) == "tensor([2., 4.], grad_fn=<MulBackward>)"


def test_repr_by_hand():
    assert repr(cr.tensor([0.5, 2.0])) == "tensor([0.5000, 2.0000])"
    assert repr(cr.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(cr.tensor(True)) == "tensor(True)"


# ---------------------------------------------------------------- in-place ops

INPLACE = [
    ("zero_", lambda t: t.zero_(), [0.0, 0.0, 0.0]),
    ("fill_", lambda t: t.fill_(2.5), [2.5, 2.5, 2.5]),
    ("copy_", lambda t: t.copy_(cr.tensor([7.0, 8.0, 9.0])), [7.0, 8.0, 9.0]),
    ("copy_broadcast", lambda t: t.copy_(cr.tensor(4.0)), [4.0, 4.0, 4.0]),
    ("add_", lambda t: t.add_(cr.tensor([1.0, 1.0, 1.0])), [2.0, 3.0, 4.0]),
    ("add_alpha", lambda t: t.add_(cr.tensor([1.0, 2.0, 3.0]), alpha=-0.5), [0.5, 1.0, 1.5]),
    ("add_scalar", lambda t: t.add_(10), [11.0, 12.0, 13.0]),
    ("sub_", lambda t: t.sub_(cr.tensor([1.0, 1.0, 1.0])), [0.0, 1.0, 2.0]),
    ("sub_alpha", lambda t: t.sub_(1.0, alpha=2), [-1.0, 0.0, 1.0]),
    ("mul_", lambda t: t.mul_(cr.tensor([2.0, 0.5, -1.0])), [2.0, 1.0, -3.0]),
    ("mul_scalar", lambda t: t.mul_(3), [3.0, 6.0, 9.0]),
    ("div_", lambda t: t.div_(2), [0.5, 1.0, 1.5]),
]


@pytest.mark.parametrize(("name", "op", "want"), INPLACE, ids=[i[0] for i in INPLACE])
def test_inplace_on_a_plain_tensor(name, op, want):
    t = cr.tensor([1.0, 2.0, 3.0])
    assert op(t) is t
    assert t.tolist() == want
    assert t.dtype == cr.float32


@pytest.mark.parametrize(("name", "op", "want"), INPLACE, ids=[i[0] for i in INPLACE])
def test_inplace_on_a_grad_leaf_under_no_grad(name, op, want):
    t = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with cr.no_grad():
        assert op(t) is t
    assert t.tolist() == want
    assert t.requires_grad and t.is_leaf and t.grad_fn is None


@pytest.mark.parametrize(("name", "op", "want"), INPLACE, ids=[i[0] for i in INPLACE])
def test_inplace_on_a_grad_leaf_is_refused_in_grad_mode(name, op, want):
    t = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="no_grad"):
        op(t)
    assert t.tolist() == [1.0, 2.0, 3.0]


def test_inplace_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"add_.*\(4,\).*\(2, 3\)"):
        cr.ones(2, 3).add_(cr.ones(4))
    with pytest.raises(ValueError, match=r"mul_.*\(2, 3\).*\(3,\)"):
        cr.ones(3).mul_(cr.ones(2, 3))
    with pytest.raises(ValueError, match=r"copy_.*\(4,\).*\(2, 3\)"):
        cr.ones(2, 3).copy_(cr.ones(4))


def test_inplace_keeps_float32():
    t = cr.ones(3)
    t.add_(np.ones(3, dtype=np.float64))
    t.mul_(np.float64(2.0))
    assert t.dtype == cr.float32 and t.tolist() == [4.0, 4.0, 4.0]


# ---------------------------------------------------------------- __setitem__


def setitem(t, index, value):
    t[index] = value
    return t


def test_setitem_on_a_tensor_without_grad():
    t = cr.zeros(3, 4)
    setitem(t, 0, 1.0)
    setitem(t, (slice(None), 1), cr.tensor([5.0, 6.0, 7.0]))
    setitem(t, (2, slice(2, None)), np.array([8.0, 9.0]))
    want = np.zeros((3, 4), np.float32)
    want[0] = 1.0
    want[:, 1] = [5.0, 6.0, 7.0]
    want[2, 2:] = [8.0, 9.0]
    np.testing.assert_array_equal(t.numpy(), want)


def test_setitem_with_masks_and_index_arrays():
    t = cr.tensor([[-1.0, 2.0], [3.0, -4.0]])
    setitem(t, t < 0, 0.0)
    assert t.tolist() == [[0.0, 2.0], [3.0, 0.0]]
    setitem(t, [0, 1], cr.tensor([9.0, 8.0]))
    assert t.tolist() == [[9.0, 8.0], [9.0, 8.0]]
    setitem(t, (cr.tensor([0, 1]), cr.tensor([1, 0])), -1.0)
    assert t.tolist() == [[9.0, -1.0], [-1.0, 8.0]]


def test_setitem_on_a_grad_leaf():
    x = cr.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="no_grad"):
        setitem(x, 0, 1.0)
    with cr.no_grad():
        setitem(x, 0, 1.0)
    assert x.tolist() == [1.0, 0.0, 0.0] and x.requires_grad and x.is_leaf


def test_setitem_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(5,\).*\(3,\)"):
        setitem(cr.zeros(2, 3), 0, np.ones(5))


# ---------------------------------------------------------------- functional aliases

FUNCTIONAL = ["exp", "log", "log1p", "sqrt", "rsqrt", "abs", "sign", "sin", "cos", "tanh",
              "sigmoid", "relu"]


@pytest.mark.parametrize("name", FUNCTIONAL)
def test_functional_alias_equals_method(name):
    x = cr.tensor([0.5, 1.5, 2.0])
    np.testing.assert_array_equal(getattr(cr, name)(x).numpy(), getattr(x, name)().numpy())


def test_functional_reductions_and_softmax_equal_methods():
    x = cr.tensor([[0.5, -1.5, 2.0], [1.0, 0.0, -2.0]])
    pairs = [
        (cr.sum(x, 1), x.sum(1)),
        (cr.mean(x, 0, keepdim=True), x.mean(0, keepdim=True)),
        (cr.softmax(x, 1), x.softmax(1)),
        (cr.log_softmax(x, 0), x.log_softmax(0)),
        (cr.logsumexp(x, 1), x.logsumexp(1)),
        (cr.clamp(x, -1, 1), x.clamp(-1, 1)),
        (cr.clip(x, max=0.0), x.clip(max=0.0)),
        (cr.maximum(x, x.T.sum(1)), x.maximum(x.T.sum(1))),
        (cr.minimum(x, 0.5), x.minimum(0.5)),
        (cr.pow(x, 2), x**2),
        (cr.matmul(x, x.T), x @ x.T),
        (cr.functional.softplus(x), x.softplus()),
    ]
    for got, want in pairs:
        np.testing.assert_array_equal(got.numpy(), want.numpy())


# ---------------------------------------------------------------- bad input

SHAPE_ERRORS = [
    ("add", lambda a, b: a + b),
    ("sub", lambda a, b: a - b),
    ("mul", lambda a, b: a * b),
    ("div", lambda a, b: a / b),
    ("pow", lambda a, b: a**b),
    ("remainder", lambda a, b: a % b),
    ("floor_divide", lambda a, b: a // b),
    ("maximum", lambda a, b: a.maximum(b)),
    ("minimum", lambda a, b: a.minimum(b)),
    ("eq", lambda a, b: a == b),
    ("lt", lambda a, b: a < b),
    ("where", lambda a, b: cr.where(a > 0, a, b)),
]


@pytest.mark.parametrize(("name", "op"), SHAPE_ERRORS, ids=[e[0] for e in SHAPE_ERRORS])
@pytest.mark.parametrize("requires_grad", [False, True])
def test_incompatible_shapes_raise_value_error(name, op, requires_grad):
    a = cr.ones(2, 3, requires_grad=requires_grad)
    b = cr.ones(4, requires_grad=requires_grad)
    with pytest.raises(ValueError, match=rf"{name}.*\(2, 3\).*\(4,\)") as info:
        op(a, b)
    assert "operands could not be broadcast" not in str(info.value)


MATMUL_ERRORS = [
    ((2, 3), (4, 5)),
    ((3,), (4,)),
    ((2, 3), (4,)),
    ((4,), (3, 5)),
    ((2, 3, 4), (3, 4, 5)),
    ((2, 2, 3), (4, 5)),
    ((3,), ()),
]


@pytest.mark.parametrize(("shape_a", "shape_b"), MATMUL_ERRORS)
def test_matmul_mismatch_names_both_shapes(shape_a, shape_b):
    a, b = cr.ones(shape_a, requires_grad=True), cr.ones(shape_b)
    with pytest.raises(ValueError, match="matmul") as info:
        a @ b
    assert str(shape_a) in str(info.value) and str(shape_b) in str(info.value)


def test_other_shape_errors():
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(4, 2\)"):
        cr.ones(2, 3).reshape(4, 2)
    with pytest.raises(ValueError, match="cat"):
        cr.cat([cr.ones(2, 3), cr.ones(2, 4)])
    with pytest.raises(ValueError, match="stack"):
        cr.stack([cr.ones(2), cr.ones(3)])
    with pytest.raises(ValueError, match="broadcast_to"):
        cr.ones(3).broadcast_to((2, 4))
    with pytest.raises(IndexError, match="out of range"):
        cr.ones(2, 3).sum(dim=2)
    with pytest.raises(IndexError, match=r"\(2, 3\)"):
        cr.ones(2, 3)[5]
