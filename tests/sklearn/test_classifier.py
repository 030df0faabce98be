"""NeuralNetClassifier: labels of any kind, partial_fit, nested parameters, wrapped modules."""

from __future__ import annotations

import numpy as np
import pytest

from chainrule import optim
from tests.optional import needs_sklearn
from tests.sklearn.nets import TwoLayer, blobs

pytestmark = [needs_sklearn,
              pytest.mark.filterwarnings("ignore:Stochastic Optimizer. Maximum iterations")]


def fitted(labels=None, **params):
    from chainrule.sklearn import NeuralNetClassifier

    X, y = blobs()
    y = y if labels is None else np.asarray(labels)[y]
    settings = dict(hidden_layer_sizes=(16,), learning_rate_init=0.02, max_iter=60,
                    random_state=0)
    return NeuralNetClassifier(**{**settings, **params}).fit(X, y), X, y


@pytest.mark.parametrize("labels", [["cat", "dog", "eel"], [-7, 3, 40], [5.0, 0.0, 2.0]])
def test_any_labels_are_learned_and_predicted_as_given(labels):
    clf, X, y = fitted(labels)
    np.testing.assert_array_equal(clf.classes_, np.unique(labels))
    assert clf.predict(X).dtype == y.dtype
    assert clf.score(X, y) == np.mean(clf.predict(X) == y) == 1.0
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(clf.classes_[proba.argmax(axis=1)], clf.predict(X))
    np.testing.assert_allclose(clf.predict_log_proba(X), np.log(proba), atol=1e-10)


def test_binary_labels_give_two_probability_columns():
    from chainrule.sklearn import NeuralNetClassifier

    X, y = blobs()
    keep = y < 2
    clf = NeuralNetClassifier(hidden_layer_sizes=(8,), max_iter=40, random_state=0,
                              learning_rate_init=0.02).fit(X[keep], np.where(y[keep], "b", "a"))
    assert clf.predict_proba(X).shape == (len(X), 2)
    assert clf.score(X[keep], np.where(y[keep], "b", "a")) == 1.0


def test_one_class_is_refused_by_name():
    from chainrule.sklearn import NeuralNetClassifier

    with pytest.raises(ValueError, match="only one class: 'a'"):
        NeuralNetClassifier().fit(np.ones((4, 2)), ["a"] * 4)


def test_a_regression_target_gives_sklearns_unknown_label_error():
    from chainrule.sklearn import NeuralNetClassifier

    with pytest.raises(ValueError, match="Unknown label type: continuous"):
        NeuralNetClassifier().fit(np.ones((4, 2)), [0.1, 0.2, 0.3, 0.4])


def test_partial_fit_takes_classes_on_the_first_call_and_trains_one_epoch_per_call():
    from chainrule.sklearn import NeuralNetClassifier

    X, y = blobs()
    clf = NeuralNetClassifier(hidden_layer_sizes=(8,), random_state=0)
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        clf.partial_fit(X, y)
    clf.partial_fit(X[y < 2], y[y < 2], classes=[2, 0, 1])  # class 2 not seen yet
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    for _ in range(4):
        clf.partial_fit(X, y)
    assert clf.n_iter_ == 5 and len(clf.loss_curve_) == 5
    with pytest.raises(ValueError, match="is not the same as on last call to partial_fit"):
        clf.partial_fit(X, y, classes=[0, 1])
    with pytest.raises(ValueError, match="`y` has classes not in `self.classes_`"):
        clf.partial_fit(X, y + 5)
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping"):
        NeuralNetClassifier(early_stopping=True).partial_fit(X, y, classes=[0, 1, 2])


def test_warm_start_goes_on_from_the_last_solution():
    clf, X, y = fitted(max_iter=5, tol=0.0, learning_rate_init=0.005)
    first_curve = list(clf.loss_curve_)
    clf.set_params(warm_start=True).fit(X, y)
    assert clf.n_iter_ == 10 and clf.loss_curve_[:5] == first_curve
    assert clf.loss_curve_[5] < first_curve[0]
    clf.set_params(warm_start=False).fit(X, y)
    assert clf.n_iter_ == 5
    np.testing.assert_allclose(clf.loss_curve_, first_curve)  # the same fresh start
    with pytest.raises(ValueError, match="warm_start can only be used where `y` has the same"):
        clf.set_params(warm_start=True).fit(X[y < 2], y[y < 2])


