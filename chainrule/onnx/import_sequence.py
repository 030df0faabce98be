"""ONNX's recurrent operators (RNN, GRU, LSTM) and the few tensor operators that sequence
models bring (Split, Slice, Where, Trilu, ConstantOfShape) as chainrule ops.

An ONNX ``RNN``/``GRU``/``LSTM`` node is one layer, one or two directions. Its W (D, G·H, I),
R (D, G·H, H) and B (D, 2·G·H) are cut into PyTorch's per-direction weights, gate blocks
reordered from ONNX's order to PyTorch's, with differentiable slicing (so the file's
initializers train), and run by the same whole-sequence functions as ``nn.LSTM``. What
PyTorch's layers cannot compute is refused when the file is loaded (``CHECKS``): other
activations, ``clip``, ``input_forget``, and a GRU with ``linear_before_reset=0``.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..creation import zeros
from ..functional.recurrent import rnn_stack
from ..methods.math import where as where_
from ..methods.shape import cat
from ..tensor import Tensor
from .builder import UnsupportedOperatorError
from .export_sequence import ONNX_GATE_ORDER

_DEFAULT_ACTIVATIONS = {"GRU": ["sigmoid", "tanh"], "LSTM": ["sigmoid", "tanh", "tanh"]}


def _mode(op: str, attrs: dict) -> str:
    if op != "RNN":
        return op
    first = [a.lower() for a in attrs.get("activations", ["Tanh"])][:1]
    return "RNN_RELU" if first == ["relu"] else "RNN_TANH"


def check_recurrent(op: str, attrs: dict) -> str | None:
    """Why chainrule cannot run this node (None when it can)."""
    dirs = 2 if attrs.get("direction", "forward") == "bidirectional" else 1
    acts = [a.lower() for a in attrs.get("activations", [])]
    allowed = [["tanh"], ["relu"]] if op == "RNN" else [_DEFAULT_ACTIVATIONS[op]]
    if acts and not any(acts == want * dirs for want in allowed):
        return f"activations={attrs['activations']}"
    if attrs.get("clip") is not None:
        return f"clip={attrs['clip']}"
    if attrs.get("input_forget", 0):
        return "input_forget=1"
    if attrs.get("activation_alpha") or attrs.get("activation_beta"):
        return "activation_alpha/activation_beta"
    if op == "GRU" and not attrs.get("linear_before_reset", 0):
        return "linear_before_reset=0 (PyTorch's GRU applies the reset gate after the " \
               "recurrent product, ONNX's linear_before_reset=1)"
    return None


def _to_pytorch(w: Tensor, mode: str, hidden: int) -> Tensor:
    """A (G·H, ...) block of gates in ONNX's order, in PyTorch's order."""
    order = ONNX_GATE_ORDER[mode]
    if len(order) == 1:
        return w
    at = {torch_gate: onnx_pos for onnx_pos, torch_gate in enumerate(order)}
    return cat([w[at[g] * hidden: (at[g] + 1) * hidden] for g in range(len(order))], dim=0)


def _weights(mode: str, w: Tensor, r: Tensor, b: Any, hidden: int) -> list[list[Tensor]]:
    """Per direction, PyTorch's [W_ih, W_hh (, b_ih, b_hh)]."""
    per = []
    gh = w.shape[1]
    for d in range(w.shape[0]):
        ws = [_to_pytorch(w[d], mode, hidden), _to_pytorch(r[d], mode, hidden)]
        if b is not None:
            bias = b[d]
            ws += [_to_pytorch(bias[:gh], mode, hidden), _to_pytorch(bias[gh:], mode, hidden)]
        per.append(ws)
    return per


def _recurrent(op: str) -> Callable:
    def run(a: dict, x: Tensor, w: Any, r: Any, b: Any = None, seq_lens: Any = None,
            h0: Any = None, c0: Any = None, p: Any = None) -> tuple:
        mode, hidden = _mode(op, a), int(a["hidden_size"])
        w, r = _as_tensor(w), _as_tensor(r)
        b = None if b is None else _as_tensor(b)
        batch_major = bool(a.get("layout", 0))
        if batch_major:
            x = x.transpose(0, 1)
            h0, c0 = (None if s is None else _as_tensor(s).transpose(0, 1) for s in (h0, c0))
        steps, batch, dirs = x.shape[0], x.shape[1], w.shape[0]
        _check_unused(op, seq_lens, p, steps)
        h0 = zeros(dirs, batch, hidden, dtype=x.dtype) if h0 is None else _as_tensor(h0)
        if mode == "LSTM" and c0 is None:
            c0 = zeros(dirs, batch, hidden, dtype=x.dtype)
        backwards = a.get("direction", "forward") == "reverse"
        if backwards:  # one direction, run on the reversed sequence and reversed back
            x = x[::-1]
        out, h_n, c_n = rnn_stack(mode, x, h0, None if c0 is None else _as_tensor(c0),
                                  _weights(mode, w, r, b, hidden), 1, dirs == 2, 0.0, False,
                                  b is not None)
        if backwards:
            out = out[::-1]
        y = out.reshape(steps, batch, dirs, hidden).permute(0, 2, 1, 3)  # (T, D, B, H)
        results = [y, h_n] + ([c_n] if mode == "LSTM" else [])
        if batch_major:
            results = [y.permute(2, 0, 1, 3)] + [s.transpose(0, 1) for s in results[1:]]
        return tuple(results)
    return run


