"""Selection, sorting, indexing, scans and shifts: what the op table (tests/ops/spec_rows_select)
cannot express. Named-tuple results, ties and stable order, NaN, 0-d inputs, cumprod at zeros,
scatter with a source larger than its index, unique and nonzero against NumPy, the argument
errors, and the in-place forms' version counters."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import chainrule as cr
from tests.optional import needs_torch, torch

# ---------------------------------------------------------------- named tuples


def test_sort_topk_and_max_return_named_tuples_like_torch_return_types():
    x = cr.tensor([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]])
    for result, name in [(cr.sort(x), "sort"), (x.topk(2), "topk"), (cr.max(x, 1), None)]:
        values, indices = result
        assert result.values is values and result.indices is indices
        if name:
            assert type(result).__name__ == name
    np.testing.assert_array_equal(cr.sort(x, descending=True).values.numpy(),
                                  [[3.0, 2.0, 1.0], [5.0, 4.0, 0.0]])
    np.testing.assert_array_equal(x.topk(2).indices.numpy(), [[0, 2], [1, 2]])
    np.testing.assert_array_equal(cr.min(x, dim=1, keepdim=True).indices.numpy(), [[1], [0]])


def test_top_level_max_and_min_forms():
    a = cr.tensor([[1.0, 7.0], [4.0, 2.0]])
    b = cr.tensor([3.0, 3.0])
    assert cr.max(a).item() == 7.0 and cr.min(a).item() == 1.0
    np.testing.assert_array_equal(cr.max(a, b).numpy(), [[3.0, 7.0], [4.0, 3.0]])
    np.testing.assert_array_equal(cr.min(a, other=b).numpy(), [[1.0, 3.0], [3.0, 2.0]])
    assert cr.argmax(a).item() == 1 and cr.argmin(a, 1).tolist() == [0, 1]


# ---------------------------------------------------------------- ties, stability, NaN


def test_max_along_a_dim_returns_the_first_of_tied_maxima_as_torch_documents():
    x = cr.tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]], requires_grad=True)
    values, indices = cr.max(x, 1)
    assert indices.tolist() == [1, 0]
    values.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 1, 0], [1, 0, 0]])


@pytest.mark.parametrize(("descending", "order"), [(False, [2, 4, 0, 3, 1]),
                                                   (True, [1, 0, 3, 2, 4])])
def test_sort_is_stable_in_both_directions(descending, order):
    """Equal values keep their input order: [1, 2, 0, 1, 0] sorted."""
    x = cr.tensor([1, 2, 0, 1, 0])
    assert cr.sort(x, descending=descending, stable=True).indices.tolist() == order
    assert cr.argsort(x, descending=descending, stable=True).tolist() == order


@needs_torch
@pytest.mark.parametrize("descending", [False, True])
def test_stable_sort_matches_torch(descending):
    data = np.random.default_rng(3).integers(0, 4, (6, 20)).astype(np.float32)
    ours = cr.sort(cr.tensor(data), dim=1, descending=descending, stable=True)
    theirs = torch.sort(torch.tensor(data), dim=1, descending=descending, stable=True)
    np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())
    np.testing.assert_array_equal(ours.values.numpy(), theirs.values.numpy())


@needs_torch
def test_nan_sorts_as_the_largest_value_like_torch():
    data = np.array([1.0, np.nan, -1.0, 0.0], dtype=np.float32)
    for descending in (False, True):
        ours = cr.sort(cr.tensor(data), descending=descending)
        theirs = torch.sort(torch.tensor(data), descending=descending, stable=True)
        np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())
    assert cr.topk(cr.tensor(data), 1).indices.tolist() == [1]


def test_sort_topk_argsort_of_a_0d_tensor():
    x = cr.tensor(2.5, requires_grad=True)
    for values, indices in (x.sort(), x.topk(1), x.topk(0)):
        assert values.item() == 2.5 and indices.item() == 0 and indices.dtype == cr.int64
    assert x.argsort().item() == 0


def test_sort_and_topk_gradients_go_to_where_the_values_came_from():
    x = cr.tensor([0.5, -1.0, 2.0, 1.5], requires_grad=True)
    values, _ = x.topk(2)  # 2.0 (index 2), then 1.5 (index 3)
    (values * cr.tensor([10.0, 1.0])).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 10.0, 1.0])


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize("call", [
    lambda x: x.sort(dim=2), lambda x: x.argsort(-3), lambda x: x.topk(1, dim=2),
    lambda x: x.cumsum(2), lambda x: x.cumprod(-3), lambda x: x.unbind(2),
    lambda x: x.index_select(2, cr.tensor([0])), lambda x: x.roll(1, 2),
    lambda x: x.narrow(2, 0, 1), lambda x: cr.unique(x, dim=3),
])
def test_a_dim_out_of_range_is_an_index_error(call):
    with pytest.raises(IndexError, match="out of range"):
        call(cr.zeros(2, 3))


@pytest.mark.parametrize("k", [4, -1])
def test_topk_with_k_out_of_range_is_a_runtime_error(k):
    with pytest.raises(RuntimeError, match=rf"topk: k \({k}\) is out of range .* size 3"):
        cr.zeros(2, 3).topk(k)


@pytest.mark.parametrize("call", [
    lambda x: x.index_select(1, cr.tensor([0.0])),
    lambda x: x.scatter(1, cr.tensor([[0.0]]), 1.0),
    lambda x: x.scatter_add(1, cr.tensor([[True]]), cr.ones(1, 1)),
    lambda x: x.take_along_dim(cr.tensor([[0.5]]), 1),
])
def test_a_non_integer_index_is_a_type_error(call):
    with pytest.raises(TypeError, match="index must be an integer tensor, got (float|bool)"):
        call(cr.zeros(2, 3))


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda x: x.index_select(1, cr.tensor([3])), IndexError, "index 3 is out of bounds"),
    (lambda x: x.index_select(0, cr.tensor([-1])), IndexError, "index -1 is out of bounds"),
    (lambda x: x.index_select(0, cr.tensor([[0]])), IndexError, "must be a vector"),
    (lambda x: x.scatter(1, cr.tensor([[5]]), 1.0), IndexError, "index 5 is out of bounds"),
    (lambda x: x.scatter(1, cr.tensor([0]), 1.0), ValueError, "same number of dimensions"),
    (lambda x: x.scatter(0, cr.tensor([[0, 1, 0, 1]]), 1.0), ValueError, "no larger than"),
    (lambda x: x.scatter(0, cr.tensor([[0]]), cr.ones(1, 1, dtype=cr.float64)), TypeError,
     "src is float64 but self is float32"),
    (lambda x: x.scatter(0, cr.tensor([[0]])), TypeError, "give src"),
    (lambda x: x.scatter(0, cr.tensor([[0]]), 1.0, reduce="add"), NotImplementedError,
     "reduce='add'"),
    (lambda x: x.scatter_add(0, cr.tensor([[0, 0]]), cr.ones(1, 1)), ValueError,
     "no larger than src"),
    (lambda x: x.take_along_dim(cr.tensor([7])), IndexError, "index 7 is out of bounds"),
    (lambda x: x.index_add(1, cr.tensor([0, 0]), cr.ones(2, 3)), ValueError,
     "except for 2 .* along dimension 1"),
    (lambda x: x.index_fill(0, cr.tensor([2]), 1.0), IndexError, "index 2 is out of bounds"),
    (lambda x: x.take_along_dim(cr.tensor([0]), 1), ValueError, "need 2 dimensions"),
    (lambda x: x.masked_fill(cr.zeros(2, 3), 1.0), TypeError, "mask must be a bool tensor"),
    (lambda x: x.masked_fill(x > 0, cr.ones(1)), ValueError, "a number or a 0-d tensor"),
    (lambda x: x.masked_fill_(cr.zeros(4, 2, 3, dtype=cr.bool), 1.0), ValueError,
     "cannot be broadcast"),
    (lambda x: x.narrow(1, 4, 0), IndexError, "start 4 is out of range"),
    (lambda x: x.narrow(1, 2, 2), RuntimeError, r"start \(2\) \+ length \(2\)"),
    (lambda x: x.narrow(1, 0, -1), RuntimeError, "length >= 0"),
    (lambda x: x[0].tril(), ValueError, "at least 2 dimensions"),
    (lambda x: x.reshape(1, 2, 3).diag(), ValueError, "1-D or 2-D"),
    (lambda x: x.roll((1, 2), (0,)), ValueError, "same non-zero length"),
    (lambda x: x.roll((1, 2)), ValueError, "without dims"),
    (lambda x: x.repeat_interleave(-1, 1), RuntimeError, "non-negative"),
    (lambda x: x.repeat_interleave(cr.tensor([1, 2]), 1), ValueError, "2 repeat counts"),
    (lambda x: x.repeat_interleave(cr.tensor([1.0]), 1), TypeError, "integer tensor"),
    (lambda x: x.repeat_interleave(2, 1, output_size=5), ValueError, "add up to 6"),
    (lambda x: x[0, 0].unbind(), IndexError, "0-d tensor"),
])
def test_bad_arguments_raise_errors_that_name_the_problem(call, error, message):
    with pytest.raises(error, match=message):
        call(cr.zeros(2, 3))


# ---------------------------------------------------------------- unique, nonzero


def test_unique_matches_numpy_and_its_inverse_rebuilds_the_input():
    data = np.random.default_rng(0).integers(-3, 4, (6, 7))
    values, inverse, counts = cr.unique(cr.tensor(data), return_inverse=True,
                                        return_counts=True)
    want_values, want_counts = np.unique(data, return_counts=True)
    np.testing.assert_array_equal(values.numpy(), want_values)
    np.testing.assert_array_equal(counts.numpy(), want_counts)
    assert inverse.shape == data.shape and inverse.dtype == cr.int64
    np.testing.assert_array_equal(values.numpy()[inverse.numpy()], data)
    assert isinstance(cr.unique(cr.tensor(data), sorted=False), cr.Tensor)


def test_unique_along_a_dim_finds_distinct_columns():
    data = np.array([[1, 0, 1, 2], [5, 3, 5, 3]])
    values, inverse, counts = cr.tensor(data).unique(dim=1, return_inverse=True,
                                                     return_counts=True)
    np.testing.assert_array_equal(values.numpy(), [[0, 1, 2], [3, 5, 3]])
    assert inverse.tolist() == [1, 0, 1, 2] and counts.tolist() == [1, 2, 1]


def test_unique_gives_no_gradient_graph():
    out = cr.tensor([1.0, 1.0, 2.0], requires_grad=True).unique()
    assert not out.requires_grad and out.tolist() == [1.0, 2.0]


def test_nonzero_indexes_the_nonzero_elements():
    data = np.array([[0.0, 2.0, 0.0], [3.0, 0.0, -1.0]])
    x = cr.tensor(data)
    np.testing.assert_array_equal(x.nonzero().numpy(), np.argwhere(data))
    rows, cols = cr.nonzero(x, as_tuple=True)
    np.testing.assert_array_equal(data[rows.numpy(), cols.numpy()], [2.0, 3.0, -1.0])
    assert cr.tensor(5.0).nonzero().shape == (1, 0)
    assert cr.tensor(0.0).nonzero().shape == (0, 0)
    assert [t.tolist() for t in cr.tensor(5.0).nonzero(as_tuple=True)] == [[0]]


# ---------------------------------------------------------------- gradients beyond the table


def test_cumprod_gradient_at_zeros_by_hand():
    """y = (x0, x0 x1, x0 x1 x2) at x = (2, 0, 3), upstream gradient 1:
    dL/dx0 = 1 + x1 + x1 x2 = 1, dL/dx1 = x0 + x0 x2 = 8, dL/dx2 = x0 x1 = 0."""
    x = cr.tensor([2.0, 0.0, 3.0], requires_grad=True)
    x.cumprod(0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 8.0, 0.0])


@pytest.mark.parametrize("values", [[0.0, 2.0, 3.0], [2.0, 3.0, 0.0], [0.0, 0.0, 3.0],
                                    [1.5, 0.0, -2.0, 0.0, 4.0], [0.0]])
def test_cumprod_gradcheck_with_zeros(values):
    x = cr.tensor(values, dtype=cr.float64, requires_grad=True)
    assert cr.gradcheck(lambda t: t.cumprod(0), [x], full_jacobian=True)


@needs_torch
def test_cumprod_gradient_with_zeros_matches_torch():
    data = np.array([[1.5, 0.0, -2.0, 0.0, 4.0], [0.0, 2.0, 3.0, 1.0, 0.5],
                     [2.0, 3.0, 0.5, 1.0, 0.0]], dtype=np.float32)
    upstream = np.random.default_rng(1).standard_normal(data.shape).astype(np.float32)
    ours = cr.tensor(data, requires_grad=True)
    ours.cumprod(1).backward(cr.tensor(upstream))
    theirs = torch.tensor(data, requires_grad=True)
    theirs.cumprod(1).backward(torch.tensor(upstream))
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("method", ["scatter", "scatter_add"])
def test_scatter_reads_only_the_leading_block_of_a_larger_source(method):
    """PyTorch (2.13) fails in backward here; the gradient checks against finite differences,
    and the source outside the index's block receives 0."""
    x = cr.randn(4, 5, dtype=cr.float64, generator=np.random.default_rng(0),
                 requires_grad=True)
    src = cr.randn(3, 6, dtype=cr.float64, generator=np.random.default_rng(1),
                   requires_grad=True)
    index = cr.tensor([[0, 1, 2, 3], [1, 2, 3, 0]])
    fn = getattr(x, method)
    np.testing.assert_array_equal(fn(0, index, src).detach().numpy()[[0, 1], 0],
                                  src.detach().numpy()[[0, 1], 0] if method == "scatter"
                                  else x.detach().numpy()[[0, 1], 0]
                                  + src.detach().numpy()[[0, 1], 0])
    assert cr.gradcheck(lambda a, s: getattr(a, method)(0, index, s), [x, src],
                        full_jacobian=True)
    getattr(x, method)(0, index, src).sum().backward()
    assert not src.grad.numpy()[2:].any() and not src.grad.numpy()[:, 4:].any()


