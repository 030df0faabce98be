"""R-GRAD-1: every differentiable op of the table passes the full-Jacobian check in float64.

``chainrule.gradcheck(..., full_jacobian=True)`` with PyTorch's gradcheck defaults (eps 1e-6,
atol 1e-5, rtol 1e-3) compares every entry ∂fⱼ/∂xᵢ: the numeric Jacobian column by column,
the analytic one row by row from one-hot backward passes. It runs on every case of the table
(0-d, (5,), (5, 10), the broadcasting pairs) and on non-contiguous copies of one case per op:
column-major, strided along the last axis, and every other row. Inputs come from each row's
domain, away from kinks and poles by a margin (R-GRAD-4). The projection check with tighter
tolerances is in ``test_gradcheck``; the functions of ``chainrule.functional`` that are not in
the table are in ``test_full_jacobian_functional``.
"""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from tests.ops.op_specs import (
    DIFFERENTIABLE,
    all_cases,
    fortran,
    noncontiguous_case,
    strided,
    strided_rows,
    strided_rows_case,
    to_chainrule,
)


def full_jacobian_options(spec) -> dict:
    """PyTorch's tolerances (gradcheck's full-Jacobian defaults) unless the row sets its own."""
    return {**spec.gradcheck_options(), "full_jacobian": True}


@pytest.mark.parametrize(("spec", "shapes"), all_cases(DIFFERENTIABLE))
def test_full_jacobian(spec, shapes):
    inputs = to_chainrule(spec.sample(shapes), np.float64)
    assert cr.gradcheck(spec.op, inputs, **full_jacobian_options(spec))


NONCONTIGUOUS = [spec for spec in DIFFERENTIABLE if noncontiguous_case(spec) is not None]


@pytest.mark.parametrize("layout", [fortran, strided], ids=["column_major", "strided"])
@pytest.mark.parametrize("spec", NONCONTIGUOUS, ids=lambda spec: spec.name)
def test_full_jacobian_non_contiguous_input(spec, layout):
    arrays = [layout(a) for a in spec.sample(noncontiguous_case(spec))]
    inputs = to_chainrule(arrays, np.float64)
    assert any(not t.data.flags.c_contiguous for t in inputs)
    assert cr.gradcheck(spec.op, inputs, **full_jacobian_options(spec))


STRIDED_ROWS = [spec for spec in DIFFERENTIABLE if strided_rows_case(spec) is not None]


@pytest.mark.parametrize("spec", STRIDED_ROWS, ids=lambda spec: spec.name)
def test_full_jacobian_strided_rows(spec):
    """Every other row of a taller array: reaches the ops whose inputs are 1-D or have
    size-1 dimensions (expand, squeeze), which have no column-major layout."""
    arrays = [strided_rows(a) for a in spec.sample(strided_rows_case(spec))]
    inputs = to_chainrule(arrays, np.float64)
    assert any(not (t.data.flags.c_contiguous or t.data.flags.f_contiguous) for t in inputs)
    assert cr.gradcheck(spec.op, inputs, **full_jacobian_options(spec))


def test_every_differentiable_op_has_a_non_contiguous_case():
    left_out = {spec.name for spec in DIFFERENTIABLE} - {spec.name for spec in STRIDED_ROWS}
    assert left_out == {"reshape_0d", "logcumsumexp_0d", "unfold_0d"}  # their only input is 0-d
