"""``chainrule.testing.assert_close``: PyTorch's ``torch.testing.assert_close`` for tests.

Two values are close when |actual − expected| ≤ atol + rtol·|expected| elementwise, with the
tolerances chosen by dtype when not given (PyTorch's defaults: float16 1e-3 / 1e-5, float32
1.3e-6 / 1e-5, float64 and Python floats 1e-7 / 1e-7, integers and bools exact). Tensors must
also agree in shape and (unless ``check_dtype=False``) dtype. Sequences and mappings are
compared entry by entry; the message names the entry, the count of mismatched elements and
the greatest differences.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from typing import Any, Callable

import numpy as np

from .tensor import Tensor

# dtype -> (rtol, atol)
DEFAULT_TOLERANCES = {np.dtype(np.float16): (1e-3, 1e-5), np.dtype(np.float32): (1.3e-6, 1e-5),
                      np.dtype(np.float64): (1e-7, 1e-7)}


def assert_close(actual: Any, expected: Any, *, allow_subclasses: bool = True,
                 rtol: float | None = None, atol: float | None = None, equal_nan: bool = False,
                 check_device: bool = True, check_dtype: bool = True, check_layout: bool = True,
                 check_stride: bool = False, msg: str | Callable[[str], str] | None = None
                 ) -> None:
    """Raise AssertionError unless ``actual`` and ``expected`` are close (see the module
    docstring). ``rtol`` and ``atol`` go together: give both or neither."""
    if (rtol is None) != (atol is None):
        raise ValueError("assert_close: give both rtol and atol, or neither")
    problem = _compare(actual, expected, rtol, atol, equal_nan, check_dtype, "")
    if problem is not None:
        raise AssertionError(msg(problem) if callable(msg) else (msg or problem))


def _compare(actual: Any, expected: Any, rtol: Any, atol: Any, equal_nan: bool,
             check_dtype: bool, where: str) -> str | None:
    if isinstance(actual, Mapping) and isinstance(expected, Mapping):
        if set(actual) != set(expected):
            return f"The keys{_at(where)} do not match: {sorted(actual)} != {sorted(expected)}."
        return _first(_compare(actual[k], expected[k], rtol, atol, equal_nan, check_dtype,
                               f"{where}[{k!r}]") for k in actual)
    if _is_sequence(actual) and _is_sequence(expected):
        if len(actual) != len(expected):
            return f"The lengths{_at(where)} do not match: {len(actual)} != {len(expected)}."
        return _first(_compare(a, e, rtol, atol, equal_nan, check_dtype, f"{where}[{i}]")
                      for i, (a, e) in enumerate(zip(actual, expected)))
    a, e = _array(actual), _array(expected)
    if a is None or e is None or isinstance(actual, Tensor) != isinstance(expected, Tensor):
        raise TypeError(f"assert_close: cannot compare {type(actual).__name__} with "
                        f"{type(expected).__name__}{_at(where)}")
    if a.shape != e.shape:
        return f"The values for attribute 'shape'{_at(where)} do not match: {a.shape} != {e.shape}."
    if check_dtype and a.dtype != e.dtype:
        return f"The values for attribute 'dtype'{_at(where)} do not match: {a.dtype} != {e.dtype}."
    if rtol is None:
        rtol, atol = max(_tolerances(a.dtype), _tolerances(e.dtype))
    return _mismatch(a, e, rtol, atol, equal_nan, where)


def _mismatch(a: np.ndarray, e: np.ndarray, rtol: float, atol: float, equal_nan: bool,
              where: str) -> str | None:
    a64, e64 = a.astype(np.float64), e.astype(np.float64)
    close = np.isclose(a64, e64, rtol=rtol, atol=atol, equal_nan=equal_nan) | (a64 == e64)
    if close.all():
        return None
    with np.errstate(divide="ignore", invalid="ignore"):
        absolute = np.abs(a64 - e64)
        relative = absolute / np.abs(e64)
    absolute[close], relative[close] = 0, 0
    worst_abs, worst_rel = _worst(absolute), _worst(relative)
    exact = rtol == 0 and atol == 0
    kind = "equal" if exact else "close"
    allowed = ("", "") if exact else (f" (up to {atol} allowed)", f" (up to {rtol} allowed)")
    mismatched = int((~close).sum())
    return (f"{'Tensor-likes' if a.ndim else 'Scalars'}{_at(where)} are not {kind}!\n\n"
            f"Mismatched elements: {mismatched} / {close.size} "
            f"({100 * mismatched / close.size:.1f}%)\n"
            f"Greatest absolute difference: {absolute[worst_abs]} at index {worst_abs}"
            f"{allowed[0]}\n"
            f"Greatest relative difference: {relative[worst_rel]} at index {worst_rel}"
            f"{allowed[1]}")


def _worst(differences: np.ndarray) -> tuple[int, ...]:
    """The index of the greatest difference, NaN counting as the greatest."""
    flat = np.argmax(np.where(np.isnan(differences), np.inf, differences))
    return tuple(int(i) for i in np.unravel_index(flat, differences.shape))


def _tolerances(dtype: np.dtype) -> tuple[float, float]:
    return DEFAULT_TOLERANCES.get(dtype, (0.0, 0.0))


def _array(value: Any) -> np.ndarray | None:
    if isinstance(value, Tensor):
        return value.data
    if isinstance(value, np.ndarray):
        return value
    if isinstance(value, (numbers.Number, np.generic)):
        return np.asarray(value)
    return None


def _is_sequence(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes))


def _at(where: str) -> str:
    """" at item ['w'][0]" for an entry of a mapping or sequence, "" at the top."""
    return f" at item {where}" if where else ""


def _first(problems: Any) -> str | None:
    return next((p for p in problems if p is not None), None)
