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
        save_file(arrays, path, {_METADATA_KEY: json.dumps(skeleton)})

    def load(self, path: str | os.PathLike) -> dict[str, Any]:
        """Restore every part given to the constructor, and the package generator.

        Returns:
            ``{"epoch": …, "step": …, "extra": {…}}`` as saved.
        """
        arrays, metadata = load_file(path)
        if _METADATA_KEY not in metadata:
            raise ModelFileError(f"{path}: not a chainrule checkpoint (no {_METADATA_KEY!r} "
                                 "metadata); use chainrule.load for plain model files")
        state = _unpack(json.loads(metadata[_METADATA_KEY]), arrays)
        for name, part in self.parts.items():
            if part is not None:
                if name not in state:
                    raise ValueError(f"{path}: the checkpoint holds no {name} state")
                part.load_state_dict(state[name])
        package_random.set_rng_state(state["rng"])
        return {"epoch": state["epoch"], "step": state["step"], "extra": state["extra"]}


def _pack(value: Any, key: str, arrays: dict[str, np.ndarray]) -> Any:
    """JSON-able skeleton of ``value``; arrays are moved into ``arrays`` under dotted keys.

    Dict keys that are not strings, and tuples, are tagged so they come back as they were.
    """
    if isinstance(value, Tensor):
        value = value.data
    if isinstance(value, np.ndarray):
        arrays[key] = value
        return {"__array__": key}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value):
            return {k: _pack(v, f"{key}.{k}" if key else k, arrays) for k, v in value.items()}
        return {"__items__": [[k, _pack(v, f"{key}.{k}", arrays)] for k, v in value.items()]}
    if isinstance(value, (list, tuple)):
        items = [_pack(v, f"{key}.{i}", arrays) for i, v in enumerate(value)]
        return {"__tuple__": items} if isinstance(value, tuple) else items
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"cannot checkpoint {key or 'value'} of type {type(value).__name__}")


def _unpack(value: Any, arrays: dict[str, np.ndarray]) -> Any:
    if isinstance(value, list):
        return [_unpack(v, arrays) for v in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"__array__"}:
        if value["__array__"] not in arrays:
            raise ModelFileError(f"checkpoint array {value['__array__']!r} is missing")
        return arrays[value["__array__"]]
    if set(value) == {"__items__"}:
        return {k: _unpack(v, arrays) for k, v in value["__items__"]}
    if set(value) == {"__tuple__"}:
        return tuple(_unpack(v, arrays) for v in value["__tuple__"])
    return {k: _unpack(v, arrays) for k, v in value.items()}
