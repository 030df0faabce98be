"""Figure plumbing shared by the plot functions.

matplotlib is imported here, inside functions, never at module level, so ``import
chainrule.viz`` works without it. Figures are built with ``matplotlib.figure.Figure`` rather
than ``pyplot``: nothing is registered with pyplot, no window opens, and the user's backend is
left as it was. A returned Figure is saved with ``fig.savefig(path)`` and shows itself in a
notebook.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor


def require_matplotlib() -> Any:
    """The ``matplotlib`` module, or an ImportError that says how to install it."""
    try:
        import matplotlib
    except ImportError as error:
        raise ImportError(
            "chainrule.viz draws with matplotlib, which is not installed; install it with "
            "`pip install 'chainrule[plots]'` (or `pip install matplotlib`)"
        ) from error
    return matplotlib


def new_figure(count: int, ncols: int, panel: tuple[float, float]) -> tuple[Any, list]:
    """A Figure with ``count`` panels on a grid ``ncols`` wide, each ``panel`` inches."""
    require_matplotlib()
    from matplotlib.figure import Figure

    ncols = max(1, min(ncols, count))
    nrows = -(-count // ncols)
    fig = Figure(figsize=(panel[0] * ncols, panel[1] * nrows), layout="constrained")
    axes = list(np.ravel(fig.subplots(nrows, ncols, squeeze=False)))
    for spare in axes[count:]:
        fig.delaxes(spare)
    return fig, axes[:count]


def panels(ax: Any, count: int, ncols: int, panel: tuple[float, float],
           what: str) -> tuple[Any, list]:
    """The Figure and ``count`` Axes to draw into: new ones when ``ax`` is None, otherwise
    ``ax`` itself (one Axes, allowed when one panel is needed) or a sequence of Axes."""
    if ax is None:
        return new_figure(count, ncols, panel)
    axes = [ax] if hasattr(ax, "plot") else list(np.ravel(np.asarray(ax, dtype=object)))
    if len(axes) < count:
        raise ValueError(
            f"{what} draws {count} panels but ax provides {len(axes)} Axes; pass a sequence "
            f"of {count} Axes (for example fig.subplots(1, {count})) or leave ax=None"
        )
    return axes[0].figure, axes[:count]


def as_array(values: Any, what: str) -> np.ndarray:
    """``values`` (a Tensor, an ndarray or nested lists) as an ndarray."""
    if isinstance(values, Tensor):
        values = values.detach().data
    array = np.asarray(values)
    if array.dtype == object:
        raise TypeError(f"{what}: expected numbers (a Tensor, an array or lists), "
                        f"got {type(values).__name__}")
    return array
