"""``repr`` of a Tensor in PyTorch's style: ``tensor([0.5000, 2.0000], requires_grad=True)``.

Floats print with 4 decimals, as integers with a trailing dot when they all are integral, and
in scientific notation when their magnitudes span more than a factor of 1000; the dtype is
shown when it is not the default of its kind (float32, int64, bool). ``set_printoptions``
changes the decimals, the summarising threshold, the edge items, the line width and the
notation, as PyTorch's does.
"""

from __future__ import annotations

import sys
from typing import Any, Callable

import numpy as np

_QUIET_DTYPES = (np.dtype(np.float32), np.dtype(np.int64), np.dtype(np.bool_))
_SAMPLE = 1000

# PyTorch's print options and profiles: (precision, threshold, edgeitems, linewidth).
PROFILES = {"default": (4, 1000, 3, 80), "short": (2, 1000, 2, 80),
            "full": (4, float("inf"), 3, 80)}
OPTIONS: dict[str, Any] = dict(zip(("precision", "threshold", "edgeitems", "linewidth"),
                                   PROFILES["default"]), sci_mode=None)


def set_printoptions(precision: int | None = None, threshold: float | None = None,
                     edgeitems: int | None = None, linewidth: int | None = None,
                     profile: str | None = None, sci_mode: bool | None = None) -> None:
    """How tensors print (``torch.set_printoptions``): ``profile`` ('default', 'short',
    'full') first resets precision, threshold, edgeitems and linewidth; each other argument
    given then sets its option; ``sci_mode`` (None: chosen from the values) is always set."""
    if profile is not None:
        if profile not in PROFILES:
            raise ValueError(f"set_printoptions: profile must be one of 'default', 'short' or "
                             f"'full', got {profile!r}")
        OPTIONS.update(zip(("precision", "threshold", "edgeitems", "linewidth"),
                           PROFILES[profile]))
    given = {"precision": precision, "threshold": threshold, "edgeitems": edgeitems,
             "linewidth": linewidth}
    OPTIONS.update({k: v for k, v in given.items() if v is not None})
    if sci_mode not in (None, True, False):
        raise TypeError(f"set_printoptions: sci_mode must be None, True or False, got "
                        f"{sci_mode!r}")
    OPTIONS["sci_mode"] = sci_mode


def float_formatter(values: np.ndarray) -> Callable[[Any], str]:
    """A function formatting one float, chosen from the magnitudes in ``values`` and the
    print options."""
    finite = np.abs(values[np.isfinite(values)]).astype(np.float64)
    nonzero = finite[finite != 0]
    integral = finite.size and np.all(finite == np.round(finite))
    wide = nonzero.size and (nonzero.max() / nonzero.min() > 1000 or nonzero.max() > 1e8)
    digits, sci = OPTIONS["precision"], OPTIONS["sci_mode"]
    if sci is None:
        sci = bool(wide or (not integral and nonzero.size and nonzero.min() < 1e-4))
    if integral and not sci:
        fmt = "{:.0f}."
    elif sci:
        fmt = f"{{:.{digits}e}}"
    else:
        fmt = f"{{:.{digits}f}}"

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
    threshold = OPTIONS["threshold"]
    return np.array2string(a, separator=", ", prefix="tensor(", formatter=formatter,
                           threshold=sys.maxsize if threshold == float("inf") else int(threshold),
                           edgeitems=OPTIONS["edgeitems"], max_line_width=OPTIONS["linewidth"])


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
