"""Checks of the state dicts that optimizers and schedulers load (from a checkpoint file, say).

A state is refused with a ValueError naming the field unless it has the fields of the object
that loads it, and no others, with values of the kinds it holds: a flag stays a bool, a
hyperparameter a finite real number, a counter an integer, a list the same length. The checks
run before anything changes, so a refused state leaves the object as it was.
"""

from __future__ import annotations

import math
import numbers
from collections import defaultdict
from typing import Any, Mapping

import numpy as np

from ..tensor import Tensor

# Keys that schedulers add to an optimizer's parameter groups.
SCHEDULER_GROUP_KEYS = ("initial_lr", "max_lr", "min_lr", "max_momentum", "base_momentum")

# Scheduler fields that hold integers (when the scheduler holds one there), fields that are
# never negative, fields that may be infinite, and fields that may be None or a number.
_INTEGER_FIELDS = {"last_epoch", "_step_count", "patience", "cooldown", "cooldown_counter",
                   "num_bad_epochs", "step_size", "total_iters", "total_steps", "T_max",
                   "T_0", "T_i", "T_mult", "_milestones", "max_iter", "max_eval",
                   "history_size"}
_NON_NEGATIVE_FIELDS = {"lr", "initial_lr", "max_lr", "min_lr", "base_lrs", "_last_lr",
                        "min_lrs", "default_min_lr", "eta_min", "eps", "threshold",
                        "_step_count", "patience", "cooldown", "cooldown_counter",
                        "num_bad_epochs", "step_size", "total_iters", "total_steps",
                        "T_0", "T_i", "T_mult", "T_cur", "_milestones", "max_lrs",
                        "total_size", "step_ratio", "base_momentums", "max_momentums"}
_UNBOUNDED_FIELDS = {"best", "mode_worse"}
# Hyperparameters of optimizers that the generic checks do not bound: their ranges.
_RANGES = {"rho": (0.0, 1.0), "momentum_decay": (0.0, math.inf),
           "tolerance_grad": (0.0, math.inf), "tolerance_change": (0.0, math.inf),
           "max_iter": (1, math.inf), "max_eval": (1, math.inf), "history_size": (1, math.inf)}
_OPTIONAL_FIELDS = {"default_min_lr"}
# Hyperparameters holding a tuple whose entries may be None (a default) or a number.
_OPTIONAL_ENTRIES = {"eps"}
# Hyperparameters that name one of a few choices: a saved state may hold any of them, as in
# PyTorch, where the loaded group's settings replace the optimizer's own.
_CHOICES = {"adjust_lr_fn": (None, "original", "match_rms_adamw")}


def checked_optimizer_state(optimizer: Any, state_dict: Any) -> tuple[list[dict], dict]:
    """The parameter groups and per-parameter state that ``state_dict`` gives ``optimizer``.

    Raises:
        ValueError: naming the first field that does not fit.
    """
    if not isinstance(state_dict, Mapping) or set(state_dict) != {"state", "param_groups"}:
        raise ValueError("an optimizer state dict has exactly 'state' and 'param_groups'")
    saved_groups = state_dict["param_groups"]
    if not isinstance(saved_groups, (list, tuple)):
        raise ValueError("the state dict's param_groups is not a list")
    if len(saved_groups) != len(optimizer.param_groups):
        raise ValueError(f"loaded state dict has {len(saved_groups)} parameter groups, "
                         f"this optimizer has {len(optimizer.param_groups)}")
    groups, by_index = [], {}
    for i, (saved, group) in enumerate(zip(saved_groups, optimizer.param_groups)):
        groups.append(_checked_group(saved, group, optimizer.defaults, i))
        by_index.update(zip(saved["params"], group["params"]))
    if len(by_index) != sum(len(group["params"]) for group in groups):
        raise ValueError("loaded state dict names one parameter index in two groups")
    kinds = {name: "number" for name in getattr(optimizer, "_number_state", ())}
    kinds.update(getattr(optimizer, "_state_kinds", {}))
    flat_size = sum(p.data.size for group in groups for p in group["params"])
    return groups, _checked_parameter_states(state_dict["state"], by_index, kinds, flat_size)


def _checked_group(saved: Any, group: dict, defaults: dict, i: int) -> dict[str, Any]:
    if not isinstance(saved, Mapping):
        raise ValueError(f"parameter group {i} is a {type(saved).__name__}, not a dict")
    params = saved.get("params")
    if not isinstance(params, (list, tuple)) or not all(map(_is_index, params)) \
            or len(set(params)) != len(params):
        raise ValueError(f"parameter group {i}: params must be distinct parameter indices")
    if len(params) != len(group["params"]):
        raise ValueError(f"loaded state dict has {len(params)} parameters in group {i}, this "
                         f"optimizer has {len(group['params'])}")
    unknown = sorted(map(str, set(saved) - set(defaults) - set(group) - {"params"}
                         - set(SCHEDULER_GROUP_KEYS)))
    missing = sorted(set(defaults) - set(saved))
    if unknown or missing:
        raise ValueError(f"parameter group {i} has unknown fields {unknown} or lacks "
                         f"{missing}")
    restored = {"params": group["params"]}
    for key, value in saved.items():
        if key != "params":
            like = defaults.get(key, group.get(key, 0.0))
            restored[key] = _checked_value(value, like, f"parameter group {i}: {key}", key)
    return restored