def test_nested_module_and_optimizer_parameters_reach_the_module_and_the_optimizer():
    from sklearn.base import clone

    from chainrule.sklearn import NeuralNetClassifier

    clf = NeuralNetClassifier(TwoLayer, module__hidden=5, optimizer__betas=(0.5, 0.6))
    params = clf.get_params()
    assert params["module"] is TwoLayer and params["module__hidden"] == 5
    assert params["optimizer__betas"] == (0.5, 0.6)
    clf.set_params(module__hidden=7, max_iter=3)
    twin = clone(clf)
    assert twin.get_params() == clf.get_params()
    X, y = blobs()
    twin.fit(X, y)
    assert tuple(twin.module_.first.weight.shape) == (7, 4)
    assert twin.optimizer_.param_groups[0]["betas"] == (0.5, 0.6)
    assert twin.optimizer_.param_groups[0]["lr"] == 0.001  # learning_rate_init
    with pytest.raises(ValueError, match="Invalid parameter 'hiden'"):
        clf.set_params(hiden=3)
    with pytest.raises(TypeError, match="unexpected keyword argument 'hiden'"):
        NeuralNetClassifier(hiden=3)


@pytest.mark.parametrize("solver, cls, extra", [
    ("sgd", optim.SGD, {"momentum": 0.9, "nesterov": True}),
    ("adam", optim.Adam, {}),
    (optim.RMSprop, optim.RMSprop, {}),
])
def test_solver_names_an_optimizer(solver, cls, extra):
    clf, X, y = fitted(solver=solver, max_iter=2)
    assert type(clf.optimizer_) is cls
    group = clf.optimizer_.param_groups[0]
    assert all(group[k] == v for k, v in extra.items())


def test_a_module_instance_is_copied_and_left_untrained():
    from chainrule.sklearn import NeuralNetClassifier

    net = TwoLayer()
    before = {k: v.data.copy() for k, v in net.state_dict().items()}
    clf = NeuralNetClassifier(net, max_iter=5).fit(*blobs())
    assert clf.module_ is not net
    for name, value in net.state_dict().items():
        np.testing.assert_array_equal(value.data, before[name])
    assert not np.array_equal(clf.module_.first.weight.data, before["first.weight"])
    with pytest.raises(ValueError, match="module__ parameters .* need module to be a class"):
        NeuralNetClassifier(net, module__hidden=3).fit(*blobs())


def test_random_state_makes_a_module_class_reproducible_and_leaves_the_package_generator():
    import chainrule
    from chainrule.sklearn import NeuralNetClassifier

    X, y = blobs()
    chainrule.manual_seed(5)
    expected = chainrule.rand(3).numpy()
    chainrule.manual_seed(5)
    a = NeuralNetClassifier(TwoLayer, max_iter=3, random_state=1).fit(X, y)
    np.testing.assert_array_equal(chainrule.rand(3).numpy(), expected)
    b = NeuralNetClassifier(TwoLayer, max_iter=3, random_state=1).fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))


def test_a_module_with_the_wrong_number_of_outputs_is_named():
    from chainrule.sklearn import NeuralNetClassifier

    X, y = blobs()
    with pytest.raises(ValueError, match=r"outputs have shape \(\d+, 2\), but 3 classes need"):
        NeuralNetClassifier(TwoLayer, module__n_outputs=2).fit(X, y)


@pytest.mark.parametrize("params, message", [
    ({"solver": "lbfgs"}, "solver must be 'adam', 'sgd' or a chainrule.optim.Optimizer"),
    ({"activation": "gelu"}, "activation must be one of"),
    ({"hidden_layer_sizes": (4, 0)}, "hidden_layer_sizes must hold positive ints"),
    ({"max_iter": 0}, "max_iter must be a positive int"),
    ({"alpha": -1.0}, "alpha must be a non-negative number"),
    ({"batch_size": "big"}, "batch_size must be 'auto' or a positive int"),
    ({"learning_rate_init": 0.0}, "learning_rate_init must be a positive number"),
    ({"early_stopping": True, "validation_fraction": 1.5}, "validation_fraction must be in"),
    ({"module": int}, "module must be a chainrule.nn.Module class or instance"),
])
def test_bad_parameters_are_refused_by_fit_naming_them(params, message):
    from chainrule.sklearn import NeuralNetClassifier

    clf = NeuralNetClassifier(**params)  # accepted here: scikit-learn checks in fit
    with pytest.raises((ValueError, TypeError), match=message):
        clf.fit(*blobs())
