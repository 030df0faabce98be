"""``torch.linalg``'s decompositions, solves and log-determinants beyond the op table
(tests/test_linalg_table.py): result shapes and named fields against torch, the errors
(``LinAlgError`` for a singular or indefinite matrix, bad modes, dtypes and shapes), empty
and batched inputs, the sign of ``slogdet``, and gradients where a spectrum repeats."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from tests.optional import needs_torch, torch

RNG = np.random.default_rng(0)


def both(array):
    """The same float64 values as a chainrule and a torch tensor, both requiring grad."""
    return (cr.tensor(array, dtype=cr.float64, requires_grad=True),
            torch.tensor(array, dtype=torch.float64, requires_grad=True))


# ---------------------------------------------------------------- errors


def test_linalg_error_is_a_runtime_error():
    assert issubclass(cr.linalg.LinAlgError, RuntimeError)


def test_cholesky_of_an_indefinite_matrix_names_the_failing_minor():
    with pytest.raises(cr.linalg.LinAlgError, match="leading minor of order 2 is not "
                                                    "positive-definite"):
        cr.linalg.cholesky(cr.tensor([[1.0, 2.0], [2.0, 1.0]]))


def test_cholesky_error_names_the_batch_element():
    a = cr.stack([cr.eye(2), -cr.eye(2)])
    with pytest.raises(RuntimeError, match=r"\(Batch element 1\).*order 1"):
        cr.linalg.cholesky(a)


def test_solve_with_a_singular_matrix_raises_linalg_error():
    with pytest.raises(cr.linalg.LinAlgError, match="singular"):
        cr.linalg.solve(cr.zeros(2, 2), cr.ones(2))


@pytest.mark.parametrize("name", ["cholesky", "qr", "eigh", "eigvalsh", "svd", "svdvals",
                                  "slogdet"])
def test_integer_input_is_refused(name):
    with pytest.raises(TypeError, match="floating-point"):
        getattr(cr.linalg, name)(cr.eye(3, dtype=cr.int64))


@pytest.mark.parametrize("name", ["cholesky", "eigh", "eigvalsh", "slogdet"])
def test_non_square_input_is_refused(name):
    with pytest.raises(RuntimeError, match="square matrices, but they are 2 by 3"):
        getattr(cr.linalg, name)(cr.zeros(2, 3))


@pytest.mark.parametrize("name", ["qr", "svd", "svdvals"])
def test_vector_input_is_refused(name):
    with pytest.raises(RuntimeError, match="at least 2 dimensions"):
        getattr(cr.linalg, name)(cr.zeros(3))


def test_bad_qr_mode_and_uplo_are_refused():
    with pytest.raises(RuntimeError, match="unrecognized mode 'x'"):
        cr.linalg.qr(cr.eye(2), mode="x")
    with pytest.raises(RuntimeError, match="UPLO argument to be 'L' or 'U', but got X"):
        cr.linalg.eigh(cr.eye(2), UPLO="X")


def test_solve_refuses_mismatched_shapes_and_dtypes():
    with pytest.raises(RuntimeError, match="Incompatible shapes"):
        cr.linalg.solve(cr.eye(3), cr.ones(4, 3))
    with pytest.raises(TypeError, match="same dtype"):
        cr.linalg.solve(cr.eye(3), cr.ones(3, dtype=cr.float64))


def test_qr_without_q_has_no_derivative():
    x = cr.tensor(RNG.standard_normal((3, 2)), requires_grad=True)
    with pytest.raises(RuntimeError, match="mode='reduced'"):
        cr.linalg.qr(x, mode="r").R.sum().backward()
    with pytest.raises(RuntimeError, match="mode='reduced'"):
        cr.linalg.qr(x, mode="complete").Q.sum().backward()


# ---------------------------------------------------------------- shapes and fields


@needs_torch
@pytest.mark.parametrize("shape", [(4, 3), (3, 4), (2, 3, 3), (2, 0, 3), (0, 0)])
@pytest.mark.parametrize("mode", ["reduced", "complete", "r"])
def test_qr_shapes_match_torch(shape, mode):
    ours = cr.linalg.qr(cr.zeros(*shape) + 1, mode=mode)
    theirs = torch.linalg.qr(torch.zeros(*shape) + 1, mode=mode)
    assert ours._fields == ("Q", "R")
    assert [o.shape for o in ours] == [tuple(t.shape) for t in theirs]


@needs_torch
@pytest.mark.parametrize("shape", [(4, 3), (3, 4), (2, 3, 3), (2, 0, 3)])
@pytest.mark.parametrize("full", [True, False])
def test_svd_shapes_match_torch(shape, full):
    ours = cr.linalg.svd(cr.ones(*shape), full_matrices=full)
    theirs = torch.linalg.svd(torch.ones(*shape), full_matrices=full)
    assert ours._fields == ("U", "S", "Vh")
    assert [o.shape for o in ours] == [tuple(t.shape) for t in theirs]


@needs_torch
def test_full_svd_reconstructs_and_its_extra_columns_get_no_gradient():
    x, xt = both(RNG.standard_normal((5, 3)))
    u, s, vh = cr.linalg.svd(x)
    np.testing.assert_allclose((u[:, :3] * s) @ vh, x.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(u.mT @ u, np.eye(5), atol=1e-12)
    ut, st, vht = torch.linalg.svd(xt)
    (s.sum() + (u[:, :3] * u[:, :1].sign()).sum()).backward()
    (st.sum() + (ut[:, :3] * ut[:, :1].sign()).sum()).backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), atol=1e-10)


@needs_torch
@pytest.mark.parametrize(("a_shape", "b_shape"), [((3, 3), (3,)), ((2, 3, 3), (3,)),
                                                  ((2, 3, 3), (2, 3)), ((2, 3, 3), (3, 4)),
                                                  ((3, 3), (2, 3, 1)), ((1, 3, 3), (4, 3, 2))])
@pytest.mark.parametrize("left", [True, False])
def test_solve_shapes_and_values_match_torch(a_shape, b_shape, left):
    vector = len(b_shape) == 1 or b_shape == (2, 3)
    if not left and not vector:
        b_shape = b_shape[:-2] + b_shape[-2:][::-1]
    a = np.eye(3) + RNG.uniform(-0.3, 0.3, a_shape)
    b = RNG.standard_normal(b_shape)
    (ours_a, theirs_a), (ours_b, theirs_b) = both(a), both(b)
    if not left and vector:  # torch takes a vector as a column, which X A = B never fits
        with pytest.raises(RuntimeError, match="Incompatible shapes"):
            torch.linalg.solve(theirs_a, theirs_b, left=left)
        with pytest.raises(RuntimeError, match="Incompatible shapes"):
            cr.linalg.solve(ours_a, ours_b, left=left)
        return
    ours = cr.linalg.solve(ours_a, ours_b, left=left)
    theirs = torch.linalg.solve(theirs_a, theirs_b, left=left)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), atol=1e-12)
    g = RNG.standard_normal(ours.shape)
    ours.backward(cr.tensor(g))
    theirs.backward(torch.tensor(g))
    np.testing.assert_allclose(ours_a.grad.numpy(), theirs_a.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(ours_b.grad.numpy(), theirs_b.grad.numpy(), atol=1e-12)


def test_solve_ex_returns_the_result_and_zero_info():
    a, b = cr.eye(3) * 2, cr.ones(3, 2)
    result, info = cr.linalg.solve_ex(a, b)
    np.testing.assert_allclose(result.numpy(), np.full((3, 2), 0.5))
    assert info.shape == () and info.dtype == cr.int32 and int(info) == 0


@needs_torch
@pytest.mark.parametrize("values", [[2.0, 3.0], [-2.0, 3.0], [0.0, 3.0], [-1.0, -5.0]])
def test_slogdet_sign_and_logdet_match_torch(values):
    a = np.diag(values) @ np.array([[1.0, 0.5], [0.0, 1.0]])
    sign, logabsdet = cr.linalg.slogdet(cr.tensor(a))
    theirs = torch.linalg.slogdet(torch.tensor(a))
    assert float(sign) == float(theirs.sign)
    assert float(logabsdet) == pytest.approx(float(theirs.logabsdet))
    ours_top = cr.slogdet(cr.tensor(a))
    assert ours_top._fields == ("sign", "logabsdet")
    np.testing.assert_equal(cr.logdet(cr.tensor(a)).numpy(), torch.logdet(torch.tensor(a)).numpy())


def test_slogdet_sign_has_no_graph():
    x = cr.tensor(np.eye(3) + 0.1, requires_grad=True)
    sign, logabsdet = cr.linalg.slogdet(x)
    assert not sign.requires_grad and logabsdet.requires_grad


@pytest.mark.parametrize("name", ["cholesky", "qr", "eigh", "svd", "solve", "slogdet"])
def test_float32_stays_float32(name):
    a = cr.tensor(np.eye(3) * 2 + 0.1, dtype=cr.float32)
    args = (a, cr.ones(3, dtype=cr.float32)) if name == "solve" else (a,)
    out = getattr(cr.linalg, name)(*args)
    for t in out if isinstance(out, tuple) else (out,):
        assert t.dtype == cr.float32


@needs_torch
@pytest.mark.parametrize("name", ["cholesky", "eigh", "eigvalsh", "svdvals", "slogdet"])
def test_empty_matrices_match_torch(name):
    ours = getattr(cr.linalg, name)(cr.zeros(2, 0, 0))
    theirs = getattr(torch.linalg, name)(torch.zeros(2, 0, 0))
    ours = ours if isinstance(ours, tuple) else (ours,)
    theirs = theirs if isinstance(theirs, tuple) else (theirs,)
    for o, t in zip(ours, theirs):
        assert o.shape == tuple(t.shape)
        np.testing.assert_allclose(o.numpy(), t.numpy())


# ---------------------------------------------------------------- repeated spectra


@needs_torch
def test_eigenvalue_and_singular_value_gradients_are_finite_at_repeated_values():
    """eigvalsh and svdvals differentiate also where values repeat (the identity), as torch."""
    for ours_fn, theirs_fn in ((cr.linalg.eigvalsh, torch.linalg.eigvalsh),
                               (cr.linalg.svdvals, torch.linalg.svdvals)):
        x, xt = both(np.eye(3))
        weights = np.array([1.0, 2.0, 3.0])
        (ours_fn(x) * cr.tensor(weights)).sum().backward()
        (theirs_fn(xt) * torch.tensor(weights)).sum().backward()
        assert np.all(np.isfinite(x.grad.numpy()))
        # at the identity, V diag(w) Vᵀ depends on the basis, but its trace does not
        assert np.trace(x.grad.numpy()) == pytest.approx(np.trace(xt.grad.numpy()))


def test_eigh_values_only_stay_finite_at_repeated_eigenvalues():
    x = cr.tensor(np.eye(3), requires_grad=True)
    cr.linalg.eigh(x).eigenvalues.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.eye(3), atol=1e-12)


# ---------------------------------------------------------------- matrix norms


@needs_torch
@pytest.mark.parametrize("ord", [2, -2, "nuc"])
@pytest.mark.parametrize(("dim", "keepdim"), [((-2, -1), False), ((0, 2), True), ((2, 0), False)])
def test_singular_value_matrix_norms_match_torch(ord, dim, keepdim):  # noqa: A002
    x, xt = both(RNG.standard_normal((3, 4, 5)))
    ours = cr.linalg.matrix_norm(x, ord, dim, keepdim)
    theirs = torch.linalg.matrix_norm(xt, ord, dim, keepdim)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), atol=1e-12)
    ours.sum().backward()
    theirs.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), atol=1e-10)


@needs_torch
def test_norm_with_a_singular_value_order_matches_torch():
    a = RNG.standard_normal((4, 3))
    for ord in (2, -2, "nuc"):  # noqa: A001
        assert float(cr.linalg.norm(cr.tensor(a), ord)) == pytest.approx(
            float(torch.linalg.norm(torch.tensor(a), ord)))
    with pytest.raises(RuntimeError, match="not supported"):
        cr.linalg.matrix_norm(cr.tensor(a), 3)


@needs_torch
def test_undefined_vector_gradients_are_nan_without_a_warning_as_in_torch():
    """Repeated eigenvalues (the identity) and zero singular values: the derivative of the
    vectors is undefined; NaN, as torch returns, and no RuntimeWarning."""
    x = cr.tensor(np.eye(3), requires_grad=True)
    cr.linalg.eigh(x).eigenvectors.sum().backward()
    assert np.isnan(x.grad.numpy()).all()
    y = cr.tensor(np.zeros((3, 2)), requires_grad=True)
    cr.linalg.svd(y, full_matrices=False).U.sum().backward()
    yt = torch.zeros(3, 2, dtype=torch.float64, requires_grad=True)
    torch.linalg.svd(yt, full_matrices=False).U.sum().backward()
    np.testing.assert_array_equal(np.isnan(y.grad.numpy()), np.isnan(yt.grad.numpy()))


@needs_torch
def test_cholesky_ex_reports_each_failing_minor_and_differentiates_the_rest():
    a = np.stack([np.eye(3) * 4, [[1.0, 2.0, 0.0], [2.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
                  [[-1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]])
    x, xt = both(a)
    factor, info = cr.linalg.cholesky_ex(x)
    theirs, their_info = torch.linalg.cholesky_ex(xt)
    np.testing.assert_array_equal(info.numpy(), their_info.numpy())
    assert info.dtype == cr.int32
    np.testing.assert_allclose(factor[0].detach().numpy(), theirs[0].detach().numpy())
    assert np.isnan(factor[1:].detach().numpy()).all()
    factor[0].sum().backward()
    theirs[0].sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), atol=1e-12)
    with pytest.raises(cr.linalg.LinAlgError, match=r"cholesky_ex: \(Batch element 1\).*order 2"):
        cr.linalg.cholesky_ex(x, check_errors=True)


def test_cholesky_ex_of_positive_definite_matrices_is_cholesky_with_zero_info():
    a = cr.tensor(np.eye(3) * 4 + 1, requires_grad=True)
    factor, info = cr.linalg.cholesky_ex(a, upper=True)
    np.testing.assert_allclose(factor.detach().numpy(), cr.linalg.cholesky(a, upper=True)
                               .detach().numpy())
    assert info.shape == () and int(info) == 0
