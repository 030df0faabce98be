"""The Tensor names of ``methods.compat`` and ``methods.compat_legacy`` (other spellings,
flags of a CPU dense real tensor, the complex API on real tensors, legacy constructors and
refused conversions), each against torch 2.13."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule
from chainrule.device import DeviceError
from tests.compat_helpers import as_lib, assert_same, call
from tests.optional import needs_torch, torch

pytestmark = needs_torch

RNG = np.random.default_rng(0)
X = RNG.uniform(-0.9, 0.9, (2, 3)).astype(np.float32)  # in the domain of arcsin, arctanh
BIG = RNG.uniform(1.5, 3.0, (2, 3)).astype(np.float32)  # arccosh's domain
POS = RNG.uniform(0.5, 3.0, (2, 3)).astype(np.float32)
INTS = np.array([[-3, 0, 4], [2, -1, 5]], dtype=np.int64)

# name -> (input, positional args, keyword args): x.name(*args, **kwargs) on both libraries
OUT_OF_PLACE = {
    "arccos": (X, (), {}),
    "arccosh": (BIG, (), {}),
    "arcsin": (X, (), {}),
    "arcsinh": (X, (), {}),
    "arctan": (X, (), {}),
    "arctan2": (X, (POS,), {}),
    "arctanh": (X, (), {}),
    "split_with_sizes": (X, ([1, 2], 1), {}),
    "unsafe_split": (X, (1,), {"dim": 0}),
    "unsafe_split_with_sizes": (X, ([2, 1],), {"dim": 1}),
    "unsafe_chunk": (X, (2, 1), {}),
    "hardshrink": (X, (0.4,), {}),
    "igamma": (POS, (BIG,), {}),
    "igammac": (POS, (BIG,), {}),
    "adjoint": (X, (), {}),
    "conj": (X, (), {}),
    "conj_physical": (X, (), {}),
    "resolve_conj": (X, (), {}),
    "resolve_neg": (X, (), {}),
    "to_dense": (X, (), {}),
    "is_conj": (X, (), {}),
    "is_neg": (X, (), {}),
    "is_inference": (X, (), {}),
    "is_distributed": (X, (), {}),
    "is_same_size": (X, (POS,), {}),
    "dense_dim": (X, (), {}),
    "sparse_dim": (X, (), {}),
}


@pytest.mark.parametrize("name", sorted(OUT_OF_PLACE))
def test_method_matches_torch(name):
    x, args, kwargs = OUT_OF_PLACE[name]

    def method(lib, t, *rest, **kw):
        return getattr(t, name)(*rest, **kw)

    assert_same(call(chainrule, method, (x, *args), kwargs),
                call(torch, method, (x, *args), kwargs))


def test_hardshrink_of_integers_gives_floats_and_to_dense_converts():
    # torch 2.13 has no integer hardshrink; chainrule converts, as its F.hardshrink does
    assert_same(chainrule.tensor(INTS).hardshrink(), torch.tensor(INTS).float().hardshrink())
    assert_same(chainrule.tensor(X).to_dense(chainrule.float64),
                torch.tensor(X).to_dense(torch.float64))


@pytest.mark.parametrize("name", ["conj", "conj_physical", "resolve_conj", "resolve_neg",
                                  "to_dense"])
def test_identities_on_real_tensors_return_self_as_torch(name):
    ours, theirs = chainrule.tensor(X), torch.tensor(X)
    assert getattr(theirs, name)() is theirs
    assert getattr(ours, name)() is ours
    assert theirs.real is theirs and ours.real is ours


def test_transposes_view_the_tensor_and_carry_the_gradient():
    for name in ("mH", "H"):
        ours, theirs = chainrule.tensor(X, requires_grad=True), torch.tensor(X, requires_grad=True)
        assert_same(getattr(ours, name), getattr(theirs, name))
        g = RNG.standard_normal((3, 2))
        (getattr(ours, name) * chainrule.tensor(g, dtype=chainrule.float32)).sum().backward()
        (getattr(theirs, name) * torch.tensor(g, dtype=torch.float32)).sum().backward()
        assert_same(ours.grad, theirs.grad)
    x = chainrule.tensor(np.zeros((2, 3, 4), np.float32))
    assert x.mH.shape == x.adjoint().shape == (2, 4, 3)
    assert np.shares_memory(x.mH.data, x.data)


# (what, call, error, message): each raises in chainrule as it does (or should, for what
# chainrule lacks) in torch
ERRORS = [
    ("imag", lambda t: t.imag, RuntimeError, "non-complex dtypes"),
    ("H of 1-D", lambda t: t[0].H, RuntimeError, r"2-D tensors\). Got 1-D"),
    ("H of 3-D", lambda t: t.reshape(1, 2, 3).H, RuntimeError, "consider using tensor.mH"),
    ("mH of 1-D", lambda t: t[0].mH, RuntimeError, "Got 1-D tensor"),
    ("adjoint of 1-D", lambda t: t[0].adjoint(), RuntimeError, "Got 1-D tensor"),
    ("is_coalesced", lambda t: t.is_coalesced(), RuntimeError, "sparse coordinate"),
]


@pytest.mark.parametrize(("what", "fn", "error", "message"), ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_match_torch(what, fn, error, message):
    with pytest.raises(error, match=message):
        fn(chainrule.tensor(X))
    with pytest.raises(error, match=message):
        fn(torch.tensor(X))


@pytest.mark.parametrize(("name", "error", "message"), [
    ("cfloat", TypeError, "no complex dtypes"),
    ("cdouble", TypeError, "no complex dtypes"),
    ("chalf", TypeError, "no complex dtypes"),
    ("bfloat16", TypeError, "no bfloat16"),
    ("ipu", DeviceError, "'ipu'"),
    ("xpu", DeviceError, "'xpu'"),
    ("mtia", DeviceError, "'mtia'"),
])
def test_what_chainrule_cannot_hold_is_refused(name, error, message):
    assert hasattr(torch.Tensor, name)
    with pytest.raises(error, match=message):
        getattr(chainrule.tensor(X), name)()


def test_device_refusal_names_the_index():
    with pytest.raises(DeviceError, match="'xpu:1'"):
        chainrule.tensor(X).xpu(1)


def test_h_of_a_0d_tensor_warns_and_returns_it():
    ours, theirs = chainrule.tensor(2.0), torch.tensor(2.0)
    with pytest.warns(UserWarning, match="deprecated on 0-D"):
        assert theirs.H is theirs
    with pytest.warns(UserWarning, match="deprecated on 0-D"):
        assert ours.H is ours


FLAGS = ("is_cpu is_cuda is_sparse is_sparse_csr is_quantized is_meta is_mkldnn is_nested "
         "is_vulkan is_xla is_xpu is_ipu is_maia is_mps is_mtia").split()


@pytest.mark.parametrize("name", FLAGS)
def test_flags_are_properties_with_torchs_values(name):
    assert isinstance(getattr(chainrule.Tensor, name), property)
    assert getattr(chainrule.tensor(X), name) is getattr(torch.tensor(X), name)


def test_layout_is_strided():
    assert chainrule.tensor(X).layout is chainrule.strided
    assert repr(chainrule.strided) == "chainrule.strided"
    assert repr(torch.tensor(X).layout) == "torch.strided"


def test_volatile_is_false_with_torchs_warning():
    with pytest.warns(UserWarning, match="volatile was removed") as ours:
        assert chainrule.tensor(X).volatile is False
    with pytest.warns(UserWarning) as theirs:
        assert torch.tensor(X).volatile is False
    assert str(ours[0].message) == str(theirs[0].message)


def test_retains_grad_and_output_nr_as_torch():
    results = []
    for lib in (chainrule, torch):
        leaf = as_lib(lib, X, requires_grad=True)
        kept, other = leaf * 2, leaf * 3
        kept.retain_grad()
        leaf.retain_grad()
        results.append((leaf.retains_grad, kept.retains_grad, other.retains_grad,
                        leaf.output_nr, kept.output_nr))
    assert results[0] == results[1]
    assert results[0][:3] == (False, True, False)


VIEWS = [
    ("whole", lambda t: t),
    ("row", lambda t: t[1]),
    ("column", lambda t: t[:, 1]),
    ("row of a reshape", lambda t: t.reshape(3, 4)[2]),
    ("narrow", lambda t: t.narrow(1, 1, 2)),
    ("transpose", lambda t: t.t()[1:]),
    ("select then slice", lambda t: t.select(0, 2)[1:3]),
]


@pytest.mark.parametrize(("what", "view"), VIEWS, ids=[v[0] for v in VIEWS])
def test_storage_offset_matches_torch(what, view):
    base = np.arange(12, dtype=np.float32).reshape(4, 3)
    assert view(chainrule.tensor(base)).storage_offset() == \
        view(torch.tensor(base)).storage_offset()


def test_set_to_same_size_and_pointers():
    for lib in (chainrule, torch):
        x = as_lib(lib, np.arange(6, dtype=np.float32).reshape(2, 3))
        assert x.is_set_to(x) and x.is_set_to(x[:])
        assert not x.is_set_to(x.reshape(6)) and not x.is_set_to(x.t())
        assert not x.is_set_to(x.clone())
        assert x.is_same_size(x.clone()) and not x.is_same_size(x.t())
        assert x.const_data_ptr() == x.data_ptr()


def test_is_inference_is_false_even_under_inference_mode():
    """chainrule's tensors made under inference_mode are ordinary (see the docstring)."""
    with chainrule.inference_mode():
        assert chainrule.ones(2).is_inference() is False


