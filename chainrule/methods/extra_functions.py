"""The top-level ``chainrule.X`` forms of the methods of ``ExtraMixin`` (PyTorch's
``torch.slice_scatter``, ``torch.logaddexp2``, ``torch.nanmedian`` ...), loaded on first use,
and the window functions (``torch.hann_window`` ...), which are top-level only. Each form
calls the method, whose docstring says more.
"""

from __future__ import annotations

from typing import Any

from .extra_math import shift, tensor_operand
from .reduce import refuse_out
from .windows import (
    bartlett_window,
    blackman_window,
    hamming_window,
    hann_window,
    kaiser_window,
)


def slice_scatter(input: Any, src: Any, dim: int = 0, start: Any = None, end: Any = None,
                  step: int = 1) -> Any:
    """A copy of ``input`` with the slice ``start:end:step`` along ``dim`` replaced by
    ``src`` (``torch.slice_scatter``); gradients flow to both.

    Example:
        >>> import chainrule
        >>> chainrule.slice_scatter(chainrule.zeros(4), chainrule.ones(2), start=1, end=3)
        tensor([0., 1., 1., 0.])
    """
    return input.slice_scatter(src, dim, start, end, step)


def select_scatter(input: Any, src: Any, dim: int, index: int) -> Any:
    """A copy of ``input`` with ``input.select(dim, index)`` replaced by ``src``
    (``torch.select_scatter``)."""
    return input.select_scatter(src, dim, index)


def diagonal_scatter(input: Any, src: Any, offset: int = 0, dim1: int = 0,
                     dim2: int = 1) -> Any:
    """A copy of ``input`` with ``input.diagonal(offset, dim1, dim2)`` replaced by ``src``
    (``torch.diagonal_scatter``).

    Example:
        >>> import chainrule
        >>> chainrule.diagonal_scatter(chainrule.zeros(2, 2), chainrule.ones(2))
        tensor([[1., 0.],
                [0., 1.]])
    """
    return input.diagonal_scatter(src, offset, dim1, dim2)


def index_reduce(input: Any, dim: int, index: Any, source: Any, reduce: str, *,
                 include_self: bool = True, out: Any = None) -> Any:
    """``input`` with the slices of ``source`` along ``dim`` reduced into the slices that
    ``index`` names, by 'prod', 'mean', 'amax' or 'amin' (``torch.index_reduce``)."""
    refuse_out("index_reduce", out)
    return input.index_reduce(dim, index, source, reduce, include_self=include_self)


def diagflat(input: Any, offset: int = 0) -> Any:
    """The square matrix with ``input``, flattened, on diagonal ``offset``
    (``torch.diagflat``).

    Example:
        >>> import chainrule
        >>> chainrule.diagflat(chainrule.tensor([1.0, 2.0]))
        tensor([[1., 0.],
                [0., 2.]])
    """
    return input.diagflat(offset)


def logaddexp2(input: Any, other: Any, *, out: Any = None) -> Any:
    """log₂(2^input + 2^other), computed stably (``torch.logaddexp2``).

    Example:
        >>> import chainrule
        >>> chainrule.logaddexp2(chainrule.tensor([1.0, 3.0]), chainrule.tensor([1.0, 3.0]))
        tensor([2., 4.])
    """
    refuse_out("logaddexp2", out)
    return input.logaddexp2(other)


def ldexp(input: Any, other: Any, *, out: Any = None) -> Any:
    """input · 2^other (``torch.ldexp``)."""
    refuse_out("ldexp", out)
    return input.ldexp(other)


def frexp(input: Any, *, out: Any = None) -> Any:
    """The named tuple (mantissa, exponent) with input = mantissa · 2^exponent
    (``torch.frexp``; the exponent is int32).

    Example:
        >>> import chainrule
        >>> chainrule.frexp(chainrule.tensor([8.0])).exponent
        tensor([4], dtype=chainrule.int32)
    """
    refuse_out("frexp", out)
    return input.frexp()


def nextafter(input: Any, other: Any, *, out: Any = None) -> Any:
    """The next float after ``input`` towards ``other`` (``torch.nextafter``)."""
    refuse_out("nextafter", out)
    return input.nextafter(other)


def nanmedian(input: Any, dim: Any = None, keepdim: bool = False) -> Any:
    """The lower median ignoring NaN (``torch.nanmedian``); with ``dim``, the named tuple
    (values, indices).

    Example:
        >>> import chainrule
        >>> chainrule.nanmedian(chainrule.tensor([3.0, float("nan"), 1.0, 2.0]))
        tensor(2.)
    """
    return input.nanmedian(dim, keepdim)


def renorm(input: Any, p: Any, dim: int, maxnorm: Any, *, out: Any = None) -> Any:
    """``input`` with every slice along ``dim`` whose p-norm exceeds ``maxnorm`` scaled to
    norm maxnorm (``torch.renorm``; the scale is maxnorm / (norm + 1e-7))."""
    refuse_out("renorm", out)
    return input.renorm(p, dim, maxnorm)


def bitwise_left_shift(input: Any, other: Any, *, out: Any = None) -> Any:
    """input << other for integers; ``input`` may be a number (``torch.bitwise_left_shift``).

    Example:
        >>> import chainrule
        >>> chainrule.bitwise_left_shift(chainrule.tensor([1, 3]), 2)
        tensor([ 4, 12])
    """
    refuse_out("bitwise_left_shift", out)
    if not hasattr(input, "bitwise_left_shift"):
        tensor_operand("bitwise_left_shift", other)
    return shift(input, other, "bitwise_left_shift", left=True)


def bitwise_right_shift(input: Any, other: Any, *, out: Any = None) -> Any:
    """input >> other for integers (the sign fill for shifts < 0 or ≥ the width);
    ``input`` may be a number (``torch.bitwise_right_shift``)."""
    refuse_out("bitwise_right_shift", out)
    if not hasattr(input, "bitwise_right_shift"):
        tensor_operand("bitwise_right_shift", other)
    return shift(input, other, "bitwise_right_shift", left=False)


__all__ = ["bartlett_window", "bitwise_left_shift", "bitwise_right_shift", "blackman_window",
           "diagflat", "diagonal_scatter", "frexp", "hamming_window", "hann_window",
           "index_reduce", "kaiser_window", "ldexp", "logaddexp2", "nanmedian", "nextafter",
           "renorm", "select_scatter", "slice_scatter"]
