"""Losses, functional and as modules: shapes, NumPy-formula references, float64 gradchecks,
fused-versus-composite equivalence, stability at extreme inputs, dtypes, error messages, and
parity with PyTorch (float64, rtol 1e-7) for every option combination where torch is installed.

References are NumPy formulas written here (PyTorch's documented definitions) or torch.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import chainrule as cr
import chainrule.functional as F
from chainrule.nn import loss as nn_loss

RNG = np.random.default_rng(0)
N, C = 4, 5
LOGITS = RNG.standard_normal((N, C))
LOGITS_3D = RNG.standard_normal((2, C, 3))
LABELS = np.array([0, 3, -100, 4])
LABELS_3D = np.array([[0, 4, -100], [2, 2, 1]])
PROBS = RNG.dirichlet(np.ones(C), N)
CLASS_WEIGHT = RNG.uniform(0.5, 2.0, C)
PRED, GOAL = RNG.uniform(-2, 2, (3, 4)), RNG.uniform(-2, 2, (3, 4))
P_IN, P_TARGET = RNG.uniform(0.05, 0.95, (3, 4)), RNG.uniform(0, 1, (3, 4))
ELEMENT_WEIGHT = RNG.uniform(0.5, 2.0, (3, 4))


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def t(a, grad=False):
    return cr.tensor(a, requires_grad=grad)


# ---------------------------------------------------------------- NumPy references


def np_log_softmax(x, axis=1):
    shifted = x - x.max(axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis, keepdims=True))


def np_reduce(per, reduction, denominator=None):
    if reduction == "none":
        return per
    total = per.sum()
    if reduction == "sum":
        return total
    return total / (per.size if denominator is None else denominator)


def np_cross_entropy(x, labels, weight=None, ignore_index=-100, reduction="mean", smooth=0.0):
    """PyTorch's definition: (1 − ε)·NLL + ε/C·Σ_c −w_c log p_c; mean divides by Σ w[tᵢ]."""
    log_p, classes = np_log_softmax(x), x.shape[1]
    w = np.ones(classes) if weight is None else weight
    valid = labels != ignore_index
    safe = np.where(valid, labels, 0)
    sample_w = w[safe] * valid
    nll = -np.take_along_axis(log_p, safe[:, None], 1)[:, 0] * sample_w
    uniform = -(log_p * w.reshape((1, classes) + (1,) * (x.ndim - 2))).sum(1) * valid
    per = (1 - smooth) * nll + smooth / classes * uniform
    return np_reduce(per, reduction, sample_w.sum())


def np_bce_logits(z, y, weight=1.0, pos_weight=1.0):
    log_sig, log_one_minus = -np.logaddexp(0, -z), -np.logaddexp(0, z)
    return -weight * (pos_weight * y * log_sig + (1 - y) * log_one_minus)


REFERENCES = {  # name -> (call on chainrule tensors, NumPy reference), both taking reduction
    "mse": (lambda r: F.mse_loss(t(PRED), t(GOAL), reduction=r),
            lambda r: np_reduce((PRED - GOAL) ** 2, r)),
    "l1": (lambda r: F.l1_loss(t(PRED), t(GOAL), reduction=r),
           lambda r: np_reduce(np.abs(PRED - GOAL), r)),
    "huber": (lambda r: F.huber_loss(t(PRED), t(GOAL), reduction=r, delta=0.8),
              lambda r: np_reduce(np.where(np.abs(PRED - GOAL) < 0.8, 0.5 * (PRED - GOAL) ** 2,
                                           0.8 * (np.abs(PRED - GOAL) - 0.4)), r)),
    "smooth_l1": (lambda r: F.smooth_l1_loss(t(PRED), t(GOAL), reduction=r, beta=0.8),
                  lambda r: np_reduce(np.where(np.abs(PRED - GOAL) < 0.8,
                                               0.5 * (PRED - GOAL) ** 2 / 0.8,
                                               np.abs(PRED - GOAL) - 0.4), r)),
    "bce": (lambda r: F.binary_cross_entropy(t(P_IN), t(P_TARGET), reduction=r),
            lambda r: np_reduce(-(P_TARGET * np.log(P_IN) + (1 - P_TARGET) * np.log1p(-P_IN)),
                                r)),
    "bce_logits": (lambda r: F.binary_cross_entropy_with_logits(
        t(PRED), t(P_TARGET), weight=t(ELEMENT_WEIGHT[0]), pos_weight=t(ELEMENT_WEIGHT[1]),
        reduction=r), lambda r: np_reduce(np_bce_logits(PRED, P_TARGET, ELEMENT_WEIGHT[0],
                                                        ELEMENT_WEIGHT[1]), r)),
    "kl_div": (lambda r: F.kl_div(t(np.log(PROBS[::-1])), t(PROBS), reduction=r),
               lambda r: np_reduce(PROBS * (np.log(PROBS) - np.log(PROBS[::-1])), r)),
    "cross_entropy": (lambda r: F.cross_entropy(t(LOGITS), t(LABELS), t(CLASS_WEIGHT),
                                                reduction=r, label_smoothing=0.1),
                      lambda r: np_cross_entropy(LOGITS, LABELS, CLASS_WEIGHT, reduction=r,
                                                 smooth=0.1)),
    "cross_entropy_3d": (lambda r: F.cross_entropy(t(LOGITS_3D), t(LABELS_3D), reduction=r),
                         lambda r: np_cross_entropy(LOGITS_3D, LABELS_3D, reduction=r)),
    "nll": (lambda r: F.nll_loss(t(np_log_softmax(LOGITS)), t(LABELS), t(CLASS_WEIGHT),
                                 reduction=r),
            lambda r: np_cross_entropy(LOGITS, LABELS, CLASS_WEIGHT, reduction=r)),
}


