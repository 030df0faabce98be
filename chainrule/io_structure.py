"""The structure of a saved object, as JSON, for model files that hold more than a flat dict
of tensors (layer L3: it needs only the Tensor): a training checkpoint such as
``{"epoch": 3, "model_state_dict": ..., "optimizer_state_dict": ...}``.

Every tensor or array of the object becomes an entry of the file, named by its path
(``"optimizer_state_dict.state.0.exp_avg"``); the rest is one JSON document stored as the
string ``__metadata__["chainrule.structure"]``:

    {"version": 1, "root": NODE}

where a NODE is one of

    null, true, false, a string, an integer, a finite float   the value itself
    [NODE, ...]                                               a list
    {"tuple": [NODE, ...]}                                    a tuple
    {"dict": [[KEY, NODE], ...]}                              a dict; KEY a string or an integer
    {"float": "nan" | "inf" | "-inf"}                         a float JSON cannot write
    {"tensor": NAME} (+ "requires_grad": true)                a chainrule Tensor
    {"ndarray": NAME}                                         a NumPy array
    {"numpy": NAME}                                           a NumPy scalar (a 0-d entry)

JSON itself keeps an integer (``3``) apart from a float (``3.0``) and a bool. Nothing is
pickled: an object that is not data (a Module, an optimizer, a function, a set) is refused
with a TypeError naming where it sits. ``decode`` checks the document as strictly as the
header is checked (strict JSON, at most ``MAX_STRUCTURE_CHARS`` characters and ``MAX_DEPTH``
levels, only the node kinds above, no duplicate dict key, every entry of the file referenced
exactly once) and raises ``StructureError`` naming the problem and where it sits.
"""

from __future__ import annotations

import json
import math
import os
import reprlib
from typing import Any, Collection, Mapping

import numpy as np

from .tensor import Tensor

STRUCTURE_KEY = "chainrule.structure"
VERSION = 1
MAX_DEPTH = 100
MAX_STRUCTURE_CHARS = 64 * 1024 * 1024
_SPECIAL_FLOATS = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}
_ENTRY_KINDS = ("tensor", "ndarray", "numpy")
_NODE_KINDS = (*_ENTRY_KINDS, "tuple", "dict", "float")


class StructureError(ValueError):
    """The structure document of a model file is malformed (io names the file)."""


def is_flat_state(obj: Any, dtypes: Collection[np.dtype]) -> bool:
    """Whether ``obj`` is a dict of str → array or Tensor that requires no grad (a
    state_dict): saved as plain safetensors, as the safetensors library would write it."""
    return isinstance(obj, Mapping) and all(
        isinstance(key, str) and key != "__metadata__"
        and isinstance(value, (Tensor, np.ndarray)) and value.dtype in dtypes
        and not getattr(value, "requires_grad", False)
        for key, value in obj.items())


# ------------------------------------------------------------------ writing


def encode(obj: Any, dtypes: Collection[np.dtype]) -> tuple[dict[str, np.ndarray], str]:
    """The entries (name → array) and the structure document of ``obj``.

    Raises:
        TypeError: for an object that is not data, a dict key that is not a str or an int, or
            an array of a dtype outside ``dtypes``, naming where it sits.
        ValueError: for an object that contains itself or is nested deeper than MAX_DEPTH.
    """
    encoder = _Encoder(dtypes)
    root = encoder.node(obj, (), 0)
    text = json.dumps({"version": VERSION, "root": root}, separators=(",", ":"),
                      allow_nan=False)
    return encoder.arrays, text


