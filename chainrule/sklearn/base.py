"""What the classifier and the regressor share: the parameters, ``fit``/``partial_fit``, the
forward pass of ``predict``, and pickling.

scikit-learn is imported inside the methods that use it, so ``chainrule.sklearn`` loads without
it; calling ``fit`` without it raises ImportError.
"""

from __future__ import annotations

import numbers
import warnings
from typing import Any

import numpy as np

from ..train import History, Metric, predict
from .network import build_mlp, check_hidden_layer_sizes, make_module, module_dtype
from .params import ParamsMixin, signature_without_var_keyword
from .training import (
    check_alpha,
    extend_history,
    l2_penalty,
    make_optimizer,
    train_epochs,
)


class NeuralNetBase(ParamsMixin):
    """The estimators' shared machinery; see NeuralNetClassifier for the parameters."""

    # keyword arguments of scikit-learn's validate_data for y (set by each estimator)
    _y_validation: dict[str, Any] = {}

    def __init__(self, module: Any = None, *, hidden_layer_sizes: Any = (100,),
                 activation: str = "relu", solver: Any = "adam", alpha: float = 0.0001,
                 batch_size: Any = "auto", learning_rate_init: float = 0.001,
                 max_iter: int = 200, shuffle: bool = True, random_state: Any = None,
                 tol: float = 1e-4, verbose: Any = 0, warm_start: bool = False,
                 early_stopping: bool = False, validation_fraction: float = 0.1,
                 n_iter_no_change: int = 10, **kwargs: Any) -> None:
        self.module = module
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self._set_nested(kwargs)

    # NOTE: scikit-learn's checks read the parameters from this signature and pass each name
    # to the constructor; **kwargs holds only module__…/optimizer__… names, so it is left out
    # (it would be taken for a parameter called "kwargs").
    __init__.__signature__ = signature_without_var_keyword(__init__)

    # ------------------------------------------------------------ what each estimator gives

    def _targets(self, y: np.ndarray, first: bool, incremental: bool,
                 classes: Any) -> tuple[np.ndarray, int]:
        """The training targets for the module's loss and the number of outputs it needs."""
        raise NotImplementedError

    def _base_loss(self, outputs: Any, targets: Any) -> Any:
        raise NotImplementedError

    def _metric(self) -> Metric:
        """The score that early stopping watches (and the progress display shows)."""
        raise NotImplementedError

    def _stratify(self, targets: np.ndarray) -> np.ndarray | None:
        return None

    # ------------------------------------------------------------ training

    def fit(self, X: Any, y: Any) -> NeuralNetBase:
        """Train on ``X`` (n_samples, n_features) and ``y`` for up to ``max_iter`` epochs;
        returns self. Starts afresh unless ``warm_start``."""
        return self._fit(X, y, incremental=False)

    def _fit(self, X: Any, y: Any, incremental: bool, classes: Any = None) -> NeuralNetBase:
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.utils.validation import validate_data

        if incremental and self.early_stopping:
            raise ValueError("partial_fit does not support early_stopping=True")
        first = not self.__sklearn_is_fitted__() or (not incremental and not self.warm_start)
        X, y = validate_data(self, X, y, reset=first, dtype=(np.float64, np.float32),
                             **self._y_validation)
        targets, n_outputs = self._targets(y, first, incremental, classes)
        epochs = 1 if incremental else self._check_iteration_params()
        if first:
            self._initialize(X.dtype, n_outputs)
        dtype = module_dtype(self.module_)
        X = X.astype(dtype, copy=False)
        if np.issubdtype(targets.dtype, np.floating):
            targets = targets.astype(dtype, copy=False)
        X, targets, validation = self._split(X, targets, incremental)
        start = self.n_iter_
        history = train_epochs(self, X, targets, epochs, validation)
        extend_history(self.history_, history, start)
        if validation is not None and self._best_state is not None:
            # the parameters of the best validation score so far (MLP's rule: over the
            # warm-started calls too)
            self.module_.load_state_dict(self._best_state)
        if not incremental and history.stop_reason is None and len(history.epoch) == epochs:
            warnings.warn(f"Stochastic Optimizer: Maximum iterations ({epochs}) reached and "
                          "the optimization hasn't converged yet.", ConvergenceWarning,
                          stacklevel=3)
        return self

    def _check_iteration_params(self) -> int:
        """Check the parameters of the stopping rule; returns ``max_iter``."""
        for name in ("max_iter", "n_iter_no_change"):
            value = getattr(self, name)
            if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        if not isinstance(self.tol, numbers.Real) or not self.tol >= 0:
            raise ValueError(f"tol must be a non-negative number, got {self.tol!r}")
        if self.early_stopping and not (isinstance(self.validation_fraction, numbers.Real)
                                        and 0 < self.validation_fraction < 1):
            raise ValueError(f"validation_fraction must be in (0, 1), got "
                             f"{self.validation_fraction!r}")
        return int(self.max_iter)

    def _initialize(self, dtype: np.dtype, n_outputs: int) -> None:
        """A new module and optimizer, and the training record emptied."""
        from sklearn.utils import check_random_state

        check_alpha(self.alpha)
        seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        self._generator = np.random.default_rng(seed)
        module_kwargs = self._nested_params("module__")
        if self.module is None:
            if module_kwargs:
                raise ValueError(f"module__ parameters {sorted(module_kwargs)} need a module "
                                 "class; module is None (the built MLP)")
            self._module_spec = (self.n_features_in_,
                                 check_hidden_layer_sizes(self.hidden_layer_sizes), n_outputs,
                                 self.activation, np.dtype(dtype).str)
        else:
            self._module_spec = (self.module, module_kwargs)
        self.module_ = self._build_module(None if self.random_state is None else seed)
        self._optimizer_spec = (self.solver, self.learning_rate_init,
                                self._nested_params("optimizer__"))
        self.optimizer_ = make_optimizer(self._optimizer_spec[0],
                                         list(self.module_.parameters()),
                                         *self._optimizer_spec[1:])
        self.n_iter_, self.loss_curve_, self.history_ = 0, [], History()
        self._no_improvement_count = 0
        self._best_state = None  # parameters of the best validation score, by name
        self.best_loss_ = None if self.early_stopping else np.inf
        self.validation_scores_ = [] if self.early_stopping else None
        self.best_validation_score_ = -np.inf if self.early_stopping else None

    def _build_module(self, seed: int | None) -> Any:
        if len(self._module_spec) == 2:
            return make_module(*self._module_spec, seed)
        n_features, hidden, n_outputs, activation, dtype = self._module_spec
        return build_mlp(n_features, hidden, n_outputs, activation, np.dtype(dtype),
                         self._generator if seed is None else np.random.default_rng(seed))

    def _split(self, X: np.ndarray, targets: np.ndarray,
               incremental: bool) -> tuple[np.ndarray, np.ndarray, tuple | None]:
        """Hold out ``validation_fraction`` of the samples when early stopping (stratified by
        class for the classifier), as scikit-learn's MLP does."""
        if incremental or not self.early_stopping:
            return X, targets, None
        from sklearn.model_selection import train_test_split

        X, X_val, targets, targets_val = train_test_split(
            X, targets, test_size=self.validation_fraction, stratify=self._stratify(targets),
            random_state=int(self._generator.integers(np.iinfo(np.int32).max)))
        return X, targets, (X_val, targets_val)

    def _loss_fn(self, outputs: Any, targets: Any) -> Any:
        """The batch loss: the estimator's loss plus the L2 penalty of ``alpha``."""
        return self._base_loss(outputs, targets) + l2_penalty(self.module_, float(self.alpha),
                                                              len(outputs))

    # ------------------------------------------------------------ prediction

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "module_")

    def _outputs(self, X: Any) -> np.ndarray:
        """The module's outputs for the rows of ``X``, after scikit-learn's checks."""
        from sklearn.utils.validation import check_is_fitted, validate_data

        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=(np.float64, np.float32))
        outputs = predict(self.module_, X.astype(module_dtype(self.module_), copy=False),
                          batch_size=1024)
        return outputs.reshape(len(X), -1)

    # ------------------------------------------------------------ pickling

    def __getstate__(self) -> dict[str, Any]:
        """The estimator's attributes, with the fitted module and optimizer as their states
        (arrays and numbers): no code of theirs is pickled, only the ``module`` parameter
        itself when it is one."""
        state = self.__dict__.copy()
        if "module_" in state:
            module, optimizer = state.pop("module_"), state.pop("optimizer_")
            state["_module_state"] = {k: v.data.copy() for k, v in module.state_dict().items()}
            state["_optimizer_state"] = optimizer.state_dict()
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        module_state = state.pop("_module_state", None)
        optimizer_state = state.pop("_optimizer_state", None)
        self.__dict__.update(state)
        if module_state is not None:
            self.module_ = self._build_module(seed=0)  # values replaced just below
            self.module_.load_state_dict(module_state)
            self.optimizer_ = make_optimizer(self._optimizer_spec[0],
                                             list(self.module_.parameters()),
                                             *self._optimizer_spec[1:])
            self.optimizer_.load_state_dict(optimizer_state)
