"""Edge cases of the wider shape, statistics, search and product API, against torch: integer,
bool, empty and 0-d inputs, argument forms, and the errors (the same class as torch raises, with
a message that names the problem). Values and gradients on float inputs are checked over the
rows of ``tests/ops/spec_rows_structure2.py``."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from tests.optional import needs_torch, torch

pytestmark = needs_torch


def both(make):
    """``make(lib)`` with lib chainrule and torch, as NumPy arrays (or tuples of them)."""
    ours, theirs = make(cr), make(torch)
    if isinstance(ours, (tuple, list)):
        assert len(ours) == len(theirs)
        return [o.numpy() for o in ours], [t.numpy() for t in theirs]
    return ours.numpy(), theirs.numpy()


def assert_same(make):
    ours, theirs = both(make)
    for o, t in zip(ours, theirs) if isinstance(ours, list) else [(ours, theirs)]:
        assert o.shape == t.shape and o.dtype == t.dtype
        np.testing.assert_array_equal(o, t)


def raises_like_torch(make, message, error=None):
    """chainrule raises what torch raises (its class or a subclass; ``error`` where chainrule's
    own convention differs, as ``cat``'s ValueError for shapes), naming the problem."""
    with pytest.raises(Exception) as theirs:
        make(torch)
    with pytest.raises(Exception) as ours:
        make(cr)
    assert isinstance(ours.value, error or type(theirs.value)), (ours.value, theirs.value)
    assert message in str(ours.value)


CAT_ERROR = ValueError  # chainrule's cat (and broadcasting) refuse shapes with a ValueError


INTS = np.arange(24).reshape(2, 3, 4)


def ints(lib, dtype="int64"):
    return lib.tensor(INTS.astype(dtype))


# ---------------------------------------------------------------- shapes and joins


@pytest.mark.parametrize("make", [
    lambda t: t.flip(ints(t), (0, 2)),
    lambda t: t.fliplr(ints(t)),
    lambda t: t.flipud(ints(t, "bool")),
    lambda t: t.rot90(ints(t), 3, (2, 1)),
    lambda t: t.rot90(ints(t, "int32"), 0),
    lambda t: t.hstack([ints(t), ints(t, "int32")]),
    lambda t: t.vstack([t.tensor(True), t.tensor([False])]),
    lambda t: t.dstack([ints(t)[0], ints(t)[1]]),
    lambda t: t.column_stack([t.arange(3), t.zeros(3, 2)]),
    lambda t: t.atleast_3d(t.tensor(5)),
    lambda t: t.atleast_2d([t.tensor(1), t.arange(3)]),
    lambda t: t.broadcast_tensors(t.tensor(True), ints(t)),
    lambda t: t.tensor_split(t.arange(7), 3),
    lambda t: t.tensor_split(t.arange(7), t.tensor([1, 5, 9])),
    lambda t: t.tensor_split(t.arange(7), t.tensor(3)),
    lambda t: t.tensor_split(t.zeros(0, 3), 2),
    lambda t: t.hsplit(ints(t), [1, 3]),
    lambda t: ints(t).vsplit(2),
    lambda t: t.select(ints(t), 1, -1),
    lambda t: t.diagonal(ints(t), -1, 1, 2),
    lambda t: t.diagonal(t.zeros(0, 3)),
    lambda t: t.trace(ints(t)[0]),
    lambda t: t.trace(ints(t, "int32")[0]),
    lambda t: t.trace(t.zeros(0, 0)),
    lambda t: t.diag_embed(ints(t), 2),
    lambda t: t.diag_embed(t.tensor([True, False]), -1, 0, 1),
    lambda t: t.block_diag(t.tensor(1), t.arange(2), t.ones(2, 2, dtype=t.int32)),
    lambda t: t.block_diag(t.zeros(0, 2), t.ones(2, 0)),
], ids=lambda make: "")
def test_integer_bool_and_empty_inputs_match_torch(make):
    assert_same(make)


@pytest.mark.parametrize(("make", "message", "error"), [
    (lambda t: t.fliplr(t.arange(3.0)), ">= 2-d", None),
    (lambda t: t.flipud(t.tensor(1.0)), ">= 1-d", None),
    (lambda t: t.rot90(t.zeros(2, 3), 1, (0, 0)), "different", None),
    (lambda t: t.rot90(t.zeros(2, 3), 1, (0, 1, 2)), "2 rotation dims", None),
    (lambda t: t.rot90(t.zeros(2, 3), 1, (0, 2)), "out of range", None),
    (lambda t: t.hstack([]), "non-empty", None),
    (lambda t: t.vstack([t.zeros(2), t.zeros(3)]), "match", CAT_ERROR),
    (lambda t: t.hsplit(t.arange(5.0), 2), "not divisible", None),
    (lambda t: t.hsplit(t.tensor(5.0), 2), "at least 1 dimension", None),
    (lambda t: t.vsplit(t.arange(4.0), 2), "at least 2 dimensions", None),
    (lambda t: t.dsplit(t.zeros(2, 4), 2), "at least 3 dimensions", None),
    (lambda t: t.tensor_split(t.arange(4.0), 0), "larger than 0", None),
    (lambda t: t.tensor_split(t.tensor(1.0), 1), "at least a 1-dimensional", None),
    (lambda t: t.tensor_split(t.arange(4.0), t.tensor([[1]])), "0-d or 1-d", None),
    (lambda t: t.select(t.zeros(2, 3), 1, 3), "out of range", None),
    (lambda t: t.select(t.tensor(1.0), 0, 0), "0-dim", None),
    (lambda t: t.diagonal(t.zeros(3), 0), "out of range", None),
    (lambda t: t.diagonal(t.zeros(2, 3), 0, 1, -1), "differ", None),
    (lambda t: t.trace(t.zeros(2, 3, 4)), "matrix", None),
    (lambda t: t.trace(t.ones(2, 2, dtype=t.bool)), "bool", TypeError),
    (lambda t: t.diag_embed(t.zeros(2, 3), 0, 1, 1), "differ", None),
    (lambda t: t.block_diag(t.zeros(1, 2, 3)), "2 or fewer dimensions", None),
    (lambda t: t.broadcast_tensors(t.zeros(2), t.zeros(3)), "broadcast", CAT_ERROR),
], ids=lambda x: x if isinstance(x, str) else "")
def test_bad_arguments_raise_like_torch(make, message, error):
    raises_like_torch(make, message, error)


def test_rot90_by_zero_turns_is_a_copy_that_keeps_the_graph():
    x = cr.arange(6.0).reshape(2, 3).requires_grad_()
    y = cr.rot90(x, 4)
    assert y is not x and not np.shares_memory(y.data, x.data)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones((2, 3)))