INPLACE = {
    "arccos_": (X, ()), "arccosh_": (BIG, ()), "arcsin_": (X, ()), "arcsinh_": (X, ()),
    "arctan_": (X, ()), "arctan2_": (X, (POS,)), "arctanh_": (X, ()),
    "mvlgamma_": (BIG, (2,)), "igamma_": (POS, (BIG,)), "igammac_": (POS, (BIG,)),
    "conj_physical_": (X, ()),
}


@pytest.mark.parametrize("name", sorted(INPLACE))
def test_inplace_alias_writes_into_self_and_bumps_the_version(name):
    x, args = INPLACE[name]
    ours, theirs = chainrule.tensor(x), torch.tensor(x)
    out = getattr(ours, name)(*[as_lib(chainrule, a) for a in args])
    getattr(theirs, name)(*[as_lib(torch, a) for a in args])
    assert out is ours
    assert ours._version == theirs._version == 1
    assert_same(ours, theirs)


@pytest.mark.parametrize("name", sorted(set(INPLACE) - {"igamma_", "igammac_"}))
def test_inplace_alias_carries_the_gradient_as_torch(name):
    """torch's gradient of the out-of-place form (torch 2.13 has no backward for some of the
    in-place ones, such as acosh_)."""
    x, args = INPLACE[name]
    grads = []
    g = RNG.standard_normal(x.shape).astype(np.float32)
    for lib, method in ((chainrule, name), (torch, name[:-1])):
        leaf = as_lib(lib, x.astype(np.float64), requires_grad=True)
        y = leaf * 1
        y = getattr(y, method)(*[as_lib(lib, a.astype(np.float64)) if isinstance(a, np.ndarray)
                                 else a for a in args])
        (y * as_lib(lib, g.astype(np.float64))).sum().backward()
        grads.append(leaf.grad)
    assert_same(*grads)


