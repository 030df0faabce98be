"""Plots for understanding models and training, drawn with matplotlib (an optional extra:
``pip install 'chainrule[plots]'``).

Every plot function returns a matplotlib ``Figure`` (save it with ``fig.savefig(path)``; a
notebook shows it), accepts ``ax=`` to draw into existing Axes, never calls ``plt.show()`` and
never changes the matplotlib backend. matplotlib is imported only when a plot is drawn, so
``import chainrule.viz`` works without it; ``to_dot`` and ``draw_graph`` without a path need
no matplotlib at all.

* training: ``plot_history`` (loss/metric curves), ``plot_confusion_matrix``, ``plot_images``
* functions: ``plot_activations``, ``plot_function`` (derivatives by autograd, checked)
* decisions: ``plot_decision_boundary`` (2-D classifiers)
* graphs: ``to_dot``, ``draw_graph`` (the autograd graph, DOT text and PNG)
"""

from __future__ import annotations

from .decision import plot_decision_boundary
from .functions import available_activations, plot_activations, plot_function
from .graph import draw_graph, to_dot
from .images import plot_images
from .training import plot_confusion_matrix, plot_history

__all__ = [
    "available_activations", "draw_graph", "plot_activations", "plot_confusion_matrix",
    "plot_decision_boundary", "plot_function", "plot_history", "plot_images", "to_dot",
]