def test_repeat_interleave_gradient_sums_each_group_and_skips_dropped_slices():
    x = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    out = cr.repeat_interleave(x, cr.tensor([2, 0, 3]))
    assert out.tolist() == [1.0, 1.0, 3.0, 3.0, 3.0]
    (out * cr.tensor([1.0, 2.0, 3.0, 4.0, 5.0])).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 0.0, 12.0])
    assert cr.repeat_interleave(cr.tensor([2, 0, 1])).tolist() == [0, 0, 2]


def test_masked_fill_casts_the_value_and_broadcasts_like_torch():
    """Hand-derived: an int tensor keeps its dtype (2.7 -> 2); out of place, a (3,) input and
    a (2, 3) mask give (2, 3)."""
    out = cr.tensor([0, 1, 2]).masked_fill(cr.tensor([True, False, True]), 2.7)
    assert out.dtype == cr.int64 and out.tolist() == [2, 1, 2]
    wide = cr.zeros(3).masked_fill(cr.tensor([[True, False, False], [False, False, True]]), 1.0)
    assert wide.tolist() == [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]


@needs_torch
def test_take_along_dim_broadcasts_like_torch():
    data = np.arange(12.0, dtype=np.float32).reshape(3, 4)
    index = np.array([[0, 3]])
    ours = cr.take_along_dim(cr.tensor(data), cr.tensor(index), 1)
    theirs = torch.take_along_dim(torch.tensor(data), torch.tensor(index), 1)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


