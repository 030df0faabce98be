"""Bad input to the losses raises at once, with a message that names what is wrong and the fix
(docs/reliability.md R-ERR-3): label dtype, label range (value, position and C),
shapes (both named), weight lengths, probabilities outside [0, 1], unknown reductions and
parameters.
"""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
import chainrule.functional as F

N, C = 4, 5
RNG = np.random.default_rng(2)
LOGITS = RNG.standard_normal((N, C))
LOGITS_3D = RNG.standard_normal((2, C, 3))
LABELS = np.array([0, 3, -100, 4])
PROBS = RNG.dirichlet(np.ones(C), N)
PRED, GOAL = RNG.uniform(-2, 2, (3, 4)), RNG.uniform(-2, 2, (3, 4))
P_IN, P_TARGET = RNG.uniform(0.05, 0.95, (3, 4)), RNG.uniform(0, 1, (3, 4))


def t(a):
    return cr.tensor(a)


def test_float_class_indices_ask_for_int64():
    with pytest.raises(TypeError, match="int64.*probabilities"):
        F.cross_entropy(t(LOGITS), t([0.0, 1.0, 2.0, 3.0]))
    with pytest.raises(TypeError, match="int64") as err:
        F.nll_loss(t(LOGITS), t([0.0, 1.0, 2.0, 3.0]))
    assert "probabilities" not in str(err.value)


@pytest.mark.parametrize("fn", [F.cross_entropy, F.nll_loss])
def test_out_of_range_label_names_label_position_and_classes(fn):
    with pytest.raises(ValueError, match=r"label 7 at position \(2,\).*\[0, 5\).*C=5"):
        fn(t(LOGITS), t([0, 1, 7, 2]))
    with pytest.raises(ValueError, match=r"label -1 at position \(1, 0\)"):
        fn(t(LOGITS_3D), t([[0, 1, 2], [-1, 0, 0]]))


def test_target_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(4, 5\).*\(4,\).*\(3,\)"):
        F.cross_entropy(t(LOGITS), t([0, 1, 2]))


def test_class_weight_of_wrong_length():
    with pytest.raises(ValueError, match=r"\(5,\).*\(4,\)"):
        F.cross_entropy(t(LOGITS), t(LABELS), weight=t(np.ones(4)))
    with pytest.raises(ValueError, match=r"\(5,\).*\(4,\)"):
        F.cross_entropy(t(LOGITS), t(PROBS), weight=t(np.ones(4)))


def test_other_cross_entropy_misuse():
    with pytest.raises(TypeError, match="floating point"):
        F.cross_entropy(t(LOGITS), t(np.zeros((N, C), np.int64)))
    with pytest.raises(ValueError, match="ignore_index"):
        F.cross_entropy(t(LOGITS), t(PROBS), ignore_index=0)
    with pytest.raises(ValueError, match="label_smoothing"):
        F.cross_entropy(t(LOGITS), t(LABELS), label_smoothing=1.5)
    with pytest.raises(ValueError, match="0-dimensional"):
        F.cross_entropy(t(1.0), t(0))
    with pytest.raises(TypeError, match="floating-point"):
        F.cross_entropy(t([[1, 2]]), t([0]))


ELEMENTWISE = [F.mse_loss, F.l1_loss, F.huber_loss, F.smooth_l1_loss, F.kl_div,
               F.binary_cross_entropy, F.binary_cross_entropy_with_logits]


@pytest.mark.filterwarnings("ignore:kl_div")
@pytest.mark.parametrize("fn", ELEMENTWISE, ids=lambda f: f.__name__)
def test_elementwise_losses_refuse_to_broadcast(fn):
    with pytest.raises(ValueError, match=r"\(4, 1\).*\(4,\)"):
        fn(t(np.full((4, 1), 0.5)), t(np.full(4, 0.5)))


@pytest.mark.filterwarnings("ignore:kl_div")
@pytest.mark.parametrize("fn", ELEMENTWISE + [F.cross_entropy, F.nll_loss],
                         ids=lambda f: f.__name__)
def test_unknown_reduction(fn):
    categorical = fn in (F.cross_entropy, F.nll_loss)
    target = np.zeros(4, np.int64) if categorical else np.full((4, 5), 0.5)
    with pytest.raises(ValueError, match="reduction must be one of.*'avg'"):
        fn(t(np.full((4, 5), 0.5)), t(target), reduction="avg")


def test_bad_values_and_parameters():
    with pytest.raises(ValueError, match=r"\[0, 1\].*logits"):
        F.binary_cross_entropy(t([0.5, 1.5]), t([0.0, 1.0]))
    with pytest.raises(ValueError, match="NaN"):
        F.binary_cross_entropy(t([0.5, float("nan")]), t([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"weight of shape \(3,\)"):
        F.binary_cross_entropy(t(P_IN), t(P_TARGET), weight=t(np.ones(3)))
    with pytest.raises(ValueError, match=r"pos_weight of shape \(2,\)"):
        F.binary_cross_entropy_with_logits(t(PRED), t(P_TARGET), pos_weight=t(np.ones(2)))
    with pytest.raises(ValueError, match="delta"):
        F.huber_loss(t(PRED), t(GOAL), delta=0.0)
    with pytest.raises(ValueError, match="beta"):
        F.smooth_l1_loss(t(PRED), t(GOAL), beta=-1.0)
    with pytest.raises(ValueError, match="same size"):
        F.mse_loss(t(PRED), t(GOAL), weight=t(np.ones(4)))
