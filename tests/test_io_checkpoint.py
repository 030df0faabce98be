"""chainrule.save / chainrule.load of whole checkpoints (nested dicts, lists and tuples of
tensors, optimizer and scheduler state dicts, numbers, strings, None), in the safetensors layout
with the structure as JSON metadata (docs/reliability.md R-SEC-8)."""

from __future__ import annotations

import json
import math
import os

import numpy as np
import pytest

import chainrule as cr
from chainrule import io, nn, optim
from chainrule.io import ModelFileError
from chainrule.io_structure import MAX_DEPTH, STRUCTURE_KEY
from chainrule.optim import lr_scheduler

from .optional import needs_torch, torch


def assert_same(loaded, expected, where="checkpoint"):
    """``loaded`` equals ``expected`` in kind (exact type), key types and order, dtype,
    shape and value (NaN equal to NaN), recursively."""
    if isinstance(expected, cr.Tensor):
        assert type(loaded) is cr.Tensor, where
        assert loaded.dtype == expected.dtype and loaded.shape == expected.shape, where
        assert loaded.requires_grad == expected.requires_grad, where
        np.testing.assert_array_equal(loaded.data, expected.data, err_msg=where)
        return
    kind = dict if isinstance(expected, dict) else type(expected)
    assert type(loaded) is kind, f"{where}: {type(loaded)} is not {kind}"
    if isinstance(expected, np.ndarray):
        assert loaded.dtype == expected.dtype and loaded.shape == expected.shape, where
        np.testing.assert_array_equal(loaded, expected, err_msg=where)
    elif isinstance(expected, dict):
        assert [(type(k), k) for k in loaded] == [(type(k), k) for k in expected], where
        for key in expected:
            assert_same(loaded[key], expected[key], f"{where}[{key!r}]")
    elif isinstance(expected, (list, tuple)):
        assert len(loaded) == len(expected), where
        for i, (a, b) in enumerate(zip(loaded, expected)):
            assert_same(a, b, f"{where}[{i}]")
    elif isinstance(expected, float) and math.isnan(expected):
        assert math.isnan(loaded), where
    else:
        assert loaded == expected, where


def every_kind():
    """One of each thing a checkpoint may hold."""
    rng = np.random.default_rng(0)
    tensors = {str(dtype): cr.tensor((rng.standard_normal((2, 3)) * 4).astype(dtype))
               for dtype in (np.float16, np.float32, np.float64, np.int8, np.int16, np.int32,
                             np.int64, np.uint8, np.bool_)}
    return {
        "epoch": 3, "loss": 0.25, "whole_float": 3.0, "flag": True, "off": False, "none": None,
        "name": "run é ✓", "empty": "", "big": 2**70, "negative": -7,
        "specials": [math.inf, -math.inf, math.nan, -0.0, 5e-324, 1.7976931348623157e308],
        "tensors": tensors,
        "scalar_tensor": cr.tensor(2.5), "empty_tensor": cr.zeros(0, 3),
        "leaf": cr.tensor([1.0, 2.0], requires_grad=True),
        "arrays": [np.arange(4), np.zeros((2, 0), np.float32)],
        "numpy_scalars": (np.float32(1.5), np.int64(-3), np.bool_(True), np.float64(0.1)),
        "int_keys": {0: "a", 1: "b", -5: "c"}, "mixed_keys": {1: 1.0, "1": 1},
        "nested": {"tuple": (1, (2, [3, {"deep": ()}])), "list": [[], {}, ()]},
    }


def test_every_kind_of_value_round_trips_with_its_type(tmp_path):
    checkpoint = every_kind()
    cr.save(checkpoint, tmp_path / "ck.safetensors")
    assert_same(cr.load(tmp_path / "ck.safetensors"), checkpoint)


def test_the_comparison_can_fail():
    with pytest.raises(AssertionError):
        assert_same({"a": 1}, {"a": 1.0})
    with pytest.raises(AssertionError):
        assert_same({"a": [1]}, {"a": (1,)})
    with pytest.raises(AssertionError):
        assert_same({1: 0}, {"1": 0})
    with pytest.raises(AssertionError):
        assert_same(cr.tensor([1.0]), cr.tensor([1.0], dtype=cr.float64))