class _Encoder:
    def __init__(self, dtypes: Collection[np.dtype]) -> None:
        self.dtypes = dtypes
        self.arrays: dict[str, np.ndarray] = {}
        self.open: set[int] = set()  # ids of the containers being encoded: a cycle check

    def node(self, value: Any, path: tuple, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise ValueError(f"save: {where(path)} is nested more than {MAX_DEPTH} levels deep")
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, Tensor):
            node = {"tensor": self.entry(value.data, path)}
            return {**node, "requires_grad": True} if value.requires_grad else node
        if isinstance(value, np.ndarray):
            return {"ndarray": self.entry(value, path)}
        if isinstance(value, np.generic):  # before float: np.float64 is a float
            return {"numpy": self.entry(np.asarray(value), path)}
        if isinstance(value, int):
            return int(value)
        if isinstance(value, float):
            return float(value) if math.isfinite(value) else {"float": repr(float(value))}
        if isinstance(value, (Mapping, list, tuple)):
            return self.container(value, path, depth)
        raise TypeError(refusal(value, path))

    def container(self, value: Any, path: tuple, depth: int) -> Any:
        if id(value) in self.open:
            raise ValueError(f"save: {where(path)} contains itself; a file can hold only a tree")
        self.open.add(id(value))
        if isinstance(value, Mapping):
            node = {"dict": [[self.key(key, path), self.node(item, (*path, key), depth + 1)]
                             for key, item in value.items()]}
        else:
            items = [self.node(item, (*path, i), depth + 1) for i, item in enumerate(value)]
            node = {"tuple": items} if isinstance(value, tuple) else items
        self.open.discard(id(value))
        return node

    @staticmethod
    def key(key: Any, path: tuple) -> str | int:
        if isinstance(key, str) or (isinstance(key, int) and not isinstance(key, bool)):
            return key if isinstance(key, str) else int(key)
        raise TypeError(f"save: {where(path)} has a key {key!r} of type {type(key).__name__}; "
                        "dict keys must be strings or integers")

    def entry(self, array: np.ndarray, path: tuple) -> str:
        if array.dtype not in self.dtypes:
            raise TypeError(f"save: cannot save {where(path)}: dtype {array.dtype} is not "
                            "supported")
        base = ".".join(map(str, path)) or "tensor"
        name, n = base, 1
        while name in self.arrays or name == "__metadata__":
            n += 1
            name = f"{base}#{n}"
        self.arrays[name] = array
        return name


def refusal(value: Any, path: tuple) -> str:
    """Why ``value`` cannot be saved, and what to save instead."""
    kind = type(value).__name__
    if callable(getattr(value, "state_dict", None)):
        return (f"save: {where(path)} is a {kind} object, which is not data: save its "
                f"state_dict() instead, then rebuild the {kind} and call load_state_dict() "
                "on what load returns (files never hold code, nothing is pickled)")
    if callable(value):
        return (f"save: {where(path)} is a {kind} ({getattr(value, '__name__', kind)}), which "
                "is code, not data: files never hold code (nothing is pickled)")
    hint = " (save a set as a sorted list)" if isinstance(value, (set, frozenset)) else ""
    return (f"save: {where(path)} is a {kind}, which a model file cannot hold: only "
            "tensors, arrays, numbers, strings, None and dicts, lists and tuples of them "
            f"(nothing is pickled){hint}")


def where(path: tuple) -> str:
    """``checkpoint['model'][0]``: the place of a value inside the saved object."""
    return "checkpoint" + "".join(f"[{_short(key)}]" for key in path)


# ------------------------------------------------------------------ reading


def decode(text: str, arrays: Mapping[str, np.ndarray]) -> Any:
    """The object that the structure document ``text`` describes, with ``arrays`` (name →
    array, the file's entries) in place of their names.

    Raises:
        StructureError: naming the first problem and where it sits.
    """
    if len(text) > MAX_STRUCTURE_CHARS:
        raise StructureError(f"the structure has {len(text)} characters, more than "
                             f"{MAX_STRUCTURE_CHARS}")
    document = _parse(text)
    if not isinstance(document, dict) or set(document) != {"version", "root"}:
        raise StructureError("the structure must be an object with exactly version and root")
    if type(document["version"]) is not int or document["version"] != VERSION:
        raise StructureError(f"structure version {_short(document['version'])} is not "
                             f"{VERSION}, the only one this version of chainrule reads")
    decoder = _Decoder(arrays)
    root = decoder.node(document["root"], (), 0)
    unused = [name for name in arrays if name not in decoder.used]
    if unused:
        raise StructureError(f"entry {_short(unused[0])} is in the file but not in its "
                             "structure")
    return root


def _parse(text: str) -> Any:
    def no_duplicates(pairs: list) -> dict:
        if len({key for key, _ in pairs}) != len(pairs):
            raise StructureError("the structure has an object with a duplicate key")
        return dict(pairs)

    def no_constants(token: str) -> Any:
        raise StructureError(f"the structure contains {token}, which JSON does not allow")

    try:
        return json.loads(text, object_pairs_hook=no_duplicates, parse_constant=no_constants)
    except StructureError:
        raise
    # NOTE: ValueError also covers integers of more than 4,300 digits, which int() refuses.
    except (ValueError, RecursionError) as err:
        raise StructureError(f"the structure is not valid JSON ({_short(str(err))})") from None


