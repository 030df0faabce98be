"""Embedding and functional.embedding with PyTorch's full signature: values, the in-place
max_norm rescaling of the weight and the weight's gradient against PyTorch in float64 for
padding_idx, scale_grad_by_freq, max_norm, norm_type, sparse and their combinations;
scale_grad_by_freq against finite differences; from_pretrained, _weight and _freeze; the
signature, the repr and the errors. (The first tests of Embedding are in test_layers.py.)"""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.nn import functional as F
from tests.optional import needs_torch, torch

INDICES = np.array([[1, 5, 1, 0], [2, 1, 3, 3]])  # repeated indices; row 4 never read

OPTIONS = [
    {},
    dict(padding_idx=1),
    dict(padding_idx=-3),  # row 3, which the input repeats
    dict(scale_grad_by_freq=True),
    dict(scale_grad_by_freq=True, padding_idx=1),
    dict(max_norm=1.0),
    dict(max_norm=1.5, norm_type=1.0),
    dict(max_norm=0.8, norm_type=float("inf")),
    dict(max_norm=2.0, norm_type=0.5),
    dict(max_norm=1.0, scale_grad_by_freq=True),
    dict(max_norm=1.0, scale_grad_by_freq=True, padding_idx=3),
    dict(sparse=True),
    dict(sparse=True, padding_idx=1, max_norm=1.0),
]


def table(rng):
    """Six rows with norms around 1, so that a max_norm of 1 rescales some and not others."""
    return rng.standard_normal((6, 3)) / np.sqrt(3) * np.array([[0.5], [2], [0.8], [3], [1],
                                                                [1.6]])


def run(module, weight, indices, upstream, kwargs):
    """Output, weight afterwards and dense weight gradient of one framework's F.embedding."""
    w = module.tensor(weight.copy(), requires_grad=True)
    functional = F if module is cr else torch.nn.functional
    y = functional.embedding(module.tensor(indices), w, **kwargs)
    y.backward(module.tensor(upstream))
    grad = w.grad.to_dense() if module is torch else w.grad
    return y.detach().numpy(), w.detach().numpy(), grad.numpy()


@needs_torch
@pytest.mark.parametrize("kwargs", OPTIONS, ids=[str(k) for k in OPTIONS])
def test_functional_embedding_matches_torch(kwargs):
    rng = np.random.default_rng(0)
    weight, upstream = table(rng), rng.standard_normal((*INDICES.shape, 3))
    ours = run(cr, weight, INDICES, upstream, kwargs)
    theirs = run(torch, weight, INDICES, upstream, kwargs)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    if "max_norm" in kwargs:  # the case rescales some rows and leaves others
        changed = np.any(theirs[1] != weight, axis=1)
        assert changed.any() and not changed[np.unique(INDICES)].all()
        assert not changed[4]  # a row not read is never rescaled


@needs_torch
def test_max_norm_in_float32_matches_torch():
    rng = np.random.default_rng(1)
    weight = (2 * rng.standard_normal((50, 7))).astype(np.float32)
    indices = rng.integers(0, 50, size=(4, 30))
    ours, theirs = cr.tensor(weight.copy()), torch.tensor(weight.copy())
    y = F.embedding(cr.tensor(indices), ours, max_norm=2.5)
    t = torch.nn.functional.embedding(torch.tensor(indices), theirs, max_norm=2.5)
    assert y.dtype == cr.float32 and ours.dtype == cr.float32
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=3e-7)
    np.testing.assert_allclose(y.numpy(), t.numpy(), rtol=3e-7)


def test_max_norm_scales_by_torchs_formula_and_only_rows_over_it():
    weight = cr.tensor(np.array([[3.0, 4.0], [0.3, 0.4], [6.0, 8.0], [1.0, 0.0]]))
    y = F.embedding(cr.tensor(np.array([0, 3, 0, 1])), weight, max_norm=1.0)
    expected = np.array([[3.0, 4.0], [0.3, 0.4], [6.0, 8.0], [1.0, 0.0]])
    expected[0] *= 1.0 / (5.0 + 1e-7)  # norm 5 > 1: scaled by max_norm / (norm + 1e-7)
    np.testing.assert_array_equal(weight.numpy(), expected)  # row 3 (norm 1): not over it
    np.testing.assert_array_equal(y.numpy(), expected[[0, 3, 0, 1]])


def test_max_norm_changes_the_weight_in_place_so_an_earlier_graph_refuses_backward():
    weight = cr.tensor(np.array([[3.0, 4.0], [0.3, 0.4]]), requires_grad=True)
    earlier = (weight * weight).sum()
    F.embedding(cr.tensor(np.array([1])), weight, max_norm=1.0)  # rescales nothing
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        earlier.backward()


