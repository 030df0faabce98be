"""plot_history and plot_confusion_matrix: what the figures say, read back from the Figure."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from chainrule.viz import plot_confusion_matrix, plot_history
from chainrule.viz.training import _confusion_matrix
from tests.optional import needs_matplotlib

pytestmark = needs_matplotlib


def new_figure():
    from matplotlib.figure import Figure  # here, so that the module collects without matplotlib

    return Figure()

HISTORY = {
    "accuracy": [0.5, 0.7, 0.8, 0.85],
    "loss": [1.0, 0.6, 0.4, 0.3],
    "val_loss": [1.1, 0.7, 0.5, 0.45],
    "val_accuracy": [0.45, 0.65, 0.75, 0.8],
}


def assert_png(fig, path):
    fig.savefig(path)
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 5000


def test_history_has_one_panel_per_metric_loss_first():
    fig = plot_history(HISTORY)
    assert [a.get_title() for a in fig.axes] == ["Loss per epoch", "Accuracy per epoch"]
    assert [a.get_ylabel() for a in fig.axes] == ["loss", "accuracy"]
    assert all(a.get_xlabel() == "epoch" for a in fig.axes)


def test_history_train_is_solid_validation_dashed():
    axis = plot_history(HISTORY).axes[0]
    train, val = axis.get_lines()
    assert (train.get_linestyle(), val.get_linestyle()) == ("-", "--")
    np.testing.assert_array_equal(train.get_xdata(), [1, 2, 3, 4])
    np.testing.assert_allclose(val.get_ydata(), HISTORY["val_loss"])
    assert [t.get_text() for t in axis.get_legend().get_texts()] == ["train", "validation"]


def test_history_epoch_ticks_are_integers():
    axis = plot_history({"loss": [1.0, 0.5, 0.25]}).axes[0]
    ticks = axis.get_xticks()
    assert np.all(ticks == np.round(ticks))


def test_history_object_and_metric_selection():
    history = SimpleNamespace(history=HISTORY)
    fig = plot_history(history, metrics=["val_accuracy"])
    assert [a.get_title() for a in fig.axes] == ["Accuracy per epoch"]
    assert len(fig.axes[0].get_lines()) == 2


def test_history_validation_only_metric_is_drawn():
    fig = plot_history({"loss": [1.0, 0.5], "val_top_5_accuracy": [0.2, 0.4]})
    assert fig.axes[1].get_title() == "Top 5 accuracy per epoch"
    assert [line.get_label() for line in fig.axes[1].get_lines()] == ["validation"]
    assert fig.axes[1].get_legend() is None  # nothing to tell apart (e.g. a learning rate)


def test_history_errors():
    with pytest.raises(ValueError, match="accuracy"):
        plot_history({"loss": [1.0]}, metrics=["accuracy"])
    with pytest.raises(ValueError, match="empty"):
        plot_history({})
    with pytest.raises(TypeError):
        plot_history([1.0, 2.0])


def test_history_draws_into_given_axes():
    fig = new_figure()
    axes = fig.subplots(1, 2)
    assert plot_history(HISTORY, ax=axes) is fig
    assert axes[1].get_title() == "Accuracy per epoch"
    with pytest.raises(ValueError, match="2 panels"):
        plot_history(HISTORY, ax=new_figure().subplots())


def test_history_renders_png(tmp_path):
    assert_png(plot_history(HISTORY), tmp_path / "history.png")


# ---------------------------------------------------------------- confusion matrix


def test_confusion_matrix_counts_rows_true_columns_predicted():
    cm = _confusion_matrix([0, 1, 2, 2, 2], [0, 2, 2, 1, 2])
    assert cm.dtype == np.int64
    np.testing.assert_array_equal(cm, [[1, 0, 0], [0, 0, 1], [0, 1, 2]])
    assert _confusion_matrix([0, 1], [1, 1], num_classes=4).shape == (4, 4)
    np.testing.assert_array_equal(_confusion_matrix(np.array([1.0, 0.0]), [1, 0]), np.eye(2))


def test_confusion_matrix_rejects_bad_labels():
    with pytest.raises(ValueError, match="out of range"):
        _confusion_matrix([0, 3], [0, 1], num_classes=3)
    with pytest.raises(ValueError, match="negative"):
        _confusion_matrix([0, -1], [0, 1])
    with pytest.raises(ValueError, match="2 labels"):
        _confusion_matrix([0, 1], [0, 1, 1])
    with pytest.raises(TypeError):
        _confusion_matrix([0.5, 1.0], [0, 1])


def cell_texts(axis):
    return [t.get_text() for t in axis.texts]


def test_confusion_plot_writes_counts_and_labels():
    cm = np.array([[5, 1], [2, 7]])
    fig = plot_confusion_matrix(cm, class_names=["cat", "dog"])
    axis = fig.axes[0]
    assert cell_texts(axis) == ["5", "1", "2", "7"]
    assert (axis.get_xlabel(), axis.get_ylabel()) == ("predicted label", "true label")
    assert [t.get_text() for t in axis.get_xticklabels()] == ["cat", "dog"]
    assert "accuracy 80.0% on 15 samples" in axis.get_title()
    assert fig.axes[1].get_ylabel() == "count"  # the colour bar


def test_confusion_plot_normalizes_rows():
    axis = plot_confusion_matrix(np.array([[3, 1], [0, 0]]), normalize=True).axes[0]
    assert cell_texts(axis) == ["0.75", "0.25", "0", "0"]
    np.testing.assert_allclose(axis.images[0].get_array(), [[0.75, 0.25], [0, 0]])


def test_confusion_plot_from_labels_equals_from_matrix():
    y_true, y_pred = [0, 1, 1, 2, 2, 2], [0, 1, 2, 2, 2, 0]
    from_labels = plot_confusion_matrix(y_true=y_true, y_pred=y_pred).axes[0]
    from_matrix = plot_confusion_matrix(_confusion_matrix(y_true, y_pred)).axes[0]
    assert cell_texts(from_labels) == cell_texts(from_matrix)


def test_confusion_plot_errors():
    with pytest.raises(ValueError, match="square"):
        plot_confusion_matrix(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="3 class names for 2 classes"):
        plot_confusion_matrix(np.eye(2), class_names=["a", "b", "c"])
    with pytest.raises(ValueError, match="y_true"):
        plot_confusion_matrix()


def test_confusion_plot_draws_into_given_axes_and_renders(tmp_path):
    fig = new_figure()
    axis = fig.subplots()
    assert plot_confusion_matrix(np.eye(3, dtype=int), ax=axis) is fig
    names = [f"class {k}" for k in range(10)]
    cm = np.random.default_rng(0).integers(0, 50, (10, 10)) + np.eye(10, dtype=int) * 400
    assert_png(plot_confusion_matrix(cm, class_names=names), tmp_path / "cm.png")
