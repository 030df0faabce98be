"""Plots of functions and their derivatives, the derivatives taken by chainrule's autograd:
the activation functions, and any function of one variable with tangent lines.

Seeing f'(x) drawn beside f(x) is a check of the backward passes as much as a picture:
``plot_function`` compares the autograd slope at each tangent point with central differences.

Example:
    >>> from chainrule.viz import plot_activations
    >>> fig = plot_activations(("relu", "tanh"))
    >>> [a.get_title() for a in fig.axes]
    ['ReLU', 'Tanh']
"""

from __future__ import annotations

import importlib
from typing import Any, Callable, Sequence

import numpy as np

from .. import functional
from ..autograd import enable_grad
from ..dtypes import float64
from ..gradcheck import numerical_grad
from ..tensor import Tensor
from ._figure import panels

# Elementwise activations that plot_activations knows, with the titles it gives them.
_ACTIVATIONS = {
    "relu": "ReLU", "sigmoid": "Sigmoid", "tanh": "Tanh",
    "leaky_relu": "Leaky ReLU (slope 0.01)", "elu": "ELU (α = 1)", "gelu": "GELU",
    "silu": "SiLU (swish)", "softplus": "Softplus", "relu6": "ReLU6", "hardtanh": "Hardtanh",
    "selu": "SELU", "celu": "CELU", "mish": "Mish", "softsign": "Softsign",
    "hardsigmoid": "Hard sigmoid", "hardswish": "Hard swish", "logsigmoid": "Log-sigmoid",
}
_TOLERANCE = 1e-4
_POINTS = 401


def _find(name: str) -> Callable | None:
    """``chainrule.functional.<name>``, or the same name in ``functional.activation``."""
    found = getattr(functional, name, None)
    if found is None:
        try:
            found = getattr(importlib.import_module("chainrule.functional.activation"), name,
                            None)
        except ImportError:
            return None
    return found


def available_activations() -> list[str]:
    """The activation names that ``plot_activations`` accepts.

    Returns:
        The names, in drawing order, of the elementwise activations that
        ``chainrule.functional`` provides.

    Example:
        >>> "relu" in available_activations()
        True
    """
    return [name for name in _ACTIVATIONS if _find(name) is not None]


def _activation(name: str) -> Callable:
    fn = _find(name) if name in _ACTIVATIONS else None
    if fn is None:
        raise ValueError(f"plot_activations: unknown activation {name!r}; known: "
                         f"{', '.join(available_activations())}")
    return fn


def _with_derivative(fn: Callable, xs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """fn(xs) and dfn/dx at each point, by one backward pass with gradient ones (valid
    because fn acts elementwise, so the Jacobian is diagonal)."""
    x = Tensor(xs, dtype=float64, requires_grad=True)
    with enable_grad():
        y = fn(x)
    if not isinstance(y, Tensor) or y.shape != x.shape:
        raise ValueError(f"expected an elementwise function: {len(xs)} inputs gave output of "
                         f"shape {getattr(y, 'shape', type(y).__name__)}")
    if y.requires_grad:
        y.backward(np.ones(y.shape))
    slopes = np.zeros_like(xs) if x.grad is None else x.grad.data.astype(np.float64)
    return y.detach().data.astype(np.float64), slopes


def _axes_at_zero(ax: Any) -> None:
    ax.axhline(0, color="0.6", linewidth=0.8, zorder=0)
    ax.axvline(0, color="0.6", linewidth=0.8, zorder=0)
    ax.grid(alpha=0.3)


def plot_activations(names: Sequence[str] = ("relu", "sigmoid", "tanh", "leaky_relu", "elu",
                                             "gelu", "silu", "softplus"),
                     x_range: tuple[float, float] = (-5.0, 5.0), ax: Any = None) -> Any:
    """Each activation f and its derivative f', the derivative computed by autograd.

    Args:
        names: activation names from ``chainrule.functional`` (see
            ``available_activations()``); an unknown name raises ValueError listing them.
        x_range: the interval of x to draw.
        ax: one Axes per activation (a single Axes for one name); default: a new Figure.

    Returns:
        The matplotlib Figure, one panel per activation with curves "f(x)" and "f'(x)".

    Example:
        >>> fig = plot_activations(("sigmoid",), x_range=(-2, 2))
        >>> [text.get_text() for text in fig.axes[0].get_legend().get_texts()]
        ['f(x)', "f'(x)"]
    """
    names = [names] if isinstance(names, str) else list(names)
    functions = [_activation(name) for name in names]
    xs = np.linspace(float(x_range[0]), float(x_range[1]), _POINTS)
    fig, axes = panels(ax, len(names), 4, (3.4, 2.9), "plot_activations")
    for axis, name, fn in zip(axes, names, functions):
        values, slopes = _with_derivative(fn, xs)
        _axes_at_zero(axis)
        axis.plot(xs, values, linewidth=2, label="f(x)")
        axis.plot(xs, slopes, "--", linewidth=1.6, label="f'(x)")
        axis.set_title(_ACTIVATIONS[name])
        axis.set_xlabel("x")
        axis.set_ylabel("f(x) and f'(x)")
        axis.legend(fontsize=8, loc="upper left")
    if ax is None:
        fig.suptitle("Activation functions f (solid) and their derivatives f' (dashed, from "
                     "autograd)")
    return fig


# ---------------------------------------------------------------- any function of one variable


def _curve(fn: Callable, xs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """f and f' over ``xs``: in one elementwise call when ``fn`` maps a vector to a vector of
    the same shape, otherwise one point at a time."""
    try:
        return _with_derivative(fn, xs)
    except ValueError:
        pairs = [_at_point(fn, x) for x in xs]
        return np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs])


