"""chainrule.distributions.transforms against torch.distributions.transforms (float64): each
transform's forward map, inverse and log|det J| (values and gradients in the input and the
transform's parameters), log|det J| against a finite-difference Jacobian, caching, the
attributes (domain, codomain, sign, event_dim, shapes) and the errors PyTorch raises."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
import chainrule.distributions as D
from chainrule.distributions import transforms as T

from .optional import needs_torch, torch

RNG = np.random.default_rng(11)
REAL = RNG.standard_normal((2, 3)) * 2
POSITIVE = RNG.uniform(0.3, 3.0, (2, 3))
UNIT = RNG.uniform(0.05, 0.95, (2, 3))
LOC = RNG.standard_normal(3)
SCALE = RNG.uniform(0.5, 2.0, 3) * np.array([1, -1, 1])
EXPONENT = np.array([0.5, 2.0, -1.5])
WIDE = np.array([[-25.0, -3.0, -0.1], [0.2, 4.0, 30.0]])  # softplus's linear regime too


def lib(module):
    """torch.distributions or chainrule.distributions."""
    return module if module is D else torch.distributions


# id: (build(distributions module, *parameters), parameters, x, has log|det J|)
CASES = {
    "exp": (lambda M: M.transforms.ExpTransform(), [], REAL, True),
    "affine_numbers": (lambda M: M.transforms.AffineTransform(0.5, -2.0), [], REAL, True),
    "affine_event_dim_1": (lambda M, loc, scale: M.transforms.AffineTransform(
        loc, scale, event_dim=1), [LOC, SCALE], REAL, True),
    "sigmoid": (lambda M: M.transforms.SigmoidTransform(), [], REAL, True),
    "sigmoid_inverse": (lambda M: M.transforms.SigmoidTransform().inv, [], UNIT, True),
    "tanh": (lambda M: M.transforms.TanhTransform(), [], REAL, True),
    "softplus": (lambda M: M.transforms.SoftplusTransform(), [], WIDE, True),
    "power": (lambda M, a: M.transforms.PowerTransform(a), [EXPONENT], POSITIVE, True),
    "stick_breaking": (lambda M: M.transforms.StickBreakingTransform(), [], REAL, True),
    "compose": (lambda M, loc, scale: M.transforms.ComposeTransform(
        [M.transforms.AffineTransform(loc, scale), M.transforms.TanhTransform()]),
        [LOC, SCALE], REAL / 2, True),
    "independent_exp": (lambda M: M.transforms.IndependentTransform(
        M.transforms.ExpTransform(), 1), [], REAL, True),
    "reshape": (lambda M: M.transforms.ReshapeTransform((3,), (3, 1)), [], REAL, True),
    "normal_cdf": (lambda M, loc, scale: M.transforms.CumulativeDistributionTransform(
        M.Normal(loc, scale)), [LOC, np.abs(SCALE)], REAL, True),
    "softmax": (lambda M: M.transforms.SoftmaxTransform(), [], REAL, False),
    "abs": (lambda M: M.transforms.AbsTransform(), [], REAL, False),
}


def leaves(module, arrays):
    make = cr.tensor if module is D else torch.tensor
    return [make(np.asarray(a, np.float64), requires_grad=True) for a in arrays]


def numpy_of(t):
    if hasattr(t, "detach"):
        return t.detach().numpy()
    return np.asarray(t.data if isinstance(t, cr.Tensor) else t)


def evaluate(module, case):
    """(inputs, forward y, inverse of y, log|det J| or None) for one library."""
    build, params, x, has_ldj = CASES[case]
    inputs = leaves(module, [x] + params)
    t = build(lib(module), *inputs[1:])
    y = t(inputs[0])
    return inputs, y, t.inv(y.detach()), t.log_abs_det_jacobian(inputs[0], y) if has_ldj \
        else None


def grads(module, output, inputs, weights):
    if module is D:
        cr.autograd.backward((output * cr.tensor(weights)).sum(), retain_graph=True)
        return [None if i.grad is None else np.asarray(i.grad) for i in inputs]
    found = torch.autograd.grad((output * torch.tensor(weights)).sum(), inputs,
                                allow_unused=True, retain_graph=True)
    return [None if g is None else g.numpy() for g in found]


@needs_torch
@pytest.mark.parametrize("case", list(CASES))
def test_forward_inverse_and_log_det_match_torch(case):
    ours, theirs = evaluate(D, case), evaluate(torch, case)
    for mine, reference in zip(ours[1:], theirs[1:]):
        if reference is not None:
            np.testing.assert_allclose(numpy_of(mine), numpy_of(reference), rtol=1e-12,
                                       atol=1e-14)
    for position in (1, 3) if CASES[case][3] else (1,):  # y, then log|det J|
        if not theirs[position].requires_grad:  # a constant (reshape's 0, affine's log|2|)
            assert not ours[position].requires_grad
            continue
        weights = RNG.standard_normal(numpy_of(theirs[position]).shape)
        expected = grads(torch, theirs[position], theirs[0], weights)
        for inp in ours[0]:
            inp.grad = None
        found = grads(D, ours[position], ours[0], weights)
        for g_ours, g_theirs in zip(found, expected):
            assert (g_ours is None) == (g_theirs is None) or not np.any(g_theirs)
            if g_theirs is not None and g_ours is not None:
                np.testing.assert_allclose(g_ours, g_theirs, rtol=1e-10, atol=1e-12)


def flat_events(array, ndims):
    if not ndims:
        return array
    return array.reshape(array.shape[:array.ndim - ndims] + (-1,))


@pytest.mark.parametrize("case", [c for c in CASES if CASES[c][3]])
def test_log_det_matches_a_finite_difference_jacobian(case):
    """log|det ∂y/∂x| per event from central differences (h = 1e-6) of the forward map; for
    maps onto the simplex, the Jacobian of the first K outputs (the last is 1 − their sum)."""
    build, params, x, _ = CASES[case]
    t = build(D, *[cr.tensor(np.asarray(p, np.float64)) for p in params])
    in_dims, out_dims = t.domain.event_dim, t.codomain.event_dim
    fwd = lambda a: flat_events(t(cr.tensor(a)).data, out_dims)  # noqa: E731
    flat_x = flat_events(x, in_dims)
    n = flat_x.shape[-1] if in_dims else 1
    jac = np.empty(flat_x.shape[:-1] + (n, n)) if in_dims else None
    h = 1e-6
    if not in_dims:
        derivative = (fwd(x + h) - fwd(x - h)) / (2 * h)
        expected = np.log(np.abs(derivative))
    else:
        for i in range(n):
            step = np.zeros(n)
            step[i] = h
            up = fwd((flat_x + step).reshape(x.shape))
            down = fwd((flat_x - step).reshape(x.shape))
            jac[..., :, i] = ((up - down) / (2 * h))[..., :n]
        expected = np.linalg.slogdet(jac)[1]
    found = t.log_abs_det_jacobian(cr.tensor(x), t(cr.tensor(x))).data
    np.testing.assert_allclose(found, expected, rtol=1e-6, atol=1e-7)


@needs_torch
def test_tanh_log_det_stays_finite_and_exact_where_tanh_saturates():
    x = np.array([-40.0, -19.5, -5.0, 0.0, 5.0, 19.5, 40.0])
    ours = T.TanhTransform().log_abs_det_jacobian(cr.tensor(x), cr.tensor(np.tanh(x))).data
    theirs = torch.distributions.transforms.TanhTransform().log_abs_det_jacobian(
        torch.tensor(x), torch.tensor(np.tanh(x))).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-13)
    # log(1 − tanh²x) = log 4 − 2|x| − 2·log(1 + e^(−2|x|)), written without cancellation
    exact = np.log(4.0) - 2 * np.abs(x) - 2 * np.log1p(np.exp(-2 * np.abs(x)))
    np.testing.assert_allclose(ours, exact, rtol=1e-12)


@pytest.mark.parametrize("build", [
    lambda: T.TanhTransform(), lambda: T.StickBreakingTransform(),
    lambda: T.SigmoidTransform().inv, lambda: T.SoftplusTransform()])
def test_gradcheck_log_det_and_forward(build):
    t = build()
    x = cr.tensor(UNIT if isinstance(t, type(T.SigmoidTransform().inv)) else REAL / 2,
                  requires_grad=True)
    assert cr.gradcheck(lambda a: t.log_abs_det_jacobian(a, t(a)), [x])
    assert cr.gradcheck(lambda a: t(a), [x])


def test_gradcheck_in_the_transforms_parameters():
    x = cr.tensor(POSITIVE)
    loc, scale, a = (cr.tensor(v, requires_grad=True) for v in (LOC, SCALE, EXPONENT))
    assert cr.gradcheck(lambda s: T.AffineTransform(loc, s, event_dim=1)
                        .log_abs_det_jacobian(x, x), [scale])
    assert cr.gradcheck(lambda m, s: T.AffineTransform(m, s)(x), [loc, scale])
    power = lambda e: T.PowerTransform(e)  # noqa: E731
    assert cr.gradcheck(lambda e: power(e).log_abs_det_jacobian(x, power(e)(x)), [a])


# ---------------------------------------------------------------------- caching


def test_a_cached_transform_returns_the_remembered_pair():
    t = T.TanhTransform(cache_size=1)
    x = cr.tensor([0.3, 25.0], dtype=cr.float64)
    y = t(x)
    assert t(x) is y and t.inv(y) is x  # no atanh(1) = inf: the pre-image itself
    assert np.isinf(T.TanhTransform().inv(y).data[1])
    other = cr.tensor([0.1], dtype=cr.float64)
    assert t(other) is not y and t.inv(t(other)) is other


def test_an_uncached_transform_computes_again():
    t = T.ExpTransform()
    x = cr.tensor([0.5], dtype=cr.float64)
    assert t(x) is not t(x) and t.inv(t(x)) is not x


def test_with_cache_and_cache_size_errors():
    assert T.ExpTransform().with_cache(1)._cache_size == 1
    t = T.AffineTransform(1.0, 2.0)
    assert t.with_cache(0) is t and t.with_cache(1).loc == 1.0
    compose = T.ComposeTransform([T.ExpTransform(), T.AffineTransform(0.0, 3.0)], cache_size=1)
    assert all(part._cache_size == 1 for part in compose.parts)
    x = cr.tensor([0.2], dtype=cr.float64)
    assert compose.inv(compose(x)) is x
    assert T.IndependentTransform(T.ExpTransform(), 1, cache_size=1).base_transform._cache_size
    with pytest.raises(ValueError, match="cache_size must be 0 or 1"):
        T.ExpTransform(cache_size=2)

    class Custom(T.Transform):
        def __init__(self, value):
            super().__init__()

    with pytest.raises(NotImplementedError, match="with_cache is not implemented"):
        Custom(1).with_cache(1)


# ---------------------------------------------------------------------- attributes


@needs_torch
@pytest.mark.parametrize("case", list(CASES))
def test_attributes_match_torch(case):
    build, params, x, _ = CASES[case]
    ours = build(D, *leaves(D, params))
    theirs = build(torch.distributions, *leaves(torch, params))
    assert repr(ours.domain) == repr(theirs.domain)
    assert repr(ours.codomain) == repr(theirs.codomain)
    assert ours.domain.event_dim == theirs.domain.event_dim
    assert ours.codomain.event_dim == theirs.codomain.event_dim
    assert ours.bijective == theirs.bijective
    shape = x.shape
    assert ours.forward_shape(shape) == tuple(theirs.forward_shape(torch.Size(shape)))
    out = tuple(theirs.forward_shape(torch.Size(shape)))
    assert ours.inverse_shape(out) == tuple(theirs.inverse_shape(torch.Size(out)))
    try:
        expected = theirs.sign
    except NotImplementedError:
        with pytest.raises(NotImplementedError):
            ours.sign  # noqa: B018
        return
    np.testing.assert_array_equal(numpy_of(ours.sign), numpy_of(expected))


def test_inverse_of_inverse_domain_and_event_dim():
    t = T.SigmoidTransform()
    assert t.inv.inv is t and t.inv.domain is t.codomain and t.inv.codomain is t.domain
    compose = T.ComposeTransform([T.ExpTransform(), T.StickBreakingTransform()])
    assert compose.inv.inv is compose and compose.domain.event_dim == 1
    assert T.identity_transform.domain is D.constraints.real
    assert T.AffineTransform(0.0, 1.0, event_dim=2).event_dim == 2
    with pytest.raises(ValueError, match="Please use either .domain.event_dim"):
        T.ReshapeTransform((6,), (2, 3)).event_dim  # noqa: B018


def test_equality_is_by_kind_and_parameters():
    assert T.ExpTransform() == T.ExpTransform() and T.ExpTransform() != T.TanhTransform()
    assert T.AffineTransform(1.0, 2.0) == T.AffineTransform(1.0, 2.0)
    assert T.AffineTransform(1.0, 2.0) != T.AffineTransform(1.0, 3.0)
    assert T.AffineTransform(cr.tensor([1.0]), 2.0) == T.AffineTransform(cr.tensor([1.0]), 2.0)
    assert T.PowerTransform(2.0) == T.PowerTransform(2.0) != T.PowerTransform(3.0)
    assert T.ExpTransform().inv == T.ExpTransform().inv
    assert T.ComposeTransform([T.ExpTransform()]) == T.ComposeTransform([T.ExpTransform()])
    custom = T.Transform()
    assert custom == custom and custom != T.Transform()


def test_identity_transform_and_empty_compose():
    x = cr.tensor([[0.5, -1.0]], dtype=cr.float64)
    assert T.identity_transform(x) is x and T.identity_transform.inv(x) is x
    assert T.identity_transform.log_abs_det_jacobian(x, x).data.tolist() == [[0.0, 0.0]]


# ---------------------------------------------------------------------- errors


def test_the_errors_torch_raises():
    with pytest.raises(ValueError, match="in_shape, out_shape have different numbers"):
        T.ReshapeTransform((2, 3), (5,))
    reshape = T.ReshapeTransform((2, 3), (6,))
    with pytest.raises(ValueError, match="Too few dimensions on input"):
        reshape.forward_shape((3,))
    with pytest.raises(ValueError, match=r"Shape mismatch: expected \(3, 2\) but got \(2, 3\)"):
        reshape.forward_shape((4, 3, 2))
    with pytest.raises(ValueError, match="Too few dimensions on input"):
        T.IndependentTransform(T.ExpTransform(), 2)(cr.tensor([1.0]))
    with pytest.raises(ValueError, match="Too few dimensions on input"):
        T.StickBreakingTransform().forward_shape(())
    with pytest.raises(NotImplementedError, match="AbsTransform does not implement "
                                                  "log_abs_det_jacobian"):
        T.AbsTransform().log_abs_det_jacobian(cr.tensor([1.0]), cr.tensor([1.0]))
    with pytest.raises(NotImplementedError):
        T.Transform().sign  # noqa: B018
    with pytest.raises(NotImplementedError, match="does not implement its forward map"):
        T.Transform()(cr.tensor([1.0]))


@needs_torch
def test_the_same_errors_are_raised_by_torch():
    """The cases of test_the_errors_torch_raises are errors in torch too (same types)."""
    tt = torch.distributions.transforms
    with pytest.raises(ValueError, match="in_shape, out_shape have different numbers"):
        tt.ReshapeTransform(torch.Size((2, 3)), torch.Size((5,)))
    with pytest.raises(ValueError, match="Shape mismatch"):
        tt.ReshapeTransform(torch.Size((2, 3)), torch.Size((6,))).forward_shape(
            torch.Size((4, 3, 2)))
    with pytest.raises(ValueError, match="Too few dimensions on input"):
        tt.IndependentTransform(tt.ExpTransform(), 2)(torch.tensor([1.0]))
    with pytest.raises(ValueError, match="cache_size must be 0 or 1"):
        tt.ExpTransform(cache_size=2)
    with pytest.raises(NotImplementedError):
        tt.AbsTransform().log_abs_det_jacobian(torch.tensor([1.0]), torch.tensor([1.0]))


def test_the_module_is_torchs_submodule_path():
    import importlib
    assert importlib.import_module("chainrule.distributions.transforms") is D.transforms
    for name in T.__all__:
        assert getattr(D, name) is getattr(T, name)


@needs_torch
@pytest.mark.parametrize("name", [n for n in T.__all__ if isinstance(getattr(T, n), type)] +
                         ["TransformedDistribution", "LogNormal", "LogisticNormal",
                          "RelaxedBernoulli", "RelaxedOneHotCategorical"])
def test_constructors_take_torchs_parameters_in_torchs_order(name):
    import inspect
    ours = list(inspect.signature(getattr(D, name).__init__).parameters)
    theirs = list(inspect.signature(getattr(torch.distributions, name).__init__).parameters)
    assert ours == theirs
