"""chainrule.distributions.constraints against torch.distributions.constraints: each
constraint's check (values and result shape), repr, event_dim and is_discrete on the same
inputs, the dependent placeholders, and the error cases."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.distributions import constraints as C

from .optional import needs_torch, torch

pytestmark = needs_torch

RNG = np.random.default_rng(7)
_A = RNG.standard_normal((3, 4, 4))
SPD = _A @ _A.transpose(0, 2, 1) + 0.1 * np.eye(4)
CHOL = np.linalg.cholesky(SPD)
NOT_PD = np.stack([SPD[0], -SPD[1], SPD[2]])
PSD = np.stack([SPD[0], np.outer(_A[1, 0], _A[1, 0]), -SPD[2]])
MIXED = np.stack([SPD[0], _A[1], CHOL[2]])
VALUES = np.array([[-1.5, 0.0, 0.5, 1.0], [2.0, np.nan, 3.0, 1e-9]])
COUNTS = np.array([[0.0, 2.0, 1.0], [1.0, -1.0, 2.0], [4.0, 0.0, 0.0]])
ONE_HOTS = np.array([[0.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.5, 0.5]])

# (name, constructor arguments or None for an instance, the values checked)
CASES = [
    ("real", None, VALUES), ("boolean", None, np.array([0.0, 1.0, 0.5, -1.0])),
    ("positive", None, VALUES), ("nonnegative", None, VALUES),
    ("unit_interval", None, VALUES), ("nonnegative_integer", None, COUNTS),
    ("positive_integer", None, COUNTS), ("greater_than", (0.5,), VALUES),
    ("greater_than_eq", (0.5,), VALUES), ("less_than", (0.5,), VALUES),
    ("interval", (-1.5, 1.0), VALUES), ("half_open_interval", (-1.5, 1.0), VALUES),
    ("integer_interval", (0, 2), COUNTS), ("real_vector", None, VALUES),
    ("simplex", None, np.array([[0.2, 0.8], [0.5, 0.6], [-0.1, 1.1]])),
    ("one_hot", None, ONE_HOTS), ("multinomial", (3,), COUNTS),
    ("lower_triangular", None, np.stack([CHOL[0], SPD[1], np.tril(_A[2])])),
    ("lower_cholesky", None, np.stack([CHOL[0], SPD[1], np.tril(_A[2])])),
    ("corr_cholesky", None, np.stack([CHOL[0] / np.linalg.norm(CHOL[0], axis=-1)[:, None],
                                      CHOL[1], np.eye(4)])),
    ("square", None, RNG.standard_normal((2, 3, 4))), ("square", None, SPD),
    ("symmetric", None, SPD), ("symmetric", None, MIXED),
    ("positive_semidefinite", None, PSD), ("positive_semidefinite", None, MIXED),
    ("positive_definite", None, SPD), ("positive_definite", None, NOT_PD),
    ("positive_definite", None, MIXED),
]


def pair(name, args):
    ours, theirs = getattr(C, name), getattr(torch.distributions.constraints, name)
    return (ours(*args), theirs(*args)) if args is not None else (ours, theirs)


def assert_same_check(ours, theirs, values):
    expected = theirs.check(torch.tensor(values)).numpy()
    got = np.asarray(ours.check(values))
    assert got.dtype == bool and got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(ours.check(cr.tensor(values)), expected)  # a Tensor too


@pytest.mark.parametrize("name,args,values", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_check_repr_event_dim_and_is_discrete_match_torch(name, args, values):
    ours, theirs = pair(name, args)
    assert_same_check(ours, theirs, values)
    assert repr(ours) == repr(theirs)
    assert (ours.event_dim, ours.is_discrete) == (theirs.event_dim, theirs.is_discrete)


WRAPPED = [
    (lambda c: c.independent(c.positive, 2), RNG.standard_normal((3, 2, 4))),
    (lambda c: c.independent(c.simplex, 1), np.full((2, 3, 4), 0.25)),
    (lambda c: c.independent(c.real, 0), VALUES),
    (lambda c: c.cat([c.positive, c.real, c.unit_interval], dim=-1, lengths=[1, 2, 1]),
     RNG.standard_normal((3, 4))),
    (lambda c: c.cat([c.positive, c.real], dim=0), RNG.standard_normal((2, 3))),
    (lambda c: c.stack([c.positive, c.real, c.nonnegative], dim=1),
     RNG.standard_normal((2, 3, 4))),
    (lambda c: c.stack([c.positive, c.real], dim=-1), RNG.standard_normal((3, 2))),
    (lambda c: c.MixtureSameFamilyConstraint(c.positive), RNG.standard_normal((3, 2))),
    (lambda c: c.MixtureSameFamilyConstraint(c.real_vector), VALUES),
    (lambda c: c.MixtureSameFamilyConstraint(c.interval(np.zeros(3), np.full(3, 2.0))),
     RNG.uniform(-0.5, 2.5, (5, 4))),
]


@pytest.mark.parametrize("make,values", WRAPPED)
def test_the_wrapping_constraints_match_torch(make, values):
    ours, theirs = make(C), make(torch.distributions.constraints)
    if isinstance(theirs, torch.distributions.constraints.MixtureSameFamilyConstraint) \
            and values.shape == (5, 4):
        values = values[..., None]  # (S, B=5, …) against components of batch shape (3,)
        theirs = torch.distributions.constraints.MixtureSameFamilyConstraint(
            torch.distributions.constraints.interval(torch.zeros(3), torch.full((3,), 2.0)))
    assert_same_check(ours, theirs, values)
    assert (ours.event_dim, ours.is_discrete) == (theirs.event_dim, theirs.is_discrete)
    if not isinstance(theirs, torch.distributions.constraints.MixtureSameFamilyConstraint):
        assert repr(ours) == repr(theirs)


def test_the_discrete_flag_of_a_join_is_any_of_its_parts():
    assert C.cat([C.real, C.nonnegative_integer]).is_discrete
    assert not C.stack([C.real, C.positive]).is_discrete
    assert C.independent(C.one_hot, 1).event_dim == 2
    assert C.MixtureSameFamilyConstraint(C.boolean).is_discrete


def test_dependent_placeholders():
    assert C.is_dependent(C.dependent) and not C.is_dependent(C.real)
    with pytest.raises(NotImplementedError, match="is_discrete cannot be determined"):
        C.dependent.is_discrete
    with pytest.raises(NotImplementedError, match="event_dim cannot be determined"):
        C.dependent.event_dim
    custom = C.dependent(is_discrete=True, event_dim=1)
    assert C.is_dependent(custom) and (custom.is_discrete, custom.event_dim) == (True, 1)

    class Box:
        def __init__(self, high):
            self.high = high

        @C.dependent_property(is_discrete=False, event_dim=0)
        def support(self):
            return C.interval(0.0, self.high)

    assert C.is_dependent(Box.support) and Box.support.event_dim == 0
    assert repr(Box(3.0).support) == "Interval(lower_bound=0.0, upper_bound=3.0)"
    plain = C.dependent_property(lambda self: C.real)
    assert C.is_dependent(plain)
    with pytest.raises(NotImplementedError, match="event_dim"):
        plain.event_dim


def test_dependent_check_accepts_everything_for_chainrules_distribution():
    # chainrule's Distribution checks every entry of arg_constraints (Uniform's bounds are
    # dependent), so the placeholder accepts every value instead of raising as PyTorch's does
    np.testing.assert_array_equal(C.dependent.check(VALUES), np.ones(VALUES.shape, bool))


def test_bounds_may_be_tensors_and_arrays():
    low = cr.tensor([0.0, 1.0, 2.0])
    got = C.greater_than(low).check(np.array([0.5, 0.5, 2.5]))
    np.testing.assert_array_equal(got, [True, False, True])
    got = C.interval(low, low + 1).check(cr.tensor([1.0, 2.5, 1.5]))
    np.testing.assert_array_equal(got, [True, False, False])


def test_error_cases():
    with pytest.raises(AssertionError, match="base_constraint must be a Constraint"):
        C.independent("real", 1)
    with pytest.raises(AssertionError, match="reinterpreted_batch_ndims must be an int"):
        C.independent(C.real, -1)
    with pytest.raises(ValueError, match=r"Expected value.dim\(\) >= 2 but got 1"):
        C.independent(C.real, 2).check(np.zeros(3))
    with pytest.raises(AssertionError, match="base_constraint must be a Constraint"):
        C.MixtureSameFamilyConstraint(3)
    with pytest.raises(ValueError, match=r"Expected value.dim\(\) >= 1 but got 0"):
        C.MixtureSameFamilyConstraint(C.real_vector).check(np.float64(1.0))
    with pytest.raises(AssertionError, match="All elements of cseq must be Constraint"):
        C.cat([C.real, 1.0])
    with pytest.raises(AssertionError, match=r"lengths \(1\) must match cseq \(2\)"):
        C.cat([C.real, C.positive], lengths=[2])
    with pytest.raises(AssertionError, match="dim 2 out of range"):
        C.stack([C.real], dim=2).check(np.zeros((1, 1)))
    with pytest.raises(NotImplementedError):
        C.Constraint().check(VALUES)