def _check_unused(op: str, seq_lens: Any, p: Any, steps: int) -> None:
    if seq_lens is not None:
        lengths = np.ravel(seq_lens.data if isinstance(seq_lens, Tensor) else seq_lens)
        if np.any(lengths != steps):
            raise UnsupportedOperatorError(f"{op}: sequence_lens {lengths.tolist()} other than "
                                           f"the full length {steps} are not supported")
    if p is not None and np.any(np.asarray(p.data if isinstance(p, Tensor) else p) != 0):
        raise UnsupportedOperatorError("LSTM: peephole weights (input P) are not supported")


def _as_tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(np.asarray(x))


def _ints(x: Any) -> list[int]:
    return [int(v) for v in np.ravel(x.data if isinstance(x, Tensor) else np.asarray(x))]


def split(a: dict, x: Any, sizes: Any = None) -> tuple:
    """Pieces of ``x`` along ``axis``: sizes from the input (opset 13) or the attribute, else
    ``num_outputs`` (opset 18) equal pieces."""
    axis = a.get("axis", 0) % x.ndim
    if sizes is None:
        sizes = a.get("split")
    if sizes is None:
        count = int(a["num_outputs"])
        step = -(-x.shape[axis] // count)
        sizes = [min(step, x.shape[axis] - k * step) for k in range(count)]
    bounds = np.cumsum([0] + _ints(sizes))
    lead = (slice(None),) * axis
    return tuple(x[lead + (slice(int(lo), int(hi)),)] for lo, hi in zip(bounds, bounds[1:]))


def slice_(a: dict, x: Any, starts: Any, ends: Any, axes: Any = None, steps: Any = None) -> Any:
    """x[starts:ends:steps] along ``axes`` (Python's slice clamps out-of-range bounds as ONNX
    does)."""
    starts, ends = _ints(starts), _ints(ends)
    axes = list(range(len(starts))) if axes is None else [v % x.ndim for v in _ints(axes)]
    steps = [1] * len(starts) if steps is None else _ints(steps)
    index = [slice(None)] * x.ndim
    for axis, lo, hi, step in zip(axes, starts, ends, steps):
        index[axis] = slice(lo, hi, step)
    return x[tuple(index)]


def where(a: dict, condition: Any, x: Any, y: Any) -> Any:
    """x where ``condition``, else y; a Tensor operand keeps its gradient."""
    cond = np.asarray(condition.data if isinstance(condition, Tensor) else condition, bool)
    if not isinstance(x, Tensor) and not isinstance(y, Tensor):
        return np.where(cond, x, y)
    return where_(Tensor(cond), x, y)


def trilu(a: dict, x: Any, k: Any = None) -> Any:
    shift = 0 if k is None else _ints(k)[0]
    data = x.data if isinstance(x, Tensor) else np.asarray(x)
    keep = np.triu(np.ones(data.shape[-2:], bool), shift) if a.get("upper", 1) else \
        np.tril(np.ones(data.shape[-2:], bool), shift)
    if isinstance(x, Tensor):
        return x * Tensor(keep.astype(x.dtype))
    return np.where(keep, data, np.zeros((), data.dtype))


def constant_of_shape(a: dict, shape: Any) -> np.ndarray:
    value = np.asarray(a.get("value", np.zeros(1, np.float32)))
    return np.full(_ints(shape), value.ravel()[0], dtype=value.dtype)


def _logical(fn: Callable) -> Callable:
    """A comparison or logic operator: bool values carry no gradient, so NumPy computes them
    (what ``torch.onnx.export`` writes around masks and shapes)."""
    def run(a: dict, *xs: Any) -> np.ndarray:
        return fn(*[x.data if isinstance(x, Tensor) else np.asarray(x) for x in xs])
    return run


def mod(a: dict, x: Any, y: Any) -> np.ndarray:
    """Shape arithmetic only (``torch.onnx.export`` writes it checking head sizes)."""
    if isinstance(x, Tensor) or isinstance(y, Tensor):
        raise UnsupportedOperatorError("Mod on computed values is not supported (only on "
                                       "shapes and constants)")
    return np.fmod(x, y) if a.get("fmod", 0) else np.mod(x, y)


SEQUENCE_IMPORTS: dict[str, Callable] = {
    "RNN": _recurrent("RNN"), "GRU": _recurrent("GRU"), "LSTM": _recurrent("LSTM"),
    "Split": split, "Slice": slice_, "Where": where, "Trilu": trilu,
    "ConstantOfShape": constant_of_shape, "Mod": mod,
    "Equal": _logical(np.equal), "Less": _logical(np.less), "Greater": _logical(np.greater),
    "Not": _logical(np.logical_not), "And": _logical(np.logical_and),
    "Or": _logical(np.logical_or),
}
CHECKS: dict[str, Callable] = {op: (lambda a, op=op: check_recurrent(op, a))
                               for op in ("RNN", "GRU", "LSTM")}
