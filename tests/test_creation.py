"""Creation functions: tensor, from_numpy, zeros/ones/full/empty, ranges, eye, the *_like
functions, random draws, and the package generator (manual_seed)."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr

# ---------------------------------------------------------------- tensor / from_numpy


@pytest.mark.parametrize(("data", "dtype"), [
    ([1.0, 2.0], "float32"),
    (2.5, "float32"),
    ([1, 2], "int64"),
    (3, "int64"),
    ([True, False], "bool"),
    ([[1, 2.5], [3, 4]], "float32"),
    (np.array([1.0, 2.0]), "float64"),
    (np.array([1, 2], dtype=np.int32), "int32"),
    (np.float64(1.5), "float64"),
    (np.array(True), "bool"),
])
def test_tensor_infers_dtype_like_torch(data, dtype):
    assert cr.tensor(data).dtype == np.dtype(dtype)


def test_tensor_copies_its_data():
    source = np.array([1.0, 2.0])
    t = cr.tensor(source)
    source[0] = 99.0
    assert t.tolist() == [1.0, 2.0]
    u = cr.tensor(t)
    t.data[1] = -1.0
    assert u.tolist() == [1.0, 2.0]


def test_tensor_arguments():
    t = cr.tensor([[1, 2], [3, 4]], dtype=cr.float64, requires_grad=True)
    assert t.shape == (2, 2)
    assert t.dtype == cr.float64
    assert t.requires_grad and t.is_leaf and t.grad is None
    assert cr.tensor([1, 2], dtype="float32").dtype == cr.float32
    assert cr.tensor([1.7, -1.7], dtype=cr.int64).tolist() == [1, -1]


def test_from_numpy_shares_memory_both_ways():
    array = np.arange(4.0)
    t = cr.from_numpy(array)
    assert t.dtype == cr.float64
    array[0] = 10.0
    assert t[0].item() == 10.0
    t.data[1] = 20.0
    assert array[1] == 20.0
    assert np.shares_memory(t.numpy(), array)


def test_from_numpy_rejects_lists():
    with pytest.raises(TypeError, match="list"):
        cr.from_numpy([1.0, 2.0])


# ---------------------------------------------------------------- filled tensors


@pytest.mark.parametrize("make", [cr.zeros, cr.ones, cr.empty])
def test_constant_makers_take_sizes_as_ints_or_a_tuple(make):
    assert make(2, 3).shape == (2, 3)
    assert make((2, 3)).shape == (2, 3)
    assert make([4]).shape == (4,)
    assert make(()).shape == ()
    assert make(2).dtype == cr.float32
    assert make(2, dtype=cr.float64).dtype == cr.float64
    assert make(2, dtype=cr.int64).dtype == cr.int64
    assert make(2, requires_grad=True).requires_grad


def test_zeros_and_ones_values():
    np.testing.assert_array_equal(cr.zeros(2, 3).numpy(), np.zeros((2, 3), np.float32))
    np.testing.assert_array_equal(cr.ones(3).numpy(), np.ones(3, np.float32))


@pytest.mark.parametrize("size", [(-1,), (2.5,), (True,)])
def test_bad_sizes_raise_value_error(size):
    with pytest.raises(ValueError, match="non-negative"):
        cr.zeros(*size)


@pytest.mark.parametrize(("value", "dtype"), [(1.5, "float32"), (2, "int64"), (True, "bool")])
def test_full_infers_dtype_from_value_like_torch(value, dtype):
    t = cr.full((2, 3), value)
    assert t.shape == (2, 3)
    assert t.dtype == np.dtype(dtype)
    assert np.all(t.numpy() == value)
    assert cr.full((2,), 7, dtype=cr.float64).dtype == cr.float64


def test_like_functions_keep_shape_and_dtype():
    base = cr.tensor([[1, 2, 3]], dtype=cr.int32)
    for made, fill in [(cr.zeros_like(base), 0), (cr.ones_like(base), 1),
                       (cr.full_like(base, 7), 7)]:
        assert made.shape == (1, 3)
        assert made.dtype == cr.int32
        assert np.all(made.numpy() == fill)
    assert cr.zeros_like(base, dtype=cr.float64).dtype == cr.float64
    assert cr.ones_like(cr.ones(2), requires_grad=True).requires_grad


# ---------------------------------------------------------------- ranges and eye


@pytest.mark.parametrize(("args", "dtype"), [
    ((5,), "int64"),
    ((2, 7), "int64"),
    ((10, 0, -3), "int64"),
    ((0.0, 1.0, 0.25), "float32"),
    ((1, 2.5), "float32"),
    ((3.0,), "float32"),
])
def test_arange_values_and_dtype(args, dtype):
    t = cr.arange(*args)
    assert t.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(t.numpy(), np.arange(*args).astype(dtype))


def test_arange_dtype_matches_torch():
    torch = pytest.importorskip("torch")
    for args in [(5,), (0.0, 1.0, 0.25), (1, 2.5)]:
        assert str(torch.arange(*args).dtype) == f"torch.{cr.arange(*args).dtype.name}"


def test_arange_rejects_zero_step():
    with pytest.raises(ValueError, match="step"):
        cr.arange(0, 5, 0)


@pytest.mark.parametrize(("start", "end", "steps"), [(0, 1, 5), (-2, 2, 9), (3, 3, 1), (0, 1, 0)])
def test_linspace(start, end, steps):
    t = cr.linspace(start, end, steps)
    assert t.dtype == cr.float32
    np.testing.assert_allclose(t.numpy(), np.linspace(start, end, steps), rtol=1e-6)


def test_eye():
    np.testing.assert_array_equal(cr.eye(3).numpy(), np.identity(3))
    rect = cr.eye(2, 4, dtype=cr.float64)
    assert rect.dtype == cr.float64
    np.testing.assert_array_equal(rect.numpy(), [[1, 0, 0, 0], [0, 1, 0, 0]])
    assert cr.eye(3).dtype == cr.float32


# ---------------------------------------------------------------- random draws


def test_rand_is_uniform_on_unit_interval():
    cr.manual_seed(0)
    t = cr.rand(1000)
    assert t.dtype == cr.float32 and t.shape == (1000,)
    assert t.numpy().min() >= 0.0 and t.numpy().max() < 1.0
    assert abs(t.numpy().mean() - 0.5) < 0.05  # 1000 draws: standard error 0.009


def test_randn_is_standard_normal():
    cr.manual_seed(0)
    t = cr.randn(100, 100)
    assert t.dtype == cr.float32 and t.shape == (100, 100)
    assert abs(t.numpy().mean()) < 0.05 and abs(t.numpy().std() - 1) < 0.05
    assert cr.randn(3, dtype=cr.float64).dtype == cr.float64


def test_randint_draws_in_range():
    cr.manual_seed(0)
    t = cr.randint(-3, 4, (1000,))
    assert t.dtype == cr.int64
    assert set(t.tolist()) == set(range(-3, 4))
    u = cr.randint(5, (2, 3))
    assert u.shape == (2, 3) and u.numpy().min() >= 0 and u.numpy().max() < 5
    with pytest.raises(ValueError, match="greater"):
        cr.randint(3, 3, (2,))


def test_rand_like_and_randn_like_keep_shape_and_dtype():
    base = cr.zeros(2, 3, dtype=cr.float64)
    assert cr.rand_like(base).shape == (2, 3) and cr.rand_like(base).dtype == cr.float64
    assert cr.randn_like(base).shape == (2, 3) and cr.randn_like(base).dtype == cr.float64


def draws() -> list[list]:
    return [cr.rand(4).tolist(), cr.randn(2, 2).tolist(), cr.randint(0, 100, (5,)).tolist()]


def test_manual_seed_reproduces_every_draw():
    cr.manual_seed(1234)
    first = draws()
    cr.manual_seed(1234)
    assert draws() == first
    cr.manual_seed(1235)
    assert draws() != first


def test_rng_state_round_trip():
    cr.manual_seed(7)
    state = cr.get_rng_state()
    first = draws()
    cr.set_rng_state(state)
    assert draws() == first


def test_explicit_generator_is_used_and_package_generator_untouched():
    cr.manual_seed(5)
    expected = draws()
    cr.manual_seed(5)
    a = cr.randn(3, generator=np.random.default_rng(0)).tolist()
    b = cr.randn(3, generator=np.random.default_rng(0)).tolist()
    assert a == b
    assert draws() == expected


def test_numpy_global_random_state_is_untouched():
    np.random.seed(42)
    expected = np.random.random(3)
    np.random.seed(42)
    cr.manual_seed(0)
    draws()
    cr.randn(10, generator=None)
    np.testing.assert_array_equal(np.random.random(3), expected)


@pytest.mark.parametrize("seed", [-1, 1.5, "0", True])
def test_manual_seed_rejects_bad_seeds(seed):
    with pytest.raises(ValueError, match="non-negative integer"):
        cr.manual_seed(seed)
