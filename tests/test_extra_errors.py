"""The errors of the further ops of ``methods.extra`` (scatters, logaddexp2, ldexp, frexp,
nextafter, renorm, nanmedian, the bit shifts, index_reduce): each names its problem, and
torch refuses the same calls."""

from __future__ import annotations

import pytest

import chainrule as cr
from tests.optional import needs_torch, torch

pytestmark = [needs_torch, pytest.mark.filterwarnings("ignore:index_reduce")]  # torch: beta

ERRORS = [
    (lambda: cr.zeros(3, 4).slice_scatter(cr.ones(3, 3), 1, step=2), RuntimeError,
     r"src size = \[3, 3\], slice size = \[3, 2\]"),
    (lambda: cr.zeros(3, 4).slice_scatter(cr.ones(3, 2), 2), IndexError, "out of range"),
    (lambda: cr.zeros(3, 4).slice_scatter(cr.ones(3, 2), 1, step=0), RuntimeError,
     "step must be positive"),
    (lambda: cr.tensor(1.0).slice_scatter(cr.tensor(2.0)), IndexError, "0-dim"),
    (lambda: cr.zeros(3, 4).slice_scatter([1.0], 0), TypeError, "src must be a tensor"),
    (lambda: cr.zeros(3, 4).select_scatter(cr.ones(3), 1, 4), IndexError,
     r"index 4 out of range for tensor of size \[3, 4\] at dimension 1"),
    (lambda: cr.zeros(3, 4).select_scatter(cr.ones(4), 1, 0), RuntimeError,
     r"src size = \[4\], slice size = \[3\]"),
    (lambda: cr.zeros(3, 4).select_scatter(cr.ones(3), -3, 0), IndexError, "out of range"),
    (lambda: cr.zeros(3, 4).diagonal_scatter(cr.ones(2)), RuntimeError,
     r"src size = \[2\], slice size = \[3\]"),
    (lambda: cr.zeros(3, 4).diagonal_scatter(cr.ones(3), 0, 1, -1), RuntimeError,
     "cannot be identical"),
    (lambda: cr.zeros(3, 4).diagonal_scatter(cr.ones(3), 0, 0, 2), IndexError, "out of range"),
    (lambda: cr.ones(3).logaddexp2(2.0), TypeError, "must be Tensor"),
    (lambda: cr.tensor([1, 2]).logaddexp2(cr.tensor([1, 2])), NotImplementedError,
     "floating-point"),
    (lambda: cr.ones(3).logaddexp2(cr.ones(2)), ValueError, "cannot be broadcast"),
    (lambda: cr.ones(3).ldexp(3), TypeError, "must be Tensor"),
    (lambda: cr.ones(2).ldexp(cr.tensor([True, False])), NotImplementedError, "bool"),
    (lambda: cr.tensor([1, 2]).ldexp_(cr.tensor([1, 2])), RuntimeError, "cannot be written"),
    (lambda: cr.tensor([1, 2]).nextafter(cr.tensor([2, 0])), NotImplementedError,
     "floating-point"),
    (lambda: cr.tensor([1, 2]).frexp(), RuntimeError, "floating-point"),
    (lambda: cr.ones(3, 2).renorm(0, 0, 1.0), RuntimeError, "non-positive-norm"),
    (lambda: cr.ones(3, 2).renorm(2, 0, -1.0), RuntimeError, "maxnorm to be >= 0"),
    (lambda: cr.ones(3).renorm(2, 0, 1.0), RuntimeError, "at least 2 dimensions"),
    (lambda: cr.ones(3, 2).renorm(2, 2, 1.0), IndexError, "out of range"),
    (lambda: cr.tensor([[1, 2]]).renorm(2, 0, 1.0), RuntimeError, "floating-point"),
    (lambda: cr.zeros(0, 3).nanmedian(0), IndexError, "empty dimension"),
    (lambda: cr.ones(2, 2).nanmedian(2), IndexError, "out of range"),
    (lambda: cr.ones(2).bitwise_left_shift(1), NotImplementedError, "integer tensors"),
    (lambda: cr.tensor([1, 2]).bitwise_right_shift(cr.ones(2)), NotImplementedError,
     "integer tensors"),
    (lambda: cr.tensor([True]).bitwise_left_shift(cr.tensor([True])), NotImplementedError,
     "integer tensors"),
    (lambda: cr.tensor([1, 2]) << 1.5, NotImplementedError, "integer tensors"),
    (lambda: cr.tensor([1, 2]).bitwise_left_shift_(cr.tensor([[1], [2]])), ValueError,
     "keeps the shape"),
    (lambda: cr.tensor([1, 2]).bitwise_left_shift(cr.tensor([1, 2, 3])), ValueError,
     "cannot be broadcast"),
]