@pytest.mark.parametrize("default", ["float32", "float64"])
def test_block_diag_of_nothing_is_torchs_empty_row(default):
    cr.set_default_dtype(getattr(cr, default))
    torch.set_default_dtype(getattr(torch, default))
    try:
        ours, theirs = cr.block_diag(), torch.block_diag()
    finally:
        cr.set_default_dtype(cr.float32)
        torch.set_default_dtype(torch.float32)
    assert ours.shape == tuple(theirs.shape) == (1, 0)
    assert str(theirs.dtype) == f"torch.{ours.dtype.name}" == f"torch.{default}"


def test_tensor_split_pieces_are_views_whose_gradients_reach_the_input():
    x = cr.arange(7.0, requires_grad=True)
    pieces = cr.tensor_split(x, [2, 2, 5])
    assert [p.shape[0] for p in pieces] == [2, 0, 3, 2]
    (pieces[0].sum() * 1 + pieces[2].sum() * 2 + pieces[3].sum() * 3).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1, 1, 2, 2, 2, 3, 3])


# ---------------------------------------------------------------- reductions and statistics

TIES = np.array([[1, 3, 3, 2, 3], [5, 5, 1, 1, 0], [2, 2, 2, 2, 2]])


@pytest.mark.parametrize("make", [
    lambda t: t.median(t.tensor(TIES)),
    lambda t: t.median(t.tensor(TIES, dtype=t.int32), 1),
    lambda t: t.median(t.tensor(TIES), 0, keepdim=True),
    lambda t: t.median(t.tensor([[3.0, np.nan, 1.0, np.nan], [1.0, 2.0, 3.0, 0.0]]), 1),
    lambda t: t.median(t.tensor([1.0, np.nan])),
    lambda t: t.median(t.tensor(3.0), 0),
    lambda t: t.mode(t.tensor(TIES)),
    lambda t: t.mode(t.tensor(TIES.astype(float)), 0, keepdim=True),
    lambda t: t.mode(t.tensor(TIES.astype(bool))),
    lambda t: t.mode(t.tensor(5.0)),
    lambda t: t.cummax(t.tensor(TIES), 1),
    lambda t: t.cummin(t.tensor(TIES), 0),
    lambda t: t.cummax(t.tensor([True, False, True]), 0),
    lambda t: t.cummin(t.tensor([3.0, np.nan, 1.0, np.nan]), 0),
    lambda t: t.cummax(t.tensor(2.0), 0),
    lambda t: t.cummax(t.zeros(0, 3), 0),
    lambda t: t.amax(t.tensor(TIES), (0, 1)),
    lambda t: t.amin(t.tensor(TIES, dtype=t.uint8), -1, keepdim=True),
    lambda t: t.amax(t.zeros(0, 3), 1),
    lambda t: t.aminmax(t.tensor(TIES)),
    lambda t: t.aminmax(t.tensor(TIES.astype(bool)), dim=0),
    lambda t: t.aminmax(t.tensor(TIES), keepdim=True),
    lambda t: t.count_nonzero(t.tensor(TIES.astype(bool))),
    lambda t: t.count_nonzero(t.tensor(TIES - 2), -1),
    lambda t: t.count_nonzero(t.zeros(0, 3), 0),
    lambda t: t.nansum(t.tensor(TIES)),
    lambda t: t.nansum(t.tensor(TIES.astype(bool)), 0),
    lambda t: t.nansum(t.zeros(0)),
    lambda t: t.nanmean(t.tensor([[np.nan, np.nan], [1.0, np.nan]]), 1),
    lambda t: t.quantile(t.tensor([[1.0, np.nan, 3.0], [3.0, 1.0, 2.0]]), 0.5, 1),
    lambda t: t.quantile(t.tensor([1.0, 2.0, 3.0, 4.0, 5.0]), t.tensor([0.125, 0.375, 0.625]),
                         interpolation="nearest"),
    lambda t: t.quantile(t.tensor(2.0), 0.3),
    lambda t: t.quantile(t.tensor(TIES.astype(float)), 0.5, keepdim=True),
    lambda t: t.quantile(t.tensor(TIES.astype(float)), t.tensor(0.5, dtype=t.float64), 0),
    lambda t: t.nanquantile(t.tensor([[np.nan, np.nan], [1.0, np.nan]]), 0.2, 1),
    lambda t: t.diff(t.tensor(TIES)),
    lambda t: t.diff(t.tensor(TIES.astype(bool)), 2, 0),
    lambda t: t.diff(t.tensor([1.0, 2.0]), n=3),
    lambda t: t.diff(t.tensor([1.0, 2.0]), n=0),
    lambda t: t.diff(t.zeros(0)),
    lambda t: t.logcumsumexp(t.tensor([-1000.0, 0.0, 1000.0, -np.inf]), 0),
    lambda t: t.logcumsumexp(t.zeros(0, 2), 1),
    lambda t: t.std_mean(t.tensor(TIES.astype(float)), True),
    lambda t: t.var_mean(t.tensor(TIES.astype(float)), dim=1, unbiased=False),
], ids=lambda make: "")
def test_statistics_of_ties_integers_nan_and_empty_inputs_match_torch(make):
    ours, theirs = both(make)
    for o, t in zip(ours, theirs) if isinstance(ours, list) else [(ours, theirs)]:
        assert o.shape == t.shape and o.dtype == t.dtype
        np.testing.assert_allclose(o, t, rtol=1e-6, atol=0, equal_nan=True)


