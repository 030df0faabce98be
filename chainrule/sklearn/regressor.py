"""``NeuralNetRegressor``: a chainrule network as a scikit-learn regressor."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import functional as F
from ..train import Metric
from .base import NeuralNetBase
from .training import R2


class NeuralNetRegressor(NeuralNetBase):
    """A scikit-learn regressor that trains a chainrule network (scikit-learn's
    ``MLPRegressor``, or skorch's ``NeuralNetRegressor``), with one or several outputs.

    The parameters and attributes are those of ``NeuralNetClassifier`` (without
    ``classes_``; with ``n_outputs_``); the module maps (N, n_features) inputs to
    (N, n_outputs) values, the loss is half the mean squared error (``MLPRegressor``'s) plus
    ``alpha``'s L2 penalty, and early stopping watches the validation R².

    Example (scikit-learn needed, so not run as a doctest; tests/sklearn runs it)::

        import numpy as np
        from chainrule.sklearn import NeuralNetRegressor
        X = np.linspace(-1, 1, 40).reshape(-1, 1)
        y = 2 * X.ravel() + 1
        reg = NeuralNetRegressor(hidden_layer_sizes=(16,), learning_rate_init=0.01,
                                 max_iter=400, tol=0.0, random_state=0).fit(X, y)
        reg.score(X, y)  # above 0.99
    """

    _y_validation = {"multi_output": True, "y_numeric": True}

    def partial_fit(self, X: Any, y: Any) -> NeuralNetRegressor:
        """Train one epoch on ``X``, ``y``; returns self."""
        return self._fit(X, y, incremental=True)

    def _targets(self, y: np.ndarray, first: bool, incremental: bool,
                 classes: Any) -> tuple[np.ndarray, int]:
        """``y`` as a (n_samples, n_outputs) array; a 1-d ``y`` gives 1-d predictions."""
        targets = y.reshape(len(y), -1)
        if first:
            self.n_outputs_ = targets.shape[1]
            self._y_ndim = y.ndim
        elif targets.shape[1] != self.n_outputs_:
            raise ValueError(f"y has {targets.shape[1]} outputs, but {type(self).__name__} "
                             f"was fitted with {self.n_outputs_}")
        return targets, targets.shape[1]

    def _base_loss(self, outputs: Any, targets: Any) -> Any:
        if tuple(outputs.shape) != tuple(targets.shape):
            raise ValueError(f"the module's outputs have shape {tuple(outputs.shape)}, but "
                             f"the targets have shape {tuple(targets.shape)}")
        return 0.5 * F.mse_loss(outputs, targets)

    def _metric(self) -> Metric:
        return R2()

    def predict(self, X: Any) -> np.ndarray:
        """The module's outputs: shape (n_samples,) when fitted on a 1-d ``y``, else
        (n_samples, n_outputs)."""
        outputs = self._outputs(X)
        return outputs.ravel() if self._y_ndim == 1 else outputs

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """R² of ``predict(X)`` against ``y`` (scikit-learn's ``r2_score``, the outputs
        averaged uniformly)."""
        from sklearn.metrics import r2_score

        return float(r2_score(y, self.predict(X), sample_weight=sample_weight))

    def __sklearn_tags__(self) -> Any:
        from sklearn.utils import InputTags, RegressorTags, Tags, TargetTags

        return Tags(estimator_type="regressor",
                    target_tags=TargetTags(required=True, multi_output=True),
                    regressor_tags=RegressorTags(), input_tags=InputTags())
