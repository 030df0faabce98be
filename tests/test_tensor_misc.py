"""Edge cases of the misc family (tile, unfold, scatter_reduce, index_put, put, index_copy,
masked_scatter, fill_diagonal_, kthvalue, unique_consecutive, sum_to_size, the index helpers,
the products and the statistics) against torch: integer, bool, empty and 0-d inputs, the
in-place forms, argument forms, and the errors (the same class as torch raises, with a message
that names the problem). Values and gradients on float inputs are checked over the rows of
``tests/ops/spec_rows_misc.py`` (rows of the op table)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import chainrule as cr
from chainrule.device import DeviceError
from tests.optional import needs_torch, torch

pytestmark = needs_torch


def outputs(result):
    return list(result) if isinstance(result, (tuple, list)) else [result]


def assert_same(make, exact=True):
    """``make(lib)`` gives the same shapes, dtypes and values with chainrule and with torch."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # torch.chain_matmul is deprecated
        ours, theirs = outputs(make(cr)), outputs(make(torch))
    assert len(ours) == len(theirs)
    for o, t in zip(ours, theirs):
        o, t = o.detach().numpy(), t.detach().numpy()
        assert o.shape == t.shape and o.dtype == t.dtype
        if exact:
            np.testing.assert_array_equal(o, t)
        else:
            np.testing.assert_allclose(o, t, rtol=1e-5, atol=1e-6)


def assert_both_raise(make, ours_error, match):
    """torch refuses ``make`` too; chainrule raises ``ours_error`` with a message matching."""
    with pytest.raises(Exception):  # noqa: B017 - only that torch refuses; its class varies
        make(torch)
    with pytest.raises(ours_error, match=match):
        make(cr)


# ---------------------------------------------------------------- integer, bool, empty, 0-d

INT = [[3, -1, 4, 1], [5, -9, 2, 6], [5, 3, -5, 8]]
NAN = float("nan")