@pytest.mark.parametrize("make", [
    lambda t, x: t.amax(x, 1),
    lambda t, x: t.amin(x),
    lambda t, x: t.aminmax(x, dim=0).max,
    lambda t, x: t.median(x, 1).values,
    lambda t, x: t.median(x),
    lambda t, x: t.mode(x, 1).values,
    lambda t, x: t.cummax(x, 1).values,
    lambda t, x: t.cummin(x, 0).values,
    lambda t, x: t.quantile(x, 0.4, 1),
], ids=lambda make: "")
def test_gradients_at_tied_values_go_where_torch_sends_them(make):
    """amax/amin share the gradient among ties; the others send it to the index they return."""
    upstream = None
    grads = []
    for lib in (cr, torch):
        x = lib.tensor(TIES.astype(np.float64), requires_grad=True)
        out = make(lib, x)
        if upstream is None:
            upstream = np.random.default_rng(0).standard_normal(tuple(out.shape))
        (out * lib.tensor(upstream)).sum().backward()
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12)


def test_logcumsumexp_gradient_is_finite_at_extreme_inputs():
    grads = []
    for lib in (cr, torch):
        x = lib.tensor([-1000.0, 0.0, 1000.0, -30.0], dtype=lib.float64, requires_grad=True)
        (lib.logcumsumexp(x, 0) * lib.tensor([1.0, -2.0, 0.5, 0.0], dtype=lib.float64)).sum() \
            .backward()
        grads.append(x.grad.numpy())
    assert np.isfinite(grads[0]).all()
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize(("make", "message", "error"), [
    (lambda t: t.amax(t.zeros(0, 3)), "empty", IndexError),
    (lambda t: t.aminmax(t.zeros(0, 3), dim=0), "empty", None),
    (lambda t: t.mode(t.zeros(0)), "empty", None),
    (lambda t: t.median(t.zeros(2, 0), 1), "empty", IndexError),
    (lambda t: t.median(t.zeros(2), 2), "out of range", None),
    (lambda t: t.nanmean(t.tensor([1, 2])), "floating-point", TypeError),
    (lambda t: t.quantile(t.tensor([1, 2]), 0.5), "floating-point", TypeError),
    (lambda t: t.quantile(t.tensor([1.0, 2.0]), 1.5), "[0, 1]", None),
    (lambda t: t.quantile(t.tensor([1.0, 2.0]), t.tensor([[0.5]])), "1D", ValueError),
    (lambda t: t.quantile(t.tensor([1.0, 2.0]), t.tensor([0.5], dtype=t.float64)), "dtype",
     TypeError),
    (lambda t: t.quantile(t.tensor([1.0, 2.0]), 0.5, interpolation="cubic"), "interpolation",
     ValueError),
    (lambda t: t.quantile(t.zeros(0), 0.5), "non-empty", None),
    (lambda t: t.logcumsumexp(t.tensor([1, 2]), 0), "floating-point", TypeError),
    (lambda t: t.diff(t.tensor(1.0)), "one-dimensional", None),
    (lambda t: t.diff(t.ones(3), n=-1), "non-negative", None),
    (lambda t: t.diff(t.ones(3), prepend=t.tensor(1.0)), "same dimension", None),
], ids=lambda x: x if isinstance(x, str) else "")
def test_bad_statistics_arguments_raise_like_torch(make, message, error):
    raises_like_torch(make, message, error)