@pytest.mark.filterwarnings("ignore:kl_div")
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name", REFERENCES)
def test_value_and_shape_match_the_numpy_formula(name, reduction):
    ours, reference = REFERENCES[name]
    got, want = ours(reduction), np.asarray(reference(reduction))
    assert got.shape == want.shape and got.dtype == cr.float64
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12)


def test_cross_entropy_gradient_is_softmax_minus_onehot_over_n():
    x = t(LOGITS, grad=True)
    labels = np.array([0, 3, 1, 4])
    F.cross_entropy(x, t(labels)).backward()
    p = np.exp(np_log_softmax(LOGITS))
    np.testing.assert_allclose(x.grad.numpy(), (p - np.eye(C)[labels]) / N, rtol=1e-12)


# ---------------------------------------------------------------- gradcheck (float64)


CE_CONFIGS = [  # (logits, target, kwargs)
    (LOGITS, LABELS, {}),
    (LOGITS, LABELS, {"weight": CLASS_WEIGHT}),
    (LOGITS, np.array([0, 3, 1, 3]), {"ignore_index": 3, "reduction": "sum"}),
    (LOGITS, LABELS, {"label_smoothing": 0.3}),
    (LOGITS, LABELS, {"weight": CLASS_WEIGHT, "label_smoothing": 0.2, "reduction": "none"}),
    (LOGITS, PROBS, {}),
    (LOGITS, PROBS, {"weight": CLASS_WEIGHT, "label_smoothing": 0.1}),
    (LOGITS_3D, LABELS_3D, {"weight": CLASS_WEIGHT}),
    (LOGITS_3D, LABELS_3D, {"label_smoothing": 0.2, "reduction": "none"}),
    (LOGITS[0], np.array(2), {"weight": CLASS_WEIGHT}),
    (LOGITS[0], PROBS[0], {"reduction": "none"}),
]