SAME_AS_TORCH = {
    "tile_bool": lambda L: L.tensor([True, False]).tile((2, 2)),
    "tile_empty": lambda L: L.zeros(0, 3).tile((2, 1)),
    "tile_0d": lambda L: L.tensor(2.5).tile((3,)),
    "unfold_int": lambda L: L.tensor(INT).unfold(1, 2, 1),
    "unfold_size_0": lambda L: L.arange(5.0).unfold(0, 0, 2),
    "scatter_reduce_int_mean": lambda L: L.tensor(INT).scatter_reduce(
        0, L.tensor([[0, 0, 2, 2], [0, 1, 2, 2]]), L.tensor([[7, -3, 1, 1], [2, 2, -8, 5]]),
        "mean"),
    "scatter_reduce_int_prod_without_self": lambda L: L.tensor(INT).scatter_reduce(
        1, L.tensor([[0, 0], [3, 3], [1, 0]]), L.tensor([[2, 3], [-4, 5], [6, 7]]), "prod",
        include_self=False),
    "scatter_reduce_empty_index": lambda L: L.ones(3).scatter_reduce(
        0, L.zeros(0, dtype=L.int64), L.ones(0), "amax"),
    "scatter_reduce_0d": lambda L: L.tensor(2.0).scatter_reduce(
        0, L.tensor(0), L.tensor(5.0), "amin"),
    "index_put_int_accumulate": lambda L: L.tensor(INT).index_put(
        (L.tensor([0, 0, 2]), L.tensor([1, 1, -1])), L.tensor([10, 20, 30]), accumulate=True),
    "index_put_bool_values_broadcast": lambda L: L.zeros(3, 4, dtype=L.bool).index_put(
        (L.tensor([True, False, True]),), L.tensor(True)),
    "index_put_empty_index": lambda L: L.ones(3, 2).index_put(
        (L.zeros(0, dtype=L.int64),), L.tensor(5.0)),
    "put_int": lambda L: L.tensor(INT).put(L.tensor([-1, 0, 5]), L.tensor([7, 8, 9])),
    "index_copy_int_dim1": lambda L: L.tensor(INT).index_copy(
        1, L.tensor([3, 0]), L.tensor([[1, 2], [3, 4], [5, 6]])),
    "masked_scatter_int": lambda L: L.tensor(INT).masked_scatter(
        L.tensor(INT) > 2, L.arange(100, 112)),
    "masked_scatter_all_false": lambda L: L.ones(2, 2).masked_scatter(
        L.zeros(2, 2, dtype=L.bool), L.zeros(0)),
    "kthvalue_int": lambda L: L.tensor(INT).kthvalue(2, 0),
    "kthvalue_0d": lambda L: L.tensor(4.0).kthvalue(1),
    "kthvalue_negative_dim": lambda L: L.tensor(INT).kthvalue(4, -1, True),
    "msort_int": lambda L: L.msort(L.tensor(INT)),
    "unique_consecutive_dim1": lambda L: L.unique_consecutive(
        L.tensor([[1, 1, 2, 2, 1], [0, 0, 2, 3, 0]]), return_inverse=True, return_counts=True,
        dim=1),
    "unique_consecutive_empty": lambda L: L.zeros(0).unique_consecutive(
        return_inverse=True, return_counts=True),
    "unique_consecutive_0d": lambda L: L.tensor(7).unique_consecutive(
        return_inverse=True, return_counts=True),
    "unique_consecutive_bool": lambda L: L.tensor([True, True, False]).unique_consecutive(),
    "sum_to_size_int32": lambda L: L.ones(2, 3, dtype=L.int32).sum_to_size(3),
    "sum_to_size_same": lambda L: L.tensor(INT).sum_to_size(3, 4),
    "narrow_copy_negative_start": lambda L: L.narrow_copy(L.tensor(INT), 1, -2, 2),
    "tril_indices": lambda L: L.tril_indices(4, 3, -1),
    "tril_indices_int32": lambda L: L.tril_indices(3, 5, 2, dtype=L.int32),
    "triu_indices_empty": lambda L: L.triu_indices(0, 4),
    "triu_indices_wide": lambda L: L.triu_indices(2, 6, 3),
    "unravel_index_int": lambda L: L.unravel_index(L.tensor([[0, 5], [-1, 11]]), (3, 4)),
    "unravel_index_0d": lambda L: L.unravel_index(L.tensor(7), (2, 2, 2)),
    "mv_int": lambda L: L.mv(L.tensor(INT), L.tensor([1, 2, 3, 4])),
    "inner_int": lambda L: L.inner(L.tensor(INT), L.tensor(INT)),
    "vdot_int": lambda L: L.vdot(L.tensor([1, 2]), L.tensor([3, 4])),
    "addr_int": lambda L: L.addr(L.tensor(INT), L.tensor([1, 2, 3]), L.tensor([1, 0, 1, 0]),
                                 beta=2, alpha=3),
    "addmv_beta_0_ignores_nan": lambda L: L.addmv(L.tensor([float("nan")] * 3),
                                                  L.ones(3, 2), L.ones(2), beta=0),
    "addbmm_empty_batch": lambda L: L.addbmm(L.ones(2, 3), L.ones(0, 2, 4), L.ones(0, 4, 3)),
    "chain_matmul_one": lambda L: L.chain_matmul(L.tensor([[1.0, 2.0]])),
    "vander": lambda L: L.vander(L.tensor([2.0, -1.0, 0.0, 3.0])),
    "vander_int_increasing": lambda L: L.vander(L.tensor([1, 2, 3]), N=5, increasing=True),
    "vander_bool": lambda L: L.vander(L.tensor([True, False])),
    "vander_N_0": lambda L: L.vander(L.tensor([1.0, 2.0]), N=0),
    "cov_int": lambda L: L.cov(L.tensor(INT)),
    "cov_fweights_only": lambda L: L.tensor(INT).float().cov(fweights=L.tensor([1, 0, 2, 1])),
    "cov_one_observation": lambda L: L.cov(L.tensor([[1.0], [2.0]])),
    "corrcoef_int": lambda L: L.corrcoef(L.tensor(INT)),
    "trapezoid_int": lambda L: L.trapezoid(L.tensor(INT)),
    "trapezoid_one_sample": lambda L: L.trapezoid(L.ones(3, 1)),
    "trapezoid_empty": lambda L: L.trapezoid(L.zeros(2, 0)),
    "trapz_dx": lambda L: L.trapz(L.tensor(INT), dx=0.5, dim=0),
    "cumulative_trapezoid_int_x": lambda L: L.cumulative_trapezoid(
        L.tensor([1.0, 4.0, 2.0]), L.tensor([0, 2, 3])),
    "histogram_weight_density": lambda L: L.histogram(
        L.tensor([0.5, 1.5, 1.5, 9.0]), 3, range=(0.0, 3.0), weight=L.tensor([1.0, 2, 3, 4]),
        density=True),
    "histogram_edges": lambda L: L.tensor([0.5, 1.5, 4.0, -2.0]).histogram(
        L.tensor([-1.0, 1.0, 4.0])),
    "histogram_constant": lambda L: L.histogram(L.tensor([2.0, 2.0]), 4),
    "histogram_empty": lambda L: L.histogram(L.zeros(0, dtype=L.float64), 2),
    "histogram_empty_range": lambda L: L.histogram(L.tensor([1.0, 2.0]), 2, range=(5.0, 5.0)),
    "nan_unique_consecutive_runs_of_one": lambda L: L.tensor(
        [1.0, NAN, NAN, 2.0]).unique_consecutive(return_counts=True),
    "nan_scatter_reduce_amax_propagates": lambda L: L.tensor([1.0, 5.0, 3.0]).scatter_reduce(
        0, L.tensor([0, 0, 2]), L.tensor([NAN, 2.0, 7.0]), "amax"),
    "nan_scatter_reduce_amin_self": lambda L: L.tensor([1.0, NAN, 3.0]).scatter_reduce(
        0, L.tensor([1, 0]), L.tensor([4.0, 2.0]), "amin"),
    "nan_kthvalue_largest": lambda L: L.tensor([[3.0, NAN, 1.0]]).kthvalue(3),
    "cumulative_trapezoid_one_sample": lambda L: L.cumulative_trapezoid(L.ones(2, 1)),
}