# ---------------------------------------------------------------- indexing and search


@pytest.mark.parametrize("make", [
    lambda t: t.masked_select(t.tensor(TIES), t.tensor([True, False, True, False, True])),
    lambda t: t.masked_select(t.tensor(1.0), t.tensor([[True, False]])),
    lambda t: t.masked_select(t.zeros(0, 3), t.ones(3, dtype=t.bool)),
    lambda t: t.take(t.tensor(TIES), t.tensor([[0, -1], [14, 2]])),
    lambda t: t.take(t.tensor(TIES), t.tensor([], dtype=t.int64)),
    lambda t: t.take(t.tensor(7.0), t.tensor(0)),
    lambda t: t.argwhere(t.tensor(1.0)),
    lambda t: t.argwhere(t.tensor(TIES - 2)),
    lambda t: t.isin(t.tensor([1, 2, 3]), t.tensor([2.0, 5.0])),
    lambda t: t.isin(t.tensor([1, 2, 3]), 2),
    lambda t: t.isin(3, t.tensor([1, 3])),
    lambda t: t.isin(t.tensor([1.0, np.nan]), t.tensor([np.nan]), invert=True),
    lambda t: t.bucketize(t.tensor([[1, 5], [9, 3]]), t.tensor([1, 3, 5, 7])),
    lambda t: t.bucketize(3, t.tensor([1, 3, 5])),
    lambda t: t.searchsorted(t.tensor([[1, 3, 5], [2, 4, 6]]), t.tensor([[3, 6], [1, 7]])),
    lambda t: t.searchsorted(t.tensor([1, 3, 5]), 3, right=True),
    lambda t: t.searchsorted(t.tensor([5, 1, 3]), t.tensor([3]), sorter=t.tensor([1, 2, 0])),
    lambda t: t.bincount(t.tensor([0, 1, 1, 3]), minlength=6),
    lambda t: t.bincount(t.tensor([0, 1, 1]), t.tensor([1, 2, 3])),
    lambda t: t.bincount(t.tensor([0, 1, 1]), t.tensor([0.5, 1.0, 2.0], dtype=t.float64)),
    lambda t: t.bincount(t.tensor([], dtype=t.int64)),
    lambda t: t.histc(t.tensor([1.0, 1.0]), 3),
    lambda t: t.histc(t.tensor([0.0, 1.0, 3.0, 3.5, -1.0, np.nan]), 3, 0, 3),
    lambda t: t.histc(t.tensor([], dtype=t.float64), 3),
], ids=lambda make: "")
def test_search_of_integers_nan_and_empty_inputs_matches_torch(make):
    assert_same(make)