class _Decoder:
    def __init__(self, arrays: Mapping[str, np.ndarray]) -> None:
        self.arrays = arrays
        self.used: set[str] = set()

    def node(self, node: Any, path: tuple, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise StructureError(f"{where(path)} is nested more than {MAX_DEPTH} levels deep")
        if node is None or isinstance(node, (bool, str, int)):
            return node
        if isinstance(node, float):
            if not math.isfinite(node):  # 1e999 parses as inf
                raise StructureError(f"{where(path)} is a number out of range")
            return node
        if isinstance(node, list):
            return [self.node(item, (*path, i), depth + 1) for i, item in enumerate(node)]
        if not isinstance(node, dict) or not node:
            raise StructureError(f"{where(path)} is not a structure node")
        kinds = [key for key in node if key in _NODE_KINDS]
        if len(kinds) != 1:
            raise StructureError(f"{where(path)} is an unknown node {_short(node)}")
        kind = kinds[0]
        if kind in _ENTRY_KINDS:
            return self.entry(kind, node, path)
        if len(node) != 1:
            raise StructureError(f"{where(path)} is an unknown node {_short(node)}")
        if kind == "float":
            if not isinstance(node[kind], str) or node[kind] not in _SPECIAL_FLOATS:
                raise StructureError(f"{where(path)} is an unknown float {_short(node[kind])}")
            return _SPECIAL_FLOATS[node[kind]]
        if kind == "tuple":
            if not isinstance(node[kind], list):
                raise StructureError(f"{where(path)}: a tuple node must hold a list")
            return tuple(self.node(item, (*path, i), depth + 1)
                         for i, item in enumerate(node[kind]))
        return self.dict(node[kind], path, depth)

    def dict(self, pairs: Any, path: tuple, depth: int) -> dict:
        if not isinstance(pairs, list):
            raise StructureError(f"{where(path)}: a dict node must hold a list of pairs")
        result: dict = {}
        for pair in pairs:
            if not isinstance(pair, list) or len(pair) != 2:
                raise StructureError(f"{where(path)}: a dict item must be a [key, value] pair")
            key = pair[0]
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                raise StructureError(f"{where(path)} has a key {_short(key)}; keys must be "
                                     "strings or integers")
            if key in result:
                raise StructureError(f"{where(path)} has the key {_short(key)} twice")
            result[key] = self.node(pair[1], (*path, key), depth + 1)
        return result

    def entry(self, kind: str, node: dict, path: tuple) -> Any:
        name, grad = node[kind], node.get("requires_grad", False)
        allowed = {kind, "requires_grad"} if kind == "tensor" else {kind}
        if not set(node) <= allowed or grad is not True and grad is not False:
            raise StructureError(f"{where(path)} is an unknown node {_short(node)}")
        if not isinstance(name, str) or name not in self.arrays:
            raise StructureError(f"{where(path)} names entry {_short(name)}, which the file "
                                 "does not have")
        if name in self.used:
            raise StructureError(f"{where(path)} names entry {_short(name)} a second time")
        self.used.add(name)
        array = self.arrays[name]
        if kind == "numpy":
            if array.ndim != 0:
                raise StructureError(f"{where(path)} is a NumPy scalar, but entry "
                                     f"{_short(name)} has shape {array.shape}")
            return array[()]
        if kind == "ndarray":
            return array
        if grad and array.dtype.kind != "f":
            raise StructureError(f"{where(path)} requires grad, but its entry is {array.dtype}")
        return Tensor(array, dtype=array.dtype, requires_grad=grad)


_SHORT = reprlib.Repr()  # (its keyword arguments are Python 3.12+)
_SHORT.maxstring, _SHORT.maxlist, _SHORT.maxdict, _SHORT.maxlong = 60, 8, 4, 40


def _short(value: Any) -> str:
    """``repr(value)`` cut to a readable length, for error messages about hostile files."""
    return _SHORT.repr(value)


# ------------------------------------------------------------------ load's options


def check_load_options(map_location: Any, weights_only: Any, mmap: Any = None) -> None:
    """Accept what ``torch.load`` accepts for these (a file is always loaded onto the CPU,
    whole, and never unpickled, so none of them changes what loading does).

    Raises:
        TypeError: for a ``map_location`` that is no device, string, dict or callable, or a
            ``weights_only`` or ``mmap`` that is not a bool or None.
    """
    device_like = hasattr(map_location, "type")  # torch.device, chainrule.device
    if not (map_location is None or device_like or callable(map_location)
            or isinstance(map_location, (str, Mapping))):
        raise TypeError("load: map_location must be None, a device, a string, a dict or a "
                        f"callable, got a {type(map_location).__name__}")
    for name, value in (("weights_only", weights_only), ("mmap", mmap)):
        if value is not None and not isinstance(value, bool):
            raise TypeError(f"load: {name} must be a bool or None, got "
                            f"{type(value).__name__}")


def check_path(caller: str, path: Any) -> None:
    """Refuse a file object where a path is needed, saying why."""
    if not isinstance(path, (str, bytes, os.PathLike)):
        raise TypeError(f"{caller}: f must be a path (a str or os.PathLike), got a "
                        f"{type(path).__name__}: chainrule {caller}s model files by name "
                        "(writes are atomic renames), so file objects such as io.BytesIO "
                        "are not supported")
