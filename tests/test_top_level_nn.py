"""The ``torch.*`` forms of neural-network functions (chainrule.functional.top_level):
every name's output, its input and weight gradients and any buffer it updates against torch
2.13's top-level function on the same float64 inputs, passed positionally in torch's order (a
swapped order fails); the in-place ``_`` forms; the dropouts' random masks; the integer
reductions and the errors; one gradcheck per family."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest

import chainrule as cr
from tests.optional import needs_torch, torch

pytestmark = needs_torch

RNG = np.random.default_rng(20)


@dataclass
class Grad:
    """A float64 leaf that requires grad: both libraries' gradients are compared."""
    value: np.ndarray


@dataclass
class Const:
    """A tensor without grad (indices, targets, running statistics): compared after the
    call too, which shows a buffer updated in place."""
    value: np.ndarray


def r(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape)


def log_probs(*shape: int) -> np.ndarray:
    x = r(*shape)
    return x - np.log(np.exp(x).sum(-1, keepdims=True))


def signs(*shape: int) -> np.ndarray:
    return np.where(RNG.random(shape) < 0.5, -1.0, 1.0)


def positive(*shape: int) -> np.ndarray:
    return RNG.uniform(0.5, 2.0, shape)


X = r(2, 3, 4)
DETERMINISTIC_DROPOUT = [(X, 0.5, False), (X, 0.0, True), (X, 1.0, True)]
DROPOUTS = ["dropout", "alpha_dropout", "feature_dropout", "feature_alpha_dropout"]

