"""Values and gradients of every op against PyTorch (R-GRAD-5), where torch is installed.

float32 inputs drawn in U(−2, 2), restricted to the op's domain where it has one; a random
upstream gradient. Shapes and dtypes are asserted before values. Tolerances (tinygrad's):
forward atol 1e-6 / rtol 1e-3, gradients atol 1e-4 / rtol 1e-3.
"""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from tests.ops.op_specs import SPECS, all_cases, as_outputs, to_chainrule
from tests.ops.spec_rows_misc import MISC
from tests.ops.spec_rows_pointwise import POINTWISE
from tests.ops.spec_rows_special import SPECIAL_ROWS
from tests.ops.spec_rows_structure2 import STRUCTURE2
from tests.optional import needs_torch, torch

pytestmark = needs_torch

FORWARD = {"atol": 1e-6, "rtol": 1e-3}
GRADIENT = {"atol": 1e-4, "rtol": 1e-3}
IN_TORCH = [spec for spec in SPECS if spec.torch_op is not None]


def torch_inputs(arrays: list[np.ndarray], requires_grad: bool) -> list:
    return [
        torch.tensor(a, requires_grad=requires_grad and a.dtype.kind == "f") for a in arrays
    ]


def assert_same(ours, theirs, tolerance) -> None:
    """Shape, then dtype, then values."""
    assert ours.shape == tuple(theirs.shape)
    assert str(theirs.dtype) == f"torch.{ours.dtype.name}"
    want = theirs.detach().numpy()
    np.testing.assert_allclose(ours.detach().numpy(), want, **tolerance)


def assert_same_gradients(ours_out, theirs_out, ours_in, theirs_in, seed=0) -> None:
    differentiable = [o.requires_grad for o in ours_out]
    assert differentiable == [t.requires_grad for t in theirs_out]
    rng = np.random.default_rng(seed)
    upstream = [rng.standard_normal(o.shape).astype(o.dtype) for o in ours_out]
    picked = [i for i, d in enumerate(differentiable) if d]
    ours_x = [x for x in ours_in if x.requires_grad]
    theirs_x = [x for x in theirs_in if x.requires_grad]
    ours_g = cr.autograd.grad([ours_out[i] for i in picked], ours_x,
                              [upstream[i] for i in picked], allow_unused=True)
    theirs_g = torch.autograd.grad([theirs_out[i] for i in picked], theirs_x,
                                   [torch.from_numpy(upstream[i]) for i in picked],
                                   allow_unused=True)
    for x, ours, theirs in zip(ours_x, ours_g, theirs_g):
        ours = cr.zeros_like(x) if ours is None else ours
        theirs = torch.zeros(x.shape) if theirs is None else theirs
        assert_same(ours, theirs, GRADIENT)


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


def test_most_ops_are_compared_with_torch():
    """Only ops torch lacks are left out (a chainrule-only tuple-dim prod, a scalar maximum)."""
    missing = sorted(spec.name for spec in SPECS if spec.torch_op is None)
    assert missing == ["maximum_scalar", "prod_dims"]


def test_every_row_of_the_wider_api_is_compared_with_torch():
    wider = STRUCTURE2 + POINTWISE + MISC + SPECIAL_ROWS
    assert [spec.name for spec in wider if spec.torch_op is None] == []