def _with_tensors(kwargs):
    return {k: t(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}


@pytest.mark.parametrize(("x", "target", "kwargs"), CE_CONFIGS)
def test_cross_entropy_gradcheck(x, target, kwargs):
    kw = _with_tensors(kwargs)
    soft = target.dtype.kind == "f"
    inputs = (t(x, True), t(target, soft))
    assert cr.gradcheck(lambda a, b: F.cross_entropy(a, b, **kw), inputs)
    assert cr.gradcheck(lambda a: F.nll_loss(a, t(LABELS), **_with_tensors(
        {"weight": CLASS_WEIGHT})), (t(np_log_softmax(LOGITS), True),))


GRADCHECK_LOSSES = {  # name -> (function of (input, target), input, target)
    "mse": (lambda a, b: F.mse_loss(a, b, weight=t(ELEMENT_WEIGHT)), PRED, GOAL),
    "l1": (lambda a, b: F.l1_loss(a, b, reduction="sum"), PRED, GOAL),
    "huber": (lambda a, b: F.huber_loss(a, b, delta=0.7, weight=t(ELEMENT_WEIGHT)), PRED, GOAL),
    "smooth_l1": (lambda a, b: F.smooth_l1_loss(a, b, beta=0.7, reduction="none"), PRED, GOAL),
    "bce": (lambda a, b: F.binary_cross_entropy(a, b, weight=t(ELEMENT_WEIGHT[0])), P_IN,
            P_TARGET),
    "bce_logits": (lambda a, b: F.binary_cross_entropy_with_logits(
        a, b, weight=t(ELEMENT_WEIGHT), pos_weight=t(ELEMENT_WEIGHT[1]), reduction="none"),
        PRED, P_TARGET),
    "kl_div": (lambda a, b: F.kl_div(a, b, reduction="batchmean"), np.log(PROBS), PROBS[::-1]),
    "kl_div_log": (lambda a, b: F.kl_div(a, b, reduction="sum", log_target=True),
                   np.log(PROBS), np.log(PROBS[::-1])),
}


@pytest.mark.parametrize("name", GRADCHECK_LOSSES)
def test_gradcheck_input_and_target(name):
    fn, x, y = GRADCHECK_LOSSES[name]
    assert cr.gradcheck(fn, (t(x, True), t(np.ascontiguousarray(y), True)))


# ---------------------------------------------------------------- fused versus composite


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize(("x", "labels", "weight"), [
    (LOGITS, LABELS, None), (LOGITS, LABELS, CLASS_WEIGHT), (LOGITS_3D, LABELS_3D, CLASS_WEIGHT)])
def test_fused_cross_entropy_matches_nll_of_log_softmax(x, labels, weight, reduction):
    w = None if weight is None else t(weight)
    fused_x, composite_x = t(x, True), t(x, True)
    fused = F.cross_entropy(fused_x, t(labels), w, reduction=reduction)
    composite = F.nll_loss(F.log_softmax(composite_x, 1), t(labels), w, reduction=reduction)
    upstream = RNG.standard_normal(fused.shape)
    fused.backward(upstream)
    composite.backward(upstream)
    np.testing.assert_allclose(fused.detach().numpy(), composite.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(fused_x.grad.numpy(), composite_x.grad.numpy(), rtol=1e-10,
                               atol=1e-15)


def _compare_graphs(fused_fn, composite_fn, arrays):
    fused_in = [t(a, True) for a in arrays]
    composite_in = [t(a, True) for a in arrays]
    fused, composite = fused_fn(*fused_in), composite_fn(*composite_in)
    upstream = RNG.standard_normal(fused.shape)
    fused.backward(upstream)
    composite.backward(upstream)
    np.testing.assert_allclose(fused.detach().numpy(), composite.detach().numpy(), rtol=1e-12)
    for a, b in zip(fused_in, composite_in):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_fused_bce_with_logits_matches_its_composite():
    pos = ELEMENT_WEIGHT[1]

    def composite(z, y):  # (1 − y)z + (1 + (p − 1)y)·(relu(−z) + log1p(e^(−|z|))), weighted
        softplus_neg = (-z).relu() + z.abs().__neg__().exp().log1p()
        return ((1 - y) * z + ((pos - 1.0) * y + 1.0) * softplus_neg) * ELEMENT_WEIGHT[0]

    _compare_graphs(lambda z, y: F.binary_cross_entropy_with_logits(
        z, y, t(ELEMENT_WEIGHT[0]), pos_weight=t(pos), reduction="none"), composite,
        [PRED, P_TARGET])


def test_fused_bce_matches_its_composite_inside_the_clamp():
    _compare_graphs(lambda x, y: F.binary_cross_entropy(x, y, reduction="sum"),
                    lambda x, y: -(y * x.log() + (1 - y) * (1 - x).log()).sum(),
                    [P_IN, P_TARGET])


# ---------------------------------------------------------------- stability and dtypes


def test_cross_entropy_at_logits_of_1000_in_float32():
    x = t(np.array([[1000.0, -1000.0], [-1000.0, 1000.0]], np.float32), True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = F.cross_entropy(x, t([1, 1]), reduction="none")
        loss.sum().backward()
    np.testing.assert_array_equal(loss.detach().numpy(), [2000.0, 0.0])
    np.testing.assert_array_equal(x.grad.numpy(), [[1.0, -1.0], [0.0, 0.0]])
    assert loss.dtype == cr.float32 and x.grad.dtype == cr.float32


def test_bce_with_logits_at_200_in_float32():
    z = t(np.array([200.0, -200.0, 200.0, -200.0], np.float32), True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = F.binary_cross_entropy_with_logits(z, t(np.float32([0, 1, 1, 0])),
                                                  pos_weight=t(np.float32([3.0])),
                                                  reduction="none")
        loss.sum().backward()
    np.testing.assert_array_equal(loss.detach().numpy(), [200.0, 600.0, 0.0, 0.0])
    np.testing.assert_array_equal(z.grad.numpy(), [1.0, -3.0, 0.0, 0.0])
    assert loss.dtype == cr.float32 and z.grad.dtype == cr.float32


def test_bce_clamps_the_log_at_minus_100():
    x = t(np.array([0.0, 1.0, 0.0, 1.0], np.float32), True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = F.binary_cross_entropy(x, t(np.float32([1, 0, 0, 1])), reduction="none")
        loss.sum().backward()
    np.testing.assert_array_equal(loss.detach().numpy(), [100.0, 100.0, 0.0, 0.0])
    assert np.all(np.isfinite(x.grad.numpy()))  # (x − y)/max(x(1 − x), 1e-12), PyTorch's floor


@pytest.mark.parametrize("name", GRADCHECK_LOSSES)
def test_float32_stays_float32(name):
    fn, x, y = GRADCHECK_LOSSES[name]
    xs = t(x.astype(np.float32), True)
    loss = fn(xs, t(np.ascontiguousarray(y, dtype=np.float32)))
    loss.backward(cr.ones_like(loss))
    assert loss.dtype == cr.float32 and xs.grad.dtype == cr.float32
    logits = t(LOGITS.astype(np.float32), True)
    F.cross_entropy(logits, t(LABELS), t(CLASS_WEIGHT), label_smoothing=0.1).backward()
    assert logits.grad.dtype == cr.float32


# ---------------------------------------------------------------- edge semantics


def test_mean_over_only_ignored_targets_is_nan_with_zero_gradient():
    x = t(LOGITS, True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = F.cross_entropy(x, t(np.full(N, -100)))
        loss.backward()
    assert np.isnan(loss.item()) and np.all(x.grad.numpy() == 0)


def test_weighted_mean_divides_by_the_weights_of_kept_targets():
    x = np.zeros((3, 2))  # every sample loses log 2
    loss = F.cross_entropy(t(x), t([0, 1, 1]), weight=t([1.0, 3.0]), ignore_index=0)
    np.testing.assert_allclose(loss.item(), (3 + 3) * np.log(2) / (3 + 3))


def test_any_integer_target_dtype_is_accepted():
    for dtype in (np.int32, np.uint8, np.int16):
        got = F.cross_entropy(t(LOGITS), t(np.array([0, 3, 1, 4], dtype)))
        np.testing.assert_allclose(got.item(), np_cross_entropy(LOGITS, np.array([0, 3, 1, 4])))


def test_legacy_size_average_and_reduce():
    with pytest.warns(UserWarning, match="reduction='sum'"):
        total = F.mse_loss(t(PRED), t(GOAL), size_average=False)
    np.testing.assert_allclose(total.item(), ((PRED - GOAL) ** 2).sum())
    with pytest.warns(UserWarning, match="reduction='none'"):
        assert nn_loss.L1Loss(reduce=False).reduction == "none"


def test_kl_div_reductions():
    x, y = t(np.log(PROBS[::-1])), t(PROBS)
    with pytest.warns(UserWarning, match="batchmean"):
        F.kl_div(x, y)
    per = PROBS * (np.log(PROBS) - np.log(PROBS[::-1]))
    np.testing.assert_allclose(F.kl_div(x, y, reduction="batchmean").item(), per.sum() / N)
    np.testing.assert_allclose(F.kl_div(t(-1.0), t(0.5), reduction="batchmean").item(),
                               0.5 * (np.log(0.5) + 1))
    assert F.kl_div(x, t(np.zeros((N, C))), reduction="sum").item() == 0.0


def test_empty_batch_mean_is_nan_without_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isnan(F.mse_loss(cr.zeros(0), cr.zeros(0)).item())
        assert np.isnan(F.cross_entropy(cr.zeros(0, 3), t(np.zeros(0, np.int64))).item())


# ---------------------------------------------------------------- modules


MODULES = [  # (module, its repr, the functional call it must equal)
    (nn_loss.MSELoss(), "MSELoss()", lambda: F.mse_loss(t(PRED), t(GOAL))),
    (nn_loss.L1Loss(reduction="sum"), "L1Loss()", lambda: F.l1_loss(t(PRED), t(GOAL), None,
                                                                     None, "sum")),
    (nn_loss.HuberLoss(delta=0.5), "HuberLoss()", lambda: F.huber_loss(t(PRED), t(GOAL),
                                                                       delta=0.5)),
    (nn_loss.SmoothL1Loss(beta=0.5), "SmoothL1Loss()",
     lambda: F.smooth_l1_loss(t(PRED), t(GOAL), beta=0.5)),
    (nn_loss.CrossEntropyLoss(t(CLASS_WEIGHT), ignore_index=3, label_smoothing=0.1),
     "CrossEntropyLoss()", lambda: F.cross_entropy(t(LOGITS), t(np.array([0, 3, 1, 3])),
                                                   t(CLASS_WEIGHT), ignore_index=3,
                                                   label_smoothing=0.1)),
    (nn_loss.NLLLoss(t(CLASS_WEIGHT), reduction="none"), "NLLLoss()",
     lambda: F.nll_loss(t(LOGITS), t(np.array([0, 3, 1, 3])), t(CLASS_WEIGHT),
                        reduction="none")),
    (nn_loss.BCELoss(t(ELEMENT_WEIGHT[0])), "BCELoss()",
     lambda: F.binary_cross_entropy(t(P_IN), t(P_TARGET), t(ELEMENT_WEIGHT[0]))),
    (nn_loss.BCEWithLogitsLoss(pos_weight=t(ELEMENT_WEIGHT[1])), "BCEWithLogitsLoss()",
     lambda: F.binary_cross_entropy_with_logits(t(PRED), t(P_TARGET),
                                                pos_weight=t(ELEMENT_WEIGHT[1]))),
    (nn_loss.KLDivLoss(reduction="batchmean", log_target=True), "KLDivLoss()",
     lambda: F.kl_div(t(np.log(PROBS)), t(np.log(PROBS[::-1])), reduction="batchmean",
                      log_target=True)),
]
MODULE_INPUTS = {"MSELoss": (PRED, GOAL), "L1Loss": (PRED, GOAL), "HuberLoss": (PRED, GOAL),
                 "SmoothL1Loss": (PRED, GOAL), "CrossEntropyLoss": (LOGITS, [0, 3, 1, 3]),
                 "NLLLoss": (LOGITS, [0, 3, 1, 3]), "BCELoss": (P_IN, P_TARGET),
                 "BCEWithLogitsLoss": (PRED, P_TARGET),
                 "KLDivLoss": (np.log(PROBS), np.log(PROBS[::-1]))}


@pytest.mark.parametrize(("module", "text", "functional"), MODULES, ids=lambda v: str(v)[:20])
def test_module_is_a_thin_wrapper_with_torch_repr(module, text, functional):
    assert repr(module) == text
    x, y = MODULE_INPUTS[text[:-2]]
    np.testing.assert_array_equal(module(t(x), t(np.asarray(y))).numpy(), functional().numpy())
    assert list(module.parameters()) == []


def test_weights_are_buffers():
    module = nn_loss.BCEWithLogitsLoss(weight=t(np.ones(3)), pos_weight=t(np.ones(3)))
    assert sorted(module.state_dict()) == ["pos_weight", "weight"]
    assert module.double().pos_weight.dtype == cr.float64
    assert nn_loss.CrossEntropyLoss().state_dict() == {}
    assert nn_loss.CrossEntropyLoss().weight is None


def test_module_checks_reduction_when_built():
    with pytest.raises(ValueError, match="reduction"):
        nn_loss.MSELoss(reduction="avg")
    with pytest.raises(ValueError, match="reduction"):
        nn_loss.CrossEntropyLoss(reduction="batchmean")
    assert nn_loss.KLDivLoss(reduction="batchmean").reduction == "batchmean"


@pytest.mark.parametrize(("module", "text", "functional"), MODULES, ids=lambda v: str(v)[:20])
def test_module_repr_matches_torch(module, text, functional, torch):
    assert repr(getattr(torch.nn, text[:-2])()) == text


def test_cross_entropy_keeps_float32_precision_next_to_large_logits():
    logits = np.array([[1000.0, 1000.5, 999.0], [-1000.0, -999.25, -1001.0]], np.float32)
    target = np.array([1, 0])
    shifted = logits.astype(np.float64)
    reference = np.log(np.exp(shifted - shifted.max(1, keepdims=True)).sum(1)) + \
        shifted.max(1) - shifted[np.arange(2), target]
    loss = F.cross_entropy(cr.tensor(logits), cr.tensor(target), reduction="none")
    assert loss.dtype == np.float32
    np.testing.assert_allclose(loss.numpy(), reference, rtol=1e-6)
