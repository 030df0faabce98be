"""EmbeddingBag and embedding_bag: values and gradients (of the weight and the per-sample
weights) against PyTorch in float64 for every mode with offsets, include_last_offset,
padding_idx, 2-D input and empty bags; against a plain loop over the bags; max_norm's
in-place rescaling; the layer's repr, state_dict, from_pretrained; and the errors for bad
input; scale_grad_by_freq and sparse against PyTorch. The finite-difference checks are the rows
of tests/ops/spec_rows_3d.py."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.nn import functional as F
from tests.optional import needs_torch, torch

FLAT = np.array([1, 2, 4, 5, 4, 3, 2, 9])

CASES = [  # (input, offsets, keyword arguments)
    (FLAT, np.array([0, 4, 4]), {}),  # the middle bag is empty
    (FLAT, np.array([0, 4, 4, 8]), dict(include_last_offset=True)),
    (FLAT, np.array([0, 4, 4, 7]), dict(padding_idx=4)),
    (np.array([[1, 2, 3], [4, 4, 9]]), None, {}),
    (np.array([[1, 2, 9], [9, 9, 9]]), None, dict(padding_idx=-1)),  # a bag of padding only
    (np.zeros(0, dtype=np.int64), np.array([0, 0]), {}),  # empty input, two empty bags
    (FLAT.astype(np.int32), np.array([0, 3], dtype=np.int32), {}),
]


def run(module, inputs, weight, per_sample, kwargs, mode, upstream):
    """Output, weight gradient and per-sample-weight gradient of one framework."""
    w = module.tensor(weight, requires_grad=True)
    s = None if per_sample is None else module.tensor(per_sample, requires_grad=True)
    x, offsets = (None if a is None else module.tensor(a) for a in inputs)
    functional = F if module is cr else torch.nn.functional
    y = functional.embedding_bag(x, w, offsets, mode=mode, per_sample_weights=s, **kwargs)
    y.backward(module.tensor(upstream))
    grad = w.grad.to_dense() if module is torch else w.grad  # sparse=True: torch's is sparse
    return (y.detach().numpy(), grad.numpy(), None if s is None else s.grad.numpy())


@needs_torch
@pytest.mark.parametrize(("x", "offsets", "kwargs"), CASES)
@pytest.mark.parametrize(("mode", "weighted"), [  # per_sample_weights: mode='sum' only
    ("sum", False), ("mean", False), ("max", False), ("sum", True)])
def test_embedding_bag_matches_torch(x, offsets, kwargs, mode, weighted):
    rng = np.random.default_rng(0)
    weight = rng.standard_normal((10, 3))
    per_sample = rng.standard_normal(x.shape) if weighted else None
    bags = len(offsets) - kwargs.get("include_last_offset", 0) if offsets is not None else \
        len(x)
    upstream = rng.standard_normal((bags, 3))
    ours = run(cr, (x, offsets), weight, per_sample, kwargs, mode, upstream)
    theirs = run(torch, (x, offsets), weight, per_sample, kwargs, mode, upstream)
    for a, b in zip(ours, theirs):
        if b is not None:
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@needs_torch
@pytest.mark.parametrize(("x", "offsets", "kwargs"), [
    *CASES, (np.array([0, 2, 0, 0, 5]), np.array([0, 1, 1, 3]), dict(padding_idx=5))])
@pytest.mark.parametrize(("mode", "weighted"), [("sum", False), ("mean", False), ("sum", True)])
def test_scale_grad_by_freq_divides_each_rows_gradient_by_its_count(x, offsets, kwargs, mode,
                                                                    weighted):
    """Against torch's unscaled gradient divided by the counts: torch 2.13's own CPU scaling
    divides some rows by another index's count (pytorch/pytorch#190063). The last case has
    row 0 in the input and empty places in the padded table (which read row 0 too)."""
    rng = np.random.default_rng(4)
    weight = rng.standard_normal((10, 3))
    per_sample = rng.standard_normal(x.shape) if weighted else None
    bags = len(offsets) - kwargs.get("include_last_offset", 0) if offsets is not None else \
        len(x)
    upstream = rng.standard_normal((bags, 3))
    ours = run(cr, (x, offsets), weight, per_sample, dict(kwargs, scale_grad_by_freq=True),
               mode, upstream)
    theirs = run(torch, (x, offsets), weight, per_sample, kwargs, mode, upstream)
    counts = np.maximum(np.bincount(x.ravel(), minlength=10), 1)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ours[1], theirs[1] / counts[:, None], rtol=1e-12, atol=1e-12)
    if weighted:  # the per-sample weights' gradient is not scaled
        np.testing.assert_allclose(ours[2], theirs[2], rtol=1e-12, atol=1e-12)


@needs_torch
@pytest.mark.parametrize("mode", ["sum", "mean"])
def test_scale_grad_by_freq_matches_torch_where_its_cpu_kernel_is_right(mode):
    """Every index twice: torch's CPU kernel then divides each row by the right count."""
    rng = np.random.default_rng(5)
    weight, x, offsets = rng.standard_normal((10, 3)), np.array([6, 1, 4, 1, 6, 4]), \
        np.array([0, 2, 5])
    upstream = rng.standard_normal((3, 3))
    kwargs = dict(scale_grad_by_freq=True, padding_idx=4)
    ours = run(cr, (x, offsets), weight, None, kwargs, mode, upstream)
    theirs = run(torch, (x, offsets), weight, None, kwargs, mode, upstream)
    for a, b in zip(ours[:2], theirs[:2]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_scale_grad_by_freq_uses_the_true_count_where_torchs_cpu_kernel_does_not():
    weight = cr.ones(4, 3, dtype=cr.float64, requires_grad=True)  # pytorch/pytorch#190063
    F.embedding_bag(cr.tensor([1, 1, 3]), weight, cr.tensor([0]), mode="sum",
                    scale_grad_by_freq=True).sum().backward()
    assert weight.grad.numpy()[:, 0].tolist() == [0.0, 2 / 2, 0.0, 1 / 1]  # torch: row 3 0.5


def test_per_sample_weights_pass_gradcheck_with_scale_grad_by_freq():
    x, offsets = cr.tensor(FLAT), cr.tensor(np.array([0, 3, 3]))
    weight = cr.randn(10, 2, dtype=cr.float64)
    samples = cr.randn(len(FLAT), dtype=cr.float64, requires_grad=True)
    assert cr.gradcheck(lambda s: F.embedding_bag(x, weight, offsets, mode="sum",
                                                  per_sample_weights=s,
                                                  scale_grad_by_freq=True), [samples])


@needs_torch
@pytest.mark.parametrize(("mode", "weighted"), [("sum", False), ("mean", False), ("sum", True)])
def test_sparse_gives_the_dense_values_of_torchs_sparse_gradient(mode, weighted):
    rng = np.random.default_rng(6)
    weight = rng.standard_normal((10, 3))
    per_sample = rng.standard_normal(FLAT.shape) if weighted else None
    kwargs, offsets = dict(sparse=True, padding_idx=2), np.array([0, 3, 3])
    upstream = rng.standard_normal((3, 3))
    ours = run(cr, (FLAT, offsets), weight, per_sample, kwargs, mode, upstream)
    theirs = run(torch, (FLAT, offsets), weight, per_sample, kwargs, mode, upstream)
    for a, b in zip(ours, theirs):
        if b is not None:
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_sparse_with_scale_grad_by_freq_is_refused_in_backward_as_in_torch():
    weight = cr.ones(10, 3, requires_grad=True)
    y = F.embedding_bag(cr.tensor(FLAT), weight, cr.tensor(np.array([0, 4])), sparse=True,
                        scale_grad_by_freq=True)
    with pytest.raises(RuntimeError, match="scale_grad_by_freq not supported with sparse"):
        y.sum().backward()


@needs_torch
def test_max_norm_rescales_padding_entries_too_as_torch_does():
    weight = np.array([[3.0, 4.0], [6.0, 8.0], [0.3, 0.4], [30.0, 40.0]])
    ours, theirs = cr.tensor(weight.copy()), torch.tensor(weight.copy())
    x, offsets = np.array([0, 1, 2, 1]), np.array([0, 2])
    F.embedding_bag(cr.tensor(x), ours, cr.tensor(offsets), max_norm=1.0, padding_idx=1)
    torch.nn.functional.embedding_bag(torch.tensor(x), theirs, torch.tensor(offsets),
                                      max_norm=1.0, padding_idx=1)
    assert not np.array_equal(theirs.numpy()[1], weight[1])  # torch rescales the padding row
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_matches_a_loop_over_the_bags(mode):
    rng = np.random.default_rng(1)
    weight = rng.standard_normal((10, 4))
    offsets = np.array([0, 3, 3, 6])
    got = F.embedding_bag(cr.tensor(FLAT), cr.tensor(weight), cr.tensor(offsets), mode=mode,
                          padding_idx=2).numpy()
    reduce = {"sum": np.sum, "mean": np.mean, "max": np.max}[mode]
    ends = [*offsets[1:], len(FLAT)]
    for b, (start, end) in enumerate(zip(offsets, ends)):
        rows = [weight[i] for i in FLAT[start:end] if i != 2]
        expected = reduce(rows, axis=0) if rows else np.zeros(4)
        np.testing.assert_allclose(got[b], expected, rtol=1e-12)


def test_max_norm_rescales_the_used_rows_in_place():
    weight = cr.tensor(np.array([[3.0, 4.0], [0.3, 0.4], [6.0, 8.0]]))
    F.embedding_bag(cr.tensor(np.array([[0, 1]])), weight, max_norm=1.0)
    np.testing.assert_allclose(weight.numpy()[0], [0.6, 0.8], rtol=1e-6)
    np.testing.assert_allclose(weight.numpy()[1], [0.3, 0.4])  # within the norm: unchanged
    np.testing.assert_allclose(weight.numpy()[2], [6.0, 8.0])  # unused: unchanged


@needs_torch
def test_max_norm_matches_torch():
    rng = np.random.default_rng(2)
    weight = 3 * rng.standard_normal((6, 3))
    ours, theirs = cr.tensor(weight.copy()), torch.tensor(weight.copy())
    x, offsets = np.array([0, 2, 2, 5]), np.array([0, 1])
    y = F.embedding_bag(cr.tensor(x), ours, cr.tensor(offsets), max_norm=1.5, norm_type=1.0)
    t = torch.nn.functional.embedding_bag(torch.tensor(x), theirs, torch.tensor(offsets),
                                          max_norm=1.5, norm_type=1.0)
    np.testing.assert_allclose(y.numpy(), t.numpy(), rtol=1e-10)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-10)