# (name, positional arguments in torch's order, keyword arguments)
CASES = [
    ("conv1d", [Grad(r(2, 3, 7)), Grad(r(4, 3, 3)), Grad(r(4)), 2, 1, 1, 1], {}),
    ("conv1d", [Grad(r(2, 4, 9)), Grad(r(4, 2, 3)), None, 1, 0, 2, 2], {}),
    ("conv2d", [Grad(r(2, 4, 6, 5)), Grad(r(6, 2, 3, 2)), Grad(r(6)), (2, 1), (1, 0), (1, 2), 2],
     {}),
    ("conv3d", [Grad(r(1, 2, 4, 5, 4)), Grad(r(3, 2, 2, 3, 2)), Grad(r(3)), 1, (0, 1, 0)], {}),
    ("conv_transpose1d", [Grad(r(2, 3, 5)), Grad(r(3, 2, 3)), Grad(r(2)), 2, 1, 1, 1, 1], {}),
    ("conv_transpose2d", [Grad(r(1, 4, 3, 4)), Grad(r(4, 1, 3, 2)), Grad(r(2)), 2, (1, 0),
                          (1, 0), 2, 1], {}),
    ("conv_transpose3d", [Grad(r(1, 2, 3, 3, 2)), Grad(r(2, 2, 2, 2, 2)), None, 2, 0,
                          (1, 0, 1), 1, 1], {}),
    ("convolution", [Grad(r(2, 3, 6, 6)), Grad(r(4, 3, 3, 3)), Grad(r(4)), [2], [1, 0], [1, 1],
                     False, [0], 1], {}),
    ("convolution", [Grad(r(2, 4, 7)), Grad(r(4, 2, 3)), None, [1], [1], [2], False, [0], 2], {}),
    ("convolution", [Grad(r(2, 3, 5)), Grad(r(3, 2, 3)), Grad(r(2)), [2], [1], [1], True, [1],
                     1], {}),
    ("convolution", [Grad(r(1, 2, 3, 4)), Grad(r(2, 3, 2, 3)), None, [2, 1], [0, 1], [1, 1],
                     True, [1, 0], 1], {}),
    ("convolution", [Grad(r(1, 2, 3, 3, 2)), Grad(r(3, 2, 2, 2, 1)), None, [1], [0], [1], False,
                     [0], 1], {}),
    ("max_pool1d", [Grad(r(2, 3, 9)), 3, [], 1, 2, True], {}),
    ("max_pool1d", [Grad(r(2, 3, 8)), 2], {}),
    ("max_pool2d", [Grad(r(2, 3, 7, 6)), (3, 2), (2, 1), 1, 1, False], {}),
    ("max_pool2d", [Grad(r(2, 3, 6, 6)), 2], {}),
    ("max_pool3d", [Grad(r(1, 2, 5, 4, 4)), 2, [], 0, 1, True], {}),
    ("max_pool1d_with_indices", [Grad(r(2, 3, 9)), 3, 2, 1], {}),
    ("max_pool1d_with_indices", [Grad(r(2, 3, 9)), 2], {}),
    ("avg_pool1d", [Grad(r(2, 3, 9)), 3, 2, 1, True, False], {}),
    ("adaptive_avg_pool1d", [Grad(r(2, 3, 9)), 4], {}),
    ("adaptive_max_pool1d", [Grad(r(2, 3, 9)), 4], {}),
    *[(name, [Grad(x), p, train], {}) for name in DROPOUTS
      for x, p, train in DETERMINISTIC_DROPOUT],
    ("batch_norm", [Grad(r(4, 3, 5)), Grad(r(3)), Grad(r(3)), Const(r(3)), Const(positive(3)),
                    True, 0.2, 1e-3, False], {}),
    ("batch_norm", [Grad(r(4, 3)), Grad(r(3)), None, Const(r(3)), Const(positive(3)), False, 0.1,
                    1e-5, True], {}),
    ("batch_norm", [Grad(r(4, 3, 2, 2)), None, None, None, None, True, 0.1, 1e-5, False], {}),
    ("instance_norm", [Grad(r(2, 3, 5)), Grad(r(3)), Grad(r(3)), Const(r(3)), Const(positive(3)),
                       True, 0.3, 1e-5, False], {}),
    ("instance_norm", [Grad(r(2, 3, 4, 2)), None, None, None, None, True, 0.1, 1e-4, True], {}),
    ("layer_norm", [Grad(r(2, 3, 4)), [3, 4], Grad(r(3, 4)), Grad(r(3, 4)), 1e-4, True], {}),
    ("layer_norm", [Grad(r(2, 3, 4)), [4]], {}),
    ("group_norm", [Grad(r(2, 6, 4)), 3, Grad(r(6)), Grad(r(6)), 1e-3, True], {}),
    ("group_norm", [Grad(r(2, 4, 3)), 2], {}),
    ("rms_norm", [Grad(r(2, 3, 4)), [4], Grad(r(4)), 1e-6], {}),
    ("rms_norm", [Grad(r(2, 3, 4)), [3, 4]], {}),
    ("embedding", [Grad(r(5, 3)), Const(np.array([[0, 2, 4], [2, 2, 1]])), 2, False, False], {}),
    ("embedding", [Grad(r(5, 3)), Const(np.array([0, 2, 4, 2]))], {}),
    ("embedding", [Grad(r(5, 3)), Const(np.array([0, 2, 4, 2])), 7, True, False], {}),
    ("embedding", [Grad(r(5, 3)), Const(np.array([0, 3, 4, 3])), -2, False, True], {}),
    ("bilinear", [Grad(r(4, 3)), Grad(r(4, 2)), Grad(r(5, 3, 2)), Grad(r(5))], {}),
    ("celu", [Grad(r(3, 4)), 0.5], {}),  # 1/α exact: torch rounds it to float32
    ("celu", [Grad(r(3, 4))], {}),
    ("selu", [Grad(r(3, 4))], {}),
    ("threshold", [Grad(r(3, 4)), 0.1, -2.0], {}),
    ("hardshrink", [Grad(r(3, 4)), 0.3], {}),
    ("prelu", [Grad(r(2, 3, 4)), Grad(r(3))], {}),
    ("cosine_similarity", [Grad(r(3, 4)), Grad(r(3, 4)), 0, 1e-8], {}),
    ("pairwise_distance", [Grad(r(3, 4)), Grad(r(3, 4)), 1.5, 1e-6, True], {}),
    ("pixel_shuffle", [Grad(r(1, 8, 2, 3)), 2], {}),
    ("pixel_unshuffle", [Grad(r(1, 2, 4, 6)), 2], {}),
    ("native_channel_shuffle", [Grad(r(2, 6, 3)), 3], {}),
    ("constant_pad_nd", [Grad(r(2, 3, 4)), [1, 2, -1, 1], 0.5], {}),
    ("constant_pad_nd", [Grad(r(2, 3, 2)), [0, 1, 2, 0, 1, 1]], {}),
]
for _red in (0, 1, 2):
    CASES += [
        ("binary_cross_entropy_with_logits", [Grad(r(3, 4)), Const(RNG.random((3, 4))),
                                              Const(positive(4)), Const(positive(4)), _red], {}),
        ("binary_cross_entropy_with_logits", [Grad(r(3, 4)), Const(RNG.random((3, 4)))], {}),
        ("cosine_embedding_loss", [Grad(r(5, 4)), Grad(r(5, 4)), Const(signs(5)), 0.2, _red],
         {}),
        ("ctc_loss", [Grad(log_probs(6, 2, 5)), Const(np.array([[1, 2, 2], [3, 4, 0]])), [6, 5],
                      [3, 2], 0, _red, False], {}),
        ("hinge_embedding_loss", [Grad(r(3, 4)), Const(signs(3, 4)), 0.5, _red], {}),
        ("kl_div", [Grad(log_probs(3, 4)), Const(np.exp(log_probs(3, 4))), _red], {}),
        ("kl_div", [Grad(log_probs(3, 4)), Grad(log_probs(3, 4)), _red], {"log_target": True}),
        ("margin_ranking_loss", [Grad(r(5)), Grad(r(5)), Const(signs(5)), 0.3, _red], {}),
        ("poisson_nll_loss", [Grad(r(3, 4)), Const(RNG.poisson(2.0, (3, 4)).astype(float)), True,
                              False, 1e-8, _red], {}),
        ("poisson_nll_loss", [Grad(positive(3, 4)), Const(RNG.poisson(2.0, (3, 4)).astype(float)),
                              False, True, 1e-6, _red], {}),
        ("triplet_margin_loss", [Grad(r(4, 5)), Grad(r(4, 5)), Grad(r(4, 5)), 0.5, 1.5, 1e-6,
                                 True, _red], {}),
    ]
