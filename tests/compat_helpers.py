"""Helpers of the compat-name tests (tests/test_compat_*.py): the same call on chainrule and on
torch, from NumPy inputs, and a comparison of the results' values and dtypes."""

from __future__ import annotations

from typing import Any

import numpy as np

import chainrule
from tests.optional import torch


def as_lib(lib: Any, value: Any, requires_grad: bool = False) -> Any:
    """``value`` (an ndarray, or anything else, passed on) as a tensor of ``lib``."""
    if not isinstance(value, np.ndarray):
        return value
    if lib is chainrule:
        return chainrule.tensor(value.copy(), requires_grad=requires_grad)
    return torch.tensor(value.copy(), requires_grad=requires_grad)


def call(lib: Any, fn: Any, args: tuple, kwargs: dict | None = None) -> Any:
    """``fn(lib, *args, **kwargs)`` with the ndarray arguments made tensors of ``lib``."""
    return fn(lib, *[as_lib(lib, a) for a in args], **(kwargs or {}))


def values(t: Any) -> np.ndarray:
    return np.asarray(t.detach().cpu().numpy() if hasattr(t, "cpu") else t.detach().data)


def dtype_name(t: Any) -> str:
    return str(t.dtype).removeprefix("torch.")


def assert_same(ours: Any, theirs: Any) -> None:
    """Equal results: tensors in values (to float32 roundoff), shape and dtype; sequences
    element by element; anything else by ==."""
    if isinstance(theirs, (tuple, list)):
        assert isinstance(ours, (tuple, list)) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            assert_same(a, b)
        return
    if torch is not None and isinstance(theirs, torch.Tensor):
        assert isinstance(ours, chainrule.Tensor), type(ours)
        assert tuple(ours.shape) == tuple(theirs.shape)
        assert dtype_name(ours) == dtype_name(theirs)
        np.testing.assert_allclose(values(ours), values(theirs), rtol=1e-6, atol=1e-6,
                                   equal_nan=True)
        return
    assert ours == theirs and type(ours) is type(theirs)