@pytest.mark.parametrize("value", [cr.tensor([[1.0, 2.0]]), [cr.ones(2), 3], (1, "a"), 7, None,
                                   {}, np.arange(3), {"w": cr.ones(2, requires_grad=True)}])
def test_any_top_level_value_round_trips(tmp_path, value):
    cr.save(value, tmp_path / "v.safetensors")
    assert_same(cr.load(tmp_path / "v.safetensors"), value)


def test_a_state_dict_is_written_exactly_as_a_plain_safetensors_file(tmp_path):
    model = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
    cr.save(model.state_dict(), tmp_path / "ours.safetensors", metadata={"k": "v"})
    io.save_file(model.state_dict(), tmp_path / "plain.safetensors", {"k": "v"})
    assert (tmp_path / "ours.safetensors").read_bytes() == \
        (tmp_path / "plain.safetensors").read_bytes()
    assert io.load_metadata(tmp_path / "ours.safetensors") == {"k": "v"}
    loaded = cr.load(tmp_path / "ours.safetensors")
    assert list(loaded) == list(model.state_dict())


@needs_torch
def test_a_state_dict_file_still_loads_in_the_safetensors_library(tmp_path):
    st_numpy = pytest.importorskip("safetensors.numpy")
    st_torch = pytest.importorskip("safetensors.torch")
    model = nn.Linear(3, 2)
    cr.save(model.state_dict(), tmp_path / "m.safetensors")
    arrays = st_numpy.load_file(str(tmp_path / "m.safetensors"))
    assert sorted(arrays) == ["bias", "weight"]
    np.testing.assert_array_equal(arrays["weight"], model.weight.data)
    layer = torch.nn.Linear(3, 2)
    layer.load_state_dict(st_torch.load_file(str(tmp_path / "m.safetensors")))
    np.testing.assert_array_equal(layer.bias.detach().numpy(), model.bias.data)


@needs_torch
def test_a_checkpoint_file_is_still_a_safetensors_file(tmp_path):
    st_torch = pytest.importorskip("safetensors.torch")
    from safetensors import safe_open

    model = nn.Linear(3, 2)
    cr.save({"epoch": 1, "model": model.state_dict()}, tmp_path / "ck.safetensors")
    tensors = st_torch.load_file(str(tmp_path / "ck.safetensors"))
    np.testing.assert_array_equal(tensors["model.weight"].numpy(), model.weight.data)
    with safe_open(str(tmp_path / "ck.safetensors"), framework="pt") as handle:
        structure = json.loads(handle.metadata()[STRUCTURE_KEY])
    assert structure["root"]["dict"][0] == ["epoch", 1]


def _model_and_optimizer(make, seed=0, **kwargs):
    cr.manual_seed(seed)
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))
    opt = make(model.parameters(), **kwargs)
    return model, opt, lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)


def _train(model, opt, scheduler, batches):
    for x, y in batches:
        opt.zero_grad()
        ((model(x) - y) ** 2).mean().backward()
        opt.step()
        scheduler.step()