CASES.append(("ctc_loss", [Grad(log_probs(6, 2, 5)), Const(np.array([[1, 2, 2], [3, 4, 0]])),
                           [6, 5], [3, 2]], {}))
CASES.append(("triplet_margin_loss", [Grad(r(4, 5)), Grad(r(4, 5)), Grad(r(4, 5))], {}))

INPLACE = [
    ("celu_", [0.5]), ("celu_", []), ("selu_", []), ("threshold_", [0.1, -1.0]),
    *[(f"{name}_", [p, train]) for name in DROPOUTS for _, p, train in DETERMINISTIC_DROPOUT],
]

NAMES = sorted(cr.functional.top_level.__all__)


def build(lib, args: list, kwargs: dict):
    """The arguments as ``lib``'s tensors, and the leaves that require grad."""
    leaves = []

    def one(arg):
        if isinstance(arg, Grad):
            leaves.append(lib.tensor(arg.value.copy(), requires_grad=True))
            return leaves[-1]
        return lib.tensor(arg.value.copy()) if isinstance(arg, Const) else arg

    return [one(a) for a in args], {k: one(v) for k, v in kwargs.items()}, leaves


def numpy_of(t) -> np.ndarray:
    if isinstance(t, torch.Tensor) and t.is_sparse:  # torch's sparse=True embedding gradient
        t = t.to_dense()
    return t.detach().numpy()


# torch has no derivative for native_channel_shuffle: its gradients come from its twin,
# whose values test_torch_twins_agree compares.
TORCH_TWINS = {"native_channel_shuffle": "channel_shuffle"}


