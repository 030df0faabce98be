"""``load_state_dict(strict=...)``: strict (the default) refuses missing and unexpected keys,
naming every one of them; strict=False loads what matches and returns the rest by name
(R-SEC-3). Shape mismatches raise either way."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn


def model(seed=0):
    cr.manual_seed(seed)
    return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))


def arrays(module):
    return {key: np.array(value.data) for key, value in module.state_dict().items()}


def damaged_state():
    """Another model's state with two keys dropped and two foreign ones added."""
    state = arrays(model(seed=1))
    del state["0.bias"], state["1.running_var"]
    state["3.weight"] = np.zeros((2, 2))
    state["1.gamma"] = np.ones(4)
    return state


MISSING = ["0.bias", "1.running_var"]
UNEXPECTED = ["3.weight", "1.gamma"]


@pytest.mark.parametrize("call", [
    lambda m, s: m.load_state_dict(s),
    lambda m, s: m.load_state_dict(s, strict=True),
    lambda m, s: m.load_state_dict(s, True),
], ids=["default", "strict=True", "positional"])
def test_strict_loading_raises_and_names_every_missing_and_unexpected_key(call):
    target = model()
    with pytest.raises(RuntimeError) as error:
        call(target, damaged_state())
    message = str(error.value)
    for key in MISSING + UNEXPECTED:
        assert repr(key) in message, (key, message)
    assert "missing" in message and "unexpected" in message


def test_non_strict_loading_returns_the_mismatched_keys_and_loads_the_rest():
    target = model()
    before = arrays(target)
    state = damaged_state()
    result = target.load_state_dict(state, strict=False)
    assert sorted(result.missing_keys) == sorted(MISSING)
    assert sorted(result.unexpected_keys) == sorted(UNEXPECTED)
    missing_keys, unexpected_keys = result  # a (missing, unexpected) pair, as in PyTorch
    assert sorted(missing_keys) == sorted(MISSING)
    after = arrays(target)
    for key, value in after.items():
        expected = before[key] if key in MISSING else state[key]
        np.testing.assert_array_equal(value, np.asarray(expected, dtype=value.dtype), key)


def test_a_complete_state_loads_strictly_with_nothing_to_report():
    target, source = model(), model(seed=1)
    result = target.load_state_dict(source.state_dict())
    assert list(result.missing_keys) == [] and list(result.unexpected_keys) == []
    for key, value in arrays(source).items():
        np.testing.assert_array_equal(arrays(target)[key], value)


@pytest.mark.parametrize("strict", [True, False])
def test_a_shape_mismatch_raises_whatever_strict_says(strict):
    target = model()
    before = arrays(target)
    state = arrays(model(seed=1))
    state["2.weight"] = np.zeros((2, 5))
    with pytest.raises(RuntimeError, match=r"2\.weight.*\(2, 5\)"):
        target.load_state_dict(state, strict=strict)
    for key, value in arrays(target).items():
        np.testing.assert_array_equal(value, before[key])  # nothing half-loaded