@needs_torch
def test_max_norm_changes_the_weight_in_place_in_torch_too():
    weight = torch.tensor([[3.0, 4.0], [0.3, 0.4]], requires_grad=True)
    earlier = (weight * weight).sum()
    torch.nn.functional.embedding(torch.tensor([1]), weight, max_norm=1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        earlier.backward()


@needs_torch
def test_two_lookups_with_max_norm_in_one_forward_backward_as_in_torch():
    """The second lookup's renormalisation changes the weight in place after the first
    lookup, whose gradient does not read the weight's values: both frameworks go on."""
    grads = []
    for lib in (cr, torch):
        values = np.array([[3.0, 4.0], [0.3, 0.4], [1.0, 2.0], [0.1, 0.1]])
        weight = lib.tensor(values, requires_grad=True)
        a = lib.nn.functional.embedding(lib.tensor(np.array([0, 2])), weight, max_norm=1.0)
        b = lib.nn.functional.embedding(lib.tensor(np.array([2, 3, 0])), weight, max_norm=1.0)
        ((a * 2).sum() + (b * 3).sum()).backward()
        grads.append(weight.grad.numpy())
    np.testing.assert_array_equal(grads[0], grads[1])


@pytest.mark.parametrize("padding_idx", [None, 2])
def test_scale_grad_by_freq_is_the_derivative_divided_by_the_counts(padding_idx):
    rng = np.random.default_rng(2)
    indices = cr.tensor(np.array([[0, 2, 2], [4, 2, 0]]))  # counts 2, 0, 3, 0, 1
    weight = cr.tensor(rng.standard_normal((5, 4)), requires_grad=True)
    upstream = rng.standard_normal((2, 3, 4))
    F.embedding(indices, weight, padding_idx, scale_grad_by_freq=True).backward(upstream)
    numeric, = cr.numerical_grad(lambda w: F.embedding(indices, w), [weight],
                                 grad_outputs=[cr.tensor(upstream)])
    expected = numeric.numpy() / np.array([2, 1, 3, 1, 1])[:, None]
    if padding_idx is not None:
        expected[padding_idx] = 0
    np.testing.assert_allclose(weight.grad.numpy(), expected, rtol=1e-8, atol=1e-10)


def test_the_lookup_with_sparse_passes_gradcheck():
    indices = cr.tensor(np.array([[3, 1, 3], [0, 1, 4]]))
    weight = cr.randn(5, 2, dtype=cr.float64, requires_grad=True)
    assert cr.gradcheck(lambda w: F.embedding(indices, w, sparse=True), [weight])


@needs_torch
def test_sparse_with_scale_grad_by_freq_is_refused_in_backward_as_in_torch():
    for module, functional in ((cr, F), (torch, torch.nn.functional)):
        weight = module.ones(4, 2, requires_grad=True)
        y = functional.embedding(module.tensor([1, 1]), weight, scale_grad_by_freq=True,
                                 sparse=True)  # the forward is allowed
        with pytest.raises(RuntimeError, match="scale_grad_by_freq not supported with sparse"):
            y.sum().backward()


def test_negative_max_norm_is_refused():
    # PyTorch takes it and flips the sign of every row it rescales
    with pytest.raises(ValueError, match="max_norm must be non-negative, got -1.0"):
        F.embedding(cr.tensor([0]), cr.ones(3, 2), max_norm=-1.0)
    with pytest.raises(ValueError, match="max_norm must be non-negative"):
        nn.Embedding(3, 2, max_norm=-0.5)(cr.tensor([1]))


@pytest.mark.parametrize(("call", "error", "match"), [
    (lambda: F.embedding(cr.tensor([0]), cr.ones(3)), RuntimeError, "'weight' must be 2-D"),
    (lambda: F.embedding(cr.tensor([0]), cr.ones(3, 2), padding_idx=3), ValueError,
     "padding_idx 3 must be within num_embeddings"),
    (lambda: F.embedding(cr.tensor([3]), cr.ones(3, 2)), IndexError, "index 3 is out of range"),
    (lambda: nn.Embedding(3, 2, _weight=cr.ones(2, 2)), ValueError,
     r"_weight must have shape \(3, 2\), got \(2, 2\)"),
    (lambda: nn.Embedding.from_pretrained(cr.ones(3)), ValueError,
     r"from_pretrained: embeddings must be 2-D .*got shape \(3,\)"),
    (lambda: nn.Embedding(3, 2, padding_idx=-4), ValueError, "padding_idx -4"),
])
def test_bad_arguments_raise_clear_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


@needs_torch
def test_positional_arguments_in_torchs_order_reach_the_same_attributes():
    arguments = (6, 3, -2, 1.5, 1.0, True, True, None, True)
    ours, theirs = nn.Embedding(*arguments), torch.nn.Embedding(*arguments)
    for name in ("num_embeddings", "embedding_dim", "padding_idx", "max_norm", "norm_type",
                 "scale_grad_by_freq", "sparse"):
        assert getattr(ours, name) == getattr(theirs, name), name
    assert ours.weight.requires_grad is theirs.weight.requires_grad is False
    rows = np.arange(6.0).reshape(3, 2)
    given = nn.Embedding(3, 2, None, None, 2.0, False, False, cr.tensor(rows), False)
    np.testing.assert_array_equal(given.weight.data, rows)
    assert given.weight.requires_grad


def test_generator_is_a_keyword_after_torchs_parameters():
    a = nn.Embedding(4, 3, generator=np.random.default_rng(5)).weight.data
    b = nn.Embedding(4, 3, generator=np.random.default_rng(5)).weight.data
    np.testing.assert_array_equal(a, b)
    with pytest.raises(TypeError):
        nn.Embedding(4, 3, None, None, 2.0, False, False, None, False, None, None,
                     np.random.default_rng(5))


@needs_torch
@pytest.mark.parametrize("text", [
    "Embedding(5, 3)", "Embedding(5, 3, padding_idx=-2)", "Embedding(5, 3, max_norm=1)",
    "Embedding(5, 3, None, 1.5, 1.0, True, True)", "Embedding(5, 3, norm_type=2)",
    "Embedding(5, 3, norm_type=3)", "Embedding(5, 3, scale_grad_by_freq=True, sparse=False)",
    "Embedding(5, 3, max_norm=2.0, norm_type=float('inf'))", "Embedding(5, 3, sparse=1)",
    "Embedding(5, 3, scale_grad_by_freq=1)", "Embedding(5, 3, 0, 2.0, 2.0, False, True)",
])
def test_repr_and_state_dict_are_torchs(text):
    ours, theirs = eval("nn." + text), eval("torch.nn." + text)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())