@pytest.mark.parametrize(("make", "message", "error"), [
    (lambda t: t.masked_select(t.zeros(3), t.tensor([1, 0, 1])), "bool", TypeError),
    (lambda t: t.masked_select(t.zeros(3), t.ones(2, dtype=t.bool)), "broadcast", ValueError),
    (lambda t: t.take(t.zeros(2, 3), t.tensor([6])), "out of range", None),
    (lambda t: t.take(t.zeros(2, 3), t.tensor([-7])), "out of range", None),
    (lambda t: t.take(t.zeros(2, 3), t.tensor([1.0])), "integer", TypeError),
    (lambda t: t.bucketize(t.tensor([1]), t.tensor([[1, 3]])), "1 dimension", None),
    (lambda t: t.searchsorted(t.tensor([1, 3]), t.tensor([3]), side="left", right=True),
     "opposites", None),
    (lambda t: t.searchsorted(t.tensor([[1, 3, 5], [2, 4, 6]]), t.tensor([3])), "dimensions",
     None),
    (lambda t: t.bincount(t.tensor([-1])), "non-negative", None),
    (lambda t: t.bincount(t.tensor([[1]])), "1-d", None),
    (lambda t: t.bincount(t.tensor([1.0])), "integral", RuntimeError),
    (lambda t: t.bincount(t.tensor([1, 2]), t.tensor([1.0])), "same shape", None),
    (lambda t: t.histc(t.tensor([1, 2]), 3), "floating-point", TypeError),
    (lambda t: t.histc(t.tensor([1.0, 2.0]), 3, min=2, max=1), "max must be larger", None),
], ids=lambda x: x if isinstance(x, str) else "")
def test_bad_search_arguments_raise_like_torch(make, message, error):
    raises_like_torch(make, message, error)


def test_masked_select_and_take_send_gradients_back_like_torch():
    grads = []
    for lib in (cr, torch):
        x = lib.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
        picked = lib.masked_select(x, lib.tensor([True, False, True]))
        taken = lib.take(x, lib.tensor([[5, 5], [0, -1]]))
        (picked * lib.arange(1.0, 5.0)).sum().backward(retain_graph=True)
        (taken * lib.tensor([[1.0, 2.0], [3.0, 4.0]])).sum().backward()
        grads.append(x.grad.numpy())
    np.testing.assert_array_equal(grads[0], grads[1])


# ---------------------------------------------------------------- products and linear algebra


