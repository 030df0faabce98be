"""Every differentiable op's backward against finite differences, in float64.

* ``chainrule.gradcheck``'s projection check (central differences, eps 1e-6, a random upstream
  gradient, its tight default atol 1e-8, rtol 1e-6) on every case of the table: 0-d, (5,),
  (5, 10), broadcasting pairs, and a column-major (transposed-layout) input; a strided input
  gives the same gradients as its contiguous copy. The full-Jacobian check with PyTorch's
  tolerances (R-GRAD-1) is in ``test_full_jacobian``.
* R-GRAD-2: on larger shapes, the random-direction check ⟨t, Jᵀc⟩ = ⟨Jt, c⟩, with ⟨Jt, c⟩ by a
  central difference along t (eps 1e-4, tolerance 1e-5 in float64).

Inputs are drawn inside each op's domain, away from kinks (see ``op_specs``).
"""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.autograd import Function
from tests.ops.op_specs import (
    DIFFERENTIABLE,
    SPECS,
    SPECS_BY_NAME,
    all_cases,
    as_outputs,
    fortran,
    noncontiguous_case,
    strided,
    to_chainrule,
)


def float_inputs(tensors: list) -> list:
    return [t for t in tensors if t.dtype.kind == "f"]


@pytest.mark.parametrize(("spec", "shapes"), all_cases(DIFFERENTIABLE))
def test_gradcheck(spec, shapes):
    inputs = to_chainrule(spec.sample(shapes), np.float64)
    assert cr.gradcheck(spec.op, inputs, **spec.gradcheck_options())


NONCONTIGUOUS = [spec for spec in DIFFERENTIABLE if noncontiguous_case(spec) is not None]


@pytest.mark.parametrize("spec", NONCONTIGUOUS, ids=lambda spec: spec.name)
def test_gradcheck_column_major_input(spec):
    arrays = [fortran(a) for a in spec.sample(noncontiguous_case(spec))]
    inputs = to_chainrule(arrays, np.float64)
    assert any(not t.data.flags.c_contiguous for t in inputs)
    assert cr.gradcheck(spec.op, inputs, **spec.gradcheck_options())


def vjp(spec, arrays: list[np.ndarray], seed: int = 0) -> list[np.ndarray]:
    """The gradients of ⟨v, op(inputs)⟩ for a seeded random v, one per float input."""
    inputs = to_chainrule(arrays, np.float64)
    before = [a.copy() for a in arrays]
    outputs = [o for o in as_outputs(spec.op(*inputs)) if o.requires_grad]
    rng = np.random.default_rng(seed)
    directions = [rng.standard_normal(o.shape) for o in outputs]
    grads = cr.autograd.grad(outputs, float_inputs(inputs), directions, allow_unused=True)
    for x, a in zip(inputs, before):
        np.testing.assert_array_equal(x.data, a, err_msg="backward wrote into an input")
    return [np.zeros(x.shape) if g is None else g.numpy() for x, g in zip(arrays, grads)]


@pytest.mark.parametrize("spec", NONCONTIGUOUS, ids=lambda spec: spec.name)
def test_strided_input_gives_the_same_gradients(spec):
    arrays = spec.sample(noncontiguous_case(spec))
    views = [strided(a) for a in arrays]
    assert any(not v.flags.c_contiguous for v in views)
    for got, want in zip(vjp(spec, views), vjp(spec, arrays)):
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("spec", [s for s in SPECS if not s.grad],
                         ids=lambda spec: spec.name)
def test_ops_without_gradient_record_no_graph(spec):
    """Comparisons, argmax/argmin, floor division and detach return constants, even from
    inputs that require grad (PyTorch marks floor division as requiring grad, with an error at
    backward)."""
    inputs = to_chainrule(spec.sample(spec.cases[-1]), np.float64)
    # every floating input requires grad; rows of integer or bool inputs have none that can
    assert any(t.requires_grad for t in inputs) or all(t.dtype.kind in "biu" for t in inputs)
    for out in as_outputs(spec.op(*inputs)):
        assert not out.requires_grad and out.is_leaf


