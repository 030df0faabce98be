"""The top-level names of ``methods.compat_functions`` (``chainrule.arccos``,
``chainrule.exp_``, ``chainrule.range``, ``chainrule.view_copy`` ...), each against torch 2.13;
gradcheck for the differentiable ``*_copy`` forms."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import chainrule
from chainrule.methods import compat_functions
from tests.compat_helpers import as_lib, assert_same, call
from tests.optional import needs_torch, torch

pytestmark = needs_torch

RNG = np.random.default_rng(1)
X = RNG.uniform(-0.9, 0.9, (2, 3)).astype(np.float32)
BIG = RNG.uniform(1.5, 3.0, (2, 3)).astype(np.float32)
POS = RNG.uniform(0.5, 3.0, (2, 3)).astype(np.float32)
UNIT = RNG.uniform(0.1, 0.9, (2, 3)).astype(np.float32)
INTS = np.array([[-3, 0, 4], [2, -1, 6]], dtype=np.int64)
INTS2 = np.array([[6, 4, 10], [3, 7, 9]], dtype=np.int64)
NANS = np.array([np.nan, np.inf, -np.inf, 1.5], dtype=np.float32)
CUBE = RNG.standard_normal((2, 3, 4)).astype(np.float32)

# name -> (input, further arguments, keywords) of chainrule.name_(input, ...)
INPLACE_ARGS = {
    "acosh_": (BIG,), "arccosh_": (BIG,), "log_": (POS,), "log10_": (POS,), "log2_": (POS,),
    "sqrt_": (POS,), "rsqrt_": (POS,), "reciprocal_": (POS,), "logit_": (UNIT, 0.05),
    "clamp_": (X, -0.5, 0.5), "clip_": (X, None, 0.2), "clamp_min_": (X, 0.1),
    "clamp_max_": (X, 0.1), "fill_": (X, 2.5), "gcd_": (INTS, INTS2), "lcm_": (INTS, INTS2),
    "xlogy_": (X, POS), "nan_to_num_": (NANS, 0.0, 9.0, -9.0), "round_": (X * 7,),
}
INPLACE_KWARGS = {"round_": {"decimals": 1}}


@pytest.mark.parametrize("name", compat_functions.INPLACE)
def test_top_level_inplace_form_matches_torch(name):
    x, *args = INPLACE_ARGS.get(name, (X,))
    kwargs = INPLACE_KWARGS.get(name, {})
    ours, theirs = as_lib(chainrule, x), as_lib(torch, x)
    out = getattr(chainrule, name)(ours, *[as_lib(chainrule, a) for a in args], **kwargs)
    getattr(torch, name)(theirs, *[as_lib(torch, a) for a in args], **kwargs)
    assert out is ours
    assert ours._version == theirs._version == 1
    assert_same(ours, theirs)


def _t(name):
    """``lib.name`` as a function of (lib, *args)."""
    return lambda lib, *args, **kwargs: getattr(lib, name)(*args, **kwargs)


# (id, function of (lib, *args), args, kwargs)
OUT_OF_PLACE = [
    ("arccos", _t("arccos"), (X,), {}),
    ("arccosh", _t("arccosh"), (BIG,), {}),
    ("arcsin", _t("arcsin"), (X,), {}),
    ("arcsinh", _t("arcsinh"), (X,), {}),
    ("arctan", _t("arctan"), (X,), {}),
    ("arctan2", _t("arctan2"), (X, POS), {}),
    ("arctanh", _t("arctanh"), (X,), {}),
    ("fix", _t("fix"), (X * 5,), {}),
    ("isposinf", _t("isposinf"), (NANS,), {}),
    ("isneginf", _t("isneginf"), (NANS,), {}),
    ("moveaxis", _t("moveaxis"), (CUBE, 0, 2), {}),
    ("moveaxis lists", _t("moveaxis"), (CUBE, [0, 1], [2, 0]), {}),
    ("rsub number", _t("rsub"), (X, 2.0), {}),
    ("rsub alpha", _t("rsub"), (X, 1.5), {"alpha": 2}),
    ("rsub tensor", _t("rsub"), (X, POS), {"alpha": 3}),
    ("rsub ints", _t("rsub"), (INTS, 2), {}),
    ("rsub ints by float", _t("rsub"), (INTS, 1.5), {}),
    ("fill number", _t("fill"), (X, 5), {}),
    ("fill ints", _t("fill"), (INTS, 2.7), {}),
    ("fill 0-d", lambda lib, x: lib.fill(x, lib.tensor(7.0)), (X,), {}),
    ("detach", _t("detach"), (X,), {}),
    ("conj", _t("conj"), (X,), {}),
    ("conj_physical", _t("conj_physical"), (X,), {}),
    ("resolve_conj", _t("resolve_conj"), (X,), {}),
    ("resolve_neg", _t("resolve_neg"), (X,), {}),
    ("real", _t("real"), (X,), {}),
    ("adjoint", _t("adjoint"), (CUBE,), {}),
    ("split_with_sizes", _t("split_with_sizes"), (CUBE, [1, 3], 2), {}),
    ("unsafe_chunk", _t("unsafe_chunk"), (CUBE, 2), {"dim": 2}),
    ("unsafe_split", _t("unsafe_split"), (CUBE, 2, 1), {}),
    ("unsafe_split_with_sizes", _t("unsafe_split_with_sizes"), (CUBE, [2, 1], 1), {}),
    ("igamma", _t("igamma"), (POS, BIG), {}),
    ("igammac", _t("igammac"), (POS, BIG), {}),
    ("is_complex", _t("is_complex"), (X,), {}),
    ("is_signed", _t("is_signed"), (X,), {}),
    ("is_signed uint8", _t("is_signed"), (np.zeros(2, np.uint8),), {}),
    ("is_conj", _t("is_conj"), (X,), {}),
    ("is_neg", _t("is_neg"), (X,), {}),
    ("is_inference", _t("is_inference"), (X,), {}),
    ("is_same_size", _t("is_same_size"), (X, POS), {}),
    ("is_same_size not", _t("is_same_size"), (X, CUBE), {}),
    ("get_device", _t("get_device"), (X,), {}),
    ("scalar_tensor", _t("scalar_tensor"), (3,), {}),
    ("scalar_tensor bool", _t("scalar_tensor"), (True,), {}),
    ("scalar_tensor dtype", lambda lib, s: lib.scalar_tensor(s, dtype=lib.int64), (2,), {}),
    ("is_storage", _t("is_storage"), (X,), {}),
    ("is_anomaly_enabled", _t("is_anomaly_enabled"), (), {}),
    ("is_warn_always_enabled", _t("is_warn_always_enabled"), (), {}),
    ("init_num_threads", _t("init_num_threads"), (), {}),
]


@pytest.mark.parametrize(("what", "fn", "args", "kwargs"), OUT_OF_PLACE,
                         ids=[c[0] for c in OUT_OF_PLACE])
def test_top_level_form_matches_torch(what, fn, args, kwargs):
    assert_same(call(chainrule, fn, args, kwargs), call(torch, fn, args, kwargs))


def test_detach_forms():
    for lib in (chainrule, torch):
        x = as_lib(lib, X, requires_grad=True)
        y = x * 2
        assert not lib.detach(y).requires_grad and lib.detach(y).data_ptr() == y.data_ptr()
        assert lib.detach_(y) is y and not y.requires_grad


def test_fill_sends_the_gradient_to_a_0d_value():
    grads = []
    for lib in (chainrule, torch):
        value = lib.tensor(2.0, requires_grad=True)
        (lib.fill(as_lib(lib, X), value) * as_lib(lib, POS)).sum().backward()
        grads.append(value.grad)
    assert_same(*grads)


@pytest.mark.parametrize(("fn", "error", "message"), [
    (lambda lib: lib.imag(as_lib(lib, X)), RuntimeError, "non-complex"),
    (lambda lib: lib.fill(as_lib(lib, X), lib.ones(2)), RuntimeError, "0-dimension"),
    (lambda lib: lib.range(3, 1), RuntimeError, "inconsistent with step sign"),
    (lambda lib: lib.range(1, 3, 0), RuntimeError, "step must be nonzero"),
    (lambda lib: lib.empty_strided((2, 3), (1,)), RuntimeError, "dimensionality"),
    (lambda lib: lib.frombuffer(bytearray(0), dtype=lib.float32), ValueError,
     "must not be 0"),
    (lambda lib: lib.frombuffer(bytearray(7), dtype=lib.float32), ValueError,
     "multiple of element size"),
    (lambda lib: lib.frombuffer(bytearray(8), dtype=lib.float32, offset=8), ValueError,
     "offset"),
])
def test_errors_as_torch(fn, error, message):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(error, match=message):
            fn(chainrule)
        with pytest.raises(error, match=message):
            fn(torch)


def test_refusals_of_what_chainrule_lacks():
    with pytest.raises(TypeError, match="reinterpret"):
        chainrule.view_copy(chainrule.tensor(X), chainrule.int32)
    with pytest.raises(TypeError, match="float"):
        chainrule.rsub(chainrule.tensor(INTS), 1, alpha=1.5)
    with pytest.raises(RuntimeError):
        torch.rsub(torch.tensor(INTS), 1, alpha=1.5)


@pytest.mark.parametrize("args", [(1, 4), (1, 2.5, 0.5), (0, 1, 0.3), (3, 0, -1), (0.5, 2)])
@pytest.mark.parametrize("dtype", [None, "float64", "int64"])
def test_range_includes_the_end_warns_and_uses_the_default_dtype(args, dtype):
    if dtype == "int64" and any(isinstance(a, float) for a in args):
        return
    kwargs = {} if dtype is None else {"dtype": dtype}
    with pytest.warns(UserWarning, match="torch.range is deprecated"):
        ours = chainrule.range(*args, **kwargs)
    with pytest.warns(UserWarning):
        theirs = torch.range(*args, **{k: getattr(torch, v) for k, v in kwargs.items()})
    assert_same(ours, theirs)


def test_empty_strided_has_torchs_shape_strides_and_dtype():
    for size, stride in (((2, 3), (1, 2)), ((2, 3), (0, 1)), ((4,), (2,)), ((2, 0), (5, 1))):
        ours, theirs = chainrule.empty_strided(size, stride), torch.empty_strided(size, stride)
        assert (ours.shape, ours.stride()) == (tuple(theirs.shape), theirs.stride())
        assert str(ours.dtype) == "float32" and theirs.dtype == torch.float32
    x = chainrule.empty_strided((2,), (1,), dtype=chainrule.int64, requires_grad=False)
    assert x.dtype == chainrule.int64


def test_frombuffer_views_the_buffer():
    for kwargs in ({}, {"count": 2, "offset": 4}, {"count": -1, "offset": 8}):
        ours = chainrule.frombuffer(bytearray(np.arange(4, dtype=np.float32).tobytes()),
                                    dtype=chainrule.float32, **kwargs)
        theirs = torch.frombuffer(bytearray(np.arange(4, dtype=np.float32).tobytes()),
                                  dtype=torch.float32, **kwargs)
        assert_same(ours, theirs)
    buffer = bytearray(8)
    x = chainrule.frombuffer(buffer, dtype=chainrule.int32)
    x[1] = 5
    assert buffer[4] == 5


def test_typename_as_torch():
    cases = [np.zeros(2, np.float32), np.zeros(2, np.int64), np.zeros(2, bool)]
    for array in cases:
        assert chainrule.typename(chainrule.tensor(array)) == torch.typename(torch.tensor(array))
    for obj in (3, [1], "s", None, int, np.float32):
        assert chainrule.typename(obj) == torch.typename(obj)
    assert chainrule.typename(chainrule.nn.Linear) == "chainrule.nn.linear.Linear"
    assert torch.typename(torch.nn.Linear) == "torch.nn.modules.linear.Linear"


def test_switches_round_trip():
    assert chainrule.is_anomaly_enabled() is torch.is_anomaly_enabled() is False
    chainrule.set_anomaly_enabled(True)
    try:
        assert chainrule.is_anomaly_enabled() and chainrule.autograd.is_anomaly_enabled()
    finally:
        chainrule.set_anomaly_enabled(False)
    assert not chainrule.is_anomaly_enabled()
    chainrule.set_warn_always(True)
    try:
        assert chainrule.is_warn_always_enabled() is True
    finally:
        chainrule.set_warn_always(False)
    assert chainrule.is_warn_always_enabled() is False
    assert chainrule.set_flush_denormal(False) is torch.set_flush_denormal(False) is True
    assert chainrule.set_flush_denormal(True) is False  # NumPy cannot set the CPU's mode


def test_strided_is_exported():
    assert chainrule.strided is chainrule.tensor(X).layout


# (id, function of (lib, x), input): the copy forms, each a new tensor of the view's values
COPIES = [
    ("alias_copy", lambda lib, x: lib.alias_copy(x), CUBE),
    ("detach_copy", lambda lib, x: lib.detach_copy(x), CUBE),
    ("diagonal_copy", lambda lib, x: lib.diagonal_copy(x, 1, 2, 1), CUBE),
    ("expand_copy", lambda lib, x: lib.expand_copy(x, (2, 2, -1)), X),
    ("permute_copy", lambda lib, x: lib.permute_copy(x, (2, 0, 1)), CUBE),
    ("select_copy", lambda lib, x: lib.select_copy(x, 1, -1), CUBE),
    ("slice_copy", lambda lib, x: lib.slice_copy(x, 2, 1, None, 2), CUBE),
    ("slice_copy defaults", lambda lib, x: lib.slice_copy(x), CUBE),
    ("split_copy", lambda lib, x: lib.split_copy(x, 3, 2), CUBE),
    ("split_with_sizes_copy", lambda lib, x: lib.split_with_sizes_copy(x, [1, 2], 1), CUBE),
    ("squeeze_copy", lambda lib, x: lib.squeeze_copy(x.reshape(2, 1, 3, 4)), CUBE),
    ("squeeze_copy dim", lambda lib, x: lib.squeeze_copy(x.reshape(1, 2, 1, 12), 0), CUBE),
    ("t_copy", lambda lib, x: lib.t_copy(x), X),
    ("transpose_copy", lambda lib, x: lib.transpose_copy(x, 0, 2), CUBE),
    ("unbind_copy", lambda lib, x: lib.unbind_copy(x, 1), CUBE),
    ("unfold_copy", lambda lib, x: lib.unfold_copy(x, 2, 2, 1), CUBE),
    ("unsqueeze_copy", lambda lib, x: lib.unsqueeze_copy(x, -1), CUBE),
    ("view_copy", lambda lib, x: lib.view_copy(x, (4, -1)), CUBE),
]


@pytest.mark.parametrize(("what", "fn", "x"), COPIES, ids=[c[0] for c in COPIES])
def test_copy_form_matches_torch_and_owns_its_memory(what, fn, x):
    ours = fn(chainrule, as_lib(chainrule, x))
    assert_same(ours, fn(torch, as_lib(torch, x)))
    for piece in ours if isinstance(ours, tuple) else (ours,):
        assert not np.shares_memory(piece.data, x) and piece.data.base is None


@pytest.mark.parametrize(("what", "fn", "x"),
                         [c for c in COPIES if c[0] != "detach_copy"],
                         ids=[c[0] for c in COPIES if c[0] != "detach_copy"])
def test_copy_form_gradcheck(what, fn, x):
    leaf = chainrule.tensor(x.astype(np.float64), requires_grad=True)

    def joined(t):
        out = fn(chainrule, t)
        return chainrule.cat([p.reshape(-1) for p in out]) if isinstance(out, tuple) else out

    assert chainrule.gradcheck(joined, [leaf])


def test_detach_copy_is_cut_from_the_graph():
    """torch 2.13 marks detach_copy's result as requiring grad but has no derivative for it
    (backward raises); chainrule's is cut from the graph, as ``detach`` is."""
    x = chainrule.tensor(X, requires_grad=True)
    assert chainrule.detach_copy(x * 2).requires_grad is False
    assert chainrule.alias_copy(x * 2).requires_grad is True
    y = torch.detach_copy(torch.tensor(X, requires_grad=True) * 2)
    with pytest.raises(RuntimeError, match="not implemented"):
        y.sum().backward()
