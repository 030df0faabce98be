"""Every differentiable function of ``chainrule.functional`` at a small size, through both
gradient checks in float64: the full Jacobian with PyTorch's tolerances (R-GRAD-1) and the
projection check with gradcheck's tight defaults. Without torch these are what the gradients
of activations, losses, normalisation, convolution and pooling rest on. The rows are in
``spec_rows_functional``.
"""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
import chainrule.functional as F
from tests.ops.op_specs import all_cases, as_outputs, to_chainrule
from tests.ops.spec_rows_functional import FUNCTIONAL, NOT_DIFFERENTIABLE

CASES = all_cases(FUNCTIONAL)


def function_name(spec) -> str:
    return spec.name.split("[")[0]


def checked_inputs(spec, shapes) -> list:
    inputs = to_chainrule(spec.sample(shapes), np.float64)
    if not any(o.requires_grad for o in as_outputs(spec.op(*inputs))):
        pytest.fail(f"{spec.name}: no output requires grad")
    return inputs


@pytest.mark.parametrize(("spec", "shapes"), CASES)
def test_full_jacobian(spec, shapes):
    assert cr.gradcheck(spec.op, checked_inputs(spec, shapes), full_jacobian=True)


@pytest.mark.parametrize(("spec", "shapes"), CASES)
def test_projection(spec, shapes):
    assert cr.gradcheck(spec.op, checked_inputs(spec, shapes))


def test_every_exported_function_has_a_row():
    assert set(F.__all__) <= {function_name(spec) for spec in FUNCTIONAL} | \
        set(NOT_DIFFERENTIABLE)


def test_one_hot_gives_integers_that_need_no_gradient():
    out = F.one_hot(cr.tensor([2, 0]), 3)
    assert out.dtype == cr.int64 and not out.requires_grad


def test_dropout_rows_see_one_mask():
    """The rows rebuild the generator from one seed, so every call drops the same elements
    (otherwise the finite differences would compare two different functions)."""
    spec = next(s for s in FUNCTIONAL if s.name == "dropout")
    x = cr.ones(3, 4, dtype=cr.float64)
    first, second = spec.op(x).numpy(), spec.op(x).numpy()
    np.testing.assert_array_equal(first, second)
    assert 0 < np.count_nonzero(first) < first.size