# ---------------------------------------------------------------- R-GRAD-2


def projection(spec, arrays: list[np.ndarray], cotangents: list[np.ndarray]) -> float:
    """⟨c, op(arrays)⟩ over the differentiable outputs, with no graph."""
    with cr.no_grad():
        outputs = as_outputs(spec.op(*to_chainrule(arrays, np.float64, requires_grad=False)))
    floats = [o for o in outputs if o.dtype.kind == "f"]
    return float(sum(np.sum(o.numpy() * c) for o, c in zip(floats, cotangents)))


def shifted(arrays, tangents, step):
    return [np.asarray(a + step * t) if t is not None else a for a, t in zip(arrays, tangents)]


def check_vjp(spec, shapes, eps=1e-4, seed=1):
    """⟨t, Jᵀc⟩ from backward against the central difference of ⟨c, f⟩ along t."""
    rng = np.random.default_rng(seed)
    arrays = spec.sample(shapes, seed)
    inputs = to_chainrule(arrays, np.float64)
    outputs = [o for o in as_outputs(spec.op(*inputs)) if o.dtype.kind == "f"]
    cotangents = [rng.standard_normal(o.shape) for o in outputs]
    # NOTE: |t| ≤ 1, so eps·t stays well inside the margins the samplers keep from kinks.
    tangents = [rng.uniform(-1, 1, a.shape) if a.dtype.kind == "f" else None for a in arrays]
    grads = cr.autograd.grad(outputs, float_inputs(inputs), cotangents, allow_unused=True)
    float_tangents = [t for t in tangents if t is not None]
    lhs = sum(float(np.sum(t * g.numpy())) for t, g in zip(float_tangents, grads) if g is not None)
    plus = projection(spec, shifted(arrays, tangents, eps), cotangents)
    minus = projection(spec, shifted(arrays, tangents, -eps), cotangents)
    rhs = (plus - minus) / (2 * eps)
    tol = 1e-5 if all(o.dtype == np.float64 for o in outputs) else 2e-3
    assert np.isclose(lhs, rhs, rtol=tol, atol=tol), f"<t, J^T c> = {lhs}, <J t, c> = {rhs}"


@pytest.mark.parametrize("spec", DIFFERENTIABLE, ids=lambda spec: spec.name)
def test_random_direction_vjp_on_large_shapes(spec):
    check_vjp(spec, spec.big_shapes())


# ---------------------------------------------------------------- the checks can fail


