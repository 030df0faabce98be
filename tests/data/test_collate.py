"""default_collate: PyTorch's rules, and the two documented differences."""

from __future__ import annotations

from collections import namedtuple

import numpy as np
import pytest

import chainrule as cr
from chainrule.data import default_collate


def test_tuples_of_tensors_become_a_tuple_of_stacked_tensors():
    batch = [(cr.tensor([1.0, 2.0]), cr.tensor(0)), (cr.tensor([3.0, 4.0]), cr.tensor(1))]
    x, y = out = default_collate(batch)
    assert isinstance(out, tuple)
    assert x.shape == (2, 2) and x.dtype == np.float32 and x.tolist() == [[1, 2], [3, 4]]
    assert y.shape == (2,) and y.dtype == np.int64


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.uint8, np.int32])
def test_arrays_are_stacked_keeping_their_dtype(dtype):
    out = default_collate([np.ones((2, 3), dtype), np.zeros((2, 3), dtype)])
    assert isinstance(out, cr.Tensor) and out.shape == (2, 2, 3) and out.dtype == dtype


def test_numbers_become_tensors():
    assert default_collate([1, 2, 3]).dtype == np.int64
    assert default_collate([True, False]).dtype == np.bool_
    assert default_collate([np.float64(1.5), np.float64(2.0)]).dtype == np.float64
    assert default_collate([np.int32(1), np.int32(2)]).dtype == np.int32
    # NOTE: PyTorch makes Python floats float64; chainrule keeps its default float32.
    floats = default_collate([0.5, 1.5])
    assert floats.dtype == np.float32 and floats.tolist() == [0.5, 1.5]


def test_dicts_namedtuples_lists_and_strings():
    Pair = namedtuple("Pair", "x label")
    out = default_collate([{"a": Pair(np.zeros(2), 1), "s": "u"},
                           {"a": Pair(np.ones(2), 2), "s": "v"}])
    assert set(out) == {"a", "s"} and out["s"] == ["u", "v"]
    assert isinstance(out["a"], Pair) and out["a"].label.tolist() == [1, 2]
    assert out["a"].x.shape == (2, 2)
    lists = default_collate([[1, 2.0], [3, 4.0]])
    assert isinstance(lists, list) and lists[0].tolist() == [1, 3]


def test_matches_torch_default_collate_in_shapes_and_integer_dtypes():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    samples = [(rng.random((3, 4)).astype(np.float32), int(k), np.int64(k)) for k in range(5)]
    ours = default_collate(samples)
    theirs = torch.utils.data.default_collate(samples)
    for a, b in zip(ours, theirs):
        assert tuple(a.shape) == tuple(b.shape)
        assert str(a.dtype) == str(b.dtype).removeprefix("torch.")
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_stacking_keeps_the_graph_for_tensors_that_require_grad():
    a = cr.tensor([1.0, 2.0], requires_grad=True)
    out = default_collate([a, a * 2])
    out.sum().backward()
    assert a.grad.tolist() == [3.0, 3.0]


def test_clear_errors():
    with pytest.raises(ValueError, match=r"same shape.*\(2,\).*\(3,\)"):
        default_collate([np.zeros(2), np.zeros(3)])
    with pytest.raises(ValueError, match="same number of fields"):
        default_collate([(1, 2), (1, 2, 3)])
    with pytest.raises(TypeError, match="NoneType"):
        default_collate([None, None])
    with pytest.raises(TypeError, match="unsupported dtype"):
        default_collate([np.array(["a"]), np.array(["b"])])
    with pytest.raises(ValueError, match="empty"):
        default_collate([])
