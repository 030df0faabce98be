"""Recurrent layers with PyTorch's contract: ``RNN``, ``GRU``, ``LSTM`` and their cells.

Parameter names, shapes, gate order and initialisation are PyTorch's, so state dicts load both
ways. Each layer and direction is one whole-sequence Function (``ops.rnn``), reached through
``functional.recurrent``.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from ..creation import empty, zeros
from ..device import require_cpu
from ..functional.recurrent import GATES, rnn_cell, rnn_stack
from ..tensor import Tensor
from . import init
from .module import Module
from .parameter import Parameter
from .utils.rnn import PackedSequence, packed_to_padded, padded_to_packed

_NAMES = {"RNN_TANH": "RNN", "RNN_RELU": "RNN", "GRU": "GRU", "LSTM": "LSTM"}


class RNNBase(Module):
    """What ``RNN``, ``GRU`` and ``LSTM`` share (PyTorch's ``RNNBase``).

    Args:
        mode: "RNN_TANH", "RNN_RELU", "GRU" or "LSTM".
        input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
        proj_size: as in PyTorch (see ``LSTM``).
        device: the CPU (another device raises ``DeviceError``), as a string or a device.
        dtype: parameter dtype (float32 by default).
        generator: random generator for the initialisation (default: package generator).
    """

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device: Any = None,
                 dtype: Any = None, generator: Any = None) -> None:
        super().__init__()
        require_cpu(device, type(self).__name__)
        _check_sizes(mode, hidden_size, num_layers, dropout, proj_size)
        self.mode, self.input_size, self.hidden_size = mode, input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bias, batch_first
        self.dropout, self.bidirectional, self.proj_size = float(dropout), bidirectional, proj_size
        self.generator = generator
        dirs = 2 if bidirectional else 1
        out = proj_size or hidden_size
        gates = GATES[mode] * hidden_size
        self._flat_weights_names: list[str] = []
        for layer in range(num_layers):
            layer_in = input_size if layer == 0 else out * dirs
            for d in range(dirs):
                suffix = f"_l{layer}" + ("_reverse" if d else "")
                shapes = [("weight_ih", (gates, layer_in)), ("weight_hh", (gates, out))]
                if bias:
                    shapes += [("bias_ih", (gates,)), ("bias_hh", (gates,))]
                if proj_size:
                    shapes.append(("weight_hr", (proj_size, hidden_size)))
                for name, shape in shapes:
                    setattr(self, name + suffix, Parameter(empty(*shape, dtype=dtype)))
                    self._flat_weights_names.append(name + suffix)
        self.reset_parameters(generator)

    def reset_parameters(self, generator: Any = None) -> None:
        """Every weight and bias ~ U(−1/√hidden_size, 1/√hidden_size), PyTorch's default."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -bound, bound, generator)

    def flatten_parameters(self) -> None:
        """PyTorch compacts its cuDNN weight buffer here; chainrule has none (a no-op kept so
        that scripts calling it run unchanged)."""

    @property
    def all_weights(self) -> list[list[Parameter]]:
        """The parameters per layer and direction, as PyTorch's ``all_weights``."""
        per = len(self._flat_weights_names) // (self.num_layers * (2 if self.bidirectional else 1))
        names = self._flat_weights_names
        return [[getattr(self, n) for n in names[i: i + per]] for i in range(0, len(names), per)]

    def _initial(self, hx: Any, batch: int, dtype: Any, unbatched: bool):
        """(h0, c0) as (L·D, B, ·) tensors, checked against the expected shapes."""
        dirs = 2 if self.bidirectional else 1
        h_shape = (self.num_layers * dirs, batch, self.proj_size or self.hidden_size)
        c_shape = (self.num_layers * dirs, batch, self.hidden_size)
        is_lstm = self.mode == "LSTM"
        if hx is None:
            h0 = zeros(*h_shape, dtype=dtype)
            return h0, (zeros(*c_shape, dtype=dtype) if is_lstm else None)
        states = list(hx) if is_lstm else [hx]
        if is_lstm and len(states) != 2:
            raise TypeError(f"LSTM: hx must be a tuple (h_0, c_0), got {len(states)} tensors")
        _check_state_dims(states, unbatched, is_lstm)
        if unbatched:
            states = [s.unsqueeze(1) for s in states]
        for k, (s, shape) in enumerate(zip(states, (h_shape, c_shape))):
            if s.dtype != dtype:
                raise ValueError(f"{_NAMES[self.mode]}: initial state dtype ({s.dtype}) does "
                                 f"not match the input dtype ({dtype})")
            if tuple(s.shape) != shape:
                what = f"hidden[{k}]" if is_lstm else "hidden"
                raise RuntimeError(f"Expected {what} size {shape}, got {list(s.shape)}")
        return states[0], (states[1] if is_lstm else None)

    def _check_input(self, x: Tensor) -> None:
        if x.ndim not in (2, 3):
            raise ValueError(f"{_NAMES[self.mode]}: Expected input to be 2D or 3D, got "
                             f"{x.ndim}D instead")
        if x.shape[-1] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {x.shape[-1]}")
        weight = self.weight_ih_l0
        if x.dtype != weight.dtype:
            raise ValueError(f"RNN input dtype ({x.dtype}) does not match weight dtype "
                             f"({weight.dtype}). Convert input: input.to({weight.dtype}), or "
                             f"convert model: model.to({x.dtype})")

    def forward(self, input: Any, hx: Any = None) -> tuple[Any, Any]:
        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx)
        self._check_input(input)
        unbatched = input.ndim == 2
        x = input.unsqueeze(1) if unbatched else (
            input.transpose(0, 1) if self.batch_first else input)
        h0, c0 = self._initial(hx, x.shape[1], x.dtype, unbatched)
        out, h_n, c_n = self._run(x, h0, c0, None)
        if unbatched:
            out, h_n = out.squeeze(1), h_n.squeeze(1)
            c_n = None if c_n is None else c_n.squeeze(1)
        elif self.batch_first:
            out = out.transpose(0, 1)
        return out, (h_n if c_n is None else (h_n, c_n))

    def _run(self, x: Tensor, h0: Tensor, c0: Tensor | None, mask: np.ndarray | None):
        return rnn_stack(self.mode, x, h0, c0, self.all_weights, self.num_layers,
                         self.bidirectional, self.dropout, self.training, self.bias, mask,
                         self.generator)

    def _forward_packed(self, packed: PackedSequence, hx: Any):
        """A PackedSequence in, a PackedSequence out; states in the caller's batch order."""
        self._check_input(packed.data)
        x, lengths = packed_to_padded(packed)
        steps = np.arange(x.shape[0])[:, None]
        mask = (lengths[None, :] > steps).astype(x.dtype)[:, :, None]
        order, unorder = packed.sorted_indices, packed.unsorted_indices
        if hx is not None and order is not None:
            hx = tuple(s[:, order.data] for s in hx) if self.mode == "LSTM" else hx[:, order.data]
        h0, c0 = self._initial(hx, x.shape[1], x.dtype, False)
        out, h_n, c_n = self._run(x, h0, c0, mask)
        if unorder is not None:
            h_n = h_n[:, unorder.data]
            c_n = None if c_n is None else c_n[:, unorder.data]
        result = packed._replace(data=padded_to_packed(out, packed))
        return result, (h_n if c_n is None else (h_n, c_n))

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size:
            text += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if not self.bias:
            text += ", bias=False"
        if self.batch_first:
            text += ", batch_first=True"
        if self.dropout:
            text += f", dropout={self.dropout}"
        if self.bidirectional:
            text += ", bidirectional=True"
        return text