@needs_torch
@pytest.mark.parametrize("text", [
    "EmbeddingBag(10, 3)", "EmbeddingBag(10, 3, mode='sum', include_last_offset=True)",
    "EmbeddingBag(10, 3, max_norm=2.0, norm_type=1.0, mode='max', padding_idx=-2)",
])
def test_layer_repr_and_state_dict_are_torchs(text):
    ours, theirs = eval("nn." + text), eval("torch.nn." + text)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert ours.weight.shape == tuple(theirs.weight.shape) and ours.weight.dtype == cr.float32
    assert ours.padding_idx == theirs.padding_idx


@needs_torch
def test_layer_with_torchs_weights_matches_torch():
    theirs = torch.nn.EmbeddingBag(10, 4, mode="sum", dtype=torch.float64)
    ours = nn.EmbeddingBag(10, 4, mode="sum", dtype=cr.float64)
    ours.load_state_dict({"weight": cr.tensor(theirs.weight.detach().numpy())})
    x, offsets, s = FLAT, np.array([0, 5]), np.linspace(-1, 1, 8)
    y = ours(cr.tensor(x), cr.tensor(offsets), cr.tensor(s))
    t = theirs(torch.tensor(x), torch.tensor(offsets), torch.tensor(s))
    np.testing.assert_allclose(y.detach().numpy(), t.detach().numpy(), rtol=1e-12)
    y.sum().backward()
    t.sum().backward()
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-12)


