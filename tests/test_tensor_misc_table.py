"""The checks of the main op table, run over the rows of ``tests/ops/spec_rows_misc`` (tile,
unfold, scatter_reduce, index_put, put, index_copy, masked_scatter, kthvalue and friends, the
products and the statistics): forward values, shapes and dtypes against the NumPy references
(float64 with a graph, float32 without, column-major and strided inputs); gradients against
finite differences in float64 (the projection check, the full Jacobian, the random-direction
check on larger shapes); values and gradients against torch; and no graph from the rows
without a gradient.
"""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from tests.ops.spec_rows_misc import MISC
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
from tests.ops.test_torch_parity import assert_same, assert_same_gradients, torch_inputs
from tests.optional import needs_torch, torch

DIFFERENTIABLE = [spec for spec in MISC if spec.grad]
NONCONTIGUOUS = [spec for spec in MISC if noncontiguous_case(spec) is not None]


def test_row_names_are_unique():
    names = [spec.name for spec in MISC]
    assert len(names) == len(set(names))


@pytest.mark.parametrize(("spec", "shapes"), all_cases(MISC))
def test_forward_float64_recording_a_graph(spec, shapes):
    check_forward(spec, shapes, np.float64)


@pytest.mark.parametrize(("spec", "shapes"), all_cases(MISC))
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


@pytest.mark.parametrize("spec", [s for s in NONCONTIGUOUS if s.grad], ids=lambda s: s.name)
def test_gradcheck_column_major_input(spec):
    inputs = to_chainrule([fortran(a) for a in spec.sample(noncontiguous_case(spec))],
                          np.float64)
    assert cr.gradcheck(spec.op, inputs, **spec.gradcheck_options())


@pytest.mark.parametrize("spec", DIFFERENTIABLE, ids=lambda spec: spec.name)
def test_random_direction_vjp_on_large_shapes(spec):
    check_vjp(spec, spec.big_shapes())


@pytest.mark.parametrize("spec", [s for s in MISC if not s.grad],
                         ids=lambda spec: spec.name)
def test_ops_without_gradient_record_no_graph(spec):
    inputs = to_chainrule(spec.sample(spec.cases[-1]), np.float64)
    for out in as_outputs(spec.op(*inputs)):
        assert not out.requires_grad and out.is_leaf


@needs_torch
@pytest.mark.parametrize(("spec", "shapes"),
                         all_cases([s for s in MISC if s.torch_op is not None]))
def test_matches_torch(spec, shapes):
    arrays = [a.astype(np.float32) if a.dtype.kind == "f" else a for a in spec.sample(shapes)]
    ours_in = to_chainrule(arrays, np.float32, requires_grad=spec.grad)
    theirs_in = torch_inputs(arrays, requires_grad=spec.grad)
    ours = as_outputs(spec.op(*ours_in))
    theirs = as_outputs(spec.torch_call(torch)(*theirs_in))
    assert len(ours) == len(theirs)
    for o, t in zip(ours, theirs):
        assert_same(o, t, {"atol": 1e-6, "rtol": 1e-3})
    if spec.grad:
        assert_same_gradients(ours, theirs, ours_in, theirs_in)


def test_every_row_is_compared_with_torch():
    assert [spec.name for spec in MISC if spec.torch_op is None] == []