@pytest.mark.parametrize("make", [
    lambda t: t.tensordot(t.tensor(TIES), t.tensor(TIES), ([0, 1], [0, 1])),
    lambda t: t.kron(t.tensor([1, 2]), t.tensor([[1, 0], [0, 3]])),
    lambda t: t.kron(t.tensor([True, False]), t.tensor([True, True])),
    lambda t: t.cross(t.tensor([[1, 0, 0], [0, 1, 0]]), t.tensor([[0, 1, 0], [0, 0, 1]])),
    lambda t: t.cartesian_prod(t.tensor([1, 2]), t.tensor([3, 4, 5]), t.tensor([6])),
    lambda t: t.combinations(t.tensor([1, 2]), r=3),
    lambda t: t.combinations(t.tensor([1, 2, 3]), r=0),
    lambda t: t.combinations(t.tensor([], dtype=t.int64)),
    lambda t: t.det(t.zeros(0, 0)),
    lambda t: t.det(t.tensor([[1.0, 2.0], [2.0, 4.0]], dtype=t.float64)),
    lambda t: t.dist(t.tensor([1.0, 0.0, 2.0]), t.zeros(2, 3), p=0),
    lambda t: t.cdist(t.tensor([[0.0, 1.0], [1.0, 1.0]]), t.tensor([[0.0, 1.0]]), p=0),
    lambda t: t.baddbmm(t.tensor([np.nan]), t.ones(1, 2, 2), t.ones(1, 2, 1), beta=0),
], ids=lambda make: "")
@pytest.mark.filterwarnings("ignore:Using torch.cross without specifying the dim")  # torch's
def test_products_of_integers_and_edge_shapes_match_torch(make):
    assert_same(make)


def numeric_det_gradient(matrix: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central differences of NumPy's det, entry by entry."""
    grad = np.zeros_like(matrix)
    for index in np.ndindex(matrix.shape):
        step = np.zeros_like(matrix)
        step[index] = eps
        grad[index] = (np.linalg.det(matrix + step) - np.linalg.det(matrix - step)) / (2 * eps)
    return grad


SINGULAR = [
    [[1.0, 2.0], [2.0, 4.0]],  # rank 1: the gradient is the adjugate, not 0
    [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]],  # rank 2
]


@pytest.mark.parametrize("matrix", SINGULAR + [[[0.0, 0.0], [0.0, 0.0]], [[2.0, -1.0], [0.5, 3.0]]])
def test_det_gradient_is_exact_also_at_singular_matrices(matrix):
    """Jacobi's formula, checked by finite differences. NOTE: torch 2.13 returns a zero
    gradient at the two singular matrices of rank n − 1 here, where the derivative is the
    (non-zero) adjugate; it is compared with torch at the others."""
    x = cr.tensor(matrix, dtype=cr.float64, requires_grad=True)
    cr.det(x).backward()
    want = numeric_det_gradient(np.array(matrix))
    np.testing.assert_allclose(x.grad.numpy(), want, rtol=1e-7, atol=1e-8)
    if matrix not in SINGULAR:
        theirs = torch.tensor(matrix, dtype=torch.float64, requires_grad=True)
        torch.det(theirs).backward()
        np.testing.assert_allclose(x.grad.numpy(), theirs.grad.numpy(), rtol=1e-12)


def test_cdist_gradient_at_zero_distance_is_zero_as_torch():
    grads = []
    for lib in (cr, torch):
        a = lib.tensor([[1.0, 2.0], [0.0, 0.0]], dtype=lib.float64, requires_grad=True)
        b = lib.tensor([[1.0, 2.0]], dtype=lib.float64)
        lib.cdist(a, b).sum().backward()
        grads.append(a.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12)