@pytest.mark.parametrize("name", sorted(SAME_AS_TORCH))
def test_same_as_torch(name):
    assert_same(SAME_AS_TORCH[name], exact=not name.startswith(("cov", "corr", "hist")))


def test_fill_diagonal_matches_torch_on_every_shape_and_wrap():
    for shape in [(5, 3), (3, 5), (7, 2), (3, 3, 3), (1, 4)]:
        for wrap in (False, True):
            assert_same(lambda L, s=shape, w=wrap: L.zeros(s).fill_diagonal_(-2.0, wrap=w))


# ---------------------------------------------------------------- gradients beyond the table


def test_scatter_reduce_reads_only_the_leading_block_of_a_larger_src():
    x = cr.tensor(np.random.default_rng(1).normal(size=(3, 4)), requires_grad=True)
    src = cr.tensor(np.random.default_rng(2).normal(size=(5, 6)), requires_grad=True)
    index = cr.tensor([[0, 2, 2, 1], [1, 1, 0, 0]])
    for reduce in ("sum", "prod", "mean", "amax", "amin"):
        assert cr.gradcheck(lambda a, s, r=reduce: a.scatter_reduce(0, index, s, r), (x, src))
        src.grad = None
        x.scatter_reduce(0, index, src, reduce).sum().backward()
        assert np.all(src.grad.numpy()[2:] == 0) and np.all(src.grad.numpy()[:, 4:] == 0)


def test_scatter_reduce_amax_splits_the_gradient_between_ties_as_torch_does():
    values = [[1.0, 5.0], [5.0, 2.0], [5.0, 2.0]]

    def grads(L):
        x = L.tensor([[5.0, 0.0]], requires_grad=True)
        src = L.tensor(values, requires_grad=True)
        index = L.zeros(3, 2, dtype=L.int64)
        (x.scatter_reduce(0, index, src, "amax") * L.tensor([[3.0, 7.0]])).sum().backward()
        return x.grad, src.grad

    assert_same(grads)


