"""Helpers of the tests that run the same model in chainrule and in PyTorch
(``test_module_methods.py``, ``test_module_state_hooks.py``)."""

from __future__ import annotations

import inspect

import numpy as np

import chainrule as cr
from tests.optional import torch


def net(L):
    """The same small model in either library (``L`` is chainrule or torch)."""

    class Net(L.nn.Module):
        def __init__(self):
            super().__init__()
            self.body = L.nn.Sequential(L.nn.Linear(2, 3), L.nn.BatchNorm1d(3))
            self.head = L.nn.Linear(3, 1)
            self.register_buffer("scale", L.ones(1), persistent=False)
            self.register_buffer("nothing", None)
            self.register_parameter("absent", None)
            self.empty = None
            self.plain = 3

    return Net()


def outcome(function, *args, **kwargs):
    """("ok", what ``function(*args, **kwargs)`` returns) or (error type name, message)."""
    try:
        return "ok", function(*args, **kwargs)
    except Exception as err:
        return type(err).__name__, str(err)


def both(make):
    """``make(L)`` for chainrule and for torch."""
    return make(cr), make(torch)


def same_weights(ours, theirs):
    theirs.load_state_dict({k: torch.from_numpy(np.array(v.numpy()))
                            for k, v in ours.state_dict().items()})


def dtype_name(dtype):
    """``float32`` for chainrule's float32 and for ``torch.float32``."""
    return str(dtype).split(".")[-1]


def signature(function):
    return [(p.name, p.kind, p.default) for p in inspect.signature(function).parameters.values()]
