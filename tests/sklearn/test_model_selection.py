"""The issue's acceptance runs: a Pipeline in GridSearchCV on the breast-cancer data set, the
regressor against MLPRegressor on the diabetes data set, cross_val_score; and the README's and
the docstrings' examples."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from tests.optional import needs_sklearn

pytestmark = [needs_sklearn,
              pytest.mark.filterwarnings("ignore:Stochastic Optimizer. Maximum iterations")]

ROOT = Path(__file__).resolve().parents[2]


def test_a_pipeline_in_grid_search_scores_at_least_95_percent_on_breast_cancer():
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import GridSearchCV, train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from chainrule.sklearn import NeuralNetClassifier

    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, stratify=y,
                                                        random_state=0)
    pipe = make_pipeline(StandardScaler(), NeuralNetClassifier(max_iter=50, random_state=0))
    grid = {"neuralnetclassifier__hidden_layer_sizes": [(10,), (50,)]}
    search = GridSearchCV(pipe, grid, cv=3).fit(X_train, y_train)
    assert search.best_params_["neuralnetclassifier__hidden_layer_sizes"] in grid[
        "neuralnetclassifier__hidden_layer_sizes"]
    assert len(search.cv_results_["mean_test_score"]) == 2
    assert search.score(X_test, y_test) >= 0.95


def test_the_regressor_on_diabetes_scores_within_005_of_mlp_regressor():
    from sklearn.datasets import load_diabetes
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from chainrule.sklearn import NeuralNetRegressor

    X, y = load_diabetes(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)
    settings = dict(hidden_layer_sizes=(32,), learning_rate_init=0.01, max_iter=300,
                    alpha=1e-4, random_state=0)
    ours = make_pipeline(StandardScaler(), NeuralNetRegressor(**settings))
    theirs = make_pipeline(StandardScaler(), MLPRegressor(**settings))
    r2_ours = ours.fit(X_train, y_train).score(X_test, y_test)
    r2_theirs = theirs.fit(X_train, y_train).score(X_test, y_test)
    assert abs(r2_ours - r2_theirs) <= 0.05, (r2_ours, r2_theirs)
    assert r2_ours > 0.2


def test_cross_val_score_stratifies_a_classifier_and_scores_a_regressor():
    from sklearn.model_selection import cross_val_score

    from chainrule.sklearn import NeuralNetClassifier, NeuralNetRegressor
    from tests.sklearn.nets import blobs, linear_targets

    X, y = blobs()
    scores = cross_val_score(NeuralNetClassifier(hidden_layer_sizes=(8,), max_iter=40,
                                                 learning_rate_init=0.02, random_state=0),
                             X, np.array(["a", "b", "c"])[y], cv=3)
    assert scores.shape == (3,) and scores.min() >= 0.95
    X, Y = linear_targets(90, 2)
    scores = cross_val_score(NeuralNetRegressor(hidden_layer_sizes=(16,), max_iter=200,
                                                learning_rate_init=0.01, random_state=0),
                             X, Y, cv=3)
    assert scores.min() > 0.9


def python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)


def test_the_readme_snippet_runs(capsys):
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## scikit-learn\n", 1)[1].split("\n## ", 1)[0]
    (snippet,) = python_blocks(section)
    exec(compile(snippet, "README.md (scikit-learn)", "exec"), {"__name__": "readme"})
    first, second = capsys.readouterr().out.splitlines()
    assert float(first.rsplit(" ", 1)[1]) >= 0.95
    assert float(second.split()[0]) >= 0.9


@pytest.mark.parametrize("name", ["NeuralNetClassifier", "NeuralNetRegressor"])
def test_the_docstring_examples_run_and_say_what_they_give(name):
    import chainrule.sklearn as estimators

    doc = getattr(estimators, name).__doc__
    code = doc.split("::\n", 1)[1]
    lines = [line[8:] for line in code.splitlines() if line.strip()]
    namespace: dict = {}
    exec(compile("\n".join(lines[:-1]), f"{name} docstring", "exec"), namespace)
    last = lines[-1].split("  #")[0]
    value = eval(last, namespace)
    if name == "NeuralNetClassifier":
        assert value.tolist() == ["yes", "no"]
    else:
        assert value > 0.99


def test_grid_search_over_nested_module_and_optimizer_parameters():
    from sklearn.model_selection import GridSearchCV

    from chainrule.sklearn import NeuralNetClassifier
    from tests.sklearn.nets import TwoLayer, blobs

    X, y = blobs()
    search = GridSearchCV(NeuralNetClassifier(TwoLayer, max_iter=20, random_state=0),
                          {"module__hidden": [2, 12], "optimizer__weight_decay": [0.0, 0.01]},
                          cv=2).fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    best = search.best_estimator_
    assert best.module__hidden == search.best_params_["module__hidden"]
    assert tuple(best.module_.first.weight.shape) == (best.module__hidden, 4)
    assert best.optimizer_.param_groups[0]["weight_decay"] == best.optimizer__weight_decay
