"""plot_decision_boundary: regions where a hand-made model puts them, modes restored."""

from __future__ import annotations

import numpy as np
import pytest

from chainrule import autograd, nn
from chainrule.viz import plot_decision_boundary
from tests.optional import needs_matplotlib

pytestmark = needs_matplotlib

X = np.array([[-1.5, -1.0], [-0.5, 1.0], [1.0, -1.0], [1.5, 1.0]], dtype=np.float32)
Y = np.array([0, 0, 1, 1])


def regions(axis):
    """The class image and the x coordinate of each of its columns."""
    image = axis.images[0]
    classes = np.asarray(image.get_array())
    left, right, _, _ = image.get_extent()
    return classes, np.linspace(left, right, classes.shape[1])


def split_at(axis):
    """The x where the class changes, checking every row agrees (a vertical boundary)."""
    classes, xs = regions(axis)
    assert np.all(classes == classes[0])
    changes = np.flatnonzero(np.diff(classes[0]))
    assert len(changes) == 1
    return xs[changes[0]], xs[changes[0] + 1], classes[0][0], classes[0][-1]


def two_logits(t):
    """Class 1 where x > 0.5: logits (0, x − 0.5)."""
    return (t[:, :1] - 0.5) * np.array([[0.0, 1.0]], dtype=np.float32)


@pytest.mark.parametrize("model, boundary", [
    (two_logits, 0.5),
    (lambda t: t[:, 0] - 0.25, 0.25),                           # one logit column, > 0
    (lambda t: ((t[:, :1] + 2.0) / 4.0).clamp(0, 1), 0.0),      # probabilities, > 0.5
])
def test_regions_split_where_the_model_says(model, boundary):
    axis = plot_decision_boundary(model, X, Y, resolution=101).axes[0]
    before, after, left_class, right_class = split_at(axis)
    assert before - 1e-6 <= boundary <= after + 1e-6
    assert (left_class, right_class) == (0, 1)


def test_points_legend_titles_and_accuracy():
    axis = plot_decision_boundary(two_logits, X, Y, class_names=["no", "yes"],
                                  resolution=30).axes[0]
    assert len(axis.collections) >= 2  # one scatter per class (plus the boundary contour)
    assert [t.get_text() for t in axis.get_legend().get_texts()] == ["no", "yes"]
    assert (axis.get_xlabel(), axis.get_ylabel()) == ("feature 1", "feature 2")
    assert "accuracy on these 4 points: 100.0%" in axis.get_title()


class Recorder(nn.Module):
    """A linear classifier that records the mode and grad mode it was called in."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 3)
        self.seen = []

    def forward(self, x):
        self.seen.append((self.training, self.linear.training, autograd.is_grad_enabled()))
        return self.linear(x)


def test_module_runs_in_eval_mode_without_grad_and_modes_are_restored():
    model = Recorder()
    model.linear.eval()  # a mixed state must come back exactly
    plot_decision_boundary(model, X, Y, resolution=10)
    assert model.seen == [(False, False, False)]
    assert model.training and not model.linear.training


def test_errors():
    with pytest.raises(ValueError, match=r"\(n, 2\)"):
        plot_decision_boundary(two_logits, np.zeros((4, 3)), Y)
    with pytest.raises(ValueError, match="3 labels for 4 points"):
        plot_decision_boundary(two_logits, X, [0, 1, 1])
    with pytest.raises(ValueError, match="logits"):
        plot_decision_boundary(lambda t: t.sum(), X, Y, resolution=5)


def test_renders_png(tmp_path):
    rng = np.random.default_rng(0)
    points = rng.normal(size=(300, 2)).astype(np.float32)
    labels = (points[:, 0] * points[:, 1] > 0).astype(int)
    fig = plot_decision_boundary(lambda t: t[:, :1] * t[:, 1:], points, labels)
    fig.savefig(tmp_path / "d.png")
    data = (tmp_path / "d.png").read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 5000


def test_float64_module_gets_float64_inputs():
    model = nn.Linear(2, 2).to(np.float64)
    axis = plot_decision_boundary(model, X, Y, resolution=10).axes[0]
    assert axis.images[0].get_array().shape == (10, 10)