def test_torch_twins_agree():
    x = torch.tensor(r(2, 6, 3))
    for name, twin in TORCH_TWINS.items():
        assert torch.equal(getattr(torch, name)(x, 3), getattr(torch, twin)(x, 3))


def run(lib, name: str, args: list, kwargs: dict):
    """Call ``lib.name``, then backward through sum(out · w) for a seeded upstream w; return
    the outputs, the leaves' gradients and the tensor arguments after the call."""
    built, built_kwargs, leaves = build(lib, args, kwargs)
    if lib is torch:
        name = TORCH_TWINS.get(name, name)
    outs = getattr(lib, name)(*built, **built_kwargs)
    outs = outs if isinstance(outs, tuple) else (outs,)
    floats = [o for o in outs if o.requires_grad]
    if floats:
        upstream = np.random.default_rng(0)
        total = sum((o * lib.tensor(upstream.standard_normal(tuple(o.shape)))).sum()
                    for o in floats)
        total.backward()
    grads = [None if leaf.grad is None else numpy_of(leaf.grad) for leaf in leaves]
    after = [numpy_of(a) for a in built if isinstance(a, (cr.Tensor, torch.Tensor))]
    return [numpy_of(o) for o in outs], grads, after


@pytest.mark.parametrize(("name", "args", "kwargs"), CASES,
                         ids=[f"{name}-{len(args)}" for name, args, _ in CASES])
def test_output_gradients_and_buffers_match_torchs_top_level_form(name, args, kwargs):
    ours, theirs = run(cr, name, args, kwargs), run(torch, name, args, kwargs)
    for got, want in zip(ours, theirs, strict=True):
        assert len(got) == len(want)
        for g, w in zip(got, want):
            if w is None:
                assert g is None or not g.any()
                continue
            assert g.shape == w.shape and g.dtype == w.dtype
            np.testing.assert_allclose(g, w, rtol=1e-9, atol=1e-11)


def test_every_name_has_a_case():
    covered = {c[0] for c in CASES} | {name for name, _ in INPLACE}
    assert set(NAMES) - covered == set()
    assert all(hasattr(torch, name) for name in NAMES)
    assert all(getattr(cr, name) is getattr(cr.functional.top_level, name) for name in NAMES)


@pytest.mark.parametrize(("name", "rest"), INPLACE, ids=[f"{n}-{i}" for i, (n, _) in
                                                         enumerate(INPLACE)])
def test_inplace_forms_write_over_their_input_and_return_it(name, rest):
    results = []
    for lib in (cr, torch):
        leaf = lib.tensor(X.copy(), requires_grad=True)
        x = leaf * 1.0
        out = getattr(lib, name)(x, *rest)
        assert out is x
        (out * lib.tensor(np.arange(X.size, dtype=float).reshape(X.shape))).sum().backward()
        results.append((numpy_of(out), numpy_of(leaf.grad)))
    for got, want in zip(*results):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)
    plain = cr.tensor(X.copy())
    assert getattr(cr, name)(plain, *rest) is plain


def test_inplace_forms_change_a_tensor_without_grad():
    x = cr.tensor(X.copy())
    assert cr.dropout_(x, 0.5, True) is x
    assert ((x.numpy() == 0) | np.isclose(x.numpy(), 2 * X)).all()
    assert (x.numpy() == 0).any() and (x.numpy() != 0).any()


# ---------------------------------------------------------------- random dropout masks

SELU_ALPHA_PRIME = 1.0507009873554804934193349852946 * 1.6732632423543772848170429916717


def test_dropout_keeps_or_zeroes_each_element_and_scales_its_gradient():
    cr.manual_seed(3)
    leaf = cr.tensor(positive(40, 50), requires_grad=True)
    y = cr.dropout(leaf, 0.3, True)
    kept = y.detach().numpy() != 0
    np.testing.assert_allclose(y.detach().numpy()[kept], leaf.detach().numpy()[kept] / 0.7)
    assert 0.6 < kept.mean() < 0.8
    y.sum().backward()
    np.testing.assert_allclose(leaf.grad.numpy(), kept / 0.7)