INDEX_REDUCE_ERRORS = [
    ({"reduce": "sum"}, RuntimeError, "one of prod, mean, amax or amin but got sum"),
    ({"reduce": "max"}, RuntimeError, "but got max"),
    ({"index": cr.tensor([0.0, 1.0, 0.0, 1.0])}, RuntimeError, "int32/int64 for index"),
    ({"index": cr.tensor([0, 1, 0])}, RuntimeError, r"Number of indices \(3\)"),
    ({"index": cr.tensor([0, 5, 0, 1])}, IndexError, "index 5 is out of range"),
    ({"index": cr.tensor([0, -1, 0, 1])}, IndexError, "index -1 is out of range"),
    ({"index": cr.tensor([[0, 1], [0, 1]])}, IndexError, "supposed to be a vector"),
    ({"source": cr.ones(4, 2, dtype=cr.float64)}, RuntimeError, "same scalar type"),
    ({"source": cr.ones(4, 3)}, RuntimeError, "source tensor shape must match"),
    ({"source": [[1.0, 2.0]]}, TypeError, "source must be a tensor"),
    ({"dim": 2}, IndexError, "out of range"),
]


@pytest.mark.parametrize("case", range(len(ERRORS)))
def test_errors_name_the_problem(case):
    call, kind, match = ERRORS[case]
    with pytest.raises(kind, match=match):
        call()


@pytest.mark.parametrize("case", range(len(INDEX_REDUCE_ERRORS)))
def test_index_reduce_errors_name_the_problem(case):
    change, kind, match = INDEX_REDUCE_ERRORS[case]
    args = {"dim": 0, "index": cr.tensor([0, 2, 0, 2]), "source": cr.ones(4, 2),
            "reduce": "prod", **change}
    with pytest.raises(kind, match=match):
        cr.ones(3, 2).index_reduce(args["dim"], args["index"], args["source"], args["reduce"])


def test_the_errors_are_errors_in_torch_too():
    """The same calls fail in torch (the case list is not inventing limits)."""
    checks = [
        lambda: torch.zeros(3, 4).slice_scatter(torch.ones(3, 3), 1, step=2),
        lambda: torch.zeros(3, 4).select_scatter(torch.ones(3), 1, 4),
        lambda: torch.zeros(3, 4).diagonal_scatter(torch.ones(3), 0, 1, -1),
        lambda: torch.tensor([1, 2]).logaddexp2(torch.tensor([1, 2])),
        lambda: torch.tensor([1, 2]).frexp(),
        lambda: torch.ones(3, 2).renorm(0, 0, 1.0),
        lambda: torch.ones(3).renorm(2, 0, 1.0),
        lambda: torch.ones(2).bitwise_left_shift(1),
        lambda: torch.tensor([True]).bitwise_left_shift(torch.tensor([True])),
        lambda: torch.ones(3, 2).index_reduce(0, torch.tensor([0, 2, 0, 2]), torch.ones(4, 2),
                                              "sum"),
        lambda: torch.ones(3, 2).index_reduce(0, torch.tensor([0, 5, 0, 1]), torch.ones(4, 2),
                                              "prod"),
    ]
    for check in checks:
        with pytest.raises((RuntimeError, IndexError, NotImplementedError, TypeError)):
            check()
