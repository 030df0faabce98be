"""Padding and packing of variable-length sequences, and recurrent layers on packed input,
against PyTorch and against independent NumPy references."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.nn.utils.rnn import (
    PackedSequence,
    pack_padded_sequence,
    pack_sequence,
    pad_packed_sequence,
    pad_sequence,
)
from tests.optional import needs_torch, torch


def _seqs(lengths, features=2, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((n, features)) for n in lengths]


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("side", ["right", "left"])
def test_pad_sequence_matches_numpy(batch_first, side):
    arrays = _seqs([2, 4, 1])
    out = pad_sequence([cr.tensor(a) for a in arrays], batch_first=batch_first,
                       padding_value=-7.0, padding_side=side).numpy()
    expected = np.full((3, 4, 2), -7.0)
    for b, a in enumerate(arrays):
        if side == "right":
            expected[b, : len(a)] = a
        else:
            expected[b, 4 - len(a):] = a
    np.testing.assert_array_equal(out, expected if batch_first else expected.swapaxes(0, 1))


def test_pack_layout_matches_hand_built_reference():
    arrays = _seqs([3, 1, 2])
    packed = pack_sequence([cr.tensor(a) for a in arrays], enforce_sorted=False)
    order = [0, 2, 1]  # lengths 3, 2, 1
    expected = [arrays[b][t] for t in range(3) for b in order if t < len(arrays[b])]
    np.testing.assert_array_equal(packed.data.numpy(), np.stack(expected))
    assert packed.batch_sizes.tolist() == [3, 2, 1]
    assert packed.sorted_indices.tolist() == order
    assert packed.unsorted_indices.tolist() == [0, 2, 1]


@pytest.mark.parametrize("enforce_sorted", [True, False])
@pytest.mark.parametrize("batch_first", [False, True])
def test_pack_then_pad_round_trip_and_gradient(enforce_sorted, batch_first):
    lengths = [4, 2, 1] if enforce_sorted else [2, 4, 1]
    padded = pad_sequence([cr.tensor(a) for a in _seqs(lengths)], batch_first=batch_first)
    padded.requires_grad_()
    packed = pack_padded_sequence(padded, lengths, batch_first=batch_first,
                                  enforce_sorted=enforce_sorted)
    assert isinstance(packed, PackedSequence)
    back, out_lengths = pad_packed_sequence(packed, batch_first=batch_first, total_length=5)
    assert out_lengths.tolist() == lengths and out_lengths.dtype == cr.int64
    steps = 5
    valid = np.arange(steps)[:, None] < np.array(lengths)[None, :]  # (T, B)
    if batch_first:
        valid = valid.T
    expected = np.zeros(back.shape)
    cut = padded.detach().numpy()
    expected[(slice(None), slice(0, 4)) if batch_first else slice(0, 4)] = cut
    expected[~valid] = 0
    np.testing.assert_array_equal(back.detach().numpy(), expected)
    back.sum().backward()
    grad_valid = valid[:, :4] if batch_first else valid[:4]
    np.testing.assert_array_equal(padded.grad.numpy(),
                                  np.broadcast_to(grad_valid[..., None], cut.shape) * 1.0)


@needs_torch
@pytest.mark.parametrize("enforce_sorted", [True, False])
def test_packing_matches_torch(enforce_sorted):
    lengths = [5, 3, 3, 1] if enforce_sorted else [3, 5, 1, 3]
    arrays = _seqs(lengths, 3)
    ours = pack_sequence([cr.tensor(a) for a in arrays], enforce_sorted=enforce_sorted)
    theirs = torch.nn.utils.rnn.pack_sequence([torch.tensor(a) for a in arrays],
                                              enforce_sorted=enforce_sorted)
    np.testing.assert_array_equal(ours.data.numpy(), theirs.data.numpy())
    assert ours.batch_sizes.tolist() == theirs.batch_sizes.tolist()
    for a, b in [(ours.sorted_indices, theirs.sorted_indices),
                 (ours.unsorted_indices, theirs.unsorted_indices)]:
        assert (a is None and b is None) or a.tolist() == b.tolist()


def _packed_pair(lengths, features, seed):
    arrays = _seqs(lengths, features, seed)
    xc = [cr.tensor(a, requires_grad=True) for a in arrays]
    xt = [torch.tensor(a, requires_grad=True) for a in arrays]
    return xc, xt


@needs_torch
@pytest.mark.parametrize("kind", ["RNN", "GRU", "LSTM", "LSTM_proj"])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("given_state", [False, True])
def test_layers_on_packed_unsorted_sequences_match_torch(kind, bidirectional, given_state):
    kwargs = dict(num_layers=2, bidirectional=bidirectional)
    if kind == "LSTM_proj":
        kind, kwargs["proj_size"] = "LSTM", 3
    ours = getattr(nn, kind)(2, 4, **kwargs).double()
    theirs = getattr(torch.nn, kind)(2, 4, **kwargs).double()
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    lengths = [3, 5, 1, 4]
    xc, xt = _packed_pair(lengths, 2, 1)
    args_c = [pack_sequence(xc, enforce_sorted=False)]
    args_t = [torch.nn.utils.rnn.pack_sequence(xt, enforce_sorted=False)]
    rng = np.random.default_rng(2)
    n = 4 if bidirectional else 2
    states_c, states_t = [], []
    if given_state:
        shapes = [(n, 4, kwargs.get("proj_size", 4))] + ([(n, 4, 4)] if kind == "LSTM" else [])
        arrays = [rng.standard_normal(s) for s in shapes]
        states_c = [cr.tensor(a, requires_grad=True) for a in arrays]
        states_t = [torch.tensor(a, requires_grad=True) for a in arrays]
        args_c.append(tuple(states_c) if kind == "LSTM" else states_c[0])
        args_t.append(tuple(states_t) if kind == "LSTM" else states_t[0])
    out_c, hid_c = ours(*args_c)
    out_t, hid_t = theirs(*args_t)
    assert isinstance(out_c, PackedSequence)
    pad_c, len_c = pad_packed_sequence(out_c, batch_first=True)
    pad_t, len_t = torch.nn.utils.rnn.pad_packed_sequence(out_t, batch_first=True)
    assert len_c.tolist() == len_t.tolist() == lengths
    results_c = [pad_c] + list(hid_c if kind == "LSTM" else [hid_c])
    results_t = [pad_t] + list(hid_t if kind == "LSTM" else [hid_t])
    loss_c, loss_t = 0, 0
    for a, b in zip(results_c, results_t):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-10,
                                   atol=1e-12)
        g = rng.standard_normal(tuple(b.shape))
        loss_c = loss_c + (a * cr.tensor(g)).sum()
        loss_t = loss_t + (b * torch.tensor(g)).sum()
    loss_c.backward()
    loss_t.backward()
    for a, b in zip(xc + states_c, xt + states_t):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-10, atol=1e-12)
    named = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), named[name].grad.numpy(), rtol=1e-10,
                                   atol=1e-12, err_msg=name)


def test_pack_errors():
    x = cr.randn(4, 3, 2)
    with pytest.raises(RuntimeError, match="must be sorted in decreasing order"):
        pack_padded_sequence(x, [2, 4, 1])
    with pytest.raises(ValueError, match="length of 5 is longer than the sequence dimension"):
        pack_padded_sequence(x, [5, 2, 1], enforce_sorted=False)
    with pytest.raises(RuntimeError, match="greater than 0"):
        pack_padded_sequence(x, [4, 0, 1])
    with pytest.raises(ValueError, match="got 2 lengths for a batch of 3 sequences"):
        pack_padded_sequence(x, [4, 2])
    packed = pack_padded_sequence(x, [4, 2, 1])
    with pytest.raises(ValueError, match="total_length=2 and max sequence length being 4"):
        pad_packed_sequence(packed, total_length=2)
    with pytest.raises(ValueError, match="padding_side should be either 'right' or 'left'"):
        pad_sequence([x[0]], padding_side="middle")
    with pytest.raises(RuntimeError, match="input_size. Expected 3, got 2"):
        nn.GRU(3, 4)(packed)