def _check_sizes(mode: str, hidden_size: int, num_layers: int, dropout: float,
                 proj_size: int) -> None:
    if not isinstance(dropout, (int, float)) or isinstance(dropout, bool) or \
            not 0 <= dropout <= 1:
        raise ValueError("dropout should be a number in range [0, 1] representing the "
                         f"probability of an element being zeroed, got {dropout!r}")
    if dropout > 0 and num_layers == 1:
        warnings.warn("dropout option adds dropout after all but last recurrent layer, so "
                      "non-zero dropout expects num_layers greater than 1, but got "
                      f"dropout={dropout} and num_layers={num_layers}", UserWarning,
                      stacklevel=3)
    if not isinstance(hidden_size, int) or hidden_size <= 0:
        raise ValueError("hidden_size must be greater than zero")
    if not isinstance(num_layers, int) or num_layers <= 0:
        raise ValueError("num_layers must be greater than zero")
    if proj_size < 0:
        raise ValueError("proj_size should be a positive integer or zero to disable "
                         "projections")
    if proj_size and mode != "LSTM":
        raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
    if proj_size >= hidden_size:
        raise ValueError("proj_size has to be smaller than hidden_size")


def _check_state_dims(states: list, unbatched: bool, is_lstm: bool) -> None:
    want = 2 if unbatched else 3
    if all(s.ndim == want for s in states):
        return
    kind = "unbatched 2-D" if unbatched else "batched 3-D"
    if is_lstm:
        dims = ", ".join(f"{s.ndim}-D" for s in states)
        raise RuntimeError(f"For {kind} input, hx and cx should also be {want}-D but got "
                           f"({dims}) tensors")
    raise RuntimeError(f"For {kind} input, hx should also be {want}-D but got "
                       f"{states[0].ndim}-D tensor")


