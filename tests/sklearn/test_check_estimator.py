"""scikit-learn's own conformance suite, ``check_estimator``, on both estimators: every check
it runs passes (none is marked as an expected failure).

sklearn skips the array-API checks by itself unless ``SCIPY_ARRAY_API`` is set; that skip is
reported, not failed. pandas is a test dependency, so the DataFrame checks run. The
estimators use small networks and few epochs so that the whole suite runs in seconds;
``check_classifiers_train`` and ``check_regressors_train`` still hold them to scikit-learn's
accuracy and R² thresholds.
"""

from __future__ import annotations

import warnings

import pytest

from tests.optional import needs_sklearn

pytestmark = needs_sklearn

# What sklearn may skip on its own, by the reason it gives.
SKLEARN_OWN_SKIPS = ("SCIPY_ARRAY_API is not set",)


def run_checks(estimator):
    from sklearn.utils.estimator_checks import check_estimator

    with warnings.catch_warnings():
        # NOTE: the estimators define scikit-learn's protocol themselves instead of
        # inheriting BaseEstimator (chainrule never imports scikit-learn on import), which
        # check_estimator notes with this warning before running every check.
        warnings.filterwarnings("ignore", message=".*does not inherit from.*BaseEstimator")
        warnings.filterwarnings("ignore", category=UserWarning)  # ConvergenceWarning et al.
        return check_estimator(estimator, on_fail=None, on_skip=None)


def small(cls):
    return cls(hidden_layer_sizes=(20,), max_iter=30, learning_rate_init=0.01)


@pytest.mark.parametrize("name", ["NeuralNetClassifier", "NeuralNetRegressor"])
def test_check_estimator_passes_every_check(name):
    import chainrule.sklearn as estimators

    results = run_checks(small(getattr(estimators, name)))
    failed = {r["check_name"]: repr(r["exception"]) for r in results
              if r["status"] == "failed"}
    assert failed == {}
    skipped = [r for r in results if r["status"] == "skipped"]
    assert all(any(why in str(r["exception"]) for why in SKLEARN_OWN_SKIPS) for r in skipped)
    assert sum(r["status"] == "passed" for r in results) >= 45


def test_the_check_suite_can_fail():
    """A planted fault (predict ignores the fitted model) fails check_estimator."""
    import numpy as np

    from chainrule.sklearn import NeuralNetClassifier

    class Broken(NeuralNetClassifier):
        def predict(self, X):
            return np.full(len(np.asarray(X)), self.classes_[0])

    results = run_checks(small(Broken))
    assert any(r["status"] == "failed" for r in results)
