"""The checks of the main op table, run over the rows of ``tests/ops/spec_rows_linalg.py``
(``torch.linalg``'s decompositions, solves and log-determinants): forward values, shapes and
dtypes against the NumPy references (float64 with a graph, float32 without, column-major
inputs); gradients against finite differences in float64 (the projection check, the full
Jacobian, the random-direction check on larger shapes); values and gradients against torch.

The float32 forward tolerance is wider than the main table's: a decomposition's float32 result
carries LAPACK's float32 rounding, amplified by the spectrum's gaps, where an elementwise op
rounds once.
"""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from tests.ops.spec_rows_linalg import LINALG as DECOMPOSITIONS
from tests.ops.spec_rows_linalg import MATRIX_FUNCTIONS, METHODS, TOP_LEVEL
from tests.ops.spec_types import all_cases, as_outputs, fortran, noncontiguous_case, to_chainrule
from tests.ops.test_gradcheck import check_vjp
from tests.ops.test_torch_parity import assert_same, assert_same_gradients, torch_inputs
from tests.optional import needs_torch, torch

LINALG = DECOMPOSITIONS + MATRIX_FUNCTIONS + TOP_LEVEL + METHODS
DIFFERENTIABLE = [spec for spec in LINALG if spec.grad]
NONCONTIGUOUS = [spec for spec in LINALG if noncontiguous_case(spec) is not None]
TOLERANCE = {np.float32: {"rtol": 1e-4, "atol": 1e-5},
             np.float64: {"rtol": 1e-10, "atol": 1e-10}}


def check_forward(spec, shapes, dtype, requires_grad=True, layout=lambda a: a):
    native = [a.astype(dtype) if a.dtype.kind == "f" else a for a in spec.sample(shapes)]
    inputs = to_chainrule([layout(a) for a in native], dtype, requires_grad)
    outputs = as_outputs(spec.op(*inputs))
    expected = as_outputs(spec.ref(*[a.astype(np.float64) for a in native]))
    assert len(outputs) == len(expected)
    for out, want in zip(outputs, expected):
        assert out.shape == np.shape(want)
        assert out.dtype == dtype
        np.testing.assert_allclose(out.detach().numpy(), want, **TOLERANCE[dtype])


def test_row_names_are_unique():
    names = [spec.name for spec in LINALG]
    assert len(names) == len(set(names))


@pytest.mark.parametrize(("spec", "shapes"), all_cases(LINALG))
def test_forward_float64_recording_a_graph(spec, shapes):
    check_forward(spec, shapes, np.float64)


@pytest.mark.parametrize(("spec", "shapes"), all_cases(LINALG))
def test_forward_float32_under_no_grad(spec, shapes):
    with cr.no_grad():
        check_forward(spec, shapes, np.float32, requires_grad=False)


@pytest.mark.parametrize("spec", NONCONTIGUOUS, ids=lambda spec: spec.name)
def test_forward_on_column_major_inputs(spec):
    check_forward(spec, noncontiguous_case(spec), np.float64, layout=fortran)


@pytest.mark.parametrize(("spec", "shapes"), all_cases(DIFFERENTIABLE))
def test_gradcheck(spec, shapes):
    inputs = to_chainrule(spec.sample(shapes), np.float64)
    assert cr.gradcheck(spec.op, inputs, **spec.gradcheck_options())


@pytest.mark.parametrize(("spec", "shapes"), all_cases(DIFFERENTIABLE))
def test_full_jacobian(spec, shapes):
    inputs = to_chainrule(spec.sample(shapes), np.float64)
    assert cr.gradcheck(spec.op, inputs, **spec.gradcheck_options(), full_jacobian=True)


@pytest.mark.parametrize("spec", DIFFERENTIABLE, ids=lambda spec: spec.name)
def test_random_direction_vjp_on_large_shapes(spec):
    check_vjp(spec, spec.big_shapes())


# torch warns that its older names (torch.qr, torch.svd, torch.cholesky ...) are deprecated
OLD_NAMES = pytest.mark.filterwarnings("ignore::UserWarning")


@needs_torch
@OLD_NAMES
@pytest.mark.parametrize(("spec", "shapes"), all_cases(LINALG))
def test_matches_torch(spec, shapes):
    arrays = [a.astype(np.float32) for a in spec.sample(shapes)]
    ours_in = to_chainrule(arrays, np.float32)
    theirs_in = torch_inputs(arrays, requires_grad=True)
    ours = as_outputs(spec.op(*ours_in))
    theirs = as_outputs(spec.torch_call(torch)(*theirs_in))
    assert len(ours) == len(theirs)
    for o, t in zip(ours, theirs):
        assert_same(o, t, {"atol": 1e-5, "rtol": 1e-3})
    assert_same_gradients(ours, theirs, ours_in, theirs_in)


@needs_torch
@OLD_NAMES
@pytest.mark.parametrize(("spec", "shapes"), all_cases(DIFFERENTIABLE))
def test_gradients_match_torch_in_float64(spec, shapes):
    """The same comparison in float64, to 1e-9: the derivative formulas agree, not only to
    float32 rounding."""
    arrays = spec.sample(shapes)
    ours_in = to_chainrule(arrays, np.float64)
    theirs_in = torch_inputs(arrays, requires_grad=True)
    ours = as_outputs(spec.op(*ours_in))
    theirs = as_outputs(spec.torch_call(torch)(*theirs_in))
    rng = np.random.default_rng(0)
    upstream = [rng.standard_normal(o.shape) for o in ours]
    picked = [i for i, o in enumerate(ours) if o.requires_grad]
    ours_g = cr.autograd.grad([ours[i] for i in picked], ours_in, [upstream[i] for i in picked])
    theirs_g = torch.autograd.grad([theirs[i] for i in picked], theirs_in,
                                   [torch.from_numpy(upstream[i]) for i in picked])
    for o, t in zip(ours_g, theirs_g):
        np.testing.assert_allclose(o.numpy(), t.numpy(), rtol=1e-9, atol=1e-9)
