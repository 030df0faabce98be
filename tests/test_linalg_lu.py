"""``torch.linalg``'s LU family: ``lu_factor``, ``lu_factor_ex``, ``lu``, ``lu_solve``, and the
inverses ``inv_ex``, ``tensorinv``, ``tensorsolve``: values, pivots, result fields and dtypes
against torch on square, tall, wide, batched and empty inputs in float32 and float64; P L U = A;
gradients against torch and float64 finite differences; singular matrices (info, errors); bad
inputs."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from tests.optional import needs_torch, torch

RNG = np.random.default_rng(11)
SHAPES = [(4, 4), (5, 3), (3, 5), (2, 3, 4, 4), (2, 5, 3), (3, 2, 4), (1, 1), (0, 3, 3), (0, 0)]
TOLERANCE = {cr.float32: 1e-5, cr.float64: 1e-12}


def pair(array, dtype=cr.float64, requires_grad=False):
    """The same values as a chainrule and a torch tensor of ``dtype``."""
    ours = cr.tensor(array, dtype=dtype, requires_grad=requires_grad)
    theirs = torch.tensor(np.asarray(array, dtype=np.dtype(str(dtype))),
                          requires_grad=requires_grad)
    return ours, theirs


def assert_matches(ours, theirs, dtype=cr.float64):
    assert ours.shape == tuple(theirs.shape)
    assert str(theirs.dtype) == f"torch.{ours.dtype}"
    tol = TOLERANCE[dtype]
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), atol=tol, rtol=tol)


def singular_batch():
    """A batch with an invertible matrix, a rank-1 one (U[2,2] = 0) and the zero matrix."""
    return np.stack([[[1.0, 2.0], [3.0, 4.0]], [[1.0, 2.0], [2.0, 4.0]], np.zeros((2, 2))])


# ---------------------------------------------------------------- forward against torch


@needs_torch
@pytest.mark.parametrize("dtype", [cr.float32, cr.float64])
@pytest.mark.parametrize("shape", SHAPES)
def test_lu_factor_ex_matches_torch(shape, dtype):
    ours, theirs = pair(RNG.standard_normal(shape), dtype)
    result, expected = cr.linalg.lu_factor_ex(ours), torch.linalg.lu_factor_ex(theirs)
    assert result._fields == ("LU", "pivots", "info")
    assert_matches(result.LU, expected.LU, dtype)
    for name in ("pivots", "info"):
        assert getattr(result, name).dtype == cr.int32
        np.testing.assert_array_equal(getattr(result, name).numpy(),
                                      getattr(expected, name).numpy())
    factored = cr.linalg.lu_factor(ours)
    assert factored._fields == ("LU", "pivots")
    np.testing.assert_array_equal(factored.LU.numpy(), result.LU.numpy())


@needs_torch
@pytest.mark.parametrize("dtype", [cr.float32, cr.float64])
@pytest.mark.parametrize("shape", SHAPES)
def test_lu_matches_torch_and_reconstructs_a(shape, dtype):
    a = RNG.standard_normal(shape)
    ours, theirs = pair(a, dtype)
    result, expected = cr.linalg.lu(ours), torch.linalg.lu(theirs)
    assert result._fields == ("P", "L", "U")
    for mine, reference in zip(result, expected):
        assert_matches(mine, reference, dtype)
    p, lower, upper = (x.numpy() for x in result)
    np.testing.assert_allclose(p @ lower @ upper, a, atol=10 * TOLERANCE[dtype])


@needs_torch
def test_singular_matrices_give_torch_info_and_factors():
    ours, theirs = pair(singular_batch())
    result, expected = cr.linalg.lu_factor_ex(ours), torch.linalg.lu_factor_ex(theirs)
    np.testing.assert_array_equal(result.info.numpy(), [0, 2, 1])
    np.testing.assert_array_equal(result.info.numpy(), expected.info.numpy())
    np.testing.assert_array_equal(result.pivots.numpy(), expected.pivots.numpy())
    assert_matches(result.LU, expected.LU)
    for mine, reference in zip(cr.linalg.lu(ours), torch.linalg.lu(theirs)):
        assert_matches(mine, reference)


def test_lu_factor_of_a_singular_matrix_raises_naming_the_zero_pivot():
    with pytest.raises(RuntimeError, match=r"^linalg.lu_factor: U\[2,2\] is zero"):
        cr.linalg.lu_factor(cr.tensor([[1.0, 2.0], [2.0, 4.0]]))
    with pytest.raises(RuntimeError, match=r"\(Batch element 1\): U\[2,2\] is zero"):
        cr.linalg.lu_factor(cr.tensor(singular_batch()))


def test_lu_factor_ex_raises_only_when_checking_errors():
    a = cr.tensor(singular_batch())
    assert cr.linalg.lu_factor_ex(a).info.numpy().tolist() == [0, 2, 1]
    with pytest.raises(cr.linalg.LinAlgError, match=r"\(Batch element 1\): U\[2,2\] is zero"):
        cr.linalg.lu_factor_ex(a, check_errors=True)
    assert cr.linalg.lu_factor_ex(cr.eye(3), check_errors=True).info.item() == 0


@pytest.mark.parametrize("name", ["lu_factor", "lu_factor_ex", "lu"])
def test_bad_inputs_are_refused(name):
    fn = getattr(cr.linalg, name)
    with pytest.raises(RuntimeError, match="without pivoting"):
        fn(cr.eye(3), pivot=False)
    for bad in (cr.tensor(1.0), cr.ones(3)):
        with pytest.raises(RuntimeError, match="at least 2 dimensions"):
            fn(bad)
    with pytest.raises(TypeError, match="floating-point"):
        fn(cr.eye(3, dtype=cr.int64))


# ---------------------------------------------------------------- gradients


@needs_torch
@pytest.mark.parametrize("shape", [(4, 4), (5, 3), (3, 5), (2, 3, 3), (2, 4, 2), (2, 2, 4)])
def test_lu_gradients_match_torch(shape):
    a = RNG.standard_normal(shape)
    ours, theirs = pair(a, requires_grad=True)
    result, expected = cr.linalg.lu(ours), torch.linalg.lu(theirs)
    cotangents = [RNG.standard_normal(x.shape) for x in result[1:]]
    sum((x * cr.tensor(c)).sum() for x, c in zip(result[1:], cotangents)).backward()
    sum((x * torch.tensor(c)).sum() for x, c in zip(expected[1:], cotangents)).backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), atol=1e-10, rtol=1e-10)


@needs_torch
@pytest.mark.parametrize("shape", [(4, 4), (5, 3), (3, 5), (2, 3, 3)])
def test_lu_factor_gradient_matches_torch(shape):
    ours, theirs = pair(RNG.standard_normal(shape), requires_grad=True)
    g = RNG.standard_normal(shape)
    (cr.linalg.lu_factor(ours).LU * cr.tensor(g)).sum().backward()
    (torch.linalg.lu_factor(theirs).LU * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), atol=1e-10, rtol=1e-10)


@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 4), (2, 3, 3)])
def test_lu_gradcheck(shape):
    x = cr.tensor(RNG.standard_normal(shape), dtype=cr.float64, requires_grad=True)
    assert cr.gradcheck(lambda t: cr.linalg.lu_factor(t).LU, [x])
    assert cr.gradcheck(lambda t: cr.linalg.lu(t)[1:], [x], full_jacobian=True)


def test_lu_pivots_and_permutation_get_no_gradient():
    x = cr.tensor(RNG.standard_normal((3, 3)), requires_grad=True)
    p, _, _ = cr.linalg.lu(x)
    assert not p.requires_grad
    assert not cr.linalg.lu_factor(x).pivots.requires_grad


# ---------------------------------------------------------------- lu_solve


@needs_torch
@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("adjoint", [False, True])
@pytest.mark.parametrize(("a_shape", "b_shape"), [((4, 4), (4, 2)), ((2, 3, 3), (2, 3, 1)),
                                                  ((3, 3), (2, 3, 3)), ((2, 3, 3), (3, 3))])
def test_lu_solve_matches_torch_in_value_and_gradient(a_shape, b_shape, left, adjoint):
    a = RNG.standard_normal(a_shape) + 3 * np.eye(a_shape[-1])
    b = RNG.standard_normal(b_shape if left else b_shape[:-2] + b_shape[-2:][::-1])
    lu_ours, lu_theirs = pair(torch.linalg.lu_factor(torch.tensor(a)).LU.numpy(),
                              requires_grad=True)
    pivots = torch.linalg.lu_factor(torch.tensor(a)).pivots
    b_ours, b_theirs = pair(b, requires_grad=True)
    x = cr.linalg.lu_solve(lu_ours, cr.tensor(pivots.numpy()), b_ours, left=left,
                           adjoint=adjoint)
    expected = torch.linalg.lu_solve(lu_theirs, pivots, b_theirs, left=left, adjoint=adjoint)
    assert_matches(x, expected)
    g = RNG.standard_normal(x.shape)
    (x * cr.tensor(g)).sum().backward()
    (expected * torch.tensor(g)).sum().backward()
    for mine, reference in ((lu_ours, lu_theirs), (b_ours, b_theirs)):
        np.testing.assert_allclose(mine.grad.numpy(), reference.grad.numpy(), atol=1e-10)


@pytest.mark.parametrize("adjoint", [False, True])
def test_lu_solve_solves_and_passes_gradcheck(adjoint):
    a = RNG.standard_normal((2, 3, 3))
    b = cr.tensor(RNG.standard_normal((2, 3, 2)), dtype=cr.float64, requires_grad=True)
    factor, pivots = cr.linalg.lu_factor(cr.tensor(a, dtype=cr.float64, requires_grad=True))
    x = cr.linalg.lu_solve(factor, pivots, b, adjoint=adjoint)
    np.testing.assert_allclose((np.swapaxes(a, -1, -2) if adjoint else a) @ x.detach().numpy(),
                               b.detach().numpy(), atol=1e-12)
    leaf = cr.tensor(a, dtype=cr.float64, requires_grad=True)
    assert cr.gradcheck(lambda t, y: cr.linalg.lu_solve(*cr.linalg.lu_factor(t), y,
                                                        adjoint=adjoint), [leaf, b])


def test_lu_solve_refuses_bad_inputs():
    factor, pivots = cr.linalg.lu_factor(cr.eye(3))
    with pytest.raises(RuntimeError, match="B must have at least 2 dimensions"):
        cr.linalg.lu_solve(factor, pivots, cr.ones(3))
    with pytest.raises(RuntimeError, match=r"AX = B \(3x3 and 4x2\)"):
        cr.linalg.lu_solve(factor, pivots, cr.ones(4, 2))
    with pytest.raises(RuntimeError, match=r"XA = B \(3x3 and 3x2\)"):
        cr.linalg.lu_solve(factor, pivots, cr.ones(3, 2), left=False)
    with pytest.raises(TypeError, match="same dtype"):
        cr.linalg.lu_solve(factor, pivots, cr.ones(3, 1, dtype=cr.float64))
    with pytest.raises(TypeError, match="int32"):
        cr.linalg.lu_solve(factor, pivots.long(), cr.ones(3, 1))
    with pytest.raises(RuntimeError, match="pivots.shape to be the same"):
        cr.linalg.lu_solve(factor, pivots[:2], cr.ones(3, 1))
    with pytest.raises(RuntimeError, match="square matrices, but they are 2 by 3"):
        cr.linalg.lu_solve(factor[:2], pivots[:2], cr.ones(2, 1))


# ---------------------------------------------------------------- inv_ex, tensorinv, tensorsolve


@needs_torch
def test_inv_ex_matches_torch_and_reports_singular_matrices():
    a = np.concatenate([singular_batch(), RNG.standard_normal((1, 2, 2))])
    ours, theirs = pair(a, requires_grad=True)
    result, expected = cr.linalg.inv_ex(ours), torch.linalg.inv_ex(theirs)
    assert result._fields == ("inverse", "info")
    np.testing.assert_array_equal(result.info.numpy(), expected.info.numpy())
    invertible = expected.info.numpy() == 0
    np.testing.assert_allclose(result.inverse.detach().numpy()[invertible],
                               expected.inverse.detach().numpy()[invertible], atol=1e-12)
    assert np.isnan(result.inverse.detach().numpy()[~invertible]).all()
    result.inverse[invertible.nonzero()[0]].sum().backward()
    expected.inverse[torch.tensor(invertible)].sum().backward()
    # torch's gradient is NaN at the singular matrices (LAPACK's infinities); ours is 0 there
    np.testing.assert_allclose(ours.grad.numpy()[invertible], theirs.grad.numpy()[invertible],
                               atol=1e-12)
    assert not ours.grad.numpy()[~invertible].any()
    with pytest.raises(cr.linalg.LinAlgError, match=r"\(Batch element 1\).*singular"):
        cr.linalg.inv_ex(cr.tensor(a), check_errors=True)


@needs_torch
@pytest.mark.parametrize(("shape", "ind"), [((2, 3, 6), 2), ((4, 2, 2), 1), ((3, 3), 1)])
def test_tensorinv_matches_torch(shape, ind):
    ours, theirs = pair(RNG.standard_normal(shape), requires_grad=True)
    result, expected = cr.linalg.tensorinv(ours, ind), torch.linalg.tensorinv(theirs, ind)
    assert_matches(result, expected)
    g = RNG.standard_normal(result.shape)
    (result * cr.tensor(g)).sum().backward()
    (expected * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), atol=1e-10)


@needs_torch
@pytest.mark.parametrize(("a_shape", "b_shape", "dims"), [((2, 3, 6), (2, 3), None),
                                                          ((4, 8, 2), (4, 2), (1,)),
                                                          ((6, 2, 3), (6,), None)])
def test_tensorsolve_matches_torch(a_shape, b_shape, dims):
    a_ours, a_theirs = pair(RNG.standard_normal(a_shape), requires_grad=True)
    b_ours, b_theirs = pair(RNG.standard_normal(b_shape), requires_grad=True)
    result = cr.linalg.tensorsolve(a_ours, b_ours, dims)
    expected = torch.linalg.tensorsolve(a_theirs, b_theirs, dims)
    assert_matches(result, expected)
    result.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(a_ours.grad.numpy(), a_theirs.grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(b_ours.grad.numpy(), b_theirs.grad.numpy(), atol=1e-10)


def test_tensorinv_and_tensorsolve_refuse_mismatched_shapes():
    with pytest.raises(RuntimeError, match="strictly positive integer for 'ind'"):
        cr.linalg.tensorinv(cr.ones(2, 2), 0)
    with pytest.raises(RuntimeError, match=r"first 2 dimensions \(2, 2\).*4 != 1"):
        cr.linalg.tensorinv(cr.ones(2, 2))
    with pytest.raises(RuntimeError, match="6 != 5"):
        cr.linalg.tensorsolve(cr.ones(2, 3, 5), cr.ones(2, 3))
