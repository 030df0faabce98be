"""The training that both estimators share: scikit-learn's MLP stopping rule, early stopping,
the ConvergenceWarning, the batch size, the L2 penalty, the progress display, and the
regressor's outputs."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from chainrule import optim
from tests.optional import needs_sklearn
from tests.sklearn.nets import blobs, linear_targets

pytestmark = [needs_sklearn,
              pytest.mark.filterwarnings("ignore:Stochastic Optimizer. Maximum iterations")]


def test_the_stopping_rule_stops_after_the_same_epoch_as_mlp_classifier():
    """With an unreachable ``tol`` only the first epoch improves (on an infinite best loss):
    both stop after n_iter_no_change + 2 epochs."""
    from sklearn.neural_network import MLPClassifier

    from chainrule.sklearn import NeuralNetClassifier

    X, y = blobs()
    settings = dict(hidden_layer_sizes=(8,), tol=1e9, n_iter_no_change=3, random_state=0)
    ours = NeuralNetClassifier(**settings).fit(X, y)
    theirs = MLPClassifier(**settings).fit(X, y)
    assert ours.n_iter_ == theirs.n_iter_ == 5
    assert ours.history_.stop_reason.startswith("Training loss did not improve more than")
    assert ours.loss_curve_ == ours.history_["loss"] and len(ours.loss_curve_) == 5
    assert ours.best_loss_ == min(ours.loss_curve_)


def test_reaching_max_iter_warns_with_sklearns_convergence_warning():
    from sklearn.exceptions import ConvergenceWarning

    from chainrule.sklearn import NeuralNetRegressor

    with pytest.warns(ConvergenceWarning, match=r"Maximum iterations \(3\) reached"):
        NeuralNetRegressor(max_iter=3, tol=0.0).fit(*linear_targets())
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        NeuralNetRegressor(max_iter=30, tol=1e9, n_iter_no_change=2).fit(*linear_targets())


def test_early_stopping_watches_the_validation_score_and_keeps_the_best_epoch():
    from chainrule.sklearn import NeuralNetClassifier

    X, y = blobs(300)
    clf = NeuralNetClassifier(hidden_layer_sizes=(16,), early_stopping=True,
                              n_iter_no_change=4, max_iter=500, learning_rate_init=0.01,
                              random_state=0).fit(X, y)
    assert clf.n_iter_ < 500 and clf.best_loss_ is None
    assert len(clf.validation_scores_) == clf.n_iter_
    assert clf.validation_scores_ == clf.history_["val_accuracy"]
    assert clf.best_validation_score_ == max(clf.validation_scores_) == 1.0
    assert clf.history_.stop_reason.startswith("Validation score did not improve")


def test_early_stopping_restores_the_parameters_of_the_best_epoch():
    """The kept parameters are those after the best epoch k, not the last: the same run cut
    at k epochs (same seed, so the same split and shuffles) predicts the same."""
    from chainrule.sklearn import NeuralNetRegressor

    X, y = linear_targets(200, 1)
    y = y.ravel() + np.random.default_rng(1).normal(scale=2.0, size=200)  # noisy: R² wanders
    settings = dict(hidden_layer_sizes=(32,), early_stopping=True, n_iter_no_change=50,
                    learning_rate_init=0.05, random_state=3)
    reg = NeuralNetRegressor(max_iter=40, **settings).fit(X, y)
    best = int(np.argmax(reg.validation_scores_)) + 1
    assert best < reg.n_iter_ and reg.best_validation_score_ == max(reg.validation_scores_)
    cut = NeuralNetRegressor(max_iter=best, **settings).fit(X, y)
    assert cut.validation_scores_ == reg.validation_scores_[:best]
    np.testing.assert_array_equal(reg.predict(X), cut.predict(X))


def test_auto_batch_size_is_min_200_n_samples_and_a_larger_int_is_clipped():
    from chainrule.sklearn import NeuralNetRegressor

    class CountingSGD(optim.SGD):
        steps = 0

        def step(self, closure=None):
            CountingSGD.steps += 1
            return super().step(closure)

    X, y = linear_targets(450, 1)
    NeuralNetRegressor(solver=CountingSGD, max_iter=2, tol=0.0).fit(X, y)
    assert CountingSGD.steps == 2 * 3  # batches of 200, 200, 50
    CountingSGD.steps = 0
    with pytest.warns(UserWarning, match="It is going to be clipped"):
        NeuralNetRegressor(solver=CountingSGD, max_iter=2, batch_size=1000,
                           tol=0.0).fit(X, y)
    assert CountingSGD.steps == 2


def test_alpha_adds_the_l2_penalty_of_the_weight_matrices_to_the_loss():
    """At a learning rate too small to move the weights, the loss with alpha minus the loss
    without is α/(2n)·Σ‖W‖² of the initial weights (biases left out)."""
    from chainrule.sklearn import NeuralNetRegressor

    X, y = linear_targets(50, 2)
    settings = dict(hidden_layer_sizes=(6, 5), solver="sgd", learning_rate_init=1e-14,
                    batch_size=50, max_iter=1, random_state=0)
    plain = NeuralNetRegressor(alpha=0.0, **settings).fit(X, y)
    penalised = NeuralNetRegressor(alpha=0.3, **settings).fit(X, y)
    weights = [p.data for name, p in penalised.module_.named_parameters()
               if name.endswith("weight")]
    expected = 0.3 / (2 * 50) * sum(float((w.astype(np.float64) ** 2).sum()) for w in weights)
    difference = penalised.loss_curve_[0] - plain.loss_curve_[0]
    np.testing.assert_allclose(difference, expected, rtol=1e-6)


def test_verbose_shows_chainrules_progress_lines(capsys):
    from chainrule.sklearn import NeuralNetRegressor

    NeuralNetRegressor(max_iter=3, tol=0.0, verbose=2).fit(*linear_targets())
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("  ")[0] for line in lines] == ["Epoch 1/3", "Epoch 2/3", "Epoch 3/3"]
    assert all("loss " in line and "r2 " in line for line in lines)
    NeuralNetRegressor(max_iter=3, tol=0.0, verbose=0).fit(*linear_targets())
    assert capsys.readouterr().out == ""


def test_the_regressor_fits_several_outputs_and_keeps_the_shape_of_y():
    from sklearn.metrics import r2_score

    from chainrule.sklearn import NeuralNetRegressor

    X, Y = linear_targets(120, 3)
    reg = NeuralNetRegressor(hidden_layer_sizes=(32,), learning_rate_init=0.01, max_iter=300,
                             random_state=0).fit(X, Y)
    assert reg.n_outputs_ == 3 and reg.predict(X).shape == (120, 3)
    assert reg.score(X, Y) == pytest.approx(r2_score(Y, reg.predict(X))) and reg.score(X, Y) > 0.95
    one = NeuralNetRegressor(max_iter=5).fit(X, Y[:, 0])
    assert one.predict(X).shape == (120,)
    column = NeuralNetRegressor(max_iter=5).fit(X, Y[:, :1])
    assert column.predict(X).shape == (120, 1)
    with pytest.raises(ValueError, match="y has 3 outputs, but NeuralNetRegressor was fitted "
                                         "with 1"):
        one.partial_fit(X, Y)


def test_float32_data_trains_a_float32_mlp():
    from chainrule.sklearn import NeuralNetRegressor

    X, y = linear_targets(40, 1)
    reg = NeuralNetRegressor(max_iter=2).fit(X.astype(np.float32), y.ravel())
    assert {p.data.dtype for p in reg.module_.parameters()} == {np.dtype(np.float32)}
    assert NeuralNetRegressor(max_iter=2).fit(X, y).module_[0].weight.dtype == np.float64


def test_the_r2_metric_matches_sklearns_r2_score_over_batches():
    from sklearn.metrics import r2_score

    from chainrule.sklearn.training import R2

    rng = np.random.default_rng(0)
    y, predicted = rng.normal(size=(30, 2)), rng.normal(size=(30, 2))
    metric = R2()
    for start in range(0, 30, 7):
        metric.update(predicted[start:start + 7], y[start:start + 7])
    assert metric.result() == pytest.approx(r2_score(y, predicted), rel=1e-12)
    constant = R2()
    constant.update(np.ones((4, 1)), np.ones((4, 1)))
    assert constant.result() == r2_score(np.ones(4), np.ones(4)) == 1.0