def _checked_parameter_states(saved: Any, by_index: dict[int, Tensor],
                              kinds: dict[str, str], flat_size: int) -> dict:
    if not isinstance(saved, Mapping):
        raise ValueError("the state dict's state is not a dict")
    state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
    for key, entries in saved.items():
        p = by_index.get(_as_index(key))
        if p is None:
            raise ValueError(f"loaded state dict has state for parameter {key!r}, which is in "
                             "none of its parameter groups")
        if not isinstance(entries, Mapping):
            raise ValueError(f"the state of parameter {key!r} is not a dict")
        state[p] = {name: _checked_entry(name, value, p, kinds.get(name), flat_size)
                    for name, value in entries.items()}
    return state


def _checked_entry(name: Any, value: Any, p: Tensor, kind: str | None = None,
                   flat_size: int = 0) -> Any:
    """One entry of a parameter's state. Most are arrays of the parameter's shape; an
    optimizer names the others in ``_number_state`` (finite numbers, e.g. NAdam's
    ``mu_product``) or ``_state_kinds`` (name → "count", "number", "numbers", "flat" or
    "flats"; LBFGS's: "flat" is a 1-D array of ``flat_size`` entries, every parameter's; or
    "rows" / "columns", Adafactor's factors: the parameter's shape with its last, or its
    next-to-last, dimension 1, for a parameter of 2 dimensions or more).
    """
    if name == "step" or kind == "count":
        if not _is_index(value):
            raise ValueError(f"state {name!r} must be a non-negative integer, got {value!r}")
        return int(value)
    if kind == "number":
        return float(_checked_number(value, f"state {name!r}", ""))
    if kind == "numbers":
        if not isinstance(value, (list, tuple)):
            raise ValueError(f"state {name!r} must be a list of numbers, got {value!r}")
        return [float(_checked_number(v, f"state {name!r}", "")) for v in value]
    if kind in ("flat", "flats"):
        many = value if kind == "flats" else [value]
        if not isinstance(many, (list, tuple)):
            raise ValueError(f"state {name!r} must be a list of arrays, got {value!r}")
        arrays = []
        for item in many:
            if not isinstance(item, (np.ndarray, Tensor)):
                raise ValueError(f"state {name!r} must hold arrays, got a "
                                 f"{type(item).__name__}")
            array = np.array(item.data if isinstance(item, Tensor) else item, dtype=p.dtype)
            if array.shape != (flat_size,):
                raise ValueError(f"loaded state {name!r} has shape {array.shape}, but the "
                                 f"parameters have {flat_size} entries in all")
            arrays.append(array)
        return arrays if kind == "flats" else arrays[0]
    if not isinstance(value, (np.ndarray, Tensor)):
        raise ValueError(f"state {name!r} must be an array, got a {type(value).__name__}")
    array = np.array(value.data if isinstance(value, Tensor) else value, dtype=p.dtype)
    if kind in ("rows", "columns"):
        if p.ndim < 2:
            raise ValueError(f"loaded state {name!r}: a parameter of shape {p.shape} has no "
                             "factors (only those of 2 dimensions or more)")
        want = factor_shape(p.shape, kind)
        if array.shape != want:
            raise ValueError(f"loaded state {name!r} has shape {array.shape}, but the {kind} "
                             f"factor of a parameter of shape {p.shape} has {want}")
        return array
    if array.shape != p.shape:
        raise ValueError(f"loaded state {name!r} has shape {array.shape}, but its parameter "
                         f"has shape {p.shape}")
    return array


def factor_shape(shape: tuple[int, ...], kind: str) -> tuple[int, ...]:
    """The shape of a "rows" factor (``shape`` with its last dimension 1) or a "columns" one
    (its next-to-last dimension 1): Adafactor's row and column second moments."""
    factor = list(shape)
    factor[-1 if kind == "rows" else -2] = 1
    return tuple(factor)


