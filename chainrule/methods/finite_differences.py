"""``torch.gradient``: the derivative of samples f₀, f₁, … taken at points x₀ < x₁ < … (or a
uniform step h apart), estimated along one or more dimensions by finite differences: second-order
accurate inside (central differences) and first- or second-order accurate at the two ends
(``edge_order``). These are the formulas of ``numpy.gradient``, which ``torch.gradient``
matches.

Everything here is slicing (``narrow``), products and sums of the input and of coefficients
made from the steps, so the gradient with respect to the input, and to coordinates given as
tensors, is that of the arithmetic: no backward of its own.

Along one dimension with n samples and steps dᵢ = xᵢ₊₁ − xᵢ (all h when uniform):

* inside (0 < i < n − 1), with a = dᵢ₋₁ and b = dᵢ:
  gᵢ = −b/(a(a+b))·fᵢ₋₁ + (b−a)/(ab)·fᵢ + a/(b(a+b))·fᵢ₊₁, which for a = b = h is
  (fᵢ₊₁ − fᵢ₋₁)/2h;
* the ends, ``edge_order=1``: g₀ = (f₁ − f₀)/d₀ and gₙ₋₁ = (fₙ₋₁ − fₙ₋₂)/dₙ₋₂;
* the ends, ``edge_order=2``, with a = d₀, b = d₁ at the start:
  g₀ = −(2a+b)/(a(a+b))·f₀ + (a+b)/(ab)·f₁ − a/(b(a+b))·f₂ (for h: (−3f₀ + 4f₁ − f₂)/2h),
  and with a = dₙ₋₃, b = dₙ₋₂ at the end:
  gₙ₋₁ = b/(a(a+b))·fₙ₋₃ − (a+b)/(ab)·fₙ₋₂ + (a+2b)/(b(a+b))·fₙ₋₁.

Reference: https://en.wikipedia.org/wiki/Finite_difference_coefficient
"""

from __future__ import annotations

import numbers
from typing import Any

from .. import dtypes
from .reduce import normalize_dim
from .shape import cat


def gradient(input: Any, spacing: Any, dim: Any, edge_order: Any) -> tuple:
    """The tuple of estimated derivatives of ``input`` along each dimension of ``dim`` (every
    dimension when None); see the module docstring and ``chainrule.gradient``."""
    if input.dtype == dtypes.bool_:
        raise RuntimeError("gradient: input is a bool tensor, whose differences are not "
                           "defined (subtraction of bools); convert it first, e.g. x.float()")
    order = _edge_order(edge_order)
    axes = _axes(input, dim)
    steps = _steps(spacing, input.ndim, dim, len(axes))
    for axis, step in zip(axes, steps):
        if input.shape[axis] < order + 1:
            raise RuntimeError(f"gradient: expected each dimension size to be at least "
                               f"edge_order+1 = {order + 1}, but dimension {axis} of shape "
                               f"{tuple(input.shape)} has {input.shape[axis]}")
        if not isinstance(step, float) and step.shape[0] != input.shape[axis]:
            raise RuntimeError(f"gradient: the coordinates for dimension {axis} hold "
                               f"{step.shape[0]} values, but that dimension has size "
                               f"{input.shape[axis]}")
    f = input if dtypes.is_floating(input.dtype) else input.to(dtypes.get_default_dtype())
    return tuple(_along(f, axis, step, order) for axis, step in zip(axes, steps))


def _edge_order(edge_order: Any) -> int:
    if isinstance(edge_order, bool) or not isinstance(edge_order, numbers.Integral):
        raise TypeError(f"gradient: edge_order must be an int, got "
                        f"{type(edge_order).__name__}")
    if edge_order not in (1, 2):
        raise RuntimeError(f"gradient: only edge_order=1 and edge_order=2 are supported, got "
                           f"{edge_order}")
    return int(edge_order)


def _axes(input: Any, dim: Any) -> list[int]:
    """``dim`` (None, an int, or a list or tuple of ints) as the list of axes it names."""
    if dim is None:
        return list(range(input.ndim))
    dims = list(dim) if isinstance(dim, (list, tuple)) else [dim]
    if input.ndim == 0 and dims:
        raise IndexError(f"gradient: dimension {dims[0]} was given but the tensor has no "
                         "dimensions")
    axes = [normalize_dim(d, input.ndim) for d in dims]
    for axis in axes:
        if axes.count(axis) > 1:
            raise RuntimeError(f"gradient: dim {axis} appears multiple times in the list of "
                               "dims")
    return axes