def _at_point(fn: Callable, x0: float) -> tuple[float, float]:
    """f(x0) and f'(x0) by autograd on a 0-d float64 tensor."""
    x = Tensor(float(x0), dtype=float64, requires_grad=True)
    with enable_grad():
        y = fn(x)
    if not isinstance(y, Tensor) or y.numel() != 1:
        raise ValueError("plot_function: fn must return a Tensor with one value for one input, "
                         f"got {getattr(y, 'shape', type(y).__name__)}")
    if y.requires_grad:
        y.backward()
    slope = 0.0 if x.grad is None else float(x.grad.item())
    return float(y.item()), slope


def _check_slope(fn: Callable, x0: float, slope: float) -> None:
    """Raise ValueError when autograd's f'(x0) and central differences disagree."""
    (numeric,) = numerical_grad(fn, [Tensor(float(x0), dtype=float64)])
    numeric = float(numeric.item())
    if not (np.isfinite(slope) and np.isfinite(numeric)):
        raise ValueError(f"plot_function: f is not differentiable at x = {x0:g} (autograd gives "
                         f"{slope!r}, central differences {numeric!r}); pick another point")
    if not abs(slope - numeric) <= _TOLERANCE * max(1.0, abs(numeric)):
        raise ValueError(
            f"plot_function: at x = {x0:g} autograd gives f'(x) = {slope!r} but central "
            f"differences give {numeric!r} (tolerance {_TOLERANCE:g} relative); a backward "
            "used by fn is wrong. Pass check=False to draw it anyway."
        )


def _draw_tangent(ax: Any, x0: float, y0: float, slope: float, half_width: float,
                  first: bool) -> None:
    xs = np.array([x0 - half_width, x0 + half_width])
    ax.plot(xs, y0 + slope * (xs - x0), "-", color="C2", linewidth=1.5, gid="tangent",
            label="tangent line" if first else "_tangent")
    ax.plot([x0], [y0], "o", color="C2", markersize=5)
    # NOTE: the label goes on the side of the point the tangent does not cross.
    offset = (10, -16) if slope >= 0 else (10, 8)
    ax.annotate(f"slope {slope:.4g}", (x0, y0), textcoords="offset points", xytext=offset,
                fontsize=9, color="C2",
                bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": "none",
                      "alpha": 0.85})


def plot_function(fn: Callable, x_range: tuple[float, float], tangents_at: Sequence[float] = (),
                  ax: Any = None, check: bool = True) -> Any:
    """A function of one variable, its autograd derivative and tangent lines.

    Args:
        fn: f written with chainrule ops, taking and returning a Tensor. It is called on a
            float64 vector of points when it acts elementwise, otherwise once per point on a
            0-d tensor.
        x_range: the interval of x to draw.
        tangents_at: points where a tangent line is drawn and labelled with its slope.
        ax: the Axes to draw into (default: a new Figure).
        check: compare autograd's f' at each tangent point with central differences
            (``chainrule.numerical_grad``, float64) and raise ValueError when
            |autograd − numeric| > 1e-4 · max(1, |numeric|).

    Returns:
        The matplotlib Figure.

    Example:
        >>> fig = plot_function(lambda x: x * x, (-4, 4), tangents_at=[3])
        >>> tangent = [ln for ln in fig.axes[0].get_lines() if ln.get_gid() == "tangent"][0]
        >>> (x0, x1), (y0, y1) = tangent.get_xdata(), tangent.get_ydata()
        >>> round(float((y1 - y0) / (x1 - x0)), 6)
        6.0
    """
    lo, hi = float(x_range[0]), float(x_range[1])
    xs = np.linspace(lo, hi, _POINTS)
    # NOTE: a function may be singular somewhere on the grid (√|x| at 0): those points are
    # simply not drawn, and a tangent point there is refused by the check, so no warnings.
    with np.errstate(all="ignore"):
        values, slopes = _curve(fn, xs)
        points = [(float(x0), *_at_point(fn, x0)) for x0 in tangents_at]
        if check:
            for x0, _, slope in points:
                _check_slope(fn, x0, slope)
    fig, (axis,) = panels(ax, 1, 1, (6.4, 4.4), "plot_function")
    _axes_at_zero(axis)
    axis.plot(xs, values, linewidth=2, label="f(x)")
    axis.plot(xs, slopes, "--", linewidth=1.6, label="f'(x) by autograd")
    for i, (x0, y0, slope) in enumerate(points):
        _draw_tangent(axis, x0, y0, slope, 0.12 * (hi - lo), i == 0)
    name = getattr(fn, "__name__", "f")
    name = "f" if name == "<lambda>" else name
    axis.set_title(f"{name}(x), its derivative and tangent lines")
    axis.set_xlabel("x")
    axis.set_ylabel("f(x) and f'(x)")
    axis.legend()
    return fig


__all__ = ["available_activations", "plot_activations", "plot_function"]