def checked_scheduler_state(own: dict[str, Any], saved: Any, kind: str,
                            choices: Mapping[str, tuple] | None = None) -> dict[str, Any]:
    """The fields ``saved`` gives a scheduler whose own ``state_dict()`` is ``own``: exactly
    its fields, each of the kind it holds (a string field must be one of ``choices[field]``,
    or else stay as it is).

    Raises:
        ValueError: naming the first field that does not fit.
    """
    if not isinstance(saved, Mapping):
        raise ValueError(f"a {kind} state must be a dict, got a {type(saved).__name__}")
    unknown, missing = sorted(map(str, set(saved) - set(own))), sorted(set(own) - set(saved))
    if unknown or missing:
        raise ValueError(f"{kind} state has unknown fields {unknown} or lacks {missing}")
    restored, choices = {}, choices or {}
    for key, value in saved.items():
        where = f"{kind} state {key}"
        if key in choices:
            if value not in choices[key]:
                raise ValueError(f"{where} must be one of {choices[key]}, got {value!r}")
            restored[key] = value
        elif key in _OPTIONAL_FIELDS and (value is None or own[key] is None):
            restored[key] = None if value is None else _checked_value(value, 0.0, where, key)
        else:
            restored[key] = _checked_value(value, own[key], where, key)
    return restored


def checked_function_states(own: Any, saved: Any, where: str) -> Any:
    """The states a scheduler's function field gets from ``saved``, where its own
    ``state_dict()`` has ``own``: None (a function, nothing to restore) or the ``__dict__``
    of a callable object, or a list of these, one per group.

    Raises:
        ValueError: naming the first entry that does not fit.
    """
    if isinstance(own, list):
        if not isinstance(saved, (list, tuple)) or len(saved) != len(own):
            raise ValueError(f"{where} must be a list of {len(own)} entries, got {saved!r}")
        return [checked_function_states(o, s, f"{where}[{i}]")
                for i, (o, s) in enumerate(zip(own, saved))]
    if saved is None:
        return None
    if own is None:
        raise ValueError(f"{where} holds the state of a callable object, but this scheduler "
                         f"holds a function there: expected None, got {saved!r}")
    return checked_scheduler_state(own, saved, where)


def _checked_value(value: Any, like: Any, where: str, field: str = "") -> Any:
    """``value`` if it is of the kind of ``like`` (containers element by element), or one of
    the choices of a ``_CHOICES`` field."""
    if field in _CHOICES:
        if not any(value is c or (isinstance(value, str) and value == c)
                   for c in _CHOICES[field]):
            raise ValueError(f"{where} must be one of {list(_CHOICES[field])}, got {value!r}")
        return value
    if like is None:
        if value is not None:
            raise ValueError(f"{where} must be None, got {value!r}")
        return None
    if isinstance(like, (bool, np.bool_)):
        if not isinstance(value, (bool, np.bool_)):
            raise ValueError(f"{where} must be a bool, got {value!r}")
        return bool(value)
    if _is_real(like):
        return _checked_number(value, where, field, integer=isinstance(like, numbers.Integral)
                               and field in _INTEGER_FIELDS)
    if isinstance(like, str):
        if value != like:
            raise ValueError(f"{where} must stay {like!r}, got {value!r}")
        return value
    if isinstance(like, (list, tuple)):
        if not isinstance(value, (list, tuple)) or len(value) != len(like):
            raise ValueError(f"{where} must be a list of {len(like)} values, got {value!r}")
        items = [None if v is None and field in _OPTIONAL_ENTRIES else
                 _checked_value(v, 0.0 if u is None and field in _OPTIONAL_ENTRIES else u,
                                where, field) for v, u in zip(value, like)]
        return tuple(items) if isinstance(like, tuple) else items
    if isinstance(like, Mapping):
        if not isinstance(value, Mapping) or not all(map(_is_real, value.values())) \
                or not all(isinstance(k, type(next(iter(like), 0))) for k in value):
            raise ValueError(f"{where} must map numbers as {type(like).__name__} does")
        return type(like)({k: _checked_number(v, where, "") for k, v in value.items()})
    raise ValueError(f"{where} holds a {type(like).__name__}, which a state cannot restore")


def _checked_number(value: Any, where: str, field: str, integer: bool = False) -> Any:
    if not _is_real(value) or (integer and not isinstance(value, numbers.Integral)):
        raise ValueError(f"{where} must be {'an integer' if integer else 'a number'}, "
                         f"got {value!r}")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if math.isnan(number) or (math.isinf(number) and field not in _UNBOUNDED_FIELDS):
        raise ValueError(f"{where} must be finite, got {value!r}")
    if number < 0 and field in _NON_NEGATIVE_FIELDS:
        raise ValueError(f"{where} must be >= 0, got {value!r}")
    low, high = _RANGES.get(field, (-math.inf, math.inf))
    if not low <= number <= high:
        raise ValueError(f"{where} must be in [{low}, {high}], got {value!r}")
    return value


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def _is_index(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_)) \
        and value >= 0


def _as_index(key: Any) -> int | None:
    """A parameter index from a state key: an int, or its digits (after a JSON round trip)."""
    if isinstance(key, str) and key.isdigit() and key.isascii():
        return int(key)
    return int(key) if _is_index(key) else None