class RNN(RNNBase):
    """Elman RNN: hₜ = act(xₜ W_ihᵀ + b_ih + hₜ₋₁ W_hhᵀ + b_hh), act tanh or relu (PyTorch's
    ``nn.RNN``).

    Args:
        input_size: features of each step of the input.
        hidden_size: features of the hidden state.
        num_layers: stacked layers (default 1).
        nonlinearity: "tanh" (default) or "relu".
        bias: if False, no b_ih, b_hh.
        batch_first: input and output are (B, T, ·) instead of (T, B, ·).
        dropout: dropout on the outputs of every layer but the last, while training.
        bidirectional: add a second direction that runs backwards in time.
        dtype, generator: parameter dtype; random generator for the initialisation.

    Shape:
        input (T, B, I), (B, T, I) with batch_first, (T, I) unbatched, or a PackedSequence;
        h_0 (D·num_layers, B, H), defaults to zeros. Returns (output (T, B, D·H), h_n).

    Parameters ``weight_ih_l{k}``, ``weight_hh_l{k}``, ``bias_ih_l{k}``, ``bias_hh_l{k}``
    (and ``_reverse``), all ~ U(−1/√H, 1/√H), as in PyTorch.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, device: Any = None,
                 dtype: Any = None, generator: Any = None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or "
                             "'relu'.")
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size,
                         hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         0, device, dtype, generator)
        self.nonlinearity = nonlinearity


class GRU(RNNBase):
    """Gated recurrent unit, PyTorch's gate order and candidate form (``nn.GRU``):
    r = σ(W_ir x + b_ir + W_hr h + b_hr), z = σ(W_iz x + b_iz + W_hz h + b_hz),
    n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)), h' = (1 − z) ⊙ n + z ⊙ h.

    Args: as ``RNN`` without ``nonlinearity``; ``weight_ih_l{k}`` is (3H, I), rows r, z, n.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, device: Any = None, dtype: Any = None,
                 generator: Any = None, proj_size: int = 0) -> None:
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, proj_size, device, dtype, generator)


