"""Training checkpoints that resume bit for bit: model, optimizer, scheduler, data order, RNG.

One checkpoint is one safetensors file (written atomically): every array of the state (weights,
buffers, optimizer moments) is a tensor in it, and everything else (epoch, step, learning-rate
schedule, hyperparameters, the data loader's order and the package generator's state) is JSON
in its ``__metadata__``. Nothing is pickled, so loading a checkpoint cannot run code.

Example:
    >>> import chainrule, tempfile, os
    >>> model = chainrule.nn.Linear(2, 1)
    >>> opt = chainrule.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    >>> path = os.path.join(tempfile.mkdtemp(), "ckpt.safetensors")
    >>> Checkpoint(model, opt).save(path, epoch=3, step=120)
    >>> Checkpoint(model, opt).load(path)["step"]
    120
"""

from __future__ import annotations

import json
import math
import os
from typing import Any

import numpy as np

from .. import random as package_random
from ..io import ModelFileError, load_file, save_file
from ..tensor import Tensor

_METADATA_KEY = "chainrule.checkpoint"
FORMAT_VERSION = 1


class Checkpoint:
    """Saves and restores the state of a training run.

    Args:
        model: the Module being trained.
        optimizer, scheduler, loader: optional; their ``state_dict`` is saved too.
    """

    def __init__(self, model: Any, optimizer: Any = None, scheduler: Any = None,
                 loader: Any = None) -> None:
        self.parts = {"model": model, "optimizer": optimizer, "scheduler": scheduler,
                      "loader": loader}

    def state(self, epoch: int, step: int, extra: dict | None) -> dict[str, Any]:
        state = {name: part.state_dict() for name, part in self.parts.items()
                 if part is not None}
        state["model"] = {k: v.data for k, v in state["model"].items()}
        state.update(epoch=epoch, step=step, extra=extra or {},
                     rng=package_random.get_rng_state(), version=FORMAT_VERSION)
        return state

    def save(self, path: str | os.PathLike, epoch: int = 0, step: int = 0,
             extra: dict | None = None) -> None:
        """Write the checkpoint atomically: a crash mid-write leaves the old file intact."""
        arrays: dict[str, np.ndarray] = {}
        skeleton = _pack(self.state(epoch, step, extra), "", arrays)
        save_file(arrays, path, {_METADATA_KEY: json.dumps(skeleton, allow_nan=False)})

    def load(self, path: str | os.PathLike) -> dict[str, Any]:
        """Restore every part given to the constructor, and the package generator: all of
        them or, if any part of the file does not fit, none.

        Returns:
            ``{"epoch": …, "step": …, "extra": {…}}`` as saved.

        Raises:
            ModelFileError: the file is not a valid checkpoint for these parts; it names the
                problem, and nothing was changed.
        """
        arrays, metadata = load_file(path)
        state = _read_state(metadata, arrays, str(path))
        parts = {name: part for name, part in self.parts.items() if part is not None}
        _check_fit(state, parts, str(path))
        _restore_all(state, parts, str(path))
        return {"epoch": state["epoch"], "step": state["step"], "extra": state["extra"]}


_FIELDS = {"model", "optimizer", "scheduler", "loader", "epoch", "step", "extra", "rng",
           "version"}
_MAX_DEPTH = 64  # of the JSON skeleton; real checkpoints nest about 6 deep


def _read_state(metadata: dict[str, str], arrays: dict[str, np.ndarray], path: str) -> dict:
    """The checkpoint's state: JSON skeleton and arrays, checked for the shape of a state."""
    if _METADATA_KEY not in metadata:
        raise ModelFileError(f"{path}: not a chainrule checkpoint (no {_METADATA_KEY!r} "
                             "metadata); use chainrule.load for plain model files")
    try:
        state = _unpack(json.loads(metadata[_METADATA_KEY]), arrays, 0)
    except (ValueError, RecursionError) as err:  # JSONDecodeError and ModelFileError too
        raise ModelFileError(f"{path}: the checkpoint's state is malformed: {err}") from None
    if not isinstance(state, dict) or not set(state) <= _FIELDS:
        raise ModelFileError(f"{path}: the checkpoint's state must be a dict of "
                             f"{sorted(_FIELDS)}")
    if state.get("version") != FORMAT_VERSION:
        raise ModelFileError(f"{path}: checkpoint format version {state.get('version')!r}; "
                             f"this chainrule reads version {FORMAT_VERSION}")
    for name, kind in (("epoch", int), ("step", int), ("extra", dict), ("rng", dict)):
        if not isinstance(state.get(name), kind) or isinstance(state.get(name), bool):
            raise ModelFileError(f"{path}: the checkpoint's {name} must be a {kind.__name__}")
    return state


def _check_fit(state: dict, parts: dict[str, Any], path: str) -> None:
    """Check what can be checked without touching the parts: each has a state, the model's
    arrays match its own, and the generator state is one NumPy accepts."""
    for name in parts:
        if name not in state:
            raise ModelFileError(f"{path}: the checkpoint holds no {name} state")
    own = {key: value.data for key, value in parts["model"].state_dict().items()}
    saved = state["model"]
    if not isinstance(saved, dict):
        raise ModelFileError(f"{path}: the checkpoint's model state is not a dict")
    problems = [f"missing {key!r}" for key in own if key not in saved]
    problems += [f"unexpected {key!r}" for key in saved if key not in own]
    problems += [f"{key!r} is {_describe(saved[key])}, the model's is {_describe(array)}"
                 for key, array in own.items() if key in saved and not _same_kind(saved[key],
                                                                                   array)]
    if problems:
        raise ModelFileError(f"{path}: the model state does not fit the model: "
                             + "; ".join(problems[:10]))
    if not _unsigned_128(state["rng"]):
        raise ModelFileError(f"{path}: the checkpoint's generator state is invalid (its "
                             "integers must lie in [0, 2**128))")
    probe = type(package_random.default_generator().bit_generator)()
    try:
        probe.state = state["rng"]
    except Exception as err:  # NOTE: any error of a throwaway generator means a bad state
        raise ModelFileError(f"{path}: the checkpoint's generator state is invalid "
                             f"({type(err).__name__}: {err})") from None


