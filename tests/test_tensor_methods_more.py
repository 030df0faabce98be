"""The wider PyTorch API: einsum, the matrix products' checks, Tensor conveniences (new_*,
contiguous, movedim, resize_, detach_, apply_ ...), closeness tests, the default dtype and the
dtype aliases. Values and gradients of the differentiable ones are also in the op table
(tests/ops/spec_rows_api.py)."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import chainrule as cr
from tests.optional import needs_torch, torch

# ---------------------------------------------------------------- einsum

EQUATIONS = [
    ("ij,jk->ik", [(3, 4), (4, 2)]),           # matmul
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),  # batch matmul
    ("ii", [(4, 4)]),                          # trace (implicit output)
    ("i,j->ij", [(3,), (4,)]),                 # outer
    ("ij->ji", [(3, 4)]),                      # transpose
    ("...ij->...ji", [(2, 3, 4)]),             # batched transpose through an ellipsis
    ("b...k,kn->b...n", [(2, 3, 5, 4), (4, 6)]),
    ("ij->j", [(3, 4)]),                       # sum over an index
    ("iij->j", [(3, 3, 4)]),                   # diagonal, then a sum
    ("ii,i->i", [(3, 3), (3,)]),               # diagonal times a vector
    ("ij,kl->", [(2, 3), (4, 5)]),             # letters summed in one operand only
    ("Ba,ab", [(2, 3), (3, 4)]),               # capitals sort before lower case
    ("i,i,i->i", [(5,), (5,), (5,)]),
]


@needs_torch
@pytest.mark.parametrize(("equation", "shapes"), EQUATIONS, ids=[e for e, _ in EQUATIONS])
def test_einsum_values_and_gradients_match_torch(equation, shapes):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s) for s in shapes]
    ours = [cr.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    y, ty = cr.einsum(equation, *ours), torch.einsum(equation, *theirs)
    assert y.shape == tuple(ty.shape)
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-12, atol=1e-12)
    upstream = rng.standard_normal(y.shape)
    y.backward(upstream)
    ty.backward(torch.tensor(upstream))
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("equation", "shapes"), EQUATIONS, ids=[e for e, _ in EQUATIONS])
def test_einsum_gradcheck(equation, shapes):
    rng = np.random.default_rng(1)
    inputs = [cr.tensor(rng.standard_normal(s), requires_grad=True) for s in shapes]
    assert cr.gradcheck(lambda *xs: cr.einsum(equation, *xs), inputs)


def test_einsum_list_form_and_spaces():
    a, b = cr.randn(2, 3), cr.randn(3)
    np.testing.assert_allclose(cr.einsum("ij, j -> i", [a, b]).numpy(), a.numpy() @ b.numpy(),
                               rtol=1e-6)


@pytest.mark.parametrize(("equation", "shapes", "error", "message"), [
    ("ij,jk->ik", [(2, 3), (2, 3)], ValueError, "'j' has size 2 .* but size 3"),
    ("ij,jk->ikk", [(2, 3), (3, 2)], ValueError, "'k' appears more than once"),
    ("ij,jk->iz", [(2, 3), (3, 2)], ValueError, "'z' names no dimension"),
    ("ij", [(2, 3, 4)], ValueError, "name 2 dimensions, but operand 0 has 3"),
    ("ij,jk", [(2, 3)], ValueError, "subscripts for 2 operands, but 1 were given"),
    ("i1", [(2, 3)], ValueError, "the subscript '1'"),
    ("...i...", [(2, 3)], ValueError, "more than one ellipsis"),
])
def test_einsum_errors_name_the_problem(equation, shapes, error, message):
    with pytest.raises(error, match=message):
        cr.einsum(equation, *[cr.ones(*s) for s in shapes])


def test_einsum_needs_operands_and_a_string():
    with pytest.raises(ValueError, match="at least one operand"):
        cr.einsum("i")
    with pytest.raises(TypeError, match="equation must be a str"):
        cr.einsum(3, cr.ones(2))


# ---------------------------------------------------------------- matrix products


@pytest.mark.parametrize(("call", "message"), [
    (lambda: cr.mm(cr.ones(2), cr.ones(2, 2)), r"mm: input must be a 2-D tensor, got shape \(2,\)"),
    (lambda: cr.ones(2, 2).mm(cr.ones(2, 2, 2)), "mm: mat2 must be a 2-D"),
    (lambda: cr.bmm(cr.ones(2, 2), cr.ones(2, 2, 2)), "bmm: input must be a 3-D"),
    (lambda: cr.bmm(cr.ones(2, 2, 3), cr.ones(3, 3, 2)), "batch sizes differ"),
    (lambda: cr.dot(cr.ones(2, 2), cr.ones(2)), "dot: input must be a 1-D"),
    (lambda: cr.dot(cr.ones(2), cr.ones(3)), "different lengths"),
    (lambda: cr.outer(cr.ones(2, 2), cr.ones(2)), "outer: input must be a 1-D"),
    (lambda: cr.addmm(cr.ones(3), cr.ones(2, 2), cr.ones(2, 2)), "does not broadcast"),
    (lambda: cr.t(cr.ones(2, 2, 2)), "at most|<= 2 dimensions"),
    (lambda: cr.mm(cr.ones(2, 3), cr.ones(2, 3)), "cannot be multiplied"),
])
def test_matrix_product_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@needs_torch
def test_addmm_with_beta_0_ignores_nan_in_input():
    c = cr.tensor([[float("nan"), 1.0]])
    a, b = cr.ones(1, 2), cr.ones(2, 2)
    out = cr.addmm(c, a, b, beta=0, alpha=3)
    ref = torch.addmm(torch.tensor(c.numpy()), torch.ones(1, 2), torch.ones(2, 2), beta=0,
                      alpha=3)
    np.testing.assert_array_equal(out.numpy(), ref.numpy())


# ---------------------------------------------------------------- conveniences


@needs_torch
def test_new_constructors_take_the_dtype_unless_told():
    for lib in (cr, torch):
        base = lib.tensor([[1, 2]])
        assert str(base.new_zeros(2, 3).dtype).endswith("int64")
        assert tuple(base.new_ones((2,)).shape) == (2,)
        assert str(base.new_full((2,), 7).dtype).endswith("int64")
        assert str(base.new_empty(3, dtype=lib.float64).dtype).endswith("float64")
        assert str(lib.ones(1).new_tensor([1, 2]).dtype).endswith("float32")
        assert base.new_full((2,), 7).tolist() == [7, 7]
    made = cr.ones(1).new_zeros(2, requires_grad=True)
    assert made.requires_grad and made.is_leaf


@needs_torch
def test_contiguous_and_layout_queries():
    a = cr.randn(3, 4, requires_grad=True)
    assert a.is_contiguous() and a.contiguous() is a
    t = a.T
    assert not t.is_contiguous()
    c = t.contiguous()
    assert c.is_contiguous() and c.requires_grad and not np.shares_memory(c.data, a.data)
    c.backward(cr.ones(4, 3))
    assert a.grad.tolist() == np.ones((3, 4)).tolist()
    ours, theirs = cr.zeros(2, 3, dtype=cr.float64), torch.zeros(2, 3, dtype=torch.float64)
    assert ours.element_size() == theirs.element_size() == 8
    assert ours.nelement() == theirs.nelement() == 6
    assert ours.ndimension() == theirs.ndimension() == 2
    assert ours.pin_memory() is ours and ours.share_memory_() is ours
    assert ours.is_shared() is False and ours.is_pinned() is False
    assert ours.data_ptr() == ours.numpy().ctypes.data


def test_type_as_swapaxes_ravel():
    a = cr.tensor([[1, 2, 3]])
    assert a.type_as(cr.ones(1, dtype=cr.float64)).dtype == cr.float64
    assert a.swapaxes(0, 1).shape == (3, 1) and a.swapdims(1, 0).shape == (3, 1)
    assert a.T.ravel().tolist() == [1, 2, 3]


@pytest.mark.parametrize(("source", "destination", "expected"), [
    (0, -1, (3, 4, 5, 2)), ((0, 1), (2, 0), (3, 4, 2, 5)), ((3, 0), (0, 3), (5, 3, 4, 2))])
def test_movedim_matches_numpy(source, destination, expected):
    x = cr.zeros(2, 3, 4, 5)
    assert cr.movedim(x, source, destination).shape == expected
    assert np.moveaxis(np.zeros((2, 3, 4, 5)), source, destination).shape == expected


def test_movedim_errors():
    with pytest.raises(ValueError, match="as many dimensions"):
        cr.zeros(2, 3).movedim((0, 1), 0)
    with pytest.raises(ValueError, match="repeated dimension"):
        cr.zeros(2, 3).movedim((0, 0), (0, 1))
    with pytest.raises(IndexError, match="out of range"):
        cr.zeros(2, 3).movedim(2, 0)


def test_resize_same_number_of_elements_or_a_clear_error():
    a = cr.arange(6.0)
    assert a.resize_(2, 3) is a and a.shape == (2, 3) and a[1, 0].item() == 3.0
    with pytest.raises(RuntimeError, match="same number of elements"):
        a.resize_(4)
    with pytest.raises(RuntimeError, match="requires grad"):
        cr.ones(2, requires_grad=True).resize_(2)
    with pytest.raises(RuntimeError, match="C order"):
        cr.ones(2, 3).T.resize_(6)


def test_detach_in_place_and_apply():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    m = x * 2
    assert m.detach_() is m and m.is_leaf and not m.requires_grad
    z = cr.tensor([1.0, 4.0, 9.0])
    before = z._version
    assert z.apply_(lambda v: v**0.5) is z and z.tolist() == [1.0, 2.0, 3.0]
    assert z._version == before + 1
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        x.apply_(lambda v: v)


@needs_torch
def test_meshgrid_matches_torch_and_checks_indexing():
    a, b = [1.0, 2.0, 3.0], [4.0, 5.0]
    for indexing in ("ij", "xy"):
        ours = cr.meshgrid(cr.tensor(a), cr.tensor(b), indexing=indexing)
        theirs = torch.meshgrid(torch.tensor(a), torch.tensor(b), indexing=indexing)
        for o, t in zip(ours, theirs):
            np.testing.assert_array_equal(o.numpy(), t.numpy())
    with pytest.raises(ValueError, match="'ij' or 'xy'"):
        cr.meshgrid(cr.tensor(a), indexing="ab")
    with pytest.raises(ValueError, match="0-D or 1-D"):
        cr.meshgrid(cr.ones(2, 2))


# ---------------------------------------------------------------- closeness tests


@needs_torch
@pytest.mark.parametrize(("a", "b", "kw"), [
    ([10000.0, 1e-07], [10000.1, 1e-08], {}),
    ([10000.0, 1e-08], [10000.1, 1e-09], {}),
    ([1.0, float("nan")], [1.0, float("nan")], {}),
    ([1.0, float("nan")], [1.0, float("nan")], {"equal_nan": True}),
    ([float("inf"), 4.0], [float("inf"), 6.0], {"rtol": 0.5}),
    ([1.0, 2.0], [1.1, 2.0], {"atol": 0.2}),
])
def test_isclose_and_allclose_match_torch(a, b, kw):
    ours = cr.isclose(cr.tensor(a), cr.tensor(b), **kw)
    theirs = torch.isclose(torch.tensor(a), torch.tensor(b), **kw)
    assert ours.tolist() == theirs.tolist()
    assert cr.allclose(cr.tensor(a), cr.tensor(b), **kw) is \
        torch.allclose(torch.tensor(a), torch.tensor(b), **kw)


def test_equal_and_predicates():
    assert cr.equal(cr.tensor([1.0, 2.0]), cr.tensor([1.0, 2.0])) is True
    assert cr.equal(cr.tensor([1.0, 2.0]), cr.tensor([1.0, 3.0])) is False
    assert cr.equal(cr.tensor([1.0]), cr.tensor([[1.0]])) is False
    assert cr.is_tensor(cr.ones(1)) and cr.is_tensor(cr.nn.Parameter(cr.ones(1)))
    assert not cr.is_tensor(np.ones(1))
    assert cr.is_floating_point(cr.ones(1)) and not cr.is_floating_point(cr.tensor([1]))
    assert cr.numel(cr.ones(2, 3)) == 6


# ---------------------------------------------------------------- default dtype, aliases


@pytest.fixture
def restore_default_dtype():
    yield
    cr.set_default_dtype(cr.float32)


def test_set_default_dtype_round_trip(restore_default_dtype):
    assert cr.get_default_dtype() == cr.float32
    cr.set_default_dtype(cr.float64)
    assert cr.get_default_dtype() == cr.float64
    assert cr.tensor([1.0]).dtype == cr.float64
    assert cr.zeros(2).dtype == cr.ones(1).dtype == cr.float64
    assert (cr.tensor([1, 2]) * 1.5).dtype == cr.float64
    assert cr.tensor(np.ones(1, np.float32)).dtype == cr.float32  # arrays keep their dtype
    assert cr.randn(2).dtype == cr.arange(3.0).dtype == cr.float64
    assert cr.nn.Linear(2, 3).weight.dtype == cr.float64  # as torch's layers follow it
    assert cr.tensor([1, 2]).dtype == cr.int64
    cr.set_default_dtype(cr.float32)
    assert cr.tensor([1.0]).dtype == cr.float32 == cr.get_default_dtype()


@pytest.mark.parametrize("dtype", [cr.int32, cr.int64, cr.bool_, cr.float16])
def test_set_default_dtype_refuses_other_dtypes(dtype, restore_default_dtype):
    with pytest.raises(TypeError, match="only float32 and float64"):
        cr.set_default_dtype(dtype)
    assert cr.get_default_dtype() == cr.float32


@needs_torch
def test_dtype_aliases_match_torch():
    for name in ("float", "int", "short", "double", "half", "long", "bool", "float64",
                 "float32", "int16", "int8", "uint8"):
        assert str(getattr(cr, name)) == str(getattr(torch, name)).removeprefix("torch."), name


FINITE = [-1.5, 0.5, 1.25, 2.25, -0.75, 0.0]
SPECIAL = [-1.5, float("inf"), 0.0, -float("inf"), float("nan"), 2.0]
MORE_FORMS = [
    (lambda lib, x: lib.negative(x), FINITE),
    (lambda lib, x: lib.not_equal(x, 0.5), FINITE),
    (lambda lib, x: lib.greater_equal(x, 0.5), FINITE),
    (lambda lib, x: lib.less(x, 0.5), FINITE),
    (lambda lib, x: lib.less_equal(x, 0.5), FINITE),
    (lambda lib, x: x.not_equal(0.5), FINITE),
    (lambda lib, x: x.greater(0.5), FINITE),
    (lambda lib, x: x.fix(), FINITE),
    (lambda lib, x: x.isposinf(), SPECIAL),
    (lambda lib, x: x.isneginf(), SPECIAL),
    (lambda lib, x: lib.isinf(x), SPECIAL),
    (lambda lib, x: lib.ravel(x.reshape(2, 3).T), FINITE),
    (lambda lib, x: lib.unflatten(x, 0, (2, 3)), FINITE),
    (lambda lib, x: lib.swapdims(x.reshape(2, 3), 0, 1), FINITE),
    (lambda lib, x: x.reshape(2, 3).moveaxis(0, 1), FINITE),
    (lambda lib, x: lib.std(x, 0, True, True), FINITE),
    (lambda lib, x: lib.var(x, unbiased=False), FINITE),
    (lambda lib, x: lib.prod(x.reshape(2, 3), 1, keepdim=True), FINITE),
    (lambda lib, x: lib.norm(x.reshape(2, 3), 1, 0), FINITE),
    (lambda lib, x: lib.exp2(x), FINITE),
    (lambda lib, x: lib.log10(x.abs() + 1), FINITE),
    (lambda lib, x: lib.square(x).sinh().cosh(), FINITE),
]


@needs_torch
@pytest.mark.parametrize(("call", "data"), MORE_FORMS)
def test_more_top_level_forms_and_aliases_match_torch(call, data):
    ours, theirs = call(cr, cr.tensor(data)), call(torch, torch.tensor(data))
    assert ours.shape == tuple(theirs.shape) and ours.dtype.name in str(theirs.dtype)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


@pytest.mark.parametrize(("name", "parameters"), [
    ("mm", "input mat2"),
    ("bmm", "input mat2"),
    ("addmm", "input mat1 mat2 beta alpha"),
    ("outer", "input vec2"),
    ("ger", "input vec2"),
    ("dot", "input tensor"),
    ("einsum", "equation operands"),
    ("norm", "input p dim keepdim out dtype"),  # out positional in torch.norm: kept in place
    ("tensordot", "a b dims out"),
    ("std", "input dim unbiased keepdim correction"),
    ("var", "input dim unbiased keepdim correction"),
    ("prod", "input dim keepdim dtype"),
    ("isclose", "input other rtol atol equal_nan"),
    ("allclose", "input other rtol atol equal_nan"),
    ("equal", "input other"),
    ("eq", "input other"),
    ("ge", "input other"),
    ("atan2", "input other"),
    ("fmod", "input other"),
    ("remainder", "input other"),
    ("round", "input decimals"),
    ("sinh", "input"),
    ("trunc", "input"),
    ("flatten", "input start_dim end_dim"),
    ("unflatten", "input dim sizes"),
    ("unsqueeze", "input dim"),
    ("squeeze", "input dim"),
    ("reshape", "input shape"),
    ("transpose", "input dim0 dim1"),
    ("swapaxes", "input axis0 axis1"),
    ("swapdims", "input dim0 dim1"),
    ("permute", "input dims"),
    ("movedim", "input source destination"),
    ("split", "tensor split_size_or_sections dim"),
    ("chunk", "input chunks dim"),
    ("meshgrid", "tensors indexing"),
    ("t", "input"),
    ("numel", "input"),
    ("is_tensor", "obj"),
    ("is_floating_point", "input"),
    ("set_default_dtype", "d"),
])
def test_top_level_functions_use_pytorchs_argument_names(name, parameters):
    """The names in PyTorch's documented signatures (torch.X), in order (``out=`` and
    ``device=`` left out)."""
    assert name in cr.__all__
    assert list(inspect.signature(getattr(cr, name)).parameters) == parameters.split()


# ------------------------------------------------------------ conversions and memory queries

LAYOUTS = {
    "matrix": lambda lib: lib.zeros(2, 3),
    "transposed": lambda lib: lib.zeros(2, 3).t(),
    "strided": lambda lib: lib.arange(12.0).reshape(3, 4)[:, ::2],
    "scalar": lambda lib: lib.zeros(()),
    "int64": lambda lib: lib.zeros(4, dtype=lib.int64),
    "uint8": lambda lib: lib.zeros(4, dtype=lib.uint8),
    "bool": lambda lib: lib.zeros(4, dtype=lib.bool),
}


@pytest.mark.parametrize("name", LAYOUTS)
def test_memory_queries_answer_as_torch(name):
    torch = pytest.importorskip("torch")
    ours, theirs = LAYOUTS[name](cr), LAYOUTS[name](torch)
    assert ours.stride() == theirs.stride()
    for dim in range(-ours.ndim, ours.ndim):
        assert ours.stride(dim) == theirs.stride(dim)
    for query in ("get_device", "is_complex", "is_signed", "element_size"):
        assert getattr(ours, query)() == getattr(theirs, query)(), query
    assert (ours.nbytes, ours.itemsize) == (theirs.nbytes, theirs.itemsize)


@pytest.mark.parametrize("method,dtype", [("byte", "uint8"), ("char", "int8"),
                                          ("short", "int16")])
def test_integer_conversions_give_torchs_dtypes(method, dtype):
    x = cr.tensor([1.7, -2.2, 3.0])
    converted = getattr(x, method)()
    assert converted.dtype == getattr(cr, dtype)
    torch = pytest.importorskip("torch")
    assert str(getattr(torch.tensor([1.7, -2.2, 3.0]), method)().dtype) == f"torch.{dtype}"
    if dtype != "uint8":  # a negative float to uint8 is undefined behaviour in C and torch
        assert converted.tolist() == getattr(torch.tensor([1.7, -2.2, 3.0]), method)().tolist()


def test_stride_of_a_missing_dimension_is_an_index_error():
    with pytest.raises(IndexError, match="dimension 2 is out of range"):
        cr.zeros(2, 3).stride(2)
