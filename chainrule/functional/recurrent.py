"""Functions behind the recurrent layers: a stack of layers and directions, each one whole-
sequence Function from ``ops.rnn``, joined by concatenation and dropout.

PyTorch keeps these in its private ``_VF``; here ``rnn_stack`` is what ``nn.RNN``, ``nn.GRU``
and ``nn.LSTM`` call, and ``rnn_cell`` what the cells call (a sequence of one step).
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..methods.shape import cat, stack
from ..ops.rnn import GRUSequence, LSTMSequence, RNNSequence
from ..tensor import Tensor
from .layers import dropout as _dropout

# gate rows per hidden unit, by mode
GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "GRU": 3, "LSTM": 4}


def _run(mode: str, x: Tensor, h0: Tensor, c0: Tensor | None, weights: Sequence[Tensor],
         reverse: bool, mask: np.ndarray | None, has_bias: bool) -> Tensor:
    """One direction of one layer over the sequence: the Function's single output Y."""
    if mode == "LSTM":
        return LSTMSequence.apply(x, h0, c0, *weights, reverse=reverse, mask=mask,
                                  has_bias=has_bias, has_proj=len(weights) in (3, 5))
    if mode == "GRU":
        return GRUSequence.apply(x, h0, *weights, reverse=reverse, mask=mask, has_bias=has_bias)
    act = "tanh" if mode == "RNN_TANH" else "relu"
    return RNNSequence.apply(x, h0, *weights, nonlinearity=act, reverse=reverse, mask=mask,
                             has_bias=has_bias)


def rnn_stack(mode: str, x: Tensor, hx: Tensor, cx: Tensor | None,
              weights: Sequence[Sequence[Tensor]], num_layers: int, bidirectional: bool,
              dropout: float, training: bool, has_bias: bool, mask: np.ndarray | None = None,
              generator: Any = None) -> tuple[Tensor, Tensor, Tensor | None]:
    """Run ``num_layers`` recurrent layers (each one or two directions) over ``x``.

    Args:
        mode: "RNN_TANH", "RNN_RELU", "GRU" or "LSTM".
        x: (T, B, I), time-major.
        hx: (num_layers · D, B, H_out) initial hidden states; cx likewise (LSTM only).
        weights: per layer and direction (layer-major), [W_ih, W_hh (, b_ih, b_hh) (, W_hr)].
        dropout: probability of dropout on each layer's output but the last, while training.
        mask: (T, B, 1) 0/1 steps that exist (packed sequences), or None.

    Returns:
        (output (T, B, D · H_out), h_n (num_layers · D, B, H_out), c_n or None).
    """
    dirs = 2 if bidirectional else 1
    p = hx.shape[-1]
    finals_h, finals_c = [], []
    for layer in range(num_layers):
        outs = []
        for d in range(dirs):
            k = layer * dirs + d
            y = _run(mode, x, hx[k], None if cx is None else cx[k], weights[k], d == 1, mask,
                     has_bias)
            last = y[0] if d == 1 else y[-1]
            if mode == "LSTM":
                outs.append(y[..., :p])
                finals_h.append(last[..., :p])
                finals_c.append(last[..., p:])
            else:
                outs.append(y)
                finals_h.append(last)
        x = outs[0] if dirs == 1 else cat(outs, dim=-1)
        if dropout > 0 and training and layer < num_layers - 1:
            x = _dropout(x, dropout, True, generator=generator)
    c_n = stack(finals_c) if finals_c else None
    return x, stack(finals_h), c_n


def rnn_cell(mode: str, x: Tensor, h: Tensor, c: Tensor | None,
             weights: Sequence[Tensor], has_bias: bool) -> tuple[Tensor, Tensor | None]:
    """One step of a cell: x (B, I), h (B, H) [, c (B, H)] -> h' [, c']."""
    y = _run(mode, x.unsqueeze(0), h, c, weights, False, None, has_bias)[0]
    if mode == "LSTM":
        hid = c.shape[-1]
        return y[:, :hid], y[:, hid:]
    return y, None
