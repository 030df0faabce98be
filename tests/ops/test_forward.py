"""Every op's forward against its NumPy reference: the shape, the dtype and the values.

The expected dtype is what the NumPy reference gives on arrays of the input dtype (NumPy 2
keeps float32 float32 there, as chainrule must); the expected values come from the reference
run in float64 on the same (already rounded) inputs.
"""

from __future__ import annotations

import contextlib

import numpy as np
import pytest

import chainrule as cr
from tests.ops.op_specs import (
    SPECS,
    SPECS_BY_NAME,
    all_cases,
    as_outputs,
    fortran,
    noncontiguous_case,
    strided,
    to_chainrule,
)

TOLERANCE = {
    np.float32: {"rtol": 1e-5, "atol": 1e-6},
    np.float64: {"rtol": 1e-12, "atol": 1e-12},
}


@contextlib.contextmanager
def nep50_promotion():
    """NumPy 2's promotion rules (NEP 50, which match PyTorch's for these references) while
    computing expected dtypes, also on NumPy 1.x where value-based casting is the default."""
    setter = getattr(np, "_set_promotion_state", None)
    if setter is None:
        yield
        return
    previous = np._get_promotion_state()
    setter("weak")
    try:
        yield
    finally:
        setter(previous)


def _identity(array: np.ndarray) -> np.ndarray:
    return array


def check_forward(spec, shapes, dtype, requires_grad=True, layout=_identity, seed=0):
    """Run ``spec`` on inputs of ``dtype`` (stored with ``layout``) and compare with NumPy."""
    native = [a.astype(dtype) if a.dtype.kind == "f" else a for a in spec.sample(shapes, seed)]
    inputs = to_chainrule([layout(a) for a in native], dtype, requires_grad and spec.grad)
    before = [a.copy() for a in native]
    outputs = as_outputs(spec.op(*inputs))
    for x, a in zip(inputs, before):
        np.testing.assert_array_equal(x.data, a, err_msg="the op wrote into its input")
    with nep50_promotion():
        expected_dtypes = [np.asarray(r).dtype for r in as_outputs(spec.ref(*native))]
    wide = [a.astype(np.float64) if a.dtype.kind == "f" else a for a in native]
    expected = [np.asarray(r) for r in as_outputs(spec.ref(*wide))]
    assert len(outputs) == len(expected)
    for out, want, want_dtype in zip(outputs, expected, expected_dtypes):
        assert isinstance(out, cr.Tensor)
        assert out.shape == want.shape
        assert out.dtype == want_dtype
        np.testing.assert_allclose(out.detach().numpy(), want, **TOLERANCE[dtype])


@pytest.mark.parametrize(("spec", "shapes"), all_cases(SPECS))
def test_forward_float64_recording_a_graph(spec, shapes):
    check_forward(spec, shapes, np.float64)


@pytest.mark.parametrize(("spec", "shapes"), all_cases(SPECS))
def test_forward_float32_under_no_grad(spec, shapes):
    """The no-graph path (no input requires grad, grad mode off). float32 with a graph is
    compared with PyTorch in ``test_torch_parity``."""
    with cr.no_grad():
        check_forward(spec, shapes, np.float32, requires_grad=False)


NONCONTIGUOUS = [spec for spec in SPECS if noncontiguous_case(spec) is not None]


@pytest.mark.parametrize("layout", [fortran, strided], ids=["fortran", "strided"])
@pytest.mark.parametrize("spec", NONCONTIGUOUS, ids=lambda spec: spec.name)
def test_forward_on_noncontiguous_inputs(spec, layout):
    """Transposed (column-major) and strided inputs give the same values."""
    check_forward(spec, noncontiguous_case(spec), np.float64, layout=layout)


def test_noncontiguous_layouts_really_are_noncontiguous():
    a = np.ones((5, 10))
    assert not fortran(a).flags.c_contiguous
    assert not strided(a).flags.c_contiguous
    assert not cr.from_numpy(strided(a)).data.flags.c_contiguous


@pytest.mark.parametrize("seed", range(3))
def test_forward_other_seeds(seed):
    """A few more draws for the ops whose result depends most on the values drawn."""
    for name in ("max_dim", "argmax_dim1", "norm_pinf", "floordiv", "mod", "eq", "sign"):
        spec = next(s for s in SPECS if s.name == name)
        for shapes in spec.cases:
            check_forward(spec, shapes, np.float32, seed=seed + 1)


# Every op the issue lists has a row (a renamed or dropped row fails here, not silently).
REQUIRED = """
add sub mul div floordiv mod pow pow_scalar_2 pow_scalar_frac rpow_scalar neg add_scalar
radd_scalar rsub_scalar rdiv_scalar matmul eq ne lt le gt ge exp log log1p sqrt rsqrt abs sign
sin cos tanh sigmoid relu clamp clip clamp_tensor_bounds maximum minimum where softplus
softmax log_softmax logsumexp sum mean var var_unbiased_false var_correction0 std
std_correction0 prod max min max_dim min_dim amax amin argmax argmin norm norm_p1 norm_pinf
norm_p3 reshape view flatten unflatten squeeze unsqueeze transpose permute T mT expand
broadcast_to repeat cat stack split chunk pad flip gather getitem_int getitem_slices
getitem_none getitem_ellipsis getitem_mask getitem_repeated_ints getitem_int_tensor clone
detach to_float64 float double
""".split()
REDUCTIONS = "sum mean var std prod max min amax amin argmax argmin norm logsumexp".split()


def test_the_table_covers_every_op_of_the_issue():
    missing = [name for name in REQUIRED if name not in SPECS_BY_NAME]
    missing += [f"{r}_axis_alias" for r in REDUCTIONS if f"{r}_axis_alias" not in SPECS_BY_NAME]
    assert not missing


def test_matmul_covers_numpy_1d_rules_and_batch_broadcasting():
    cases = SPECS_BY_NAME["matmul"].cases
    ranks = {(len(a), len(b)) for a, b in cases}
    assert {(1, 1), (1, 2), (2, 1), (2, 2), (3, 3), (3, 2), (1, 3), (3, 1)} <= ranks
    assert any(len(a) > 2 and len(b) > 2 and a[:-2] != b[:-2] for a, b in cases)


def test_row_names_are_unique():
    names = [spec.name for spec in SPECS]
    assert sorted({n for n in names if names.count(n) > 1}) == []