class LSTM(RNNBase):
    """Long short-term memory, PyTorch's gate order i, f, g, o (``nn.LSTM``):
    c' = σ(f) ⊙ c + σ(i) ⊙ tanh(g), h' = σ(o) ⊙ tanh(c'), and h' W_hrᵀ with ``proj_size``.

    Args:
        input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional: as
            ``RNN``.
        proj_size: if > 0, project each hidden state to this size (``weight_hr_l{k}``,
            (proj_size, H)); h has proj_size features, c has hidden_size.

    Shape:
        input as ``RNN``; hx = (h_0 (D·L, B, H_out), c_0 (D·L, B, H)), zeros by default.
        Returns (output (T, B, D·H_out), (h_n, c_n)).
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device: Any = None,
                 dtype: Any = None, generator: Any = None) -> None:
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, proj_size, device, dtype, generator)


class RNNCellBase(Module):
    """What the cells share (PyTorch's ``RNNCellBase``): the parameters ``weight_ih``
    (G·H, I), ``weight_hh`` (G·H, H), ``bias_ih`` and ``bias_hh`` (G·H,), all
    ~ U(−1/√H, 1/√H), with G = ``num_chunks`` gate blocks (1 for ``RNNCell``, 3 for
    ``GRUCell``, 4 for ``LSTMCell``). A subclass sets ``mode`` (a key of ``GATES``) and
    defines ``forward``, which calls ``_step``.

    Args:
        input_size, hidden_size, bias, num_chunks: I, H, whether there are biases, G.
        device, dtype, generator: as ``RNNBase``.
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int,
                 device: Any = None, dtype: Any = None, generator: Any = None) -> None:
        super().__init__()
        require_cpu(device, type(self).__name__)
        if not isinstance(hidden_size, int) or hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if not isinstance(num_chunks, int) or num_chunks <= 0:
            raise ValueError(f"num_chunks must be a positive int, got {num_chunks!r}")
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        gates = num_chunks * hidden_size
        self.weight_ih = Parameter(empty(gates, input_size, dtype=dtype))
        self.weight_hh = Parameter(empty(gates, hidden_size, dtype=dtype))
        if bias:
            self.bias_ih = Parameter(empty(gates, dtype=dtype))
            self.bias_hh = Parameter(empty(gates, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters(generator)

    def reset_parameters(self, generator: Any = None) -> None:
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -bound, bound, generator)

    def _weights(self) -> list[Tensor]:
        ws = [self.weight_ih, self.weight_hh]
        return ws + [self.bias_ih, self.bias_hh] if self.bias else ws

    def _step(self, input: Tensor, hx: Any) -> tuple[Any, bool]:
        name = type(self).__name__
        if input.ndim not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.ndim}D "
                             "instead")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.shape[-1]} "
                               f"expected {self.input_size}")
        if input.dtype != self.weight_ih.dtype:
            raise ValueError(f"{name}: input dtype ({input.dtype}) does not match weight dtype "
                             f"({self.weight_ih.dtype}); convert the input or the model")
        unbatched = input.ndim == 1
        x = input.unsqueeze(0) if unbatched else input
        shape = (x.shape[0], self.hidden_size)
        states = [zeros(*shape, dtype=x.dtype)] * (2 if self.mode == "LSTM" else 1) \
            if hx is None else (list(hx) if self.mode == "LSTM" else [hx])
        states = [s.unsqueeze(0) if unbatched and hx is not None else s for s in states]
        for s in states:
            if tuple(s.shape) != shape:
                raise RuntimeError(f"{name}: hidden state has shape {tuple(s.shape)}, "
                                   f"expected {shape} for input of shape {tuple(input.shape)}")
        h, c = rnn_cell(self.mode, x, states[0], states[1] if len(states) > 1 else None,
                        self._weights(), self.bias)
        if unbatched:
            h, c = h.squeeze(0), (None if c is None else c.squeeze(0))
        return (h if c is None else (h, c)), unbatched

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            text += ", bias=False"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            text += f", nonlinearity={self.nonlinearity}"
        return text


class RNNCell(RNNCellBase):
    """One step of an Elman RNN (PyTorch's ``nn.RNNCell``): h' = act(x W_ihᵀ + b_ih + h W_hhᵀ
    + b_hh).

    Args:
        input_size, hidden_size: features of x and h.
        bias: if False, no biases.
        nonlinearity: "tanh" (default) or "relu".

    Shape: x (B, I) or (I,), h (B, H) or (H,) (zeros by default) -> h' like h.
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device: Any = None, dtype: Any = None,
                 generator: Any = None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity: {nonlinearity}")
        mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"
        super().__init__(input_size, hidden_size, bias, GATES[mode], device, dtype, generator)
        self.mode, self.nonlinearity = mode, nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        return self._step(input, hx)[0]


class GRUCell(RNNCellBase):
    """One step of a GRU (PyTorch's ``nn.GRUCell``), the equations of ``GRU``.

    Args: input_size, hidden_size, bias. Shape as ``RNNCell``.
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 device: Any = None, dtype: Any = None, generator: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, GATES["GRU"], device, dtype, generator)
        self.mode = "GRU"

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        return self._step(input, hx)[0]


class LSTMCell(RNNCellBase):
    """One step of an LSTM (PyTorch's ``nn.LSTMCell``), the equations of ``LSTM``.

    Args: input_size, hidden_size, bias.
    Shape: x (B, I) or (I,), hx = (h, c) each (B, H) or (H,) (zeros by default) -> (h', c').
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 device: Any = None, dtype: Any = None, generator: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, GATES["LSTM"], device, dtype, generator)
        self.mode = "LSTM"

    def forward(self, input: Tensor, hx: Any = None) -> tuple[Tensor, Tensor]:
        return self._step(input, hx)[0]