@pytest.mark.parametrize(("make", "message", "error"), [
    (lambda t: t.tensordot(t.ones(2, 3, dtype=t.int64), t.ones(3, 2), 1), "same dtype",
     TypeError),
    (lambda t: t.tensordot(t.ones(2, 3), t.ones(2, 3), 1), "same size", None),
    (lambda t: t.tensordot(t.ones(2, 3), t.ones(3, 2), ([0], [0, 1])), "same length", None),
    (lambda t: t.cross(t.ones(2, 3), t.ones(3)), "same number of dimensions", None),
    (lambda t: t.cross(t.ones(2, 4), t.ones(2, 4)), "size 3", None),
    (lambda t: t.cross(t.ones(2, 3), t.ones(2, 3), dim=0), "length 3", None),
    (lambda t: t.cdist(t.ones(3, 2), t.ones(4, 3)), "columns", None),
    (lambda t: t.cdist(t.ones(3, 2, dtype=t.int64), t.ones(4, 2, dtype=t.int64)),
     "floating-point", TypeError),
    (lambda t: t.cdist(t.ones(1, 2), t.ones(1, 2), p=-1), "non-negative", None),
    (lambda t: t.baddbmm(t.ones(3), t.ones(2, 2, 4), t.ones(2, 3, 3)), "", ValueError),
    (lambda t: t.cartesian_prod(t.ones(2, 2)), "1-D", None),
    (lambda t: t.combinations(t.ones(2, 2)), "1-D", None),
    (lambda t: t.det(t.ones(2, 3)), "square", None),
    (lambda t: t.det(t.ones(2, 2, dtype=t.int64)), "floating", TypeError),
    (lambda t: t.inverse(t.zeros(2, 2)), "singular", RuntimeError),
    (lambda t: t.linalg.cross(t.ones(2, 3), t.ones(3)), "same number of dimensions", None),
], ids=lambda x: x if isinstance(x, str) else "")
def test_bad_product_arguments_raise_like_torch(make, message, error):
    raises_like_torch(make, message, error)


# ---------------------------------------------------------------- dtype information, utilities

FLOATS = ["float16", "float32", "float64"]
INTEGERS = ["int8", "uint8", "int16", "int32", "int64"]
ALL_DTYPES = FLOATS + INTEGERS + ["bool"]


@pytest.mark.parametrize("name", FLOATS)
def test_finfo_matches_torch(name):
    ours, theirs = cr.finfo(getattr(cr, name)), torch.finfo(getattr(torch, name))
    for field in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution"):
        assert getattr(ours, field) == getattr(theirs, field), field
    assert ours.dtype == theirs.dtype
    assert repr(ours) == repr(theirs)


def test_finfo_without_a_dtype_describes_the_default_float():
    assert cr.finfo().eps == torch.finfo().eps == np.finfo(np.float32).eps


@pytest.mark.parametrize("name", INTEGERS)
def test_iinfo_matches_torch(name):
    ours, theirs = cr.iinfo(getattr(cr, name)), torch.iinfo(getattr(torch, name))
    assert (ours.bits, ours.max, ours.min, ours.dtype) == \
        (theirs.bits, theirs.max, theirs.min, theirs.dtype)
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize(("make", "message"), [
    (lambda t: t.finfo(t.int32), "floating point"),
    (lambda t: t.iinfo(t.float32), "integer"),
    (lambda t: t.iinfo(t.bool), "bool"),
])
def test_finfo_and_iinfo_refuse_the_other_kind_like_torch(make, message):
    raises_like_torch(make, message)


@pytest.mark.parametrize("a", ALL_DTYPES)
@pytest.mark.parametrize("b", ALL_DTYPES)
def test_promote_types_and_can_cast_match_torch_on_every_pair(a, b):
    ours = cr.promote_types(getattr(cr, a), getattr(cr, b))
    theirs = torch.promote_types(getattr(torch, a), getattr(torch, b))
    assert str(theirs) == f"torch.{ours.name}"
    assert cr.can_cast(getattr(cr, a), getattr(cr, b)) == \
        torch.can_cast(getattr(torch, a), getattr(torch, b))


@pytest.mark.parametrize("make", [
    lambda t: t.result_type(t.tensor([1]), 1.0),
    lambda t: t.result_type(t.tensor([1.0]), t.tensor(1.0, dtype=t.float64)),
    lambda t: t.result_type(t.tensor([1], dtype=t.int32), t.tensor(1.5, dtype=t.float64)),
    lambda t: t.result_type(2, 3.0),
    lambda t: t.result_type(True, 2),
    lambda t: t.result_type(t.tensor([True]), 2),
    lambda t: t.result_type(3, t.tensor([1], dtype=t.uint8)),
    lambda t: t.result_type(t.tensor([1], dtype=t.int32), t.tensor([1], dtype=t.uint8)),
], ids=lambda make: "")
def test_result_type_matches_torch(make):
    assert str(make(torch)) == f"torch.{make(cr).name}"


