"""The MLP the estimators build, the nested-parameter protocol and the repr. Needs no
scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest

from chainrule import nn
from chainrule.sklearn.network import build_mlp, check_hidden_layer_sizes
from chainrule.sklearn.params import ParamsMixin


@pytest.mark.parametrize("activation, layer, numerator", [
    ("relu", nn.ReLU, 6.0), ("tanh", nn.Tanh, 6.0), ("logistic", nn.Sigmoid, 2.0),
    ("identity", nn.Identity, 6.0)])
def test_the_mlp_has_the_sizes_activation_and_glorot_init_of_sklearns(activation, layer,
                                                                      numerator):
    net = build_mlp(5, (40, 30), 3, activation, np.dtype(np.float64),
                    np.random.default_rng(0))
    linears = [m for m in net if isinstance(m, nn.Linear)]
    assert [tuple(m.weight.shape) for m in linears] == [(40, 5), (30, 40), (3, 30)]
    assert [type(m) for m in net if not isinstance(m, nn.Linear)] == [layer, layer]
    for m in linears:
        bound = np.sqrt(numerator / (m.in_features + m.out_features))
        for values in (m.weight.data, m.bias.data):
            assert values.dtype == np.float64
            assert np.abs(values).max() <= bound
        assert np.abs(m.weight.data).max() > 0.8 * bound  # spread over the whole interval
    same = build_mlp(5, (40, 30), 3, activation, np.dtype(np.float64),
                     np.random.default_rng(0))
    np.testing.assert_array_equal(same[0].weight.data, net[0].weight.data)


def test_hidden_layer_sizes_may_be_an_int_and_must_be_positive():
    assert check_hidden_layer_sizes(7) == (7,)
    assert check_hidden_layer_sizes([3, np.int64(2)]) == (3, 2)
    assert check_hidden_layer_sizes(()) == ()
    for bad in ((3, -1), (2.5,), "ab", None, (True,)):
        with pytest.raises(ValueError, match="hidden_layer_sizes must"):
            check_hidden_layer_sizes(bad)


class Toy(ParamsMixin):
    def __init__(self, a=1, *, b=(2,), **kwargs):
        self.a, self.b = a, b
        self._set_nested(kwargs)


def test_params_nested_names_and_the_repr():
    toy = Toy(a=3, module__units=4)
    assert toy.get_params() == {"a": 3, "b": (2,), "module__units": 4}
    assert toy.get_params(deep=False) == toy.get_params()
    assert repr(toy) == "Toy(a=3, module__units=4)"
    assert toy.set_params(b=(5,), optimizer__lr=0.1) is toy
    assert toy._nested_params("optimizer__") == {"lr": 0.1}
    assert repr(toy) == "Toy(a=3, b=(5,), module__units=4, optimizer__lr=0.1)"
    assert repr(Toy(a=np.array([1, 2]))) == "Toy(a=array([1, 2]))"
    with pytest.raises(ValueError, match="Invalid parameter 'c' for estimator Toy"):
        toy.set_params(c=1)
    with pytest.raises(ValueError, match="Invalid parameter 'module__'"):
        toy.set_params(module__=1)
    with pytest.raises(TypeError, match="unexpected keyword argument 'c'"):
        Toy(c=1)