# ---------------------------------------------------------------- in place


@pytest.mark.parametrize(("name", "args", "out_of_place"), [
    ("scatter_", (1, cr.tensor([[2], [0]]), 9.0), "scatter"),
    ("scatter_add_", (0, cr.tensor([[1, 1, 0]]), cr.ones(1, 3)), "scatter_add"),
    ("masked_fill_", (cr.tensor([True, False, True]), -4.0), "masked_fill"),
    ("index_add_", (1, cr.tensor([2, 2]), cr.ones(2, 2)), "index_add"),
    ("index_fill_", (0, cr.tensor([1]), 7.0), "index_fill"),
    ("tril_", (), "tril"),
    ("triu_", (1,), "triu"),
])
def test_in_place_forms_write_bump_the_version_and_refuse_leaves_that_require_grad(
        name, args, out_of_place):
    x = cr.arange(6.0).reshape(2, 3)
    want = getattr(x, out_of_place)(*args).numpy().copy()
    view = x[0]
    before = view._version
    assert getattr(x, name)(*args) is x
    np.testing.assert_array_equal(x.numpy(), want)
    assert view._version == before + 1
    leaf = cr.zeros(2, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match=f"{name}: in-place change of a leaf tensor"):
        getattr(leaf, name)(*args)
    with cr.no_grad():
        getattr(leaf, name)(*args)


