"""Hostile and random checkpoint structures: every object built of the kinds a checkpoint may
hold round-trips with its types, and every mutated or random structure document ends in
ModelFileError or loads, never in another exception (docs/reliability.md R-SEC-8)."""

from __future__ import annotations

import json

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import chainrule as cr
from chainrule import io
from chainrule.io import ModelFileError
from chainrule.io_structure import STRUCTURE_KEY

from .test_io_checkpoint import assert_same

FUZZ = settings(max_examples=200, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow,
                                       HealthCheck.function_scoped_fixture])

DTYPES = [np.float16, np.float32, np.float64, np.int8, np.int32, np.int64, np.uint8, np.bool_]
ARRAY = st.builds(lambda dtype, shape, seed: (np.random.default_rng(seed).standard_normal(shape)
                                              * 3).astype(dtype),
                  st.sampled_from(DTYPES), st.lists(st.integers(0, 3), max_size=3).map(tuple),
                  st.integers(0, 2**32 - 1))
LEAF = st.one_of(
    st.none(), st.booleans(), st.integers(-2**80, 2**80), st.floats(allow_nan=True),
    st.text(max_size=8), ARRAY, ARRAY.map(cr.tensor),
    ARRAY.filter(lambda a: a.dtype.kind == "f").map(lambda a: cr.tensor(a, requires_grad=True)),
    ARRAY.filter(lambda a: a.ndim == 0).map(lambda a: a[()]),
)
KEY = st.one_of(st.text(max_size=5), st.integers(-5, 5))
OBJECT = st.recursive(LEAF, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.lists(inner, max_size=4).map(tuple),
    st.dictionaries(KEY, inner, max_size=4)), max_leaves=20)


@FUZZ
@given(obj=OBJECT)
def test_any_object_of_checkpoint_values_round_trips(tmp_path, obj):
    path = tmp_path / "ck.safetensors"
    cr.save(obj, path)
    assert_same(cr.load(path), obj)


def _mutations(text: str) -> st.SearchStrategy:
    """Strings near ``text``: a character deleted, replaced or inserted, a slice cut out."""
    position = st.integers(0, len(text) - 1)
    char = st.sampled_from('{}[]",:01-.e"tensordictuplefloat\\ ') | st.characters()
    return st.one_of(
        st.builds(lambda i: text[:i] + text[i + 1:], position),
        st.builds(lambda i, c: text[:i] + c + text[i + 1:], position, char),
        st.builds(lambda i, c: text[:i] + c + text[i:], position, char),
        st.builds(lambda i, j: text[:min(i, j)] + text[max(i, j):], position, position),
    )


def _checkpoint_file(tmp_path):
    checkpoint = {"epoch": 2, "w": cr.ones(2, 3), "opt": {"state": {0: {"m": np.zeros(3)}},
                                                          "groups": [{"betas": (0.9, 0.99)}]},
                  "s": np.float32(1.5), "x": [float("nan"), None, "t"]}
    path = tmp_path / "valid.safetensors"
    cr.save(checkpoint, path)
    arrays, metadata = io.load_file(path)
    return arrays, metadata[STRUCTURE_KEY]


def _load_or_model_file_error(path) -> None:
    try:
        cr.load(path)
    except ModelFileError as err:
        assert str(path) in str(err)


@FUZZ
@given(data=st.data())
def test_mutated_structures_end_in_model_file_error_or_load(tmp_path, data):
    arrays, text = _checkpoint_file(tmp_path)
    mutated = data.draw(_mutations(text))
    path = tmp_path / "mutated.safetensors"
    io.save_file(arrays, path, {STRUCTURE_KEY: mutated})
    _load_or_model_file_error(path)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
    | st.sampled_from(["w", "b", "tensor", "ndarray", "numpy", "dict", "tuple", "float", "nan",
                       "requires_grad", "version", "root"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["tensor", "ndarray", "numpy", "dict", "tuple", "float",
                         "requires_grad", "version", "root", "x"]), inner, max_size=3),
    max_leaves=15)


@FUZZ
@given(root=JSON, version=st.sampled_from([1, 1, 1, 2, 1.0, "1"]))
def test_random_json_structures_end_in_model_file_error_or_load(tmp_path, root, version):
    path = tmp_path / "random.safetensors"
    arrays = {"w": np.ones(2, np.float32), "b": np.array(1.0)}
    io.save_file(arrays, path, {STRUCTURE_KEY: json.dumps({"version": version, "root": root})})
    _load_or_model_file_error(path)


def test_the_fuzzed_file_is_valid_before_it_is_mutated(tmp_path):
    arrays, text = _checkpoint_file(tmp_path)
    path = tmp_path / "same.safetensors"
    io.save_file(arrays, path, {STRUCTURE_KEY: text})
    loaded = cr.load(path)
    assert loaded["epoch"] == 2 and loaded["opt"]["groups"][0]["betas"] == (0.9, 0.99)
