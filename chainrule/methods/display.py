"""``repr`` of a Tensor in PyTorch's style: ``tensor([0.5000, 2.0000], requires_grad=True)``.

Floats print with 4 decimals, as integers with a trailing dot when they all are integral, and
in scientific notation when their magnitudes span more than a factor of 1000; the dtype is
shown when it is not the default of its kind (float32, int64, bool).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

_QUIET_DTYPES = (np.dtype(np.float32), np.dtype(np.int64), np.dtype(np.bool_))
_SAMPLE = 1000


def float_formatter(values: np.ndarray) -> Callable[[Any], str]:
    """A function formatting one float, chosen from the magnitudes in ``values``."""
    finite = np.abs(values[np.isfinite(values)]).astype(np.float64)
    nonzero = finite[finite != 0]
    integral = finite.size and np.all(finite == np.round(finite))
    wide = nonzero.size and (nonzero.max() / nonzero.min() > 1000 or nonzero.max() > 1e8)
    if integral and not wide:
        fmt = "{:.0f}."
    elif wide or (nonzero.size and nonzero.min() < 1e-4):
        fmt = "{:.4e}"
    else:
        fmt = "{:.4f}"

    def format_one(v: Any) -> str:
        return fmt.format(v) if np.isfinite(v) else str(float(v))

    return format_one


def _padded(format_one: Callable[[Any], str], sample: np.ndarray) -> Callable[[Any], str]:
    width = max((len(format_one(v)) for v in sample), default=0)
    return lambda v: format_one(v).rjust(width)


def format_data(a: np.ndarray) -> str:
    """The bracketed body of the repr."""
    flat = a.ravel()
    sample = flat if flat.size <= 2 * _SAMPLE else np.concatenate([flat[:_SAMPLE], flat[-_SAMPLE:]])
    formatter = {}
    if a.dtype.kind == "f":
        formatter["float_kind"] = _padded(float_formatter(sample), sample)
    return np.array2string(a, separator=", ", prefix="tensor(", formatter=formatter,
                           threshold=1000, edgeitems=3, max_line_width=80)


def tensor_repr(t: Any) -> str:
    """``tensor(<data>[, size=...][, dtype=...][, grad_fn=... | requires_grad=True])``."""
    a = t.data
    extras = []
    if a.size == 0 and a.shape != (0,):
        extras.append(f"size={a.shape}")
    if a.dtype not in _QUIET_DTYPES:
        extras.append(f"dtype=chainrule.{a.dtype.name}")
    if t._ctx is not None:
        extras.append(f"grad_fn=<{t._ctx.fn.label or t._ctx.fn.__name__}Backward>")
    elif t.requires_grad:
        extras.append("requires_grad=True")
    return "tensor(" + format_data(a) + "".join(", " + e for e in extras) + ")"