@pytest.mark.parametrize(("make", "kwargs"), [
    (optim.Adam, {"lr": 0.01, "betas": (0.8, 0.99), "amsgrad": True}),
    (optim.SGD, {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
], ids=["Adam", "SGD-momentum"])
def test_resuming_from_a_saved_checkpoint_matches_an_uninterrupted_run(tmp_path, make, kwargs):
    rng = np.random.default_rng(1)
    batches = [(cr.tensor(rng.standard_normal((5, 4)).astype(np.float32)),
                cr.tensor(rng.standard_normal((5, 1)).astype(np.float32))) for _ in range(8)]
    straight = _model_and_optimizer(make, **kwargs)
    _train(*straight, batches)

    model, opt, scheduler = _model_and_optimizer(make, **kwargs)
    _train(model, opt, scheduler, batches[:5])
    cr.save({"epoch": 5, "model_state_dict": model.state_dict(),
             "optimizer_state_dict": opt.state_dict(),
             "scheduler_state_dict": scheduler.state_dict()}, tmp_path / "ck.pt")
    checkpoint = cr.load(tmp_path / "ck.pt", map_location="cpu", weights_only=True)
    model2, opt2, scheduler2 = _model_and_optimizer(make, seed=9, lr=0.5)
    model2.load_state_dict(checkpoint["model_state_dict"])
    opt2.load_state_dict(checkpoint["optimizer_state_dict"])
    scheduler2.load_state_dict(checkpoint["scheduler_state_dict"])
    assert checkpoint["epoch"] == 5
    _train(model2, opt2, scheduler2, batches[5:])

    for a, b in zip(straight[0].parameters(), model2.parameters()):
        np.testing.assert_array_equal(a.data, b.data)
    assert opt2.param_groups[0]["lr"] == straight[1].param_groups[0]["lr"] != 0.5
    assert scheduler2.last_epoch == straight[2].last_epoch == 8


def test_optimizer_and_scheduler_state_dicts_keep_their_exact_form(tmp_path):
    model, opt, _ = _model_and_optimizer(optim.Adam, lr=0.01)
    scheduler = lr_scheduler.MultiStepLR(opt, milestones=[2, 5])
    plateau = lr_scheduler.ReduceLROnPlateau(opt)
    _train(model, opt, lr_scheduler.StepLR(opt, 2), [(cr.ones(2, 4), cr.zeros(2, 1))])
    states = {"opt": opt.state_dict(), "multistep": dict(scheduler.state_dict()),
              "plateau": plateau.state_dict()}
    states["multistep"]["milestones"] = dict(states["multistep"]["milestones"])  # a Counter
    cr.save(states, tmp_path / "s.safetensors")
    loaded = cr.load(tmp_path / "s.safetensors")
    assert_same(loaded, states)
    assert loaded["opt"]["param_groups"][0]["betas"] == (0.9, 0.999)
    assert set(loaded["opt"]["state"]) == {0, 1, 2, 3}  # integer keys stay integers
    assert loaded["plateau"]["best"] == math.inf
    scheduler.load_state_dict(loaded["multistep"])
    assert scheduler.milestones == {2: 1, 5: 1}


class Holder:
    pass


@pytest.mark.parametrize(("value", "fragments"), [
    ({"model": nn.Linear(2, 2)}, ["checkpoint['model']", "Linear", "state_dict()"]),
    ({"opts": [None, optim.SGD([cr.ones(1, requires_grad=True)], lr=0.1)]},
     ["checkpoint['opts'][1]", "SGD", "state_dict()"]),
    ({"fn": lambda x: x}, ["checkpoint['fn']", "<lambda>", "code"]),
    ({"a": {"b": {1, 2}}}, ["checkpoint['a']['b']", "set", "sorted list"]),
    ({"obj": Holder()}, ["checkpoint['obj']", "Holder", "cannot hold"]),
    ({"bytes": b"xy"}, ["checkpoint['bytes']", "bytes"]),
    ({"k": {1.5: 2}}, ["checkpoint['k']", "1.5", "strings or integers"]),
    ({"k": {(1, 2): 2}}, ["checkpoint['k']", "tuple", "strings or integers"]),
    ({"k": {True: 2}}, ["checkpoint['k']", "bool", "strings or integers"]),
    ({"c": [np.zeros(2, np.complex64)]}, ["checkpoint['c'][0]", "complex64"]),
    ({"o": np.array([None, 1], dtype=object)}, ["checkpoint['o']", "object"]),
], ids=["module", "optimizer", "lambda", "set", "custom-class", "bytes", "float-key",
        "tuple-key", "bool-key", "complex", "object-array"])
def test_what_is_not_data_is_refused_by_where_it_sits(tmp_path, value, fragments):
    with pytest.raises(TypeError) as err:
        cr.save(value, tmp_path / "x.safetensors")
    for fragment in fragments:
        assert fragment in str(err.value)
    assert not any(tmp_path.iterdir())


def test_a_cycle_and_too_deep_a_nesting_are_refused(tmp_path):
    loop: list = [1]
    loop.append({"again": loop})
    with pytest.raises(ValueError, match=r"checkpoint\[1\]\['again'\] contains itself"):
        cr.save(loop, tmp_path / "x.safetensors")
    deep: list = []
    for _ in range(MAX_DEPTH + 1):
        deep = [deep]
    with pytest.raises(ValueError, match=f"more than {MAX_DEPTH} levels"):
        cr.save(deep, tmp_path / "x.safetensors")
    shared = cr.ones(2)
    cr.save({"a": shared, "b": [shared, shared]}, tmp_path / "ok.safetensors")  # not a cycle
    assert_same(cr.load(tmp_path / "ok.safetensors"), {"a": shared, "b": [shared, shared]})


def test_the_structure_metadata_key_is_reserved(tmp_path):
    with pytest.raises(ValueError, match="reserved"):
        cr.save({"a": [1]}, tmp_path / "x.safetensors", metadata={STRUCTURE_KEY: "{}"})
    cr.save({"a": [1]}, tmp_path / "x.safetensors", metadata={"note": "kept"})
    assert io.load_metadata(tmp_path / "x.safetensors")["note"] == "kept"


class FakeDevice:
    type = "cuda"
    index = 0


@pytest.mark.parametrize("map_location", [None, "cpu", "cuda:0", FakeDevice(),
                                          {"cuda:0": "cpu"}, lambda storage, loc: storage])
@pytest.mark.parametrize("weights_only", [None, True, False])
def test_map_location_and_weights_only_are_accepted_and_load_onto_the_cpu(
        tmp_path, map_location, weights_only):
    checkpoint = {"w": cr.ones(2, 2), "step": 4}
    cr.save(checkpoint, tmp_path / "ck.safetensors")
    loaded = cr.load(tmp_path / "ck.safetensors", map_location, weights_only=weights_only)
    assert_same(loaded, checkpoint)


def test_bad_load_options_are_type_errors():
    with pytest.raises(TypeError, match="map_location must be"):
        cr.load("unused.safetensors", map_location=3)
    with pytest.raises(TypeError, match="weights_only must be a bool"):
        cr.load("unused.safetensors", weights_only="yes")
    with pytest.raises(TypeError, match="mmap must be a bool"):
        cr.load("unused.safetensors", mmap=1)


def test_file_objects_are_refused_with_the_reason(tmp_path):
    import io as stdlib_io

    with pytest.raises(TypeError, match="save: f must be a path .* BytesIO"):
        cr.save({"a": 1}, stdlib_io.BytesIO())
    with pytest.raises(TypeError, match="load: f must be a path"):
        cr.load(stdlib_io.BytesIO(b"x"))
    cr.save({"a": 1}, str(tmp_path / "s.safetensors"))  # str, bytes and PathLike paths work
    assert cr.load(os.fsencode(tmp_path / "s.safetensors"), mmap=True) == {"a": 1}


def _write_structure(path, structure, arrays=None) -> None:
    text = structure if isinstance(structure, str) else json.dumps(structure)
    io.save_file({} if arrays is None else arrays, path, {STRUCTURE_KEY: text})


W = {"w": np.ones(2, np.float32)}
MALFORMED = [
    ("not json", "{", None, "not valid JSON"),
    ("nan constant", '{"version": 1, "root": NaN}', None, "NaN"),
    ("not an object", [1], None, "exactly version and root"),
    ("extra field", {"version": 1, "root": 1, "x": 2}, None, "exactly version and root"),
    ("version 2", {"version": 2, "root": 1}, None, "version 2"),
    ("version true", {"version": True, "root": 1}, None, "version True"),
    ("unknown node", {"version": 1, "root": {"set": [1]}}, None, "unknown node"),
    ("two kinds", {"version": 1, "root": {"tuple": [], "dict": []}}, None, "unknown node"),
    ("empty object", {"version": 1, "root": {}}, None, "not a structure node"),
    ("bad float", {"version": 1, "root": {"float": "1.5"}}, None, "unknown float"),
    ("float overflow", '{"version": 1, "root": 1e999}', None, "out of range"),
    ("tuple of a dict", {"version": 1, "root": {"tuple": {}}}, None, "must hold a list"),
    ("dict not pairs", {"version": 1, "root": {"dict": [[1]]}}, None, "[key, value] pair"),
    ("dict of an object", {"version": 1, "root": {"dict": {}}}, None, "list of pairs"),
    ("bool key", {"version": 1, "root": {"dict": [[True, 1]]}}, None, "keys must be"),
    ("null key", {"version": 1, "root": {"dict": [[None, 1]]}}, None, "keys must be"),
    ("repeated key", {"version": 1, "root": {"dict": [["a", 1], ["a", 2]]}}, None, "twice"),
    ("duplicate json key", '{"version": 1, "version": 1, "root": 1}', None, "duplicate key"),
    ("missing entry", {"version": 1, "root": {"tensor": "v"}}, W, "does not have"),
    ("entry named twice", {"version": 1, "root": [{"tensor": "w"}, {"ndarray": "w"}]}, W,
     "second time"),
    ("unreferenced entry", {"version": 1, "root": 1}, W, "not in its structure"),
    ("entry name not a string", {"version": 1, "root": {"tensor": 0}}, W, "does not have"),
    ("extra field on a tensor", {"version": 1, "root": {"tensor": "w", "x": 1}}, W,
     "unknown node"),
    ("requires_grad not a bool", {"version": 1, "root": {"tensor": "w", "requires_grad": 1}},
     W, "unknown node"),
    ("requires_grad on ints", {"version": 1, "root": {"tensor": "i", "requires_grad": True}},
     {"i": np.arange(2)}, "requires grad"),
    ("numpy scalar of shape (2,)", {"version": 1, "root": {"numpy": "w"}}, W, "shape (2,)"),
    ("too deep", {"version": 1, "root": json.loads("[" * 150 + "]" * 150)}, None,
     "levels deep"),
    ("json too deep to parse", '{"version": 1, "root": ' + "[" * 100_000 + "]" * 100_000 + "}",
     None, "not valid JSON"),
    ("huge integer", '{"version": 1, "root": ' + "9" * 5000 + "}", None, "not valid JSON"),
]


@pytest.mark.parametrize(("structure", "arrays", "fragment"),
                         [case[1:] for case in MALFORMED], ids=[case[0] for case in MALFORMED])
def test_a_malformed_structure_is_a_model_file_error_naming_the_file(
        tmp_path, structure, arrays, fragment):
    path = tmp_path / "bad.safetensors"
    _write_structure(path, structure, arrays)
    with pytest.raises(ModelFileError) as err:
        cr.load(path)
    assert str(path) in str(err.value) and fragment in str(err.value)


def test_a_structure_past_the_size_limit_is_refused(tmp_path, monkeypatch):
    from chainrule import io_structure

    _write_structure(tmp_path / "big.safetensors", {"version": 1, "root": list(range(100))})
    assert len(cr.load(tmp_path / "big.safetensors")) == 100
    monkeypatch.setattr(io_structure, "MAX_STRUCTURE_CHARS", 100)
    with pytest.raises(ModelFileError, match="more than 100"):
        cr.load(tmp_path / "big.safetensors")


def test_a_hand_written_valid_structure_loads(tmp_path):
    structure = {"version": 1, "root": {"dict": [
        [0, {"tuple": [1, 2.0, {"float": "-inf"}]}],
        ["w", {"tensor": "weights", "requires_grad": True}],
        ["s", {"numpy": "s"}]]}}
    _write_structure(tmp_path / "ok.safetensors", structure,
                     {"weights": np.ones(2), "s": np.array(3, np.int32)})
    expected = {0: (1, 2.0, -math.inf), "w": cr.tensor(np.ones(2), requires_grad=True),
                "s": np.int32(3)}
    assert_same(cr.load(tmp_path / "ok.safetensors"), expected)