def test_inplace_alias_refuses_a_leaf_that_requires_grad():
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        chainrule.tensor(X, requires_grad=True).arccos_()
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        chainrule.tensor(X, requires_grad=True).conj_physical_()


def test_igamma_refuses_integers_and_sends_the_gradient_to_other():
    with pytest.raises(TypeError, match="floating-point"):
        chainrule.tensor(INTS).igamma(chainrule.tensor(POS))
    grads = []
    for lib in (chainrule, torch):
        a, x = as_lib(lib, POS.astype(np.float64)), as_lib(lib, BIG.astype(np.float64), True)
        a.igammac(x).sum().backward()
        grads.append(x.grad)
    assert_same(*grads)


ORDERS = [
    ("C order", lambda t: t),
    ("transposed", lambda t: t.transpose(1, 2)),
    ("channels last", lambda t: t.contiguous(memory_format=(
        chainrule.channels_last if isinstance(t, chainrule.Tensor) else torch.channels_last))),
    ("permuted", lambda t: t.permute(3, 1, 0, 2)),
    ("size-1 dim", lambda t: t[:, :1]),
    ("strided slice", lambda t: t[:, :, ::2].transpose(0, 3)),
    ("broadcast", lambda t: t[:1].expand(3, 3, 4, 5)),
]


@pytest.mark.parametrize(("what", "view"), ORDERS, ids=[o[0] for o in ORDERS])
@pytest.mark.parametrize("check", ["no", "yes", "formats"])
def test_dim_order_matches_torch(what, view, check):
    base = RNG.standard_normal((2, 3, 4, 5)).astype(np.float32)
    results = []
    for lib in (chainrule, torch):
        ambiguity = {"no": False, "yes": True,
                     "formats": [lib.contiguous_format, lib.channels_last]}[check]
        try:
            results.append(view(as_lib(lib, base)).dim_order(ambiguity_check=ambiguity))
        except RuntimeError as err:
            results.append(str(err).split(",")[0].rstrip("."))
    assert results[0] == results[1]


def test_dim_order_refuses_a_bad_check():
    with pytest.raises(TypeError, match="bool or a list of memory formats"):
        chainrule.tensor(X).dim_order(ambiguity_check="ILLEGAL")
    with pytest.raises(TypeError, match="bool or a list of memory formats"):
        torch.tensor(X).dim_order(ambiguity_check="ILLEGAL")
