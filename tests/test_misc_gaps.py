"""Small PyTorch gaps closed together: ``Tensor.prelu`` (which ``F.prelu`` calls),
``angle``, the in-place products ``addmv_``, ``addr_``, ``addbmm_``, ``baddbmm_``,
``chainrule.gradient`` (finite differences), and the gradient of the median of a tensor that
holds NaN. Values and gradients against PyTorch in float64, gradchecks, dtypes and errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

import chainrule as cr
import chainrule.functional as F
from tests.optional import needs_torch, torch

RNG = np.random.default_rng(2026)
NAN = math.nan


def both(array, requires_grad=True):
    """The same float64 values as a chainrule and a torch tensor."""
    return (cr.tensor(array, dtype=cr.float64, requires_grad=requires_grad),
            torch.tensor(array, dtype=torch.float64, requires_grad=requires_grad))


def assert_same(ours, theirs, rtol=1e-12, atol=1e-14):
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=rtol,
                               atol=atol)


def backward_both(ours, theirs, seed=0):
    """Backward on both with the same random upstream gradient."""
    upstream = np.random.default_rng(seed).standard_normal(tuple(theirs.shape))
    ours.backward(cr.tensor(upstream, dtype=ours.dtype))
    theirs.backward(torch.tensor(upstream, dtype=theirs.dtype))


# ---------------------------------------------------------------- prelu


@needs_torch
@pytest.mark.parametrize(("shape", "channels"), [
    ((2, 3, 4), 3), ((2, 3, 4), 1), ((2, 3), 3), ((5,), 1), ((), 1), ((4,), 0)])
def test_prelu_method_matches_torch_values_and_gradients(shape, channels):
    x = RNG.standard_normal(shape)
    if x.size:
        x.flat[0] = 0.0  # the kink: the slope there, as torch
    w = RNG.uniform(-1, 1, channels) if channels else np.array(0.3)
    (xc, xt), (wc, wt) = both(x), both(w)
    ours, theirs = xc.prelu(wc), xt.prelu(wt)
    assert_same(ours, theirs)
    backward_both(ours, theirs)
    assert_same(xc.grad, xt.grad)
    assert_same(wc.grad, wt.grad)


def test_prelu_gradcheck_and_functional_form_agree():
    x = cr.tensor(RNG.standard_normal((2, 3, 2)), requires_grad=True)
    w = cr.tensor(RNG.uniform(-1, 1, 3), requires_grad=True)
    assert cr.gradcheck(lambda a, b: a.prelu(b), (x, w))
    np.testing.assert_array_equal(F.prelu(x, w).detach().numpy(), x.prelu(w).detach().numpy())
    assert cr.tensor([-2, 3]).prelu(cr.tensor([0.5])).dtype == cr.float32  # ints give floats


def test_prelu_errors():
    x = cr.zeros(2, 3)
    with pytest.raises(RuntimeError, match="prelu: weight has 2 slopes but the input has 3 "
                                           "channels"):
        x.prelu(cr.ones(2))
    with pytest.raises(RuntimeError, match="prelu: weight must be a 0-d or 1-d tensor, got 2"):
        x.prelu(cr.ones(1, 3))
    with pytest.raises(TypeError, match="prelu: weight must be a tensor, got float"):
        x.prelu(0.25)


# ---------------------------------------------------------------- angle


@needs_torch
def test_angle_matches_torch_with_its_zero_gradient():
    values = [-2.0, -0.0, 0.0, 3.0, NAN, -math.inf, math.inf, -1e-300]
    xc, xt = both(values)
    ours, theirs = xc.angle(), xt.angle()
    assert_same(ours, theirs)
    assert ours.requires_grad and theirs.requires_grad
    backward_both(ours, theirs)
    np.testing.assert_array_equal(xc.grad.numpy(), xt.grad.numpy())
    assert_same(cr.angle(xc), torch.angle(xt))


@needs_torch
@pytest.mark.parametrize("dtype", ["int64", "uint8", "bool", "float16", "float32"])
def test_angle_dtypes_as_torch(dtype):
    values = [True, False] if dtype == "bool" else [3, 0, 1] if dtype == "uint8" else [-1, 0, 2]
    ours = cr.tensor(values, dtype=getattr(cr, dtype if dtype != "bool" else "bool_")).angle()
    theirs = torch.tensor(values, dtype=getattr(torch, dtype)).angle()
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    np.testing.assert_allclose(ours.numpy().astype(np.float64),
                               theirs.numpy().astype(np.float64), rtol=1e-3)


def test_angle_refuses_out_and_keeps_0d():
    assert cr.angle(cr.tensor(-1.0)).shape == ()
    with pytest.raises(TypeError, match="angle: out= is not supported"):
        cr.angle(cr.ones(2), out=cr.ones(2))


# ---------------------------------------------------------------- in-place products


def _operands(name):
    """(self's shape, operand shapes) for each in-place product."""
    return {"addmv": ((3,), [(3, 4), (4,)]), "addr": ((3, 4), [(3,), (4,)]),
            "addbmm": ((3, 5), [(2, 3, 4), (2, 4, 5)]),
            "baddbmm": ((2, 3, 5), [(2, 3, 4), (2, 4, 5)])}[name]


@needs_torch
@pytest.mark.parametrize("name", ["addmv", "addr", "addbmm", "baddbmm"])
@pytest.mark.parametrize(("beta", "alpha"), [(1, 1), (0.5, -2.0), (0, 3.0)])
def test_inplace_products_match_torch_values_and_gradients(name, beta, alpha):
    shape, shapes = _operands(name)
    base = RNG.standard_normal(shape)
    args = [RNG.standard_normal(s) for s in shapes]
    pairs = [both(a) for a in [base, *args]]
    (bc, bt), rest = pairs[0], pairs[1:]
    # torch changes only non-leaf tensors in place while recording: clone first, on both
    sc, st = bc.clone(), bt.clone()
    out_c = getattr(sc, name + "_")(*[c for c, _ in rest], beta=beta, alpha=alpha)
    out_t = getattr(st, name + "_")(*[t for _, t in rest], beta=beta, alpha=alpha)
    assert out_c is sc and out_t is st
    assert_same(sc, st)
    backward_both(sc, st)
    for c, t in pairs:
        # NOTE: with β = 0 self takes no part (chainrule leaves its .grad None; torch's is 0)
        ours = c.grad if c.grad is not None else cr.zeros(*c.shape, dtype=cr.float64)
        assert_same(ours, t.grad)


@pytest.mark.parametrize("name", ["addmv", "addr", "addbmm", "baddbmm"])
def test_inplace_products_write_into_self_and_gradcheck(name):
    shape, shapes = _operands(name)
    base = cr.tensor(RNG.standard_normal(shape), requires_grad=True)
    args = [cr.tensor(RNG.standard_normal(s), requires_grad=True) for s in shapes]

    def fn(b, *ops):
        return getattr(b.clone(), name + "_")(*ops, beta=0.5, alpha=2.0)

    assert cr.gradcheck(fn, (base, *args))
    plain = cr.tensor(RNG.standard_normal(shape))
    view = plain.numpy()
    want = getattr(plain, name)(*[a.detach() for a in args], beta=0.5, alpha=2.0).numpy()
    with cr.no_grad():
        getattr(plain, name + "_")(*[a.detach() for a in args], beta=0.5, alpha=2.0)
    np.testing.assert_allclose(view, want, rtol=1e-12)  # the same memory holds the result


def test_inplace_products_errors():
    with pytest.raises(ValueError, match="addr_: the result has shape \\(3, 4\\), but an "
                                         "in-place result keeps the shape \\(1, 4\\)"):
        cr.zeros(1, 4).addr_(cr.ones(3), cr.ones(4))
    with pytest.raises(TypeError, match="addmv: the inputs must have the same dtype"):
        cr.zeros(3, dtype=cr.int64).addmv_(cr.ones(3, 2), cr.ones(2))
    with pytest.raises(RuntimeError, match="addbmm_: in-place change of a leaf tensor that "
                                           "requires grad"):
        cr.zeros(3, 5, requires_grad=True).addbmm_(cr.ones(2, 3, 4), cr.ones(2, 4, 5))
    with pytest.raises(ValueError, match="matmul: shapes"):
        cr.zeros(2, 3, 4).baddbmm_(cr.ones(2, 3, 5), cr.ones(2, 4, 4))


# ---------------------------------------------------------------- gradient

F_SAMPLES = RNG.standard_normal((5, 4, 3))
X0 = np.cumsum(RNG.uniform(0.2, 1.2, 5))
X2 = np.cumsum(RNG.uniform(0.2, 1.2, 3))


def _spacing(kind, lib):
    make = (lambda a: cr.tensor(a, dtype=cr.float64)) if lib == "cr" else \
        (lambda a: torch.tensor(a, dtype=torch.float64))
    return {"default": {}, "scalar": {"spacing": 0.7}, "int": {"spacing": 2},
            "list": {"spacing": [0.5, 2.0, -3.0]},
            "coordinates": {"spacing": [make(X0), make(X2)], "dim": [0, -1]},
            "one dim": {"spacing": [make(X2)], "dim": 2},
            "dim int": {"dim": 1}, "dim list": {"dim": [2, 0], "spacing": [1.5, 0.25]}}[kind]


@needs_torch
@pytest.mark.parametrize("edge_order", [1, 2])
@pytest.mark.parametrize("kind", ["default", "scalar", "int", "list", "coordinates", "one dim",
                                  "dim int", "dim list"])
def test_gradient_matches_torch_values_and_gradients(kind, edge_order):
    fc, ft = both(F_SAMPLES)
    ours = cr.gradient(fc, edge_order=edge_order, **_spacing(kind, "cr"))
    theirs = torch.gradient(ft, edge_order=edge_order, **_spacing(kind, "torch"))
    assert isinstance(ours, tuple) and len(ours) == len(theirs)
    for o, t in zip(ours, theirs):
        assert_same(o, t)
    upstream = [RNG.standard_normal(t.shape) for t in theirs]
    sum(((o * cr.tensor(u)).sum() for o, u in zip(ours, upstream)), cr.tensor(0.0)).backward()
    sum((t * torch.tensor(u)).sum() for t, u in zip(theirs, upstream)).backward()
    assert_same(fc.grad, ft.grad)


@needs_torch
@pytest.mark.parametrize("edge_order", [1, 2])
def test_gradient_flows_to_coordinates_as_in_torch(edge_order):
    (fc, ft), (xc, xt) = both(F_SAMPLES[:, 0, 0]), both(X0)
    (ours,) = cr.gradient(fc, spacing=[xc], edge_order=edge_order)
    (theirs,) = torch.gradient(ft, spacing=[xt], edge_order=edge_order)
    assert_same(ours, theirs)
    backward_both(ours, theirs, seed=3)
    assert_same(xc.grad, xt.grad, rtol=1e-10)
    assert_same(fc.grad, ft.grad, rtol=1e-10)


@pytest.mark.parametrize("order", [1, 2])
def test_gradient_gradcheck_through_samples_and_coordinates(order):
    f = cr.tensor(RNG.standard_normal((4, 3)), requires_grad=True)
    x = cr.tensor(np.cumsum(RNG.uniform(0.5, 1.5, 4)), requires_grad=True)
    assert cr.gradcheck(lambda a, b: cr.gradient(a, spacing=[b], dim=0, edge_order=order),
                        (f, x))
    assert cr.gradcheck(lambda a: cr.gradient(a, spacing=[0.5, 2.0], edge_order=order), (f,))


@needs_torch
@pytest.mark.parametrize(("values", "kwargs"), [
    (np.arange(5), {"spacing": 2}),
    (np.arange(5) ** 2, {}),
    (np.arange(5), {"spacing": "int coordinates"}),
    (np.arange(4.0, dtype=np.float32) ** 2, {"spacing": "float64 coordinates"}),
    (np.arange(4.0, dtype=np.float16), {"spacing": 0.5}),
    (np.ones((2, 0)), {"dim": 0}),
])
def test_gradient_dtypes_as_torch(values, kwargs):
    def spacing(lib):
        what = kwargs.get("spacing")
        if what == "int coordinates":
            return {"spacing": [lib.tensor([0, 1, 2, 4, 8])]}
        if what == "float64 coordinates":
            return {"spacing": [lib.tensor([0.0, 1.0, 3.0, 4.0], dtype=lib.float64)]}
        return {k: v for k, v in kwargs.items()}

    ours = cr.gradient(cr.tensor(values), **spacing(cr))
    theirs = torch.gradient(torch.tensor(values), **spacing(torch))
    for o, t in zip(ours, theirs):
        assert str(o.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
        np.testing.assert_allclose(o.numpy().astype(np.float64),
                                   t.numpy().astype(np.float64), rtol=1e-6)
    assert cr.gradient(cr.tensor(1.0)) == () and torch.gradient(torch.tensor(1.0)) == ()


@pytest.mark.parametrize(("call", "error", "match"), [
    (lambda f: cr.gradient(f, edge_order=3), RuntimeError,
     "only edge_order=1 and edge_order=2 are supported, got 3"),
    (lambda f: cr.gradient(f, edge_order=1.0), TypeError, "edge_order must be an int, got float"),
    (lambda f: cr.gradient(f[:2], edge_order=2), RuntimeError,
     "at least edge_order\\+1 = 3, but dimension 0 of shape \\(2, 4\\) has 2"),
    (lambda f: cr.gradient(f[:1]), RuntimeError, "at least edge_order\\+1 = 2"),
    (lambda f: cr.gradient(f, spacing=[1.0]), RuntimeError,
     "list of length equal to input.dim\\(\\) = 2, since dim is not given, but got a list of "
     "length 1"),
    (lambda f: cr.gradient(f, spacing=[1.0, 2.0], dim=1), RuntimeError,
     "equal to the length 1 of dim, but got a list of length 2"),
    (lambda f: cr.gradient(f, spacing=[cr.arange(3.0), cr.arange(4.0)]), RuntimeError,
     "the coordinates for dimension 0 hold 3 values, but that dimension has size 5"),
    (lambda f: cr.gradient(f, spacing=[cr.ones(5, 1), cr.arange(4.0)]), RuntimeError,
     "each element of spacing to be a 1-D tensor of coordinates, but got one with 2"),
    (lambda f: cr.gradient(f, spacing=[1.0, cr.arange(4.0)]), TypeError,
     "only numbers or only tensors"),
    (lambda f: cr.gradient(f, spacing="a"), TypeError, "spacing must be a number, a list"),
    (lambda f: cr.gradient(f, spacing=cr.tensor(2.0, requires_grad=True)), TypeError,
     "a 0-d spacing that requires grad"),
    (lambda f: cr.gradient(f, dim=[0, -2]), RuntimeError, "dim 0 appears multiple times"),
    (lambda f: cr.gradient(f, dim=2), IndexError, "out of range"),
    (lambda f: cr.gradient(cr.tensor(1.0), dim=0), IndexError, "the tensor has no dimensions"),
    (lambda f: cr.gradient(cr.tensor([True, False, True])), RuntimeError, "bool tensor"),
])
def test_gradient_errors(call, error, match):
    with pytest.raises(error, match=match):
        call(cr.tensor(RNG.standard_normal((5, 4))))


@needs_torch
def test_gradient_errors_are_errors_in_torch_too():
    f = torch.tensor(RNG.standard_normal((5, 4)))
    for kwargs in ({"edge_order": 3}, {"spacing": [1.0]}, {"spacing": [1.0, 2.0], "dim": 1},
                   {"dim": [0, -2]}):
        with pytest.raises(RuntimeError):
            torch.gradient(f, **kwargs)
    with pytest.raises(RuntimeError):
        torch.gradient(f[:2], edge_order=2)


# ---------------------------------------------------------------- median with NaN


@needs_torch
@pytest.mark.parametrize("values", [
    [NAN, NAN, NAN], [1.0, NAN, 2.0, NAN], [NAN, 1.0], [[NAN, 3.0], [NAN, NAN]],
    [1.0, 2.0, 2.0, 3.0], [4.0, -1.0, 7.0]])
def test_median_of_all_values_and_gradient_as_torch(values):
    xc, xt = both(values)
    ours, theirs = xc.median(), xt.median()
    np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())
    ours.backward()
    theirs.backward()
    np.testing.assert_allclose(xc.grad.numpy(), xt.grad.numpy(), rtol=1e-15)
    assert not np.isnan(xc.grad.numpy()).any()


@needs_torch
@pytest.mark.parametrize("dim", [0, 1])
def test_median_along_a_dim_with_all_nan_slices_as_torch(dim):
    values = [[NAN, NAN, NAN], [1.0, 2.0, 3.0], [NAN, 5.0, NAN]]
    xc, xt = both(values)
    ours, theirs = xc.median(dim), xt.median(dim)
    np.testing.assert_array_equal(ours.values.detach().numpy(), theirs.values.detach().numpy())
    np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())
    backward_both(ours.values, theirs.values)
    np.testing.assert_array_equal(xc.grad.numpy(), xt.grad.numpy())


def test_median_of_all_nan_in_float32_keeps_its_dtype():
    x = cr.tensor([NAN, NAN, 1.0, NAN], requires_grad=True)
    m = x.median()
    m.backward()
    assert m.dtype == cr.float32 and math.isnan(m.item())
    np.testing.assert_allclose(x.grad.numpy(), [1 / 3, 1 / 3, 0, 1 / 3], rtol=1e-6)
