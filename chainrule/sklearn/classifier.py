"""``NeuralNetClassifier``: a chainrule network as a scikit-learn classifier."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import functional as F
from ..train import Accuracy, Metric
from .base import NeuralNetBase


class NeuralNetClassifier(NeuralNetBase):
    """A scikit-learn classifier that trains a chainrule network (scikit-learn's
    ``MLPClassifier``, or skorch's ``NeuralNetClassifier``).

    With no ``module`` it builds a multilayer perceptron from ``hidden_layer_sizes`` and
    ``activation``, initialised as ``MLPClassifier`` does; or it trains the chainrule module
    given, which maps (N, n_features) inputs to (N, n_classes) logits. The loss is the cross
    entropy of the softmax of the outputs (for two classes too: two logits, where
    ``MLPClassifier`` has one logistic output), plus ``alpha``'s L2 penalty.

    Args:
        module: None (build the MLP), a ``chainrule.nn.Module`` class (called with the
            ``module__…`` parameters) or an instance (deep-copied at each fresh start, so the
            instance itself is never trained).
        hidden_layer_sizes: the MLP's hidden layer widths (ignored with a ``module``).
        activation: 'identity', 'logistic', 'tanh' or 'relu', between the MLP's layers.
        solver: 'adam', 'sgd' (momentum 0.9, Nesterov, as ``MLPClassifier``), or a
            ``chainrule.optim.Optimizer`` class; ``optimizer__…`` parameters go to it.
        alpha: L2 penalty: α/(2·batch size)·Σ‖W‖² over the weight matrices.
        batch_size: 'auto' (min(200, n_samples)) or an int.
        learning_rate_init: the optimizer's learning rate.
        max_iter: epochs per ``fit`` (``partial_fit`` trains one); reaching it without
            converging warns with scikit-learn's ``ConvergenceWarning``.
        shuffle: reshuffle the samples every epoch.
        random_state: None, an int or a ``np.random.RandomState``: initial weights,
            shuffling and the validation split. With a module class, its initial values
            are drawn from the package generator reseeded from it (and restored after).
        tol, n_iter_no_change: training stops when the training loss (or, with early
            stopping, the validation score) has not improved by ``tol`` for more than
            ``n_iter_no_change`` epochs in a row.
        verbose: 0 silent; 1 (or True) chainrule's progress bar on a terminal, a line per
            epoch elsewhere; 2 a line per epoch.
        warm_start: ``fit`` goes on from the last solution instead of starting afresh.
        early_stopping: hold out ``validation_fraction`` of the samples (stratified), stop on
            its accuracy, and keep the best epoch's parameters.
        validation_fraction: the held-out fraction for early stopping.
        **kwargs: ``module__name=value`` and ``optimizer__name=value`` parameters.

    Attributes:
        classes_: the class labels (any sortable kind: strings, non-contiguous ints).
        module_, optimizer_: the trained chainrule module and its optimizer.
        n_features_in_, feature_names_in_: as every scikit-learn estimator (the names only
            when X was a DataFrame with string column names).
        n_iter_: epochs trained since the last fresh start.
        loss_curve_: the training loss of each epoch; ``history_``: chainrule's ``History``
            of every logged value ("loss", "accuracy", "val_accuracy", "lr", ...).
        best_loss_: the lowest training loss (None with early stopping).
        validation_scores_, best_validation_score_: with early stopping (else None).

    Example (scikit-learn needed, so not run as a doctest; tests/sklearn runs it)::

        from chainrule.sklearn import NeuralNetClassifier
        X = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]] * 10
        y = ["no", "yes", "yes", "no"] * 10
        clf = NeuralNetClassifier(hidden_layer_sizes=(16,), learning_rate_init=0.05,
                                  max_iter=300, tol=0.0, random_state=0).fit(X, y)
        clf.predict([[0.0, 1.0], [1.0, 1.0]])  # array(['yes', 'no'], dtype='<U3')
    """

    _y_validation = {"multi_output": False}

    def partial_fit(self, X: Any, y: Any, classes: Any = None) -> NeuralNetClassifier:
        """Train one epoch on ``X``, ``y``; ``classes`` (every label there will be) is needed
        on the first call, as in scikit-learn. Returns self."""
        return self._fit(X, y, incremental=True, classes=classes)

    def _targets(self, y: np.ndarray, first: bool, incremental: bool,
                 classes: Any) -> tuple[np.ndarray, int]:
        """Class indices into ``classes_`` (set here on a fresh start)."""
        from sklearn.utils.multiclass import check_classification_targets, unique_labels

        check_classification_targets(y)
        present = unique_labels(y)
        if first:
            if incremental and classes is None:
                raise ValueError("classes must be passed on the first call to partial_fit.")
            self.classes_ = unique_labels(classes) if incremental else present
            if len(self.classes_) < 2:
                raise ValueError(f"{type(self).__name__} needs samples of at least 2 classes "
                                 f"in the data, but the data contains only one class: "
                                 f"{_plain(self.classes_[0])!r}")
        elif incremental and classes is not None and not np.array_equal(
                unique_labels(classes), self.classes_):
            raise ValueError(f"`classes={classes!r}` is not the same as on last call to "
                             f"partial_fit, was: {self.classes_!r}")
        elif not incremental and set(present) != set(self.classes_):
            raise ValueError(f"warm_start can only be used where `y` has the same classes as "
                             f"in the previous call to fit. Previously got {self.classes_}, "
                             f"`y` has {present}")
        if len(np.setdiff1d(present, self.classes_)):
            raise ValueError(f"`y` has classes not in `self.classes_`. `self.classes_` has "
                             f"{self.classes_}. 'y' has {present}.")
        return np.searchsorted(self.classes_, y).astype(np.int64), len(self.classes_)

    def _base_loss(self, outputs: Any, targets: Any) -> Any:
        if outputs.ndim != 2 or outputs.shape[1] != len(self.classes_):
            raise ValueError(f"the module's outputs have shape {tuple(outputs.shape)}, but "
                             f"{len(self.classes_)} classes need (N, {len(self.classes_)}) "
                             "logits")
        return F.cross_entropy(outputs, targets)

    def _metric(self) -> Metric:
        return Accuracy()

    def _stratify(self, targets: np.ndarray) -> np.ndarray:
        return targets

    def predict_proba(self, X: Any) -> np.ndarray:
        """The probability of each class (columns in the order of ``classes_``): the softmax
        of the module's outputs. Shape (n_samples, n_classes)."""
        logits = self._outputs(X)
        if logits.shape[1] != len(self.classes_):
            raise ValueError(f"the module's outputs have {logits.shape[1]} columns, but there "
                             f"are {len(self.classes_)} classes")
        shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
        return shifted / shifted.sum(axis=1, keepdims=True)

    def predict_log_proba(self, X: Any) -> np.ndarray:
        """The log of ``predict_proba``, computed stably from the logits."""
        logits = self._outputs(X)
        shifted = logits - logits.max(axis=1, keepdims=True)
        return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class of each sample, as a label of ``classes_``."""
        probabilities = self.predict_proba(X)  # first: it checks that the model is fitted
        return self.classes_[np.argmax(probabilities, axis=1)]

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """The mean accuracy of ``predict(X)`` against ``y`` (scikit-learn's
        ``accuracy_score``)."""
        from sklearn.metrics import accuracy_score

        return float(accuracy_score(y, self.predict(X), sample_weight=sample_weight))

    def __sklearn_tags__(self) -> Any:
        from sklearn.utils import ClassifierTags, InputTags, Tags, TargetTags

        return Tags(estimator_type="classifier", target_tags=TargetTags(required=True),
                    classifier_tags=ClassifierTags(), input_tags=InputTags())


def _plain(label: Any) -> Any:
    """A NumPy scalar label as the Python value it holds (for messages)."""
    return label.item() if isinstance(label, np.generic) else label