def test_scatter_reduce_prod_gradient_with_one_and_two_zeros_matches_torch():
    def grads(L):
        x = L.tensor([2.0, 0.0, 3.0], requires_grad=True)
        src = L.tensor([0.0, 4.0, 5.0, 0.0, 0.0, 6.0], requires_grad=True)
        index = L.tensor([0, 0, 1, 1, 2, 2])
        x.scatter_reduce(0, index, src, "prod").sum().backward()
        return x.grad, src.grad

    assert_same(grads)


def test_unfold_overlapping_windows_add_their_gradients():
    x = cr.arange(6.0, requires_grad=True)
    x.unfold(0, 3, 1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1, 2, 3, 3, 2, 1])


# ---------------------------------------------------------------- in-place forms


IN_PLACE = {
    "scatter_reduce_": (lambda L, t: t.scatter_reduce_(0, L.tensor([1, 1, 0]),
                                                      L.tensor([1.0, 2.0, 3.0]), "sum")),
    "index_put_": lambda L, t: t.index_put_((L.tensor([2, 0]),), L.tensor([9.0, 8.0])),
    "put_": lambda L, t: t.put_(L.tensor([1]), L.tensor([4.0]), accumulate=True),
    "index_copy_": lambda L, t: t.index_copy_(0, L.tensor([2]), L.tensor([-1.0])),
    "masked_scatter_": lambda L, t: t.masked_scatter_(t > 1.5, L.tensor([7.0, 6.0])),
    "index_put_fn": lambda L, t: L.index_put_(t, (L.tensor([1]),), L.tensor(0.5)),
}


@pytest.mark.parametrize("name", sorted(IN_PLACE))
def test_in_place_forms_change_self_and_return_it(name):
    def run(L):
        t = L.tensor([1.0, 2.0, 3.0])
        assert IN_PLACE[name](L, t) is t
        return t

    assert_same(run)


def test_in_place_forms_refuse_a_source_that_requires_grad():
    src = cr.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="requires grad"):
        cr.zeros(3).index_put_((cr.tensor([0]),), src)
    with pytest.raises(RuntimeError, match="requires grad"):
        cr.zeros(3).put_(cr.tensor([0]), src)


def test_fill_diagonal_refuses_a_leaf_that_requires_grad():
    with pytest.raises(RuntimeError):
        cr.zeros(2, 2, requires_grad=True).fill_diagonal_(1.0)


def test_resize_as_takes_the_template_shape():
    t = cr.arange(6.0)
    assert t.resize_as_(cr.zeros(3, 2)) is t and t.shape == (3, 2)
    assert cr.resize_as_(t, cr.zeros(6)).shape == (6,)


def test_outputs_without_a_gradient_record_no_graph():
    x = cr.tensor([3.0, 1.0, 2.0], requires_grad=True)
    assert x.kthvalue(2).values.requires_grad and not x.kthvalue(2).indices.requires_grad
    for out in (*x.unique_consecutive(True, True), *x.histogram(2)):
        assert not out.requires_grad and out.is_leaf


# ---------------------------------------------------------------- errors