def test_from_pretrained_holds_the_rows_and_is_frozen_by_default():
    rows = cr.tensor(np.arange(12.0).reshape(4, 3))
    bag = nn.EmbeddingBag.from_pretrained(rows, mode="sum")
    assert not bag.weight.requires_grad and repr(bag) == "EmbeddingBag(4, 3, mode='sum')"
    np.testing.assert_allclose(bag(cr.tensor(np.array([[0, 3]]))).numpy(), [[9.0, 11.0, 13.0]])
    assert nn.EmbeddingBag.from_pretrained(rows, freeze=False).weight.requires_grad


@needs_torch
def test_from_pretrained_shares_the_rows_and_keeps_the_padding_row_as_torch():
    rows = np.arange(12.0).reshape(4, 3)
    given, reference = cr.tensor(rows.copy()), torch.tensor(rows.copy())
    options = dict(freeze=False, mode="sum", padding_idx=1, scale_grad_by_freq=True)
    ours = nn.EmbeddingBag.from_pretrained(given, **options)
    theirs = torch.nn.EmbeddingBag.from_pretrained(reference, **options)
    assert repr(ours) == repr(theirs) and ours.weight.requires_grad
    np.testing.assert_array_equal(ours.weight.data, theirs.weight.detach().numpy())
    assert ours.weight.data[1].tolist() == [3.0, 4.0, 5.0]  # not zeroed
    assert theirs.weight.data_ptr() == reference.data_ptr()
    assert np.shares_memory(ours.weight.data, given.data)


