"""``nn.Buffer``: a tensor assigned as a Module attribute that registers as a buffer, as in
PyTorch 2.5+ (``self.x = nn.Buffer(t, persistent=False)``)."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr

nn = cr.nn


def holder(lib):
    class Holder(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.kept = lib.nn.Buffer(lib.arange(3.0))
            self.scratch = lib.nn.Buffer(lib.zeros(2), persistent=False)
            self.weight = lib.nn.Parameter(lib.ones(2))

    return Holder()


def test_an_assigned_buffer_is_registered_with_its_persistence():
    module = holder(cr)
    assert [name for name, _ in module.named_buffers()] == ["kept", "scratch"]
    assert list(module.state_dict()) == ["weight", "kept"]
    assert [name for name, _ in module.named_parameters()] == ["weight"]
    assert module.kept.tolist() == [0.0, 1.0, 2.0] and not module.kept.requires_grad


def test_registration_matches_torch():
    torch = pytest.importorskip("torch")
    ours, theirs = holder(cr), holder(torch)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]


def test_a_buffer_shares_its_sources_memory_and_requires_grad():
    source = cr.ones(2, requires_grad=True)
    buffer = nn.Buffer(source)
    assert buffer.requires_grad and buffer.grad_fn is None
    with cr.no_grad():
        source.mul_(3.0)
    assert buffer.tolist() == [3.0, 3.0]
    assert nn.Buffer([1, 2]).dtype == cr.int64
    assert nn.Buffer().shape == (0,)


def test_buffers_follow_the_module_through_to_and_load_state_dict():
    module = holder(cr).to(cr.float64)
    assert module.kept.dtype == cr.float64 and module.scratch.dtype == cr.float64
    state = {"weight": cr.zeros(2, dtype=cr.float64), "kept": cr.full((3,), 7.0, dtype=cr.float64)}
    module.load_state_dict(state)
    np.testing.assert_array_equal(module.kept.numpy(), [7.0, 7.0, 7.0])


def test_assigning_a_buffer_replaces_an_attribute_of_that_name():
    module = holder(cr)
    module.weight = nn.Buffer(cr.zeros(2))
    assert [n for n, _ in module.named_parameters()] == []
    assert [n for n, _ in module.named_buffers()] == ["kept", "scratch", "weight"]
