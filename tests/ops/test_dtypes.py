"""dtypes: the supported set, conversions between them, and the TypeError for everything else
(complex, object, strings), which names the dtype instead of letting a NumPy error through."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr

SUPPORTED = [
    (cr.float32, "float32"),
    (cr.float64, "float64"),
    (cr.int64, "int64"),
    (cr.int32, "int32"),
    (cr.bool, "bool"),
]


@pytest.mark.parametrize(("dtype", "name"), SUPPORTED, ids=[n for _, n in SUPPORTED])
def test_dtype_objects_are_numpy_dtypes(dtype, name):
    assert dtype == np.dtype(name)
    assert dtype.name == name


def test_torch_style_aliases():
    assert cr.double == cr.float64
    assert cr.long == cr.int64
    assert cr.half == cr.float16
    assert cr.bool_ == cr.bool


@pytest.mark.parametrize(("dtype", "name"), SUPPORTED, ids=[n for _, n in SUPPORTED])
def test_tensors_of_each_dtype(dtype, name):
    t = cr.tensor([0, 1, 2], dtype=dtype)
    assert t.dtype == dtype
    np.testing.assert_array_equal(t.numpy(), np.array([0, 1, 2]).astype(name))
    assert cr.zeros(2, dtype=dtype).dtype == dtype
    assert cr.ones(2, dtype=name).dtype == dtype


@pytest.mark.parametrize(("source", "target"), [
    (s, t) for s, _ in SUPPORTED for t, _ in SUPPORTED
], ids=[f"{a}-to-{b}" for _, a in SUPPORTED for _, b in SUPPORTED])
def test_to_converts_values_like_numpy(source, target):
    values = np.array([0.0, 1.0, 2.75, -3.5])
    t = cr.tensor(values.astype(source)).to(target)
    assert t.dtype == target
    np.testing.assert_array_equal(t.numpy(), values.astype(source).astype(target))


def test_named_conversions():
    t = cr.tensor([1.5, -2.5], dtype=cr.float64)
    assert t.float().dtype == cr.float32
    assert t.double().dtype == cr.float64
    assert t.long().dtype == cr.int64 and t.long().tolist() == [1, -2]
    assert t.int().dtype == cr.int32
    assert t.bool().dtype == cr.bool and t.bool().tolist() == [True, True]
    assert t.to("float32").dtype == cr.float32
    assert t.to(float).dtype == cr.float64


def test_to_same_dtype_returns_self_and_float_cast_keeps_the_graph():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    assert x.to(cr.float32) is x
    y = x.double()
    assert y.dtype == cr.float64 and y.requires_grad and not y.is_leaf
    (y * y).sum().backward()
    assert x.grad.dtype == cr.float32
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0])


def test_integer_cast_leaves_the_graph():
    x = cr.tensor([1.5, 2.5], requires_grad=True)
    assert not x.long().requires_grad


def test_only_floating_tensors_require_grad():
    for dtype in (cr.int64, cr.int32, cr.bool):
        with pytest.raises(TypeError, match=dtype.name):
            cr.tensor([1, 0], dtype=dtype, requires_grad=True)
        with pytest.raises(TypeError, match=dtype.name):
            cr.zeros(2, dtype=dtype).requires_grad_()


# ---------------------------------------------------------------- unsupported dtypes

UNSUPPORTED = [
    ("complex_data", lambda: cr.tensor([1 + 2j]), "complex128"),
    ("complex_array", lambda: cr.tensor(np.ones(2, dtype=np.complex64)), "complex64"),
    ("complex_dtype_arg", lambda: cr.tensor([1.0], dtype=np.complex64), "complex64"),
    ("complex_zeros", lambda: cr.zeros(2, dtype=np.complex128), "complex128"),
    ("complex_to", lambda: cr.ones(2).to(np.complex128), "complex128"),
    ("complex_from_numpy", lambda: cr.from_numpy(np.ones(2, dtype=complex)), "complex128"),
    ("complex_scalar_operand", lambda: cr.ones(2) * 1j, "complex128"),
    ("complex_numpy_scalar_operand", lambda: cr.ones(2) + np.complex64(1j), "complex64"),
    ("complex_exponent", lambda: cr.ones(2) ** 2j, "complex128"),
    ("object_array", lambda: cr.tensor(np.array([1, None], dtype=object)), "object"),
    ("object_from_numpy", lambda: cr.from_numpy(np.array([None])), "object"),
    ("none_operand", lambda: cr.ones(2) + None, "object"),
    ("strings", lambda: cr.tensor(["a", "b"]), "str"),
    ("bytes", lambda: cr.tensor(np.array([b"x"])), "bytes"),
    ("string_operand", lambda: cr.ones(2) + "a", "str"),
    ("string_dtype_arg", lambda: cr.zeros(2, dtype="U3"), "str"),
]


@pytest.mark.parametrize(("name", "make", "dtype"), UNSUPPORTED, ids=[u[0] for u in UNSUPPORTED])
def test_unsupported_dtype_raises_type_error_naming_it(name, make, dtype):
    with pytest.raises(TypeError, match=f"unsupported dtype '{dtype}"):
        make()


BOOL_REFUSERS = {
    "relu": lambda lib, t: lib.relu(t),
    "relu_": lambda lib, t: t.clone().relu_(),
    "F.relu": lambda lib, t: lib.nn.functional.relu(t),
    "nn.ReLU": lambda lib, t: lib.nn.ReLU()(t),
    "abs": lambda lib, t: lib.abs(t),
}


@pytest.mark.parametrize("name", BOOL_REFUSERS)
def test_relu_and_abs_refuse_bool_tensors_by_name(name):
    op = BOOL_REFUSERS[name]
    with pytest.raises(TypeError, match=name.split(".")[-1].lower().rstrip("_") + ".*bool"):
        op(cr, cr.tensor([True, False]))
    assert op(cr, cr.tensor([-2, 3])).tolist() == ([0, 3] if "relu" in name.lower() else [2, 3])


@pytest.mark.parametrize("name", BOOL_REFUSERS)
def test_torch_refuses_the_same_bool_inputs(name):
    torch = pytest.importorskip("torch")
    with pytest.raises((RuntimeError, NotImplementedError)):
        BOOL_REFUSERS[name](torch, torch.tensor([True, False]))