def _unsigned_128(value: Any) -> bool:
    """Every integer in a generator state lies in [0, 2**128), what NumPy's bit generators
    hold. NumPy 1.26 would wrap a negative one into a valid state with only a warning; NumPy 2
    raises: checked here, both refuse it."""
    if isinstance(value, dict):
        return all(_unsigned_128(item) for item in value.values())
    if isinstance(value, int) and not isinstance(value, bool):
        return 0 <= value < 2**128
    return True


def _restore_all(state: dict, parts: dict[str, Any], path: str) -> None:
    """Load every part's state; if one refuses its state, put back those already loaded."""
    before = {name: _snapshot(part, name) for name, part in parts.items()}
    for name, part in parts.items():
        try:
            part.load_state_dict(state[name])
        except (ValueError, TypeError, KeyError, IndexError, OverflowError, RuntimeError) as err:
            for done in parts:
                parts[done].load_state_dict(before[done])
                if done == name:
                    break
            raise ModelFileError(f"{path}: the checkpoint's {name} state does not fit: "
                                 f"{err}") from err
    package_random.set_rng_state(state["rng"])  # checked by _check_fit: cannot fail


def _snapshot(part: Any, name: str) -> Any:
    state = part.state_dict()
    if name == "model":  # a module's state_dict holds its live tensors, not copies
        return {key: value.data.copy() for key, value in state.items()}
    return state


def _same_kind(saved: Any, own: np.ndarray) -> bool:
    return isinstance(saved, np.ndarray) and saved.shape == own.shape and \
        saved.dtype == own.dtype


def _describe(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"{value.dtype} of shape {value.shape}"
    return f"a {type(value).__name__}"


def _pack(value: Any, key: str, arrays: dict[str, np.ndarray]) -> Any:
    """JSON-able skeleton of ``value``; arrays are moved into ``arrays`` under dotted keys.

    Dict keys that are not strings, tuples and non-finite floats are tagged so they come back
    as they were, and the JSON stays strict (no ``Infinity`` or ``NaN`` tokens).
    """
    if isinstance(value, Tensor):
        value = value.data
    if isinstance(value, np.ndarray):
        arrays[key] = value
        return {"__array__": key}
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value):
            return {k: _pack(v, f"{key}.{k}" if key else k, arrays) for k, v in value.items()}
        return {"__items__": [[k, _pack(v, f"{key}.{k}", arrays)] for k, v in value.items()]}
    if isinstance(value, (list, tuple)):
        items = [_pack(v, f"{key}.{i}", arrays) for i, v in enumerate(value)]
        return {"__tuple__": items} if isinstance(value, tuple) else items
    if isinstance(value, float) and not math.isfinite(value):
        return {"__float__": repr(value)}  # 'inf', '-inf' or 'nan'
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"cannot checkpoint {key or 'value'} of type {type(value).__name__}")


def _unpack(value: Any, arrays: dict[str, np.ndarray], depth: int) -> Any:
    """The state that ``_pack`` made ``value`` of; a ModelFileError if it is not one."""
    if depth > _MAX_DEPTH:
        raise ModelFileError(f"nested more than {_MAX_DEPTH} levels deep")
    if isinstance(value, list):
        return [_unpack(v, arrays, depth + 1) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        tag, content = next(iter(value.items()))
        if tag in _TAGS:
            return _TAGS[tag](content, arrays, depth + 1)
    return {k: _unpack(v, arrays, depth + 1) for k, v in value.items()}


def _unpack_array(name: Any, arrays: dict[str, np.ndarray], depth: int) -> np.ndarray:
    if not isinstance(name, str) or name not in arrays:
        raise ModelFileError(f"checkpoint array {name!r} is missing")
    return arrays[name]


def _unpack_items(items: Any, arrays: dict[str, np.ndarray], depth: int) -> dict:
    if not isinstance(items, list) or not all(
            isinstance(item, list) and len(item) == 2 and _is_scalar(item[0]) for item in items):
        raise ModelFileError("a tagged dict ('__items__') must be a list of [key, value] pairs")
    return {k: _unpack(v, arrays, depth + 1) for k, v in items}


def _unpack_tuple(items: Any, arrays: dict[str, np.ndarray], depth: int) -> tuple:
    if not isinstance(items, list):
        raise ModelFileError("a tagged tuple ('__tuple__') must be a list")
    return tuple(_unpack(v, arrays, depth + 1) for v in items)


def _unpack_float(text: Any, arrays: dict[str, np.ndarray], depth: int) -> float:
    if text not in ("inf", "-inf", "nan"):
        raise ModelFileError(f"a tagged float ('__float__') must be inf, -inf or nan, got "
                             f"{text!r}")
    return float(text)


_TAGS = {"__array__": _unpack_array, "__items__": _unpack_items, "__tuple__": _unpack_tuple,
         "__float__": _unpack_float}


def _is_scalar(key: Any) -> bool:
    return key is None or isinstance(key, (str, int, float))
