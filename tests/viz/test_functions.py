"""plot_activations and plot_function: the derivative curves come from autograd and must equal
the analytical derivatives; plot_function's check catches a wrong backward."""

from __future__ import annotations

import numpy as np
import pytest

from chainrule.autograd import Function
from chainrule.viz import available_activations, plot_activations, plot_function
from tests.optional import needs_matplotlib

pytestmark = needs_matplotlib


def curves(axis):
    """The labelled lines of an Axes, by label."""
    return {line.get_label(): line for line in axis.get_lines()
            if not line.get_label().startswith("_")}


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


ANALYTIC = {  # name -> (f, f'), away from kinks
    "sigmoid": (sigmoid, lambda x: sigmoid(x) * (1 - sigmoid(x))),
    "tanh": (np.tanh, lambda x: 1 - np.tanh(x) ** 2),
    "relu": (lambda x: np.maximum(x, 0), lambda x: (x > 0).astype(float)),
    "softplus": (lambda x: np.log1p(np.exp(x)), sigmoid),
    "elu": (lambda x: np.where(x > 0, x, np.expm1(x)), lambda x: np.where(x > 0, 1, np.exp(x))),
    "silu": (lambda x: x * sigmoid(x), lambda x: sigmoid(x) * (1 + x * (1 - sigmoid(x)))),
}


@pytest.mark.parametrize("name", sorted(ANALYTIC))
def test_activation_curves_equal_analytic_derivatives(name):
    axis = plot_activations([name], x_range=(-4, 4)).axes[0]
    lines = curves(axis)
    x = lines["f(x)"].get_xdata()
    away_from_kink = np.abs(x) > 1e-9
    f, df = ANALYTIC[name]
    np.testing.assert_allclose(lines["f(x)"].get_ydata(), f(x), atol=1e-10)
    np.testing.assert_allclose(lines["f'(x)"].get_ydata()[away_from_kink], df(x)[away_from_kink],
                               atol=1e-10)


def test_relu_derivative_at_zero_is_zero():
    lines = curves(plot_activations(["relu"], x_range=(-1, 1)).axes[0])
    x, slope = lines["f'(x)"].get_xdata(), lines["f'(x)"].get_ydata()
    assert slope[np.argmin(np.abs(x))] == 0


def test_default_activations_panels_and_labels():
    fig = plot_activations()
    assert [a.get_title() for a in fig.axes] == [
        "ReLU", "Sigmoid", "Tanh", "Leaky ReLU (slope 0.01)", "ELU (α = 1)", "GELU",
        "SiLU (swish)", "Softplus"]
    for axis in fig.axes:
        assert axis.get_xlabel() == "x" and axis.get_ylabel()
        assert list(curves(axis)) == ["f(x)", "f'(x)"]
    assert "autograd" in fig.get_suptitle()


def test_unknown_activation_lists_the_known_ones():
    with pytest.raises(ValueError, match="unknown activation 'swoosh'.*relu"):
        plot_activations(["relu", "swoosh"])
    assert {"relu", "sigmoid", "tanh", "gelu"} <= set(available_activations())


def tangents(axis):
    return [line for line in axis.get_lines() if line.get_gid() == "tangent"]


def test_tangent_of_square_at_3_has_slope_6():
    axis = plot_function(lambda x: x * x, (-4, 4), tangents_at=[3]).axes[0]
    (line,) = tangents(axis)
    (x0, x1), (y0, y1) = line.get_xdata(), line.get_ydata()
    assert (y1 - y0) / (x1 - x0) == pytest.approx(6.0, abs=1e-9)
    assert 9 + 6 * (x0 - 3) == pytest.approx(y0)  # it touches the curve at (3, 9)
    assert any(t.get_text() == "slope 6" for t in axis.texts)
    lines = curves(axis)
    xs = lines["f(x)"].get_xdata()
    np.testing.assert_allclose(lines["f'(x) by autograd"].get_ydata(), 2 * xs, atol=1e-12)
    assert (axis.get_xlabel(), axis.get_title()) == ("x", "f(x), its derivative and tangent lines")


class WrongSquare(Function):
    """y = x², with a backward that forgets the factor 2 (deliberately wrong)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        return grad_out * x


def test_check_catches_a_wrong_backward():
    with pytest.raises(ValueError, match="central differences"):
        plot_function(WrongSquare.apply, (-2, 2), tangents_at=[1.5])
    axis = plot_function(WrongSquare.apply, (-2, 2), tangents_at=[1.5], check=False).axes[0]
    assert len(tangents(axis)) == 1


def test_non_elementwise_function_is_evaluated_point_by_point():
    def energy(x):
        return (x * x).sum() * 0.5

    axis = plot_function(energy, (-1, 1), tangents_at=[0.5]).axes[0]
    lines = curves(axis)
    np.testing.assert_allclose(lines["f'(x) by autograd"].get_ydata(), lines["f(x)"].get_xdata())
    assert axis.get_title().startswith("energy(x)")


def test_function_renders_png(tmp_path):
    fig = plot_function(lambda x: x.sin() * x, (-6, 6), tangents_at=[-2, 0, 3])
    fig.savefig(tmp_path / "f.png")
    data = (tmp_path / "f.png").read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 5000


def test_activations_render_png(tmp_path):
    plot_activations(["gelu", "elu"]).savefig(tmp_path / "a.png")
    data = (tmp_path / "a.png").read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 5000


def test_a_point_outside_the_domain_is_named():
    with pytest.raises(ValueError, match="not differentiable at x = 0"):
        plot_function(lambda x: x.abs().sqrt(), (-1, 1), tangents_at=[0])
