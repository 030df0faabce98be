"""PyTorch's optimizer flags that choose how it runs the arithmetic (``foreach``, ``fused``,
``capturable``): every chainrule optimizer takes each of them where torch's does, by the same
name and in the same position, and steps exactly as without them; ``differentiable=True``,
which would ask for autograd through the step, is refused rather than ignored."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import chainrule
import chainrule.optim as optim
from tests.optional import needs_torch, torch

FLAGS = ("foreach", "fused", "capturable", "differentiable")
NAMES = ["SGD", "Adam", "AdamW", "Adagrad", "RMSprop", "Rprop", "Adadelta", "Adamax", "NAdam",
         "RAdam", "ASGD", "Adafactor"]


def torch_flags(name: str) -> dict[str, inspect.Parameter]:
    """The flags torch's optimizer ``name`` takes, by name."""
    parameters = inspect.signature(getattr(torch.optim, name).__init__).parameters
    return {flag: parameters[flag] for flag in FLAGS if flag in parameters}


def params():
    return [chainrule.tensor(np.array([[0.5, -1.0], [2.0, 0.25]]), requires_grad=True)]


def two_steps(name: str, **flags) -> np.ndarray:
    p = params()
    opt = getattr(optim, name)(p, lr=0.1, **flags)
    for _ in range(2):
        opt.zero_grad()
        (p[0] ** 3).sum().backward()
        opt.step()
    return p[0].detach().numpy()


@needs_torch
@pytest.mark.parametrize("name", NAMES)
def test_each_flag_of_torchs_is_taken_by_name_and_position(name):
    ours = inspect.signature(getattr(optim, name).__init__).parameters
    order = list(ours)
    theirs_order = list(inspect.signature(getattr(torch.optim, name).__init__).parameters)
    for flag, theirs in torch_flags(name).items():
        assert flag in ours, f"{name} lacks {flag}"
        assert ours[flag].kind == theirs.kind, f"{name}.{flag}: {ours[flag].kind}"
        if theirs.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD:  # the same position
            assert order.index(flag) == theirs_order.index(flag), f"{name}.{flag}"


@needs_torch
@pytest.mark.parametrize("name", NAMES)
def test_the_flags_change_no_step(name):
    want = two_steps(name)
    flags = {flag: True for flag in torch_flags(name) if flag != "differentiable"}
    np.testing.assert_array_equal(two_steps(name, **flags), want)


@pytest.mark.parametrize("name", [n for n in NAMES if n != "Adafactor"])
def test_differentiable_true_is_refused_by_name(name):
    with pytest.raises(NotImplementedError, match=f"{name}: differentiable=True"):
        getattr(optim, name)(params(), lr=0.1, differentiable=True)
    getattr(optim, name)(params(), lr=0.1, differentiable=False)  # PyTorch's default: taken