@pytest.mark.parametrize("name", ["feature_dropout", "feature_dropout_"])
def test_feature_dropout_drops_whole_channels_at_any_rank(name):
    cr.manual_seed(4)
    for shape in ((30, 40), (10, 30, 3), (6, 20, 2, 3, 2)):
        y = getattr(cr, name)(cr.ones(*shape, dtype=cr.float64), 0.25, True).numpy()
        per_channel = y.reshape(shape[0], shape[1], -1)
        assert ((per_channel == 0).all(-1) | np.isclose(per_channel, 1 / 0.75).all(-1)).all()
        assert (per_channel == 0).any() and (per_channel != 0).any()


@pytest.mark.parametrize(("name", "feature"), [("alpha_dropout", False),
                                               ("feature_alpha_dropout", True)])
def test_alpha_dropouts_take_torchs_kept_and_dropped_values(name, feature):
    """Kept: a·x + a·α′·p; dropped: a·α′·(p − 1); a = ((α′²p + 1)(1 − p))^(−1/2) (ATen's
    Dropout.cpp), with whole channels dropped in the feature form."""
    cr.manual_seed(5)
    p, x = 0.2, r(20, 30, 4)
    y = getattr(cr, name)(cr.tensor(x), p, True).numpy()
    a = 1 / math.sqrt((SELU_ALPHA_PRIME ** 2 * p + 1) * (1 - p))
    kept = np.isclose(y, a * x + a * SELU_ALPHA_PRIME * p)
    dropped = np.isclose(y, a * SELU_ALPHA_PRIME * (p - 1))
    assert (kept | dropped).all() and dropped.any() and kept.any()
    if feature:
        assert (kept.all(-1) | dropped.all(-1)).all()


# ---------------------------------------------------------------- errors

LOSS_ARGS = {
    "binary_cross_entropy_with_logits": ([r(3), RNG.random(3), None, None], 4),
    "cosine_embedding_loss": ([r(2, 3), r(2, 3), signs(2), 0.0], 4),
    "ctc_loss": ([log_probs(6, 2, 5), np.array([[1, 2], [3, 4]]), [6, 5], [2, 2], 0], 5),
    "hinge_embedding_loss": ([r(3), signs(3), 1.0], 3),
    "kl_div": ([log_probs(3), np.exp(log_probs(3))], 2),
    "margin_ranking_loss": ([r(3), r(3), signs(3), 0.0], 4),
    "poisson_nll_loss": ([r(3), positive(3), True, False, 1e-8], 5),
    "triplet_margin_loss": ([r(2, 3), r(2, 3), r(2, 3), 1.0, 2.0, 1e-6, False], 7),
}


def loss_call(name: str, reduction):
    values, _ = LOSS_ARGS[name]
    args = [cr.tensor(v) if isinstance(v, np.ndarray) else v for v in values]
    return getattr(cr, name)(*args, reduction)


@pytest.mark.parametrize("name", sorted(LOSS_ARGS))
def test_losses_refuse_a_reduction_outside_the_enum(name):
    for bad in (3, -1):
        with pytest.raises(ValueError, match=r"reduction must be 0 \('none'\), 1 \('mean'\)"):
            loss_call(name, bad)
    for bad in ("mean", 1.0, True):
        with pytest.raises(TypeError, match=r"argument 'reduction' \(position "
                           rf"{LOSS_ARGS[name][1] + 1}\) must be int"):
            loss_call(name, bad)
    with pytest.raises(TypeError):  # as torch: the string form is F's, not this one's
        getattr(torch, name)(*[torch.tensor(v) if isinstance(v, np.ndarray) else v
                               for v in LOSS_ARGS[name][0]], "mean")