@needs_torch
def test_weight_argument_is_used_as_it_is_as_in_torch():
    rows = np.arange(6.0).reshape(3, 2)
    given, reference = cr.tensor(rows.copy()), torch.tensor(rows.copy())
    ours = nn.Embedding(3, 2, padding_idx=0, _weight=given)
    theirs = torch.nn.Embedding(3, 2, padding_idx=0, _weight=reference)
    np.testing.assert_array_equal(ours.weight.data, theirs.weight.detach().numpy())
    assert ours.weight.data[0].tolist() == [0.0, 1.0]  # the padding row is not zeroed
    assert theirs.weight.data_ptr() == reference.data_ptr()  # torch shares the memory: so do we
    assert np.shares_memory(ours.weight.data, given.data)
    assert ours.weight.requires_grad
    assert not nn.Embedding(3, 2, _weight=given, _freeze=True).weight.requires_grad
    assert not nn.Embedding(3, 2, _freeze=True).weight.requires_grad


@needs_torch
@pytest.mark.parametrize("freeze", [True, False])
def test_from_pretrained_matches_torch(freeze):
    rng = np.random.default_rng(3)
    rows = 2 * rng.standard_normal((6, 3))
    options = dict(freeze=freeze, padding_idx=-2, max_norm=2.0, scale_grad_by_freq=True)
    given, reference = cr.tensor(rows.copy()), torch.tensor(rows.copy())
    ours = nn.Embedding.from_pretrained(given, **options)
    theirs = torch.nn.Embedding.from_pretrained(reference, **options)
    assert repr(ours) == repr(theirs)
    assert ours.weight.requires_grad is theirs.weight.requires_grad is not freeze
    assert ours.padding_idx == theirs.padding_idx == 4
    np.testing.assert_array_equal(ours.weight.data[4], rows[4])  # padding row kept
    assert theirs.weight.data_ptr() == reference.data_ptr()  # shared, not copied
    assert np.shares_memory(ours.weight.data, given.data)
    indices = np.array([[4, 1, 4, 0], [5, 1, 3, 3]])  # the padding row, read twice
    upstream = rng.standard_normal((2, 4, 3))
    y, t = ours(cr.tensor(indices)), theirs(torch.tensor(indices))
    np.testing.assert_allclose(y.detach().numpy(), t.detach().numpy(), rtol=1e-12)
    assert not np.array_equal(reference.numpy(), rows)  # max_norm rescaled rows in place
    np.testing.assert_allclose(given.numpy(), reference.numpy(), rtol=1e-12)
    if not freeze:
        y.backward(cr.tensor(upstream))
        t.backward(torch.tensor(upstream))
        np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(),
                                   rtol=1e-12)