def test_in_place_scatter_refuses_a_source_that_requires_grad():
    src = cr.ones(1, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match="scatter_add_: the source requires grad"):
        cr.zeros(2, 3).scatter_add_(0, cr.tensor([[0, 1, 0]]), src)


def test_an_in_place_change_after_use_is_caught_at_backward():
    w = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    mask = cr.tensor([True, False, False])
    base = cr.tensor([4.0, 5.0, 6.0])
    y = (base * w).sum()
    base.masked_fill_(mask, 0.0)
    with pytest.raises(RuntimeError, match="modified|changed"):
        y.backward()


# ---------------------------------------------------------------- PyTorch's names


@pytest.mark.parametrize(("name", "parameters"), [
    ("sort", "input dim descending stable"),
    ("argsort", "input dim descending stable"),
    ("topk", "input k dim largest sorted"),
    ("unique", "input sorted return_inverse return_counts dim"),
    ("nonzero", "input as_tuple"),
    ("gather", "input dim index"),
    ("scatter", "input dim index src value reduce"),
    ("scatter_add", "input dim index src"),
    ("index_select", "input dim index"),
    ("index_add", "input dim index source alpha"),
    ("index_fill", "input dim index value"),
    ("masked_fill", "input mask value"),
    ("take_along_dim", "input indices dim"),
    ("narrow", "input dim start length"),
    ("unbind", "input dim"),
    ("tril", "input diagonal"),
    ("triu", "input diagonal"),
    ("diag", "input diagonal"),
    ("cumsum", "input dim dtype"),
    ("cumprod", "input dim dtype"),
    ("roll", "input shifts dims"),
    ("repeat_interleave", "input repeats dim output_size"),
    ("multinomial", "input num_samples replacement generator"),
    ("bernoulli", "input p generator"),
    ("normal", "mean std size generator dtype device requires_grad"),
    ("randperm", "n generator dtype device requires_grad"),
    ("argmax", "input dim keepdim"),
    ("max", "input dim keepdim other"),
])
def test_top_level_functions_use_pytorchs_argument_names(name, parameters):
    """The names in PyTorch's documented signatures (torch.X), in order."""
    assert name in cr.__all__
    assert list(inspect.signature(getattr(cr, name)).parameters) == parameters.split()