@pytest.mark.parametrize("make", [
    lambda t: t.is_nonzero(t.tensor([0.0])),
    lambda t: t.is_nonzero(t.tensor([[3]])),
    lambda t: t.is_nonzero(t.tensor(False)),
    lambda t: t.tensor([np.nan]).is_nonzero(),
], ids=lambda make: "")
def test_is_nonzero_matches_torch(make):
    assert make(cr) is make(torch)


@pytest.mark.parametrize("make", [
    lambda t: t.is_nonzero(t.tensor([1, 2])),
    lambda t: t.is_nonzero(t.tensor([])),
], ids=lambda make: "")
def test_is_nonzero_refuses_other_sizes_like_torch(make):
    raises_like_torch(make, "ambiguous")


@pytest.mark.parametrize("make", [
    lambda t: t.asarray([1, 2]),
    lambda t: t.asarray([1.5]),
    lambda t: t.asarray(3.0),
    lambda t: t.asarray(t.ones(2), dtype=t.int64),
    lambda t: t.asarray(np.arange(3, dtype=np.int16)),
    lambda t: t.logspace(0, 2, 3),
    lambda t: t.logspace(0, 2, 3, base=2),
    lambda t: t.logspace(0, 2, 3, dtype=t.int64),
    lambda t: t.logspace(-1, 1, 5, dtype=t.float64),
    lambda t: t.logspace(0, 1, 1),
    lambda t: t.logspace(0, 1, 0),
], ids=lambda make: "")
def test_asarray_and_logspace_match_torch(make):
    ours, theirs = make(cr).numpy(), make(torch).numpy()
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)


def test_asarray_shares_memory_unless_told_to_copy():
    array = np.zeros(3, dtype=np.float32)
    cr.asarray(array)[0] = 1.0
    assert array[0] == 1.0
    cr.asarray(array, copy=True)[1] = 1.0
    assert array[1] == 0.0
    t = cr.zeros(2)
    assert cr.asarray(t) is t
    with pytest.raises(ValueError, match="copy=False"):
        cr.asarray([1.0, 2.0], copy=False)
    assert cr.asarray([1.0], requires_grad=True).requires_grad


@pytest.mark.parametrize(("args", "kwargs"), [
    ((5,), {}), ((3, 5), {}), ((5,), {"dtype": "int32"}), ((), {"high": 5}),
])
def test_randint_like_has_torch_shape_dtype_and_range(args, kwargs):
    ours_kwargs = {k: getattr(cr, v) if k == "dtype" else v for k, v in kwargs.items()}
    theirs_kwargs = {k: getattr(torch, v) if k == "dtype" else v for k, v in kwargs.items()}
    ours = cr.randint_like(cr.ones(40, 3), *args, **ours_kwargs)
    theirs = torch.randint_like(torch.ones(40, 3), *args, **theirs_kwargs)
    assert ours.shape == tuple(theirs.shape) and str(theirs.dtype) == f"torch.{ours.dtype}"
    low, high = (0, args[0]) if len(args) == 1 else (args if args else (0, 5))
    values = ours.numpy()
    assert values.min() >= low and values.max() < high
    assert len(np.unique(values)) == high - low  # 120 draws reach every value


def test_randint_like_is_reproducible_under_manual_seed_and_refuses_an_empty_range():
    cr.manual_seed(3)
    a = cr.randint_like(cr.zeros(10), 100)
    cr.manual_seed(3)
    np.testing.assert_array_equal(a.numpy(), cr.randint_like(cr.zeros(10), 100).numpy())
    with pytest.raises(ValueError, match="greater than low"):
        cr.randint_like(cr.zeros(2), 3, 3)


def test_seed_and_initial_seed_follow_manual_seed():
    cr.manual_seed(7)
    assert cr.initial_seed() == 7
    first = cr.seed()
    assert isinstance(first, int) and 0 <= first < 2 ** 63
    assert cr.initial_seed() == first
    draw = cr.rand(4).numpy()
    cr.manual_seed(first)
    np.testing.assert_array_equal(cr.rand(4).numpy(), draw)
    assert cr.seed() != first  # fresh entropy each time (a clash has chance 2 ** -63)
