"""scikit-learn estimators that train chainrule networks: ``NeuralNetClassifier`` and
``NeuralNetRegressor`` (``MLPClassifier``/``MLPRegressor``'s parameters, or any chainrule
module, as skorch wraps PyTorch's).

``import chainrule`` does not load this subpackage, and loading it does not import
scikit-learn: the estimators import it inside their methods (``pip install scikit-learn``).
"""

from __future__ import annotations

from .classifier import NeuralNetClassifier
from .regressor import NeuralNetRegressor

__all__ = ["NeuralNetClassifier", "NeuralNetRegressor"]