def _steps(spacing: Any, ndim: int, dim: Any, count: int) -> list:
    """One step per axis: a float (a uniform step) or a 1-D floating tensor (coordinates)."""
    if spacing is None:
        spacing = 1.0
    if _is_scalar(spacing):
        return [float(spacing)] * count
    if not isinstance(spacing, (list, tuple)):
        raise TypeError(f"gradient: spacing must be a number, a list of numbers or a list of "
                        f"1-D tensors, got {type(spacing).__name__}")
    if len(spacing) != count:
        wanted = (f"equal to input.dim() = {ndim}, since dim is not given" if dim is None
                  else f"equal to the length {count} of dim")
        raise RuntimeError(f"gradient: spacing must be a scalar or a list of length {wanted}, "
                           f"but got a list of length {len(spacing)}")
    if all(isinstance(s, numbers.Real) for s in spacing):
        return [float(s) for s in spacing]
    if not all(hasattr(s, "_const") for s in spacing):
        raise TypeError("gradient: a list given as spacing must hold only numbers or only "
                        "tensors (coordinates), not both")
    for s in spacing:
        if s.ndim != 1:
            raise RuntimeError(f"gradient: expected each element of spacing to be a 1-D "
                               f"tensor of coordinates, but got one with {s.ndim} dimensions")
    return [s if dtypes.is_floating(s.dtype) else s.to(dtypes.get_default_dtype())
            for s in spacing]


def _is_scalar(spacing: Any) -> bool:
    """A number, or a 0-d tensor outside any graph (PyTorch reads it as a number)."""
    if isinstance(spacing, numbers.Real):
        return True
    if hasattr(spacing, "_const") and spacing.ndim == 0:
        if spacing.requires_grad:
            raise TypeError("gradient: a 0-d spacing that requires grad would lose its "
                            "gradient (a uniform step is a number); pass the coordinates as a "
                            "1-D tensor instead")
        return True
    return False


def _along(f: Any, axis: int, step: Any, order: int) -> Any:
    """The estimated derivative of ``f`` along ``axis``: a uniform ``step`` (a float) or
    coordinates (a 1-D tensor), with ends of the given ``order``."""
    n = f.shape[axis]

    def part(start: int, length: int) -> Any:
        return f.narrow(axis, start, length)

    if isinstance(step, float):
        pieces = _uniform(part, n, step, order)
    else:
        pieces = _nonuniform(part, n, step, order, f.ndim - 1 - axis)
    return cat([p for p in pieces if p.shape[axis] > 0], axis)


def _uniform(part: Any, n: int, h: float, order: int) -> tuple:
    inside = (part(2, n - 2) - part(0, n - 2)) / (2 * h)
    if order == 1:
        first = (part(1, 1) - part(0, 1)) / h
        last = (part(n - 1, 1) - part(n - 2, 1)) / h
    else:
        first = (-1.5 * part(0, 1) + 2 * part(1, 1) - 0.5 * part(2, 1)) / h
        last = (0.5 * part(n - 3, 1) - 2 * part(n - 2, 1) + 1.5 * part(n - 1, 1)) / h
    return first, inside, last


def _nonuniform(part: Any, n: int, x: Any, order: int, trailing: int) -> tuple:
    """The pieces for coordinates ``x``; ``trailing`` is the number of dimensions after the
    axis, over which the coefficients (one per position along it) broadcast."""
    d = x[1:] - x[:-1]

    def column(c: Any) -> Any:
        return c.reshape((-1,) + (1,) * trailing)

    a, b = d[:-1], d[1:]
    inside = (column(-b / (a * (a + b))) * part(0, n - 2)
              + column((b - a) / (a * b)) * part(1, n - 2)
              + column(a / (b * (a + b))) * part(2, n - 2))
    if order == 1:
        first = (part(1, 1) - part(0, 1)) / column(d[:1])
        last = (part(n - 1, 1) - part(n - 2, 1)) / column(d[n - 2:])
        return first, inside, last
    a, b = column(d[:1]), column(d[1:2])
    first = (-(2 * a + b) / (a * (a + b)) * part(0, 1) + (a + b) / (a * b) * part(1, 1)
             - a / (b * (a + b)) * part(2, 1))
    a, b = column(d[n - 3:n - 2]), column(d[n - 2:])
    last = (b / (a * (a + b)) * part(n - 3, 1) - (a + b) / (a * b) * part(n - 2, 1)
            + (a + 2 * b) / (b * (a + b)) * part(n - 1, 1))
    return first, inside, last
