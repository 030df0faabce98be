"""The op table's checks, run on the rows of ``spec_rows_special``: forward against the
NumPy reference (float64 with a graph, float32 without, non-contiguous inputs), gradcheck and
the full-Jacobian check in float64, the random-direction check on larger shapes, no graph for
the ops without a gradient, and values and gradients against PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from tests.ops.spec_rows_special import SPECIAL_ROWS as POINTWISE
from tests.ops.spec_types import (
    all_cases,
    as_outputs,
    fortran,
    noncontiguous_case,
    strided,
    to_chainrule,
)
from tests.ops.test_forward import check_forward
from tests.ops.test_gradcheck import check_vjp
from tests.ops.test_torch_parity import (
    FORWARD,
    assert_same,
    assert_same_gradients,
    torch_inputs,
)
from tests.optional import needs_torch, torch

DIFFERENTIABLE = [spec for spec in POINTWISE if spec.grad]
CONSTANT = [spec for spec in POINTWISE if not spec.grad]
NONCONTIGUOUS = [spec for spec in POINTWISE if noncontiguous_case(spec) is not None]
IN_TORCH = [spec for spec in POINTWISE if spec.torch_op is not None]


def test_row_names_are_unique():
    names = [spec.name for spec in POINTWISE]
    assert len(names) == len(set(names))


@pytest.mark.parametrize(("spec", "shapes"), all_cases(POINTWISE))
def test_forward_float64_recording_a_graph(spec, shapes):
    check_forward(spec, shapes, np.float64)


@pytest.mark.parametrize(("spec", "shapes"), all_cases(POINTWISE))
def test_forward_float32_under_no_grad(spec, shapes):
    with cr.no_grad():
        check_forward(spec, shapes, np.float32, requires_grad=False)


@pytest.mark.parametrize("layout", [fortran, strided], ids=["fortran", "strided"])
@pytest.mark.parametrize("spec", NONCONTIGUOUS, ids=lambda spec: spec.name)
def test_forward_on_noncontiguous_inputs(spec, layout):
    check_forward(spec, noncontiguous_case(spec), np.float64, layout=layout)


@pytest.mark.parametrize(("spec", "shapes"), all_cases(DIFFERENTIABLE))
def test_gradcheck(spec, shapes):
    inputs = to_chainrule(spec.sample(shapes), np.float64)
    assert cr.gradcheck(spec.op, inputs, **spec.gradcheck_options())


@pytest.mark.parametrize(("spec", "shapes"), all_cases(DIFFERENTIABLE))
def test_full_jacobian(spec, shapes):
    inputs = to_chainrule(spec.sample(shapes), np.float64)
    assert cr.gradcheck(spec.op, inputs, **spec.gradcheck_options(), full_jacobian=True)


@pytest.mark.parametrize("spec", [s for s in DIFFERENTIABLE if s in NONCONTIGUOUS],
                         ids=lambda spec: spec.name)
def test_gradcheck_column_major_input(spec):
    inputs = to_chainrule([fortran(a) for a in spec.sample(noncontiguous_case(spec))],
                          np.float64)
    assert any(not t.data.flags.c_contiguous for t in inputs)
    assert cr.gradcheck(spec.op, inputs, **spec.gradcheck_options())


@pytest.mark.parametrize("spec", DIFFERENTIABLE, ids=lambda spec: spec.name)
def test_random_direction_vjp_on_large_shapes(spec):
    check_vjp(spec, spec.big_shapes())


@pytest.mark.parametrize("spec", CONSTANT, ids=lambda spec: spec.name)
def test_ops_without_gradient_record_no_graph(spec):
    inputs = to_chainrule(spec.sample(spec.cases[0]), np.float64)
    for out in as_outputs(spec.op(*inputs)):
        assert not out.requires_grad and out.is_leaf


@needs_torch
@pytest.mark.parametrize(("spec", "shapes"), all_cases(IN_TORCH))
def test_matches_torch(spec, shapes):
    arrays = [a.astype(np.float32) if a.dtype.kind == "f" else a for a in spec.sample(shapes)]
    ours_in = to_chainrule(arrays, np.float32, requires_grad=spec.grad)
    theirs_in = torch_inputs(arrays, requires_grad=spec.grad)
    ours = as_outputs(spec.op(*ours_in))
    theirs = as_outputs(spec.torch_call(torch)(*theirs_in))
    assert len(ours) == len(theirs)
    for o, t in zip(ours, theirs):
        assert_same(o, t, FORWARD)
    if spec.grad:
        assert_same_gradients(ours, theirs, ours_in, theirs_in)