class SquareWithWrongBackward(Function):
    """y = x², with the factor 2 of its derivative forgotten."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        return grad_out * x


class SoftmaxWithWrongBackward(Function):
    """softmax, with backward G ⊙ Y (the Jacobian's diagonal only). Σ softmax is constant, so
    differentiating ``softmax(x).sum()`` cannot catch this; a random upstream gradient can."""

    @staticmethod
    def forward(ctx, x):
        e = np.exp(x - x.max())
        y = e / e.sum()
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad_out):
        (y,) = ctx.saved
        return grad_out * y


@pytest.mark.parametrize("wrong", [SquareWithWrongBackward, SoftmaxWithWrongBackward])
def test_gradcheck_rejects_a_wrong_backward(wrong):
    x = cr.randn(6, dtype=cr.float64, generator=np.random.default_rng(0), requires_grad=True)
    assert not cr.gradcheck(wrong.apply, (x,), raise_exception=False)
    with pytest.raises(cr.GradcheckError, match="disagrees"):
        cr.gradcheck(wrong.apply, (x,))


def test_vjp_check_rejects_a_wrong_backward():
    spec = SPECS_BY_NAME["exp"]
    wrong = type(spec)("wrong_softmax", SoftmaxWithWrongBackward.apply, spec.ref,
                       cases=(((64,),),))
    with pytest.raises(AssertionError, match="J\\^T c"):
        check_vjp(wrong, ((64,),))


def test_gradcheck_sees_column_major_inputs():
    """The finite differences must perturb the input itself, whatever its memory layout."""
    x = cr.tensor(np.asfortranarray(np.arange(1.0, 7.0).reshape(2, 3)), requires_grad=True)
    assert x.data.flags.f_contiguous and not x.data.flags.c_contiguous
    (numeric,) = cr.numerical_grad(lambda t: (t * t).sum(), [x])
    np.testing.assert_allclose(numeric.numpy(), 2 * x.detach().numpy(), rtol=1e-6)


# ---------------------------------------------------------------- the defaults are tight enough


class ScaledExp(Function):
    """y = eˣ, whose backward multiplies the true gradient by ``factor``: 1 is correct, and
    1 + 1e-4 is the kind of slip (a constant rounded, a term dropped from a series) that
    PyTorch's rtol of 1e-3 lets through."""

    factor = 1.0

    @staticmethod
    def forward(ctx, x):
        y = np.exp(x)
        ctx.save_for_backward(y)
        return y

    @classmethod
    def backward(cls, ctx, grad_out):
        (y,) = ctx.saved
        return grad_out * y * cls.factor


class ExpOffBy1e4(ScaledExp):
    factor = 1.0 + 1e-4


def test_default_tolerances_reject_a_backward_off_by_1e4_relative():
    x = cr.tensor(np.linspace(-2.0, 2.0, 12).reshape(3, 4), requires_grad=True)
    assert cr.gradcheck(ScaledExp.apply, (x,))
    assert cr.gradcheck(ScaledExp.apply, (x,), full_jacobian=True)
    assert not cr.gradcheck(ExpOffBy1e4.apply, (x,), raise_exception=False)
    with pytest.raises(cr.GradcheckError, match="gradient of input 0 disagrees"):
        cr.gradcheck(ExpOffBy1e4.apply, (x,))
    # What the tighter default is for: PyTorch's tolerances pass it, on the full Jacobian too.
    assert cr.gradcheck(ExpOffBy1e4.apply, (x,), atol=1e-5, rtol=1e-3)
    assert cr.gradcheck(ExpOffBy1e4.apply, (x,), full_jacobian=True)


@pytest.mark.parametrize("wrong", [SquareWithWrongBackward, SoftmaxWithWrongBackward])
def test_full_jacobian_check_rejects_a_wrong_backward(wrong):
    x = cr.randn(6, dtype=cr.float64, generator=np.random.default_rng(0), requires_grad=True)
    assert not cr.gradcheck(wrong.apply, (x,), full_jacobian=True, raise_exception=False)
    with pytest.raises(cr.GradcheckError, match=r"Jacobian of output 0 \(6,\) by input 0 "
                       r"\(6,\) disagrees .* at output element \(\d,\), input element \(\d,\)"):
        cr.gradcheck(wrong.apply, (x,), full_jacobian=True)


class LinearMapWithOneWrongEntry(Function):
    """y = A x for a fixed 3×4 matrix A; backward uses A with the entry (1, 2) off by 1%."""

    matrix = np.arange(1.0, 13.0).reshape(3, 4)

    @staticmethod
    def forward(ctx, x):
        return LinearMapWithOneWrongEntry.matrix @ x

    @staticmethod
    def backward(ctx, grad_out):
        wrong = LinearMapWithOneWrongEntry.matrix.copy()
        wrong[1, 2] *= 1.01
        return wrong.T @ grad_out


def test_full_jacobian_check_names_the_wrong_entry():
    x = cr.tensor(np.linspace(-1.0, 1.0, 4), requires_grad=True)
    with pytest.raises(cr.GradcheckError, match=r"output element \(1,\), input element \(2,\): "
                       r"analytic .*7\.07.*, numeric .*7\.0"):
        cr.gradcheck(LinearMapWithOneWrongEntry.apply, (x,), full_jacobian=True)
