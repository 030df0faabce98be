"""Every function of ``torch``, ``torch.autograd``, ``torch.nn.functional`` and
``torch.utils.data``, every method of ``Tensor``, ``nn.Module``, ``optim.Optimizer`` and the
learning-rate schedulers' bases, and every class of ``torch.nn``, ``torch.optim``,
``torch.optim.lr_scheduler`` and ``torch.utils.data`` that chainrule has takes each of torch
2.13's parameters by its name, and its positional parameters in torch's order, so that a
PyTorch call with keywords or positions reaches the same parameters.

Names whose signature torch does not expose (C functions) are not compared. Departures are
listed in ``KNOWN`` with the reason; each must still be one (``test_known_departures_...``)."""

from __future__ import annotations

import inspect

import pytest

import chainrule
import chainrule.data
import chainrule.functional
import chainrule.optim.lr_scheduler
from tests.optional import needs_torch, torch

pytestmark = needs_torch

KINDS_BY_POSITION = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)

# "group.name": why chainrule's signature differs from torch's
KNOWN: dict[str, str] = {}


def groups():
    """(group, torch namespace, chainrule namespace, what is compared): "functions" compares
    the namespace's callables that are not classes, "classes" its classes' constructors,
    "methods" a class's methods."""
    if torch is None:
        return []
    import importlib
    schedulers = importlib.import_module("torch.optim.lr_scheduler")
    data = importlib.import_module("torch.utils.data")
    return [("torch", torch, chainrule, "functions"),
            ("Tensor", torch.Tensor, chainrule.Tensor, "methods"),
            ("Module", torch.nn.Module, chainrule.nn.Module, "methods"),
            ("Optimizer", torch.optim.Optimizer, chainrule.optim.Optimizer, "methods"),
            ("LRScheduler", schedulers.LRScheduler, chainrule.optim.lr_scheduler.LRScheduler,
             "methods"),
            ("ReduceLROnPlateau", schedulers.ReduceLROnPlateau,
             chainrule.optim.lr_scheduler.ReduceLROnPlateau, "methods"),
            ("autograd", torch.autograd, chainrule.autograd, "functions"),
            ("F", torch.nn.functional, chainrule.functional, "functions"),
            ("nn", torch.nn, chainrule.nn, "classes"),
            ("optim", torch.optim, chainrule.optim, "classes"),
            ("lr_scheduler", schedulers, chainrule.optim.lr_scheduler, "classes"),
            ("data", data, chainrule.data, "classes"),
            ("data", data, chainrule.data, "functions")]


def pairs():
    """(label, torch callable, chainrule callable) for every public name both have."""
    found = []
    for group, theirs, ours, kind in groups():
        for name in sorted(dir(theirs)):
            if name.startswith("_") or not hasattr(ours, name):
                continue
            t, c = getattr(theirs, name), getattr(ours, name)
            if isinstance(t, type) or isinstance(c, type):
                if kind == "classes" and isinstance(t, type) and isinstance(c, type):
                    found.append((f"{group}.{name}", t.__init__, c.__init__))
            elif kind != "classes" and callable(t) and callable(c):
                found.append((f"{group}.{name}", t, c))
    return found


def parameters(fn) -> dict[str, inspect.Parameter] | None:
    try:
        found = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return None
    return {n: p for n, p in found.items() if n != "self"}


def differences(theirs, ours) -> list[str]:
    """What a torch call could pass that chainrule's signature would not take the same way."""
    t, c = parameters(theirs), parameters(ours)
    if t is None or c is None:
        return []
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in c.values())
    named = [n for n, p in t.items()
             if p.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)]
    problems = [f"no parameter {n!r}" for n in named if n not in c and not takes_any]
    t_pos = [n for n, p in t.items() if p.kind in KINDS_BY_POSITION]
    c_pos = [n for n, p in c.items() if p.kind in KINDS_BY_POSITION]
    problems += [f"position {i}: torch's {a!r}, chainrule's {b!r}"
                 for i, (a, b) in enumerate(zip(t_pos, c_pos)) if a != b]
    return problems


PAIRS = pairs()
CHECKED = [p for p in PAIRS if p[0] not in KNOWN]


@pytest.mark.parametrize(("label", "theirs", "ours"), CHECKED, ids=[p[0] for p in CHECKED])
def test_torchs_parameters_reach_the_same_parameters(label, theirs, ours):
    assert differences(theirs, ours) == []


def test_known_departures_are_still_departures():
    found = {p[0]: p for p in PAIRS}
    for label in KNOWN:
        assert label in found, f"{label} is no longer compared: drop it from KNOWN"
        _, theirs, ours = found[label]
        assert differences(theirs, ours), f"{label} now matches torch: drop it from KNOWN"


def test_the_comparison_covers_the_common_api():
    """Guards the guard: the names compared include the ones scripts use most."""
    labels = {p[0] for p in PAIRS}
    for label in ("F.relu", "F.dropout", "F.cross_entropy", "F.conv2d", "nn.Linear",
                  "nn.Conv2d", "nn.LSTM", "optim.Adam", "optim.SGD", "lr_scheduler.StepLR",
                  "data.DataLoader", "data.random_split", "torch.save", "torch.load",
                  "torch.norm", "Tensor.split", "Tensor.norm", "autograd.grad",
                  "autograd.backward"):
        assert label in labels
