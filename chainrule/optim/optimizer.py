"""The ``Optimizer`` base class: parameter groups, per-parameter state, the step loop, and
state dicts that resume a run bit for bit.

A subclass passes its hyperparameters as ``defaults`` and implements one method,
``update(p, grad, state, group)``, which changes ``p.data`` in place for one parameter. The
base class does everything else: it validates the hyperparameters of every group, skips
parameters whose gradient is None, counts each parameter's steps in ``state["step"]`` and
flushes subnormal numbers out of the state buffers (see ``Optimizer``). The array work of
the updates (y ← αx + βy, the flush) is done by the kernels of ``chainrule.kernels``.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from typing import Any, Callable, Iterable, Union

import numpy as np

from ..autograd import enable_grad
from ..kernels import flush_subnormals
from ..tensor import Tensor
from .state_checks import checked_optimizer_state

ParamsT = Union[Iterable[Tensor], Iterable[dict[str, Any]]]

# Hyperparameters that must be >= 0, with the words an error message uses for them.
_NON_NEGATIVE = {
    "lr": "learning rate",
    "momentum": "momentum value",
    "weight_decay": "weight_decay value",
    "eps": "epsilon value",
    "alpha": "alpha value",
    "lr_decay": "lr_decay value",
    "initial_accumulator_value": "initial_accumulator_value",
}


class _NotATensorError(TypeError, ValueError):
    """A non-tensor given as a parameter: a TypeError as in PyTorch, and a ValueError too, as
    every other bad optimizer argument is."""


class Optimizer:
    """Base class of the optimizers: holds parameter groups and per-parameter state.

    Args:
        params: an iterable of tensors, or of dicts ("parameter groups") each holding
            ``"params"`` and any hyperparameters that differ from ``defaults`` for that group,
            e.g. ``[{"params": [w], "lr": 0.1}, {"params": [b]}]``.
        defaults: the hyperparameters of groups that do not set them.

    Attributes:
        param_groups: list of dicts, each with ``"params"`` and every hyperparameter.
        state: per-parameter dict keyed by the tensor (tensors hash by identity); it holds
            ``"step"`` (updates made to that parameter; unlike PyTorch, SGD counts it too) and
            the subclass's buffers.
        subnormal_flush_every: every this many steps of a parameter, the entries of its
            buffers named in ``_flushed`` whose magnitude is below the smallest normal number
            of the dtype (``np.finfo(dtype).tiny``, ~1.2e-38 in float32) are set to 0 (0 or
            None: never). A buffer that only decays, such as the momentum of a weight whose
            gradient is always zero, otherwise sinks into the subnormal range, where arithmetic
            is many times slower on many CPUs. The flush runs after the step's update and
            changes no value in the normal range (except centered RMSprop's ḡ, see there),
            like the flush-to-zero mode of GPUs or ``torch.set_flush_denormal(True)`` on CPU.
            A flush reads each buffer a few times, so it runs every few steps rather than
            every step.
    """

    subnormal_flush_every: int | None = 16
    scratch_min_size: int = 1 << 16  # see ``temporary``
    _flushed: tuple[str, ...] = ()

    def __init__(self, params: ParamsT, defaults: dict[str, Any]) -> None:
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            f"Tensors or dicts, but got a Tensor of shape {params.shape}")
        self.defaults = dict(defaults)
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        self._scratch: dict[tuple[np.dtype, int], np.ndarray] = {}
        groups = list(params)
        if len(groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters, with its own hyperparameters, to ``param_groups``.

        Args:
            param_group: a dict with ``"params"`` (a tensor or a list of tensors) and optional
                hyperparameters; those missing are taken from ``defaults``.
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError(f"param_group has no 'params' entry (keys: {sorted(param_group)})")
        group = dict(param_group)
        params = group["params"]
        if isinstance(params, (set, frozenset)):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets changes between runs; use a list")
        group["params"] = [params] if isinstance(params, Tensor) else list(params)
        for name, value in self.defaults.items():
            group.setdefault(name, value)
        self._check_params(group["params"], len(self.param_groups))
        self._check_group(group)
        self.param_groups.append(group)

    def _check_group(self, group: dict[str, Any]) -> None:
        """Raise a ValueError naming a hyperparameter of ``group`` out of its range (the
        common ones here; an optimizer with others of its own extends this)."""
        _check_hyperparameters(group)

    def _check_state(self, p: Tensor, entries: dict[str, Any]) -> None:
        """Raise a ValueError if the loaded state ``entries`` of ``p`` cannot be stepped from
        (each entry was already checked on its own; an optimizer whose entries depend on one
        another extends this)."""

    def _check_params(self, params: list, index: int) -> None:
        seen = {id(p) for group in self.param_groups for p in group["params"]}
        for i, p in enumerate(params):
            where = f"parameter {i} of group {index}"
            if not isinstance(p, Tensor):
                raise _NotATensorError(f"optimizer can only optimize Tensors, but {where} is a "
                                       f"{type(p).__name__}: {p!r}")
            if not p.is_leaf:
                raise ValueError(f"can't optimize a non-leaf Tensor ({where}, shape {p.shape}); "
                                 "pass the leaf tensors the computation started from")
            if id(p) in seen:
                raise ValueError(f"{where} (shape {p.shape}) appears twice in the optimizer; "
                                 "give each parameter once, in one group")
            seen.add(id(p))

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all parameters.

        Args:
            set_to_none: set ``.grad`` to None (the default); if False, fill the gradient
                arrays with zeros in place instead.
        """
        for group in self.param_groups:
            for p in group["params"]:
                if p._grad is None:
                    continue
                if set_to_none:
                    p._grad = None
                elif p._grad.flags.writeable:
                    p._grad.fill(0)
                else:
                    p._grad = np.zeros_like(p.data)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient (``p.grad is not None``).

        Args:
            closure: optional function that re-evaluates the model and returns the loss; it is
                called with gradient recording on, before the update.

        Returns:
            The closure's loss, or None.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        every = self.subnormal_flush_every
        states, update = self.state, self.update
        for group in self.param_groups:
            for p in group["params"]:
                grad = p._grad
                if grad is None:
                    continue
                if grad.dtype != p.data.dtype:
                    grad = grad.astype(p.data.dtype)
                state = states[p]
                step = state["step"] = state.get("step", 0) + 1
                update(p, grad, state, group)
                p._version_counter[0] += 1  # changed in place: a graph that saved p can't backward
                if every and step % every == 0:
                    self._flush(state)
        return loss

    def update(self, p: Tensor, grad: np.ndarray, state: dict[str, Any],
               group: dict[str, Any]) -> None:
        """Change ``p.data`` in place from its gradient; implemented by each optimizer.

        Args:
            p: the parameter.
            grad: its gradient array, of p's dtype (read only: it may be shared).
            state: this parameter's state; ``state["step"]`` already counts this step.
            group: the parameter's group, with every hyperparameter.
        """
        raise NotImplementedError

    def temporary(self, array: np.ndarray, slot: int = 0) -> np.ndarray:
        """An uninitialised array of ``array``'s shape and dtype, for a temporary of ``update``
        that the next call with the same ``slot`` may overwrite.

        For arrays of ``scratch_min_size`` elements or more it is a view of a buffer that the
        optimizer keeps: one per dtype and slot, as large as the largest array seen, shared by
        every parameter and not part of ``state``: memory used the step before is written
        again instead of a fresh allocation the size of the parameter for each intermediate
        result. Smaller arrays get a new array, which costs fewer instructions than a view.
        """
        if array.size < self.scratch_min_size:
            return np.empty(array.shape, array.dtype)
        buffer = self._scratch.get((array.dtype, slot))
        if buffer is None or buffer.size < array.size:
            buffer = self._scratch[array.dtype, slot] = np.empty(array.size, array.dtype)
        return buffer[:array.size].reshape(array.shape)

    def _flush(self, state: dict[str, Any]) -> None:
        """Flush the subnormals of the state buffers named in ``_flushed``."""
        for key in self._flushed:
            buffer = state.get(key)
            if buffer is not None:
                flush_subnormals(buffer)

    # ------------------------------------------------------------ state dicts

    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state as plain data, with copies of every array.

        Returns:
            ``{"state": {index: {name: value}}, "param_groups": [group]}`` as in PyTorch: a
            parameter is named by its index in the order of ``param_groups``, and each group
            holds its hyperparameters and ``"params"``, the list of its parameters' indices.
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {key: value for key, value in group.items() if key != "params"}
            packed["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(packed)
        state = {
            index[id(p)]: {key: _copy(value) for key, value in s.items()}
            for p, s in self.state.items()
            if id(p) in index
        }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore hyperparameters and state saved by ``state_dict`` (arrays are copied).

        The saved groups must match this optimizer's groups in number and size, and hold the
        hyperparameters this optimizer has (and those schedulers add), each valid as in the
        constructor; state arrays are cast to their parameter's dtype and must have its
        shape. Anything else raises a ValueError, and the optimizer is left as it was.
        """
        groups, state = checked_optimizer_state(self, state_dict)
        for group in groups:
            self._check_group(group)
        for p, entries in state.items():
            self._check_state(p, entries)
        self.state = state
        self.param_groups = groups

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {key}: {group[key]}" for key in sorted(group) if key != "params"]
        return "\n".join(lines) + "\n)"


def refuse_differentiable(name: str, differentiable: bool) -> None:
    """PyTorch's ``differentiable=True`` records the optimizer step for autograd (to
    differentiate through training). chainrule's steps update the parameters' arrays outside
    the graph, so it is refused rather than ignored: ignoring it would leave the gradient that
    such a script asks for silently missing. ``foreach``, ``fused`` and ``capturable`` choose
    how PyTorch runs the same arithmetic, so the optimizers accept and ignore them."""
    if differentiable:
        raise NotImplementedError(f"{name}: differentiable=True (autograd through the optimizer "
                                  "step) is not supported: chainrule's optimizer steps run "
                                  "outside the graph")


def floats(group: dict[str, Any], names: str) -> list[float]:
    """The hyperparameters of ``group`` named in ``names`` (space-separated), as Python floats.

    NOTE: Python floats, because NumPy 2 keeps a float32 array float32 when it meets a Python
    float but widens it to float64 when it meets an ``np.float64`` scalar.
    """
    return [float(group[name]) for name in _split(names)]


def decayed_gradient(p: Any, grad: np.ndarray, group: dict[str, Any], lr: float,
                     decay: float) -> np.ndarray:
    """The gradient after ``maximize`` and weight decay λ: −g if maximizing; then either the
    decoupled decay θ ← θ(1 − γλ), applied to ``p`` in place (``decoupled_weight_decay``), or
    the L2 term g + λθ."""
    grad = -grad if group["maximize"] else grad
    if decay != 0 and group["decoupled_weight_decay"]:
        p.data *= 1 - lr * decay
    elif decay != 0:
        grad = grad + decay * p.data
    return grad


@functools.cache
def _split(names: str) -> tuple[str, ...]:
    return tuple(names.split())


def _check_hyperparameters(group: dict[str, Any]) -> None:
    for key, words in _NON_NEGATIVE.items():
        # a pair (Adafactor's eps) is checked entry by entry; None there means a default
        values = group[key] if isinstance(group.get(key), (tuple, list)) else (group.get(key),)
        if key in group and not all(v is None or v >= 0 for v in values):  # rejects NaN too
            raise ValueError(f"Invalid {words}: {group[key]} (must be >= 0)")
    for i, beta in enumerate(group.get("betas", ())):
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {beta} (must be in [0, 1))")
    if "etas" in group and not 0.0 < group["etas"][0] < 1.0 < group["etas"][1]:
        raise ValueError(f"Invalid eta values: {group['etas'][0]}, {group['etas'][1]} (must "
                         "be 0 < eta_minus < 1 < eta_plus)")
    if "step_sizes" in group and not 0.0 <= group["step_sizes"][0] <= group["step_sizes"][1]:
        raise ValueError(f"Invalid step sizes: {group['step_sizes'][0]}, "
                         f"{group['step_sizes'][1]} (must be 0 <= min <= max)")
    if group.get("nesterov") and (group["momentum"] <= 0 or group["dampening"] != 0):
        raise ValueError("Nesterov momentum requires a momentum and zero dampening, got "
                         f"momentum={group['momentum']}, dampening={group['dampening']}")


def _copy(value: Any) -> Any:
    return value.copy() if isinstance(value, np.ndarray) else value