ERRORS = {
    "unfold_size_too_large": (lambda L: L.arange(5.0).unfold(0, 6, 1), RuntimeError, "size"),
    "unfold_step_0": (lambda L: L.arange(5.0).unfold(0, 2, 0), RuntimeError, "step"),
    "unfold_bad_dim": (lambda L: L.arange(5.0).unfold(1, 2, 1), IndexError, "out of range"),
    "scatter_reduce_bad_reduce": (lambda L: L.zeros(3).scatter_reduce(
        0, L.tensor([0]), L.ones(1), "foo"), ValueError, "reduce"),
    "scatter_reduce_dtype": (lambda L: L.zeros(3).scatter_reduce(
        0, L.tensor([0]), L.ones(1, dtype=L.float64), "sum"), TypeError, "dtype"),
    "scatter_reduce_float_index": (lambda L: L.zeros(3).scatter_reduce(
        0, L.tensor([0.0]), L.ones(1), "sum"), TypeError, "integer"),
    "scatter_reduce_out_of_bounds": (lambda L: L.zeros(3).scatter_reduce(
        0, L.tensor([3]), L.ones(1), "sum"), IndexError, "out of bounds"),
    "index_put_values_shape": (lambda L: L.zeros(3).index_put(
        (L.tensor([0, 1]),), L.ones(3)), ValueError, "broadcast"),
    "index_put_out_of_bounds": (lambda L: L.zeros(3).index_put(
        (L.tensor([0, 5]),), L.ones(2)), IndexError, "shape"),
    "index_put_float_index": (lambda L: L.zeros(3).index_put(
        (L.tensor([0.0]),), L.ones(1)), TypeError, "integer or bool"),
    "index_put_dtype": (lambda L: L.zeros(3).index_put(
        (L.tensor([0]),), L.ones(1, dtype=L.float64)), TypeError, "dtype"),
    "put_numel": (lambda L: L.zeros(3).put(L.tensor([1, 2]), L.ones(1)), IndexError,
                  "same number"),
    "put_out_of_range": (lambda L: L.zeros(3).put(L.tensor([3]), L.ones(1)), IndexError,
                         "out of bounds"),
    "index_copy_shape": (lambda L: L.zeros(3).index_copy(0, L.tensor([0, 1]), L.ones(3)),
                         ValueError, "source"),
    "index_copy_2d_index": (lambda L: L.zeros(3).index_copy(0, L.tensor([[0]]), L.ones(1)),
                            IndexError, "vector"),
    "masked_scatter_int_mask": (lambda L: L.zeros(3).masked_scatter(
        L.tensor([1, 0, 1]), L.ones(3)), TypeError, "bool"),
    "masked_scatter_short_source": (lambda L: L.zeros(3).masked_scatter(
        L.tensor([True, True, False]), L.ones(1)), RuntimeError, "fewer"),
    "masked_scatter__mask_too_big": (lambda L: L.zeros(3).masked_scatter_(
        L.ones(2, 3, dtype=L.bool), L.ones(6)), ValueError, "broadcast"),
    "fill_diagonal_1d": (lambda L: L.zeros(3).fill_diagonal_(1.0), ValueError, "2 dim"),
    "fill_diagonal_unequal": (lambda L: L.zeros(2, 3, 2).fill_diagonal_(1.0), ValueError,
                              "same length"),
    "kthvalue_k_0": (lambda L: L.zeros(3).kthvalue(0), RuntimeError, "out of range"),
    "kthvalue_k_too_big": (lambda L: L.zeros(3).kthvalue(4), RuntimeError, "out of range"),
    "kthvalue_empty": (lambda L: L.zeros(0).kthvalue(1), IndexError, "size 0"),
    "sum_to_size": (lambda L: L.zeros(2, 3).sum_to_size(3, 3), RuntimeError, "expandable"),
    "sum_to_size_longer": (lambda L: L.zeros(2, 3).sum_to_size(1, 1, 3), RuntimeError,
                           "expandable"),
    "narrow_copy_too_long": (lambda L: L.zeros(3).narrow_copy(0, 1, 3), RuntimeError,
                             "length"),
    "tril_indices_negative": (lambda L: L.tril_indices(-1, 3), ValueError, "non-negative"),
    "unravel_index_float": (lambda L: L.unravel_index(L.tensor([1.0]), (2, 3)), TypeError,
                            "integer"),
    "mv_shapes": (lambda L: L.mv(L.ones(2, 3), L.ones(4)), ValueError, "size mismatch"),
    "mv_not_matrix": (lambda L: L.mv(L.ones(3), L.ones(3)), ValueError, "2-D"),
    "mv_dtype": (lambda L: L.mv(L.ones(2, 3), L.ones(3, dtype=L.float64)), TypeError, "dtype"),
    "inner_last_dims": (lambda L: L.inner(L.ones(3), L.ones(4)), ValueError, "last dim"),
    "inner_dtype": (lambda L: L.inner(L.ones(3), L.ones(3, dtype=L.int64)), TypeError,
                    "dtype"),
    "vdot_lengths": (lambda L: L.vdot(L.ones(3), L.ones(4)), ValueError, "lengths"),
    "vdot_dtype": (lambda L: L.vdot(L.ones(3), L.ones(3, dtype=L.float64)), TypeError,
                   "dtype"),
    "addmv_input_shape": (lambda L: L.addmv(L.ones(4), L.ones(2, 3), L.ones(3)), ValueError,
                          "broadcast"),
    "addbmm_batches": (lambda L: L.addbmm(L.ones(2, 3), L.ones(2, 2, 4), L.ones(3, 4, 3)),
                       ValueError, "batch"),
    "chain_matmul_empty": (lambda L: L.chain_matmul(), ValueError, "one or more"),
    "chain_matmul_1d": (lambda L: L.chain_matmul(L.ones(3), L.ones(3)), ValueError, "2-D"),
    "chain_matmul_shapes": (lambda L: L.chain_matmul(L.ones(2, 3), L.ones(2, 3)), ValueError,
                            "cannot be multiplied"),
    "vander_2d": (lambda L: L.vander(L.ones(2, 2)), ValueError, "one-dimensional"),
    "vander_negative_N": (lambda L: L.vander(L.ones(2), N=-1), ValueError, "non-negative"),
    "cov_3d": (lambda L: L.cov(L.ones(2, 2, 2)), ValueError, "two or fewer"),
    "cov_float_fweights": (lambda L: L.cov(L.ones(2, 2), fweights=L.ones(2)), TypeError,
                           "integer"),
    "cov_int_aweights": (lambda L: L.cov(L.ones(2, 2), aweights=L.tensor([1, 2])), TypeError,
                         "floating"),
    "cov_negative_aweights": (lambda L: L.cov(L.ones(2, 2), aweights=L.tensor([-1.0, 2.0])),
                              ValueError, "negative"),
    "cov_weights_length": (lambda L: L.cov(L.ones(2, 2), fweights=L.tensor([1, 2, 3])),
                           ValueError, "one value per observation"),
    "trapezoid_0d": (lambda L: L.trapezoid(L.tensor(1.0)), IndexError, "0-d"),
    "trapezoid_x_and_dx": (lambda L: L.trapezoid(L.ones(3), L.ones(3), dx=1.0), TypeError,
                           "not both"),
    "trapezoid_x_length": (lambda L: L.trapezoid(L.ones(3), L.ones(4)), ValueError,
                           "points"),
    "histogram_int": (lambda L: L.histogram(L.tensor([1, 2]), 2), TypeError, "floating"),
    "histogram_bins_0": (lambda L: L.histogram(L.ones(3), 0), ValueError, "positive"),
    "histogram_range_order": (lambda L: L.histogram(L.ones(3), 2, range=(1.0, 0.0)),
                              ValueError, "minimum first"),
    "histogram_edges_dtype": (lambda L: L.histogram(L.ones(3, dtype=L.float64),
                                                    L.tensor([0.0, 1.0])), ValueError,
                              "dtype"),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors_like_torch(name):
    make, error, match = ERRORS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        assert_both_raise(make, error, match)


def test_unravel_index_refuses_out_of_range_indices_that_torch_wraps():
    # NOTE: torch 2.x returns wrapped coordinates for an index past the end; a clear error
    # here is safer than a silently wrong position.
    with pytest.raises(ValueError, match=r"\[-6, 5\]"):
        cr.unravel_index(cr.tensor([6]), (2, 3))


def test_top_level_functions_are_the_methods():
    x = cr.tensor([[3.0, 1.0], [2.0, 5.0]])
    assert cr.kthvalue(x, 1, 0).values.tolist() == x.kthvalue(1, 0).values.tolist()
    assert cr.tile(x, (1, 2)).tolist() == x.tile(1, 2).tolist()
    assert cr.msort(x).tolist() == x.msort().tolist()
    assert cr.put(x, cr.tensor([0]), cr.tensor([9.0])).tolist() == [[9.0, 1.0], [2.0, 5.0]]


def test_unravel_index_needs_a_tensor_like_torch():
    assert_both_raise(lambda L: L.unravel_index([1, 2], (2, 3)), TypeError, "tensor")


def test_triangle_indices_are_made_on_the_cpu_only():
    assert cr.tril_indices(2, 2, device="cpu").tolist() == [[0, 1, 1], [0, 0, 1]]
    with pytest.raises(DeviceError, match="cuda"):
        cr.triu_indices(2, 2, device="cuda")