@pytest.mark.parametrize("name", [*DROPOUTS, *[f"{n}_" for n in DROPOUTS]])
def test_dropouts_want_a_bool_train_and_p_in_range(name):
    x = cr.tensor(X.copy())
    for bad in (1, None, "yes"):
        with pytest.raises(TypeError, match=r"argument 'train' \(position 3\) must be bool"):
            getattr(cr, name)(x, 0.5, bad)
        with pytest.raises(TypeError, match="must be bool"):
            getattr(torch, name)(torch.tensor(X.copy()), 0.5, bad)
    with pytest.raises(TypeError):
        getattr(cr, name)(x, 0.5)  # train has no default
    for p in (-0.1, 1.5):
        with pytest.raises(RuntimeError, match="between 0 and 1, but got"):
            getattr(cr, name)(x, p, False)


@pytest.mark.parametrize("name", ["feature_dropout", "feature_alpha_dropout_"])
def test_feature_dropouts_need_two_dims_only_when_they_draw(name):
    x = cr.tensor(r(5))
    with pytest.raises(RuntimeError, match="at least 2 dimensions"):
        getattr(cr, name)(x, 0.5, True)
    assert getattr(cr, name)(x, 0.5, False) is x
    assert not getattr(cr, name)(x, 1.0, True).numpy().any()  # p = 1: x·0, as torch


def test_convolution_refuses_what_torch_refuses():
    x, w = cr.tensor(r(2, 3, 6, 6)), cr.tensor(r(4, 3, 3, 3))
    with pytest.raises(TypeError, match=r"argument 'transposed' \(position 7\) must be bool"):
        cr.convolution(x, w, None, [1], [0], [1], 0, [0], 1)
    with pytest.raises(RuntimeError, match="expected 4-dimensional input"):
        cr.convolution(x[0], w, None, [1], [0], [1], False, [0], 1)
    with pytest.raises(RuntimeError, match="expected padding to be a single integer value or a "
                                           "list of 2 values"):
        cr.convolution(x, w, None, [1], [1, 1, 1], [1], False, [0], 1)
    with pytest.raises(RuntimeError, match="1, 2 or 3 spatial dims"):
        cr.convolution(cr.tensor(r(2, 3)), cr.tensor(r(4, 3)), None, [1], [0], [1], False, [0], 1)


def test_norms_take_every_argument_in_torchs_order():
    x = cr.tensor(r(4, 3))
    with pytest.raises(TypeError):
        cr.batch_norm(x, None, None, None, None, True, 0.1, 1e-5)  # cudnn_enabled is required
    with pytest.raises(TypeError):
        cr.instance_norm(x, None, None, None, None, True, 0.1, 1e-5)


# ---------------------------------------------------------------- gradcheck, one per family


def leaf(*shape: int):
    return cr.tensor(r(*shape), requires_grad=True)


def seeded_dropout(x):
    cr.manual_seed(0)
    return cr.feature_alpha_dropout(x, 0.4, True)


GRADCHECKS = {
    "convolution": (lambda x, w: cr.convolution(x, w, None, [2], [1], [1], True, [1], 1),
                    [leaf(1, 2, 4), leaf(2, 3, 3)]),
    "max_pool2d": (lambda x: cr.max_pool2d(x, 2, [], 1), [leaf(1, 2, 4, 5)]),
    "dropout": (seeded_dropout, [leaf(3, 4, 2)]),
    "batch_norm": (lambda x, w: cr.batch_norm(x, w, None, None, None, True, 0.1, 1e-5, False),
                   [leaf(4, 3), leaf(3)]),
    "embedding": (lambda w: cr.embedding(w, cr.tensor([1, 3, 1])), [leaf(4, 2)]),
    "celu": (lambda x: cr.celu(x, 0.8), [leaf(3, 4)]),
    "constant_pad_nd": (lambda x: cr.constant_pad_nd(x, [1, -1, 2, 0], 3.0), [leaf(2, 3)]),
    "kl_div": (lambda x, t: cr.kl_div(x, t, 1, log_target=True), [leaf(3, 4), leaf(3, 4)]),
}


@pytest.mark.parametrize("family", sorted(GRADCHECKS))
def test_gradients_pass_through_the_wrappers(family):
    fn, inputs = GRADCHECKS[family]
    assert cr.gradcheck(fn, inputs)
