"""Hostile checkpoints: random bytes, mutated files, and valid files whose state has one field
changed, removed or added. Checkpoint.load either restores everything, with values the parts
accept, or raises ModelFileError and changes nothing."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import chainrule as cr
from chainrule import io, nn
from chainrule.data import DataLoader, TensorDataset
from chainrule.io import ModelFileError
from chainrule.optim import lr_scheduler
from chainrule.train import Checkpoint
from chainrule.train.checkpoint import _METADATA_KEY, _pack

FUZZ = settings(max_examples=150, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow,
                                       HealthCheck.function_scoped_fixture])


def make_parts(kind: str) -> list:
    """A model, optimizer, scheduler and loader that have taken a few steps."""
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    data = TensorDataset(cr.randn(12, 3), cr.randn(12, 2))
    if kind == "adam_onecycle":
        optimizer = cr.optim.Adam(model.parameters(), lr=0.01, amsgrad=True)
        scheduler = lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=50)
        loader = DataLoader(data, batch_size=4, shuffle=True)
    else:
        optimizer = cr.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True)
        scheduler = lr_scheduler.ReduceLROnPlateau(optimizer, patience=1)  # best is inf
        loader = DataLoader(data, batch_size=4, shuffle=True,
                            generator=np.random.default_rng(1))
    batches = iter(loader)
    for _ in range(2):
        x, y = next(batches)
        optimizer.zero_grad()
        ((model(x) - y) ** 2).mean().backward()
        optimizer.step()
        if kind == "adam_onecycle":
            scheduler.step()
    return [model, optimizer, scheduler, loader]


def fingerprint(parts: list) -> tuple:
    """Everything a checkpoint would hold of ``parts`` (and the package generator)."""
    arrays: dict[str, np.ndarray] = {}
    skeleton = _pack(Checkpoint(*parts).state(0, 0, None), "", arrays)
    return (json.dumps(skeleton, sort_keys=True),
            {name: (a.dtype.str, a.shape, a.tobytes()) for name, a in arrays.items()})


def attribute_names(parts: list) -> list:
    return [sorted(vars(part)) for part in parts]


@pytest.fixture(scope="module", params=["adam_onecycle", "sgd_plateau"])
def setup(request, tmp_path_factory):
    parts = make_parts(request.param)
    path = tmp_path_factory.mktemp("ckpt") / "valid.safetensors"
    Checkpoint(*parts).save(path, epoch=1, step=2, extra={"note": "x"})
    return parts, path.read_bytes(), attribute_names(parts)


def assert_all_or_nothing(path, parts: list, names: list) -> None:
    before = fingerprint(parts)
    try:
        info = Checkpoint(*parts).load(path)
    except ModelFileError as err:
        assert path.name in str(err)
        assert fingerprint(parts) == before, "a refused checkpoint changed a part"
        return
    assert attribute_names(parts) == names, "a checkpoint added or removed an attribute"
    assert set(info) == {"epoch", "step", "extra"}
    for group in parts[1].param_groups:
        hyper = [v for k, v in group.items() if k != "params"]
        numbers = [float(x) for v in hyper for x in (v if isinstance(v, tuple) else (v,))]
        assert all(math.isfinite(x) for x in numbers) and group["lr"] >= 0
    assert all(lr >= 0 and math.isfinite(lr) for lr in parts[2].get_last_lr())


@FUZZ
@given(blob=st.binary(max_size=300))
def test_random_bytes(tmp_path, setup, blob):
    parts, _, names = setup
    path = tmp_path / "random.safetensors"
    path.write_bytes(blob)
    assert_all_or_nothing(path, parts, names)


@FUZZ
@given(data=st.data())
def test_mutated_bytes(tmp_path, setup, data):
    parts, valid, names = setup
    mutated = bytearray(valid)
    for _ in range(data.draw(st.integers(1, 4))):
        position = data.draw(st.integers(0, len(mutated) - 1))
        mutated[position] = data.draw(st.integers(0, 255))
    path = tmp_path / "mutated.safetensors"
    path.write_bytes(bytes(mutated[:data.draw(st.integers(len(valid) // 2, len(valid)))]))
    assert_all_or_nothing(path, parts, names)


HOSTILE = [
    -5, -1, 0, 1, 0.5, 2, 1e308, -1e308, float("inf"), float("-inf"), float("nan"), 2**63,
    10**4000, "x", "", None, True, False, [], {}, [1, 2, 3], [[[[[[[[1]]]]]]]], {"a": 1},
    {"__array__": "nope"}, {"__array__": "model.0.weight"}, {"__items__": 5},
    {"__items__": [[[1], 2]]}, {"__tuple__": {}}, {"__tuple__": [1, 2, 3]},
    {"__float__": "1"}, {"__float__": "inf"}, {"__class__": "os.system"},
    json.loads("[" * 200 + "]" * 200),
]


def places(tree, path=()):
    """Every (container, key) of a JSON tree, the containers themselves included."""
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield tree, key
            yield from places(value, path + (key,))
    elif isinstance(tree, list):
        for i, value in enumerate(tree):
            yield tree, i
            yield from places(value, path + (i,))


@FUZZ
@given(data=st.data())
def test_one_field_changed_removed_or_added(tmp_path, setup, data):
    parts, valid, names = setup
    source = tmp_path / "valid.safetensors"
    source.write_bytes(valid)
    arrays, metadata = io.load_file(source)
    skeleton = json.loads(metadata[_METADATA_KEY])
    container, key = data.draw(st.sampled_from(list(places(skeleton))))
    action = data.draw(st.sampled_from(["replace", "replace", "remove", "add"]))
    if action == "replace":
        container[key] = data.draw(st.sampled_from(HOSTILE))
    elif action == "remove":
        del container[key]
    elif isinstance(container, dict):
        container[data.draw(st.sampled_from(["__dict__", "step", "lr", "x", "0"]))] = \
            data.draw(st.sampled_from(HOSTILE))
    else:
        container.append(data.draw(st.sampled_from(HOSTILE)))
    path = tmp_path / "changed.safetensors"
    io.save_file(arrays, path, {_METADATA_KEY: json.dumps(skeleton)})
    assert_all_or_nothing(path, parts, names)


def test_the_valid_checkpoint_loads_and_the_checks_can_fail(tmp_path, setup):
    parts, valid, names = setup
    path = tmp_path / "valid.safetensors"
    path.write_bytes(valid)
    assert_all_or_nothing(path, parts, names)
    with pytest.raises(AssertionError):
        assert_all_or_nothing(path, parts, [[]])
