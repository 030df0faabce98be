"""``torch.linalg``'s pinv, lstsq, matrix_power, matrix_rank, multi_dot, solve_triangular, cond,
matrix_exp and vander beyond the op table (tests/test_linalg_table.py): PyTorch's result
fields, tolerances and errors, rank-deficient and batched inputs, large matrix exponentials."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from tests.optional import needs_torch, torch

RNG = np.random.default_rng(3)


def rank_deficient(m, n, rank):
    return RNG.standard_normal((m, rank)) @ RNG.standard_normal((rank, n))


@needs_torch
@pytest.mark.parametrize("driver", [None, "gels", "gelsy", "gelsd", "gelss"])
@pytest.mark.parametrize(("a_shape", "b_shape"), [((5, 3), (5, 2)), ((2, 4, 2), (2, 4, 3)),
                                                  ((4, 2), (4,)), ((2, 4), (2, 3))])
def test_lstsq_fields_match_torch(driver, a_shape, b_shape):
    a, b = RNG.standard_normal(a_shape), RNG.standard_normal(b_shape)
    ours = cr.linalg.lstsq(cr.tensor(a), cr.tensor(b), driver=driver)
    theirs = torch.linalg.lstsq(torch.tensor(a), torch.tensor(b), driver=driver)
    assert ours._fields == ("solution", "residuals", "rank", "singular_values")
    for o, t in zip(ours, theirs):
        assert o.shape == tuple(t.shape)
        assert str(t.dtype) == f"torch.{o.dtype}"
        np.testing.assert_allclose(o.numpy(), t.numpy(), atol=1e-10)


def test_lstsq_refuses_an_unknown_driver_and_mismatched_rows():
    with pytest.raises(RuntimeError, match="driver"):
        cr.linalg.lstsq(cr.eye(3), cr.ones(3, 1), driver="magic")
    with pytest.raises(RuntimeError, match="size"):
        cr.linalg.lstsq(cr.eye(3), cr.ones(4, 1))


@needs_torch
@pytest.mark.parametrize("kwargs", [{}, {"atol": 0.5}, {"rtol": 0.3}, {"atol": 1e-3, "rtol": 0.1},
                                    {"hermitian": False}])
def test_matrix_rank_and_pinv_match_torch_on_rank_deficient_matrices(kwargs):
    a = np.stack([rank_deficient(4, 5, 2), rank_deficient(4, 5, 3), np.ones((4, 5))])
    ours = cr.linalg.matrix_rank(cr.tensor(a), **kwargs)
    theirs = torch.linalg.matrix_rank(torch.tensor(a), **kwargs)
    assert ours.dtype == cr.int64 and not ours.requires_grad
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    np.testing.assert_allclose(cr.linalg.pinv(cr.tensor(a), **kwargs).numpy(),
                               torch.linalg.pinv(torch.tensor(a), **kwargs).numpy(), atol=1e-10)


@needs_torch
def test_pinv_gradient_matches_torch_at_constant_rank():
    a = rank_deficient(5, 4, 2)
    ours = cr.tensor(a, requires_grad=True)
    theirs = torch.tensor(a, requires_grad=True)
    g = RNG.standard_normal((4, 5))
    cr.linalg.pinv(ours).backward(cr.tensor(g))
    torch.linalg.pinv(theirs).backward(torch.tensor(g))
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), atol=1e-8)


@needs_torch
def test_matrix_power_zero_is_the_identity_of_each_matrix():
    a = RNG.standard_normal((2, 3, 3))
    ours = cr.linalg.matrix_power(cr.tensor(a), 0)
    np.testing.assert_array_equal(ours.numpy(), torch.linalg.matrix_power(torch.tensor(a), 0))
    assert cr.matrix_power(cr.tensor(a), 0).shape == (2, 3, 3)


def test_matrix_power_refuses_a_non_integer_power_and_a_non_square_matrix():
    with pytest.raises(TypeError, match="must be an int"):
        cr.linalg.matrix_power(cr.eye(3), 1.5)
    with pytest.raises(RuntimeError, match="square"):
        cr.linalg.matrix_power(cr.ones(2, 3), 2)


def test_matrix_power_of_integers_stays_integer():
    a = cr.tensor([[1, 1], [1, 0]])
    np.testing.assert_array_equal(cr.linalg.matrix_power(a, 10).numpy(), [[89, 55], [55, 34]])


def test_multi_dot_and_solve_triangular_refuse_bad_shapes():
    with pytest.raises(RuntimeError, match="at least 2 tensors"):
        cr.linalg.multi_dot([cr.ones(3)])
    with pytest.raises(RuntimeError, match="tensor 1 must be 2D"):
        cr.linalg.multi_dot([cr.ones(3), cr.ones(3), cr.ones(3, 2)])
    with pytest.raises(RuntimeError, match="B must have at least 2 dimensions"):
        cr.linalg.solve_triangular(cr.eye(3), cr.ones(3), upper=True)


def test_solve_triangular_reads_only_its_triangle():
    a = np.triu(RNG.standard_normal((3, 3))) + 3 * np.eye(3)
    noisy = a + np.tril(RNG.standard_normal((3, 3)), -1)
    x = cr.tensor(noisy, requires_grad=True)
    b = RNG.standard_normal((3, 2))
    out = cr.linalg.solve_triangular(x, cr.tensor(b), upper=True)
    np.testing.assert_allclose(a @ out.detach().numpy(), b, atol=1e-12)
    out.sum().backward()
    assert np.all(np.tril(x.grad.numpy(), -1) == 0)


@needs_torch
@pytest.mark.parametrize("p", [None, 2, -2, "fro", "nuc", 1, -1, np.inf, -np.inf])
def test_cond_values_match_torch(p):
    a = RNG.standard_normal((2, 4, 4))
    np.testing.assert_allclose(cr.linalg.cond(cr.tensor(a), p).numpy(),
                               torch.linalg.cond(torch.tensor(a), p).numpy(), rtol=1e-10)


def test_cond_fro_gradient_against_finite_differences():
    x = cr.tensor(np.eye(3) + 0.3 * RNG.standard_normal((3, 3)), requires_grad=True)
    assert cr.gradcheck(lambda t: cr.linalg.cond(t, "fro"), [x])


@needs_torch
@pytest.mark.parametrize("scale", [1e-8, 1.0, 30.0])
def test_matrix_exp_matches_torch_across_scales(scale):
    """Different norms in one batch: each matrix is scaled and squared its own number of
    times."""
    a = RNG.standard_normal((3, 4, 4)) * np.array([scale, 1.0, 0.1])[:, None, None]
    ours = cr.tensor(a, requires_grad=True)
    theirs = torch.tensor(a, requires_grad=True)
    y, yt = cr.linalg.matrix_exp(ours), torch.linalg.matrix_exp(theirs)
    np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=1e-11, atol=1e-300)
    g = RNG.standard_normal(a.shape)
    y.backward(cr.tensor(g))
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-9,
                               atol=1e-9 * np.abs(theirs.grad.numpy()).max())


def test_matrix_exp_of_a_diagonal_and_of_a_nilpotent_matrix():
    d = np.array([-1.0, 0.5, 2.0])
    np.testing.assert_allclose(cr.matrix_exp(cr.tensor(np.diag(d))).numpy(), np.diag(np.exp(d)),
                               rtol=1e-14)
    n = np.array([[0.0, 1.0], [0.0, 0.0]])  # e^N = I + N exactly
    np.testing.assert_allclose(cr.linalg.matrix_exp(cr.tensor(n)).numpy(), np.eye(2) + n,
                               atol=1e-15)


def test_matrix_exp_keeps_float32_and_refuses_integers():
    assert cr.linalg.matrix_exp(cr.eye(3)).dtype == cr.float32
    with pytest.raises(TypeError, match="floating-point"):
        cr.linalg.matrix_exp(cr.eye(3, dtype=cr.int64))


@needs_torch
def test_vander_of_integers_matches_torch_and_refuses_a_zero_width():
    x = [1, 2, 3]
    np.testing.assert_array_equal(cr.linalg.vander(cr.tensor(x)).numpy(),
                                  torch.linalg.vander(torch.tensor(x)).numpy())
    assert cr.linalg.vander(cr.tensor(x)).dtype == cr.int64
    with pytest.raises(RuntimeError, match="N must be greater than 1"):
        cr.linalg.vander(cr.tensor(x), N=0)


def test_every_name_of_linalg_all_exists():
    for name in cr.linalg.__all__:
        assert callable(getattr(cr.linalg, name)), name


@needs_torch
@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("shape", [(4, 3), (3, 4), (2, 3, 3)])
@pytest.mark.parametrize(("some", "compute_uv"), [(True, True), (False, True), (True, False)])
def test_old_svd_and_qr_shapes_and_fields_match_torch(shape, some, compute_uv):
    a = RNG.standard_normal(shape)
    ours = cr.svd(cr.tensor(a), some=some, compute_uv=compute_uv)
    theirs = torch.svd(torch.tensor(a), some=some, compute_uv=compute_uv)
    assert ours._fields == ("U", "S", "V")
    assert [o.shape for o in ours] == [tuple(t.shape) for t in theirs]
    np.testing.assert_allclose(ours.S.numpy(), theirs.S.numpy(), rtol=1e-12)
    if compute_uv:
        k = min(shape[-2:])
        rebuilt = (ours.U[..., :k] * ours.S.unsqueeze(-2)) @ ours.V[..., :k].mT
        np.testing.assert_allclose(rebuilt.numpy(), a, atol=1e-12)
    else:
        assert not ours.U.numpy().any() and not ours.V.numpy().any()
    q, r = cr.qr(cr.tensor(a), some=some)
    assert (q.shape, r.shape) == tuple(tuple(t.shape) for t in torch.qr(torch.tensor(a), some))
    np.testing.assert_allclose((q @ r).numpy(), a, atol=1e-12)


def test_cholesky_solve_refuses_a_vector_right_hand_side():
    with pytest.raises(RuntimeError, match="at least 2 dimensions"):
        cr.cholesky_solve(cr.ones(3), cr.eye(3))


def test_triangular_solve_returns_a_copy_of_the_coefficient():
    a = cr.tensor(np.triu(RNG.standard_normal((3, 3))) + 3 * np.eye(3))
    result = cr.triangular_solve(cr.ones(3, 1, dtype=cr.float64), a)
    assert result._fields == ("solution", "cloned_coefficient")
    assert result.cloned_coefficient is not a
    np.testing.assert_array_equal(result.cloned_coefficient.numpy(), a.numpy())
