"""plot_images: every accepted layout, titles and the colour of wrong predictions."""

from __future__ import annotations

import numpy as np
import pytest

from chainrule import tensor
from chainrule.viz import plot_images
from tests.optional import needs_matplotlib

pytestmark = needs_matplotlib

RNG = np.random.default_rng(0)


@pytest.mark.parametrize("shape", [(5, 784), (5, 28, 28), (5, 1, 28, 28)])
def test_grey_layouts_give_square_images(shape):
    fig = plot_images(RNG.random(shape))
    assert len(fig.axes) == 5
    assert all(a.images[0].get_array().shape == (28, 28) for a in fig.axes)


def test_colour_images_are_channels_last():
    fig = plot_images(tensor(RNG.random((2, 3, 8, 8))))
    assert fig.axes[0].images[0].get_array().shape == (8, 8, 3)


def test_titles_show_true_and_predicted_wrong_in_red():
    fig = plot_images(RNG.random((3, 16)), labels=[0, 1, 2], predictions=[0, 2, 2],
                      class_names=["cat", "dog", "bird"])
    titles = [a.title for a in fig.axes]
    assert [t.get_text() for t in titles] == ["true: cat\npred: cat", "true: dog\npred: bird",
                                              "true: bird\npred: bird"]
    assert [t.get_color() for t in titles] == ["black", "red", "black"]
    assert "1 wrong shown in red" in fig.get_suptitle()


def test_grid_has_ncols_columns():
    fig = plot_images(RNG.random((10, 4, 4)), labels=range(10), ncols=4)
    columns = {round(a.get_position().x0, 3) for a in fig.axes}
    assert len(fig.axes) == 10 and len(columns) == 4
    assert fig.axes[9].get_title() == "9"


def test_errors():
    with pytest.raises(ValueError, match="square"):
        plot_images(np.zeros((2, 10)))
    with pytest.raises(ValueError, match="3 labels for 2 images"):
        plot_images(np.zeros((2, 4, 4)), labels=[0, 1, 2])
    with pytest.raises(ValueError, match="no images"):
        plot_images(np.zeros((0, 4, 4)))


def test_renders_png(tmp_path):
    fig = plot_images(RNG.random((16, 784)), labels=RNG.integers(0, 10, 16),
                      predictions=RNG.integers(0, 10, 16))
    fig.savefig(tmp_path / "images.png")
    data = (tmp_path / "images.png").read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 5000


def test_string_and_float_labels():
    fig = plot_images(np.zeros((2, 4, 4)), labels=["cat", "dog"], predictions=[1.0, 2.5])
    assert [a.get_title() for a in fig.axes] == ["true: cat\npred: 1", "true: dog\npred: 2.5"]
