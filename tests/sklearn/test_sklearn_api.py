"""The estimators among scikit-learn's tools: clone and pickle of fitted estimators, bad
input answered with scikit-learn's own errors (the same as MLPClassifier's), feature names."""

from __future__ import annotations

import pickle
import pickletools

import numpy as np
import pytest

from tests.optional import needs_pandas, needs_sklearn
from tests.sklearn.nets import TwoLayer, blobs

pytestmark = [needs_sklearn,
              pytest.mark.filterwarnings("ignore:Stochastic Optimizer. Maximum iterations")]


def pickled_globals(payload: bytes) -> set[str]:
    """The module of every global (class or function) a pickle names."""
    names, strings = set(), []
    for opcode, arg, _ in pickletools.genops(payload):
        if opcode.name in ("SHORT_BINUNICODE", "BINUNICODE", "UNICODE"):
            strings.append(arg)
        elif opcode.name == "STACK_GLOBAL":
            names.add(strings[-2])
        elif opcode.name == "GLOBAL":
            names.add(arg.split(" ")[0])
    return names


@pytest.mark.parametrize("module", [None, TwoLayer, TwoLayer()])
def test_a_pickled_fitted_estimator_predicts_and_trains_on_as_the_original(module):
    from chainrule.sklearn import NeuralNetClassifier

    X, y = blobs()
    clf = NeuralNetClassifier(module, max_iter=5, random_state=0).fit(X, y)
    payload = pickle.dumps(clf)
    copy = pickle.loads(payload)
    np.testing.assert_array_equal(copy.predict_proba(X), clf.predict_proba(X))
    assert copy.get_params() == clf.get_params() or module is not None
    assert copy.loss_curve_ == clf.loss_curve_ and copy.n_features_in_ == 4
    # the optimizer's moments and the shuffling generator travel too: both go on alike
    clf.partial_fit(X, y)
    copy.partial_fit(X, y)
    np.testing.assert_array_equal(copy.predict_proba(X), clf.predict_proba(X))
    # the fitted module and optimizer travel as arrays: no chainrule.nn/optim/tensor code
    modules = pickled_globals(payload)
    assert not {m for m in modules if m.startswith(("chainrule.optim", "chainrule.tensor"))}
    if module is None:
        assert not {m for m in modules if m.startswith("chainrule.nn")}


def test_clone_of_a_fitted_estimator_is_unfitted_with_the_same_parameters():
    from sklearn.base import clone
    from sklearn.exceptions import NotFittedError

    from chainrule.sklearn import NeuralNetRegressor

    reg = NeuralNetRegressor(TwoLayer, module__n_outputs=1, max_iter=2, alpha=0.5)
    reg.fit(*blobs())
    twin = clone(reg)
    assert twin.get_params() == reg.get_params() and twin is not reg
    with pytest.raises(NotFittedError):
        twin.predict(blobs()[0])


def sklearn_error(estimator, method: str, *args):
    with pytest.raises(Exception) as caught:
        getattr(estimator, method)(*args)
    return caught.value


@pytest.mark.parametrize("case", ["nan", "inf", "1-d X", "predict before fit",
                                  "wrong n_features", "y too short", "3-d X", "sparse X"])
def test_bad_input_gives_the_error_mlp_classifier_gives(case):
    """Same exception type, same message (up to the estimator's name) as scikit-learn's own
    MLPClassifier, for each kind of bad input."""
    from scipy import sparse
    from sklearn.neural_network import MLPClassifier

    from chainrule.sklearn import NeuralNetClassifier

    X, y = blobs()
    bad = X.copy()
    bad[3, 1] = np.nan if case == "nan" else np.inf
    calls = {
        "nan": ("fit", bad, y), "inf": ("fit", bad, y), "1-d X": ("fit", X[:, 0], y),
        "predict before fit": ("predict", X), "wrong n_features": ("predict", X[:, :3]),
        "y too short": ("fit", X, y[:-1]), "3-d X": ("fit", X[:, :, None], y),
        "sparse X": ("fit", sparse.csr_matrix(X), y),
    }
    method, *args = calls[case]
    ours, theirs = NeuralNetClassifier(max_iter=3), MLPClassifier(max_iter=3)
    if case == "wrong n_features":
        ours.fit(X, y)
        theirs.fit(X, y)
    if case == "sparse X":  # MLPClassifier takes sparse input; scikit-learn's refusal:
        error = sklearn_error(ours, method, *args)
        assert type(error) is TypeError and "Sparse data was passed" in str(error)
        return
    error, expected = sklearn_error(ours, method, *args), sklearn_error(theirs, method, *args)
    assert type(error) is type(expected)
    assert str(error) == str(expected).replace("MLPClassifier", "NeuralNetClassifier")


@needs_pandas
def test_feature_names_come_from_a_dataframe_and_are_checked_at_predict():
    import pandas

    from chainrule.sklearn import NeuralNetClassifier

    X, y = blobs()
    frame = pandas.DataFrame(X, columns=["a", "b", "c", "d"])
    clf = NeuralNetClassifier(max_iter=3).fit(frame, y)
    assert clf.feature_names_in_.tolist() == ["a", "b", "c", "d"]
    with pytest.raises(ValueError, match="Feature names"):
        clf.predict(frame[["b", "a", "c", "d"]])
    assert not hasattr(NeuralNetClassifier(max_iter=3).fit(X, y), "feature_names_in_")