def test_float32_weights_give_float32_bags_and_no_graph_through_the_indices():
    bag = nn.EmbeddingBag(6, 2)
    y = bag(cr.tensor(np.array([[0, 1], [2, 5]])))
    assert y.dtype == cr.float32 and y.requires_grad and y.shape == (2, 2)


@pytest.mark.parametrize(("call", "error", "match"), [
    (lambda w: F.embedding_bag(cr.tensor(np.array([1, 2])), w, cr.tensor(np.array([1]))),
     ValueError, r"offsets\[0\] has to be 0"),
    (lambda w: F.embedding_bag(cr.tensor(np.array([1, 2])), w, cr.tensor(np.array([0, 3]))),
     ValueError, "greater than input's length"),
    (lambda w: F.embedding_bag(cr.tensor(np.array([1, 2, 3])), w,
                               cr.tensor(np.array([0, 2, 1]))), ValueError, "non-decreasing"),
    (lambda w: F.embedding_bag(cr.tensor(np.array([1, 2])), w), ValueError, "offsets"),
    (lambda w: F.embedding_bag(cr.tensor(np.array([[1, 2]])), w, cr.tensor(np.array([0]))),
     ValueError, "2-D"),
    (lambda w: F.embedding_bag(cr.tensor(np.array([1, 12])), w, cr.tensor(np.array([0]))),
     IndexError, "12"),
    (lambda w: F.embedding_bag(cr.tensor(np.array([1.0, 2.0])), w, cr.tensor(np.array([0]))),
     TypeError, "integer"),
    (lambda w: F.embedding_bag(cr.tensor(np.array([[1, 2]])), w, mode="mean",
                               per_sample_weights=cr.ones(1, 2)),
     NotImplementedError, "mode='sum'"),
    (lambda w: F.embedding_bag(cr.tensor(np.array([[1, 2]])), w, mode="sum",
                               per_sample_weights=cr.ones(3)), ValueError, "same shape"),
    (lambda w: F.embedding_bag(cr.tensor(np.array([[1, 2]])), w, mode="median"),
     ValueError, "sum, mean or max"),
    (lambda w: F.embedding_bag(cr.tensor(np.array([1, 2])), w, cr.tensor(np.array([0, 1])),
                               include_last_offset=True), ValueError, "last offset"),
    (lambda w: F.embedding_bag(cr.tensor(np.array([[1, 2]])), w, padding_idx=10),
     ValueError, "padding_idx"),
    (lambda w: F.embedding_bag(cr.tensor(np.array([[1, 2]])), w, mode="max", sparse=True),
     ValueError, "max mode does not support sparse weights"),
    (lambda w: F.embedding_bag(cr.tensor(np.array([[1, 2]])), w, mode="max",
                               scale_grad_by_freq=True),
     ValueError, "max mode does not support scaling the gradient by the frequency"),
    (lambda w: F.embedding_bag(cr.tensor(np.array([[1, 2]])), w, max_norm=-1.0),
     ValueError, "max_norm must be non-negative"),
    (lambda w: nn.EmbeddingBag(5, 2, mode="median"), ValueError, "mode"),
    (lambda w: nn.EmbeddingBag(5, 2, padding_idx=5), ValueError, "padding_idx"),
])
def test_bad_arguments_raise_clear_errors(call, error, match):
    with pytest.raises(error, match=match):
        call(cr.randn(10, 3))
