"""F.ctc_loss and nn.CTCLoss: values and gradients against torch 2.13 in float64 (every
reduction, padded and concatenated targets, every length form, unbatched calls, unequal
lengths, repeated labels, impossible alignments with and without zero_infinity, blanks other
than 0) and in float32; against a brute-force sum over every alignment; gradient checks of the
log_softmax composite; torch's gradient rule on unnormalised inputs; the module; the errors.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import chainrule as cr
import chainrule.functional as F
from chainrule import nn
from tests.optional import needs_torch, torch

REDUCTIONS = ["none", "sum", "mean"]


def log_softmax(x: np.ndarray) -> np.ndarray:
    shifted = x - x.max(-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))


def log_probs(shape, seed=0, normalised=True) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal(shape)
    return log_softmax(x) if normalised else x


# T = 6, N = 4, C = 5: unequal input lengths, a repeat that needs a blank ("1 1"), a target of
# length 0, one that fills its input exactly (2 2 2 needs 5 frames, has 5), one of length 1.
TARGETS = np.array([[1, 1, 3], [4, 2, 0], [2, 2, 2], [3, 0, 0]])
INPUT_LENGTHS = [6, 4, 5, 3]
TARGET_LENGTHS = [3, 0, 3, 1]


def concatenated(targets, target_lengths) -> np.ndarray:
    return np.concatenate([row[:n] for row, n in zip(targets, target_lengths)])


def torch_form(value):
    return torch.tensor(value) if isinstance(value, np.ndarray) else value


def check_against_torch(lp, targets, input_lengths, target_lengths, rtol=1e-10, atol=1e-12,
                        seed=3, **kwargs):
    """Value and dL/dlog_probs (for a random upstream gradient) of ours against torch's;
    returns our loss and gradient. ``targets`` and the lengths are given in our form: arrays
    become torch tensors, lists/tuples stay lists/tuples, chainrule tensors are not allowed."""
    ours = cr.tensor(lp, requires_grad=True)
    theirs = torch.tensor(lp, requires_grad=True)
    y = F.ctc_loss(ours, targets, input_lengths, target_lengths, **kwargs)
    yt = torch.nn.functional.ctc_loss(theirs, torch_form(targets), torch_form(input_lengths),
                                      torch_form(target_lengths), **kwargs)
    assert y.shape == tuple(yt.shape) and y.dtype == ours.dtype
    np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=rtol, atol=atol)
    upstream = np.random.default_rng(seed).standard_normal(tuple(yt.shape)).astype(lp.dtype)
    y.backward(cr.tensor(upstream))
    yt.backward(torch.tensor(upstream))
    assert ours.grad.dtype == ours.dtype
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=rtol, atol=atol)
    return y.detach().numpy(), ours.grad.numpy()


# ---------------------------------------------------------------- against torch, float64


@needs_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("form", ["padded", "concatenated"])
@pytest.mark.parametrize("lengths", ["array", "list", "tuple"])
def test_matches_torch(reduction, form, lengths):
    targets = TARGETS if form == "padded" else concatenated(TARGETS, TARGET_LENGTHS)
    make = {"array": np.array, "list": list, "tuple": tuple}[lengths]
    loss, _ = check_against_torch(log_probs((6, 4, 5)), targets, make(INPUT_LENGTHS),
                                  make(TARGET_LENGTHS), reduction=reduction)
    assert np.isfinite(loss).all()


@needs_torch
def test_chainrule_tensors_are_accepted_as_targets_and_lengths():
    lp = log_probs((6, 4, 5))
    ours = F.ctc_loss(cr.tensor(lp), cr.tensor(TARGETS), cr.tensor(INPUT_LENGTHS),
                      cr.tensor(TARGET_LENGTHS), reduction="none")
    theirs = torch.nn.functional.ctc_loss(torch.tensor(lp), torch.tensor(TARGETS),
                                          torch.tensor(INPUT_LENGTHS),
                                          torch.tensor(TARGET_LENGTHS), reduction="none")
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)


@needs_torch
def test_int32_forms_and_a_transposed_batch_first_input_match_torch():
    """(N, T, C) outputs moved to (T, N, C) by transpose (a strided view) get their gradient
    back in (N, T, C); int32 targets and lengths work as int64."""
    lp = log_probs((4, 6, 5), seed=14)
    ours, theirs = cr.tensor(lp, requires_grad=True), torch.tensor(lp, requires_grad=True)
    forms = [np.array(v, dtype=np.int32) for v in (TARGETS, INPUT_LENGTHS, TARGET_LENGTHS)]
    y = F.ctc_loss(ours.transpose(0, 1), *forms, reduction="sum")
    yt = torch.nn.functional.ctc_loss(theirs.transpose(0, 1), *map(torch.tensor, forms),
                                      reduction="sum")
    y.backward(), yt.backward()
    assert y.item() == pytest.approx(yt.item(), rel=1e-12)
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-10, atol=1e-12)


@needs_torch
@pytest.mark.parametrize("blank", [2, 4])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_blank_other_than_zero_matches_torch(blank, reduction):
    targets = np.where(TARGETS == blank, 0, TARGETS)  # label 0 is an ordinary class here
    check_against_torch(log_probs((6, 4, 5), seed=1), targets, np.array(INPUT_LENGTHS),
                        np.array(TARGET_LENGTHS), blank=blank, reduction=reduction)


@needs_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("lengths", ["0d", "1d", "list", "tuple"])
def test_unbatched_matches_torch(reduction, lengths):
    lp = log_probs((7, 4), seed=2)
    make = {"0d": lambda n: np.array(n), "1d": lambda n: np.array([n]),
            "list": lambda n: [n], "tuple": lambda n: (n,)}[lengths]
    loss, grad = check_against_torch(lp, np.array([3, 3, 1]), make(6), make(3),
                                     reduction=reduction)
    assert loss.shape == () and grad.shape == (7, 4)


def test_unbatched_takes_python_ints_and_is_one_sample_of_a_batch():
    lp = log_probs((7, 4), seed=2)
    one = F.ctc_loss(cr.tensor(lp), [3, 3, 1], 6, 3, reduction="none")
    batch = F.ctc_loss(cr.tensor(lp[:, None]), [[3, 3, 1]], [6], [3], reduction="none")
    assert one.shape == () and batch.shape == (1,)
    assert one.item() == batch.numpy()[0]


@needs_torch
def test_a_larger_random_batch_matches_torch():
    rng = np.random.default_rng(5)
    steps, batch, classes = 40, 9, 12
    input_lengths = rng.integers(1, steps + 1, batch)
    input_lengths[0] = steps
    target_lengths = np.minimum(rng.integers(0, 15, batch), input_lengths // 2)
    targets = rng.integers(1, classes, (batch, 15))
    targets[1, :4] = 5  # repeats
    check_against_torch(log_probs((steps, batch, classes), seed=6), targets, input_lengths,
                        target_lengths, reduction="mean")


@needs_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("zero_infinity", [False, True])
def test_impossible_alignments_match_torch(reduction, zero_infinity):
    """Sample 0: a target longer than its input; sample 1: "1 1" needs 3 frames, has 2 (NaN
    gradients on the used frames without zero_infinity, as torch); sample 2 is possible."""
    targets = np.array([[1, 2, 3], [1, 1, 0], [2, 3, 0]])
    loss, grad = check_against_torch(log_probs((5, 3, 4), seed=4), targets, np.array([2, 2, 5]),
                                     np.array([3, 2, 2]), reduction=reduction,
                                     zero_infinity=zero_infinity)
    assert np.isfinite(loss).all() == zero_infinity
    assert np.isnan(grad).any() != zero_infinity
    assert np.isfinite(grad[:, 2]).all() and (grad[2:, :2] == 0).all()


@needs_torch
def test_target_longer_than_input_is_allowed_and_infinite():
    loss, _ = check_against_torch(log_probs((3, 1, 4)), np.array([[1, 2, 3, 1]]),
                                  np.array([3]), np.array([4]), reduction="none")
    assert loss[0] == np.inf


@needs_torch
def test_empty_targets_and_empty_inputs_match_torch():
    """Target length 0 (all blanks; 'mean' divides by 1), and input length 0 with an empty
    target (loss −0) and with a non-empty one (inf)."""
    lp = log_probs((4, 3, 3), seed=7)
    check_against_torch(lp, np.array([[1, 2], [1, 2], [2, 1]]), np.array([4, 0, 0]),
                        np.array([0, 0, 1]), reduction="none")
    check_against_torch(lp, np.array([[1, 2], [1, 2], [2, 1]]), np.array([4, 0, 2]),
                        np.array([0, 0, 1]), reduction="mean")
    check_against_torch(lp, np.zeros((3, 0), dtype=np.int64), np.array([4, 2, 0]),
                        np.array([0, 0, 0]), reduction="sum")


@needs_torch
def test_labels_past_the_target_length_are_ignored_as_in_torch():
    padding = np.array([[1, 2, 99, -7], [3, 0, 0, 0]])  # out of range, blank: never read
    check_against_torch(log_probs((5, 2, 4)), padding, np.array([5, 4]), np.array([2, 1]),
                        reduction="none")


# ---------------------------------------------------------------- float32


@needs_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_float32_keeps_its_dtype_and_matches_torch(reduction):
    lp = log_probs((6, 4, 5), seed=8).astype(np.float32)
    check_against_torch(lp, TARGETS, np.array(INPUT_LENGTHS), np.array(TARGET_LENGTHS),
                        rtol=2e-5, atol=2e-6, reduction=reduction)


# ---------------------------------------------------------------- independent reference


def brute_force(lp: np.ndarray, target: list[int], blank: int) -> tuple[float, np.ndarray]:
    """(−log P, ∂ log P/∂lp) for one sample lp: (T, C), by enumerating all C^T paths: a path
    counts when merging its repeats and dropping its blanks gives the target."""
    steps, classes = lp.shape
    total, grad = 0.0, np.zeros_like(lp)
    for path in itertools.product(range(classes), repeat=steps):
        merged = [c for i, c in enumerate(path) if i == 0 or c != path[i - 1]]
        if [c for c in merged if c != blank] != list(target):
            continue
        p = np.exp(sum(lp[t, c] for t, c in enumerate(path)))
        total += p
        for t, c in enumerate(path):
            grad[t, c] += p
    return -np.log(total), grad / total


@pytest.mark.parametrize(("target", "blank"), [([1, 1], 0), ([2, 1], 0), ([0, 0], 1),
                                                ([], 2), ([1, 0, 1], 2)])
@pytest.mark.parametrize("normalised", [True, False])
def test_loss_and_gradient_by_enumerating_every_alignment(target, blank, normalised):
    """The loss is −log of the summed path probabilities, and the gradient is torch's rule:
    exp(lp) − ∂ log P/∂lp on the used frames (exactly the derivative's negative plus exp(lp)),
    0 on the frames past the input length."""
    lp = log_probs((6, 3), seed=len(target) + blank, normalised=normalised)
    used = 5
    expected, posterior = brute_force(lp[:used], target, blank)
    x = cr.tensor(lp, requires_grad=True)
    loss = F.ctc_loss(x, target, used, len(target), blank=blank, reduction="sum")
    loss.backward()
    assert loss.item() == pytest.approx(expected, rel=1e-12)
    want = np.zeros_like(lp)
    want[:used] = np.exp(lp[:used]) - posterior
    np.testing.assert_allclose(x.grad.numpy(), want, rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------- gradient checks


CHECK_TARGETS = np.array([[1, 1], [2, 0], [3, 2]])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("full_jacobian", [False, True])
def test_gradcheck_through_log_softmax(reduction, full_jacobian):
    """For log_probs = log_softmax(z), torch's gradient is the derivative: the extra exp(lp)
    term is in log_softmax's backward's null space."""
    z = cr.tensor(np.random.default_rng(9).standard_normal((5, 3, 4)), requires_grad=True)

    def fn(z):
        return F.ctc_loss(F.log_softmax(z, -1), CHECK_TARGETS, [5, 4, 3], [2, 1, 2],
                          reduction=reduction)

    assert cr.gradcheck(fn, [z], full_jacobian=full_jacobian)


def test_on_unnormalised_inputs_the_gradient_is_the_derivative_plus_exp():
    """Finite differences of this forward give −Γ; the gradient returned (torch's) is
    G·(exp(lp) − Γ) on the used frames. gradcheck of the raw op fails, as it must."""
    lp = log_probs((5, 3, 4), seed=10, normalised=False)
    upstream = np.random.default_rng(11).standard_normal(3)

    def fn(x):
        return F.ctc_loss(x, CHECK_TARGETS, [5, 4, 3], [2, 1, 2], reduction="none")

    x = cr.tensor(lp, requires_grad=True)
    fn(x).backward(cr.tensor(upstream))
    numeric, = cr.numerical_grad(fn, [cr.tensor(lp)], grad_outputs=[upstream])
    frames = np.arange(5)[:, None, None] < np.array([5, 4, 3])[:, None]
    extra = np.where(frames, np.exp(lp) * upstream[:, None], 0.0)
    np.testing.assert_allclose(x.grad.numpy() - extra, numeric.numpy(), rtol=1e-6, atol=1e-8)
    assert not cr.gradcheck(fn, [cr.tensor(lp, requires_grad=True)], raise_exception=False)


def test_a_label_of_probability_zero_gets_a_zero_gradient():
    """lp = −inf at a label: no alignment through it has mass, so its gradient is the limit
    exp(lp) − 0 = 0 (torch's formula gives NaN there); the rest is unchanged."""
    lp = log_probs((4, 1, 3), seed=12)
    lp_inf = lp.copy()
    lp_inf[1, 0, 2] = -np.inf
    grads = []
    for values in (lp_inf, np.where(np.isinf(lp_inf), -800.0, lp_inf)):
        x = cr.tensor(values, requires_grad=True)
        F.ctc_loss(x, [[1, 2]], [4], [2], reduction="sum").backward()
        grads.append(x.grad.numpy())
    assert grads[0][1, 0, 2] == 0.0 and np.isfinite(grads[0]).all()
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12, atol=1e-300)


# ---------------------------------------------------------------- the module


@needs_torch
def test_module_matches_the_function_and_torchs_module():
    lp = log_probs((6, 4, 5), seed=13)
    args = (TARGETS, np.array(INPUT_LENGTHS), np.array(TARGET_LENGTHS))
    for kwargs in ({}, {"blank": 4, "reduction": "sum", "zero_infinity": True}):
        targets = np.where(args[0] == kwargs.get("blank", 0), 1, args[0])
        ours = nn.CTCLoss(**kwargs)(cr.tensor(lp), targets, *args[1:])
        function = F.ctc_loss(cr.tensor(lp), targets, *args[1:], **kwargs)
        theirs = torch.nn.CTCLoss(**kwargs)(torch.tensor(lp), torch.tensor(targets),
                                            *map(torch.tensor, args[1:]))
        assert ours.item() == function.item()
        assert ours.item() == pytest.approx(theirs.item(), rel=1e-12)
    layer = nn.CTCLoss(blank=3, reduction="none", zero_infinity=True)
    assert (layer.blank, layer.reduction, layer.zero_infinity) == (3, "none", True)
    assert repr(layer) == repr(torch.nn.CTCLoss(blank=3)) == "CTCLoss()"
    assert dict(layer.state_dict()) == {} and list(layer.parameters()) == []


def test_module_checks_its_reduction_when_built():
    with pytest.raises(ValueError, match="reduction must be one of"):
        nn.CTCLoss(reduction="average")


# ---------------------------------------------------------------- errors

LP = log_probs((4, 2, 5))
OK = dict(targets=np.array([[1, 2, 3], [1, 1, 0]]), input_lengths=np.array([4, 4]),
          target_lengths=np.array([3, 2]))
# name: (changes to OK, or to log_probs under "log_probs"; our error; whether torch raises)
ERRORS = {
    "input_length_above_T": ({"input_lengths": np.array([5, 4])}, ValueError,
                             r"input_lengths must be at most T=4", True),
    "negative_input_length": ({"input_lengths": np.array([-1, 4])}, ValueError,
                              r"input_lengths must be at least 0", True),
    "negative_target_length": ({"target_lengths": np.array([3, -1])}, ValueError,
                               r"target_lengths must be at least 0", True),
    "target_is_blank": ({"targets": np.array([[1, 0, 3], [1, 1, 0]])}, ValueError,
                        r"label 0 \(sample 0, position 1\) equals blank=0", False),
    "target_too_large": ({"targets": np.array([[1, 2, 3], [5, 1, 0]])}, ValueError,
                         r"label 5 \(sample 1, position 0\) is out of range.*\[0, 5\)", False),
    "target_negative": ({"targets": np.array([[1, -2, 3], [1, 1, 0]])}, ValueError,
                        r"label -2 .* out of range", False),
    "float_targets": ({"targets": np.array([[1.0, 2.0, 3.0], [1.0, 1.0, 0.0]])}, TypeError,
                      r"targets must be integers, got dtype float64", False),
    "bool_targets": ({"targets": np.ones((2, 3), dtype=bool)}, TypeError,
                     r"targets must be integers, got dtype bool", False),
    "float_input_lengths": ({"input_lengths": np.array([4.0, 4.0])}, TypeError,
                            r"input_lengths must be integers", True),
    "float_target_lengths": ({"target_lengths": np.array([3.0, 2.0])}, TypeError,
                             r"target_lengths must be integers", True),
    "too_many_input_lengths": ({"input_lengths": np.array([4, 4, 4])}, ValueError,
                               r"input_lengths must hold one length per sample, shape \(2,\), "
                               r"but holds 3", True),
    "too_few_target_lengths": ({"target_lengths": np.array([3])}, ValueError,
                               r"target_lengths must hold one length per sample", True),
    "scalar_lengths_for_a_batch": ({"input_lengths": np.array(4)}, ValueError,
                                   r"input_lengths must hold one length per sample", True),
    "padded_too_narrow": ({"targets": np.array([[1, 2], [1, 1]])}, ValueError,
                          r"S at least max\(target_lengths\) = 3.*shape \(2, 2\)", True),
    "padded_wrong_batch": ({"targets": np.array([[1, 2, 3]])}, ValueError,
                           r"padded \(N, S\) = \(2, S\)", True),
    "concatenated_wrong_total": ({"targets": np.array([1, 2, 3, 1])}, ValueError,
                                 r"sum\(target_lengths\) = 5 labels, but hold 4", True),
    "targets_3d": ({"targets": np.ones((1, 2, 3), dtype=np.int64)}, ValueError,
                   r"targets must be padded", True),
    "log_probs_4d": ({"log_probs": LP[None]}, ValueError,
                     r"log_probs must have shape \(T, N, C\) or unbatched \(T, C\), but has 4 "
                     r"dimensions", True),
    "log_probs_1d": ({"log_probs": LP[:, 0, 0]}, ValueError, r"but has 1 dimensions", True),
    "log_probs_empty": ({"log_probs": LP[:0]}, ValueError, r"must not be empty", True),
    "integer_log_probs": ({"log_probs": np.zeros((4, 2, 5), dtype=np.int64)}, TypeError,
                          r"floating-point", True),
    "blank_too_large": ({"blank": 5}, ValueError, r"blank must be in label range \[0, 5\)",
                        True),
    "blank_negative": ({"blank": -1}, ValueError, r"blank must be in label range", True),
    "blank_not_an_integer": ({"blank": 1.5}, TypeError, r"blank must be an integer", True),
    "bad_reduction": ({"reduction": "average"}, ValueError, r"reduction must be one of", True),
}


def call(framework, changes):
    """ctc_loss of ``framework`` (cr or torch) on OK with ``changes``."""
    kwargs = {**OK, **changes}
    lp = kwargs.pop("log_probs", LP)
    if framework is cr:
        return F.ctc_loss(cr.tensor(lp), **kwargs)
    kwargs = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    return torch.nn.functional.ctc_loss(torch.tensor(lp), **kwargs)


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors_name_the_problem(name):
    changes, error, message, _ = ERRORS[name]
    with pytest.raises(error, match=r"ctc_loss: .*" + message):
        call(cr, changes)


@needs_torch
@pytest.mark.parametrize("name", sorted(ERRORS))
def test_torch_refuses_the_same_inputs_or_computes_a_meaningless_loss(name):
    """Where torch raises too, and where it does not (a blank or out-of-range label, float or
    bool targets) these are deliberate departures: the errors of ERRORS are listed right."""
    changes, _, _, torch_raises = ERRORS[name]
    if torch_raises:
        with pytest.raises((RuntimeError, ValueError, TypeError, NotImplementedError)):
            call(torch, changes)
    else:
        call(torch, changes)  # no error: torch computes a value


def test_unbatched_errors():
    lp = cr.tensor(log_probs((5, 4)))
    with pytest.raises(ValueError, match=r"ctc_loss: unbatched log_probs \(T, C\) need "
                                         r"1-dimensional targets"):
        F.ctc_loss(lp, [[1, 2]], 5, 2)
    with pytest.raises(ValueError, match=r"one length \(a scalar\) for unbatched"):
        F.ctc_loss(lp, [1, 2], [5, 5], 2)
    with pytest.raises(ValueError, match=r"S at least max\(target_lengths\) = 3"):
        F.ctc_loss(lp, [1, 2], 5, 3)
    with pytest.raises(ValueError, match=r"ctc_loss: input_lengths must be 1-dimensional"):
        F.ctc_loss(lp, [1, 2], [[5]], 2)


def test_a_valid_call_of_the_error_table_passes():
    """The table's base call is valid, so each error comes from its one change."""
    assert np.isfinite(call(cr, {}).item())
