"""``chainrule.func``: functional_call, grad, grad_and_value, vjp and jacrev against
``torch.func`` on the same functions and float64 inputs; the refusals (forward mode, higher
order, nesting); the signatures of every name against torch 2.13's."""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import pytest

import chainrule as cr
import chainrule.func as cf
from tests.optional import needs_torch, torch

pytestmark = needs_torch
RNG = np.random.default_rng(3)


def arrays(*shapes):
    return [RNG.standard_normal(s) for s in shapes]


def both(values):
    """The same float64 values as chainrule tensors and as torch tensors."""
    return [cr.tensor(v) for v in values], [torch.tensor(v) for v in values]


def flat(value):
    """A tree's leaves as float64 arrays (dicts in sorted key order), for comparison."""
    if isinstance(value, dict):
        return [a for k in sorted(value) for a in flat(value[k])]
    if isinstance(value, (tuple, list)):
        return [a for v in value for a in flat(v)]
    if hasattr(value, "detach"):
        value = value.detach()
        value = value.numpy() if hasattr(value, "numpy") else value
    return [np.asarray(getattr(value, "data", value), dtype=np.float64)]


def same(ours, theirs):
    ours, theirs = flat(ours), flat(theirs)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def structure(value):
    if isinstance(value, dict):
        return {k: structure(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return type(value).__name__, [structure(v) for v in value]
    return tuple(value.shape)


# functions written once, run on either library's tensors
def scalar_fn(x, y):
    return (x.sin() * y).sum() + (x * x).sum()


def tree_fn(p):
    return (p["w"] @ p["v"]).tanh().sum() + p["b"][0].exp().sum()


def vector_fn(x, y):
    return (x.sin() * y, (x * x).sum())


@pytest.mark.parametrize("argnums", [0, 1, (0, 1), -1, (1,)])
def test_grad_and_grad_and_value_match_torch(argnums):
    (x, y), (tx, ty) = both(arrays((3, 4), (3, 4)))
    same(cf.grad(scalar_fn, argnums)(x, y), torch.func.grad(scalar_fn, argnums)(tx, ty))
    ours = cf.grad_and_value(scalar_fn, argnums)(x, y)
    same(ours, torch.func.grad_and_value(scalar_fn, argnums)(tx, ty))
    assert structure(ours) == structure(torch.func.grad_and_value(scalar_fn, argnums)(tx, ty))


def test_grad_of_a_dict_of_tensors_and_has_aux_match_torch():
    (w, v, b0, b1), (tw, tv, tb0, tb1) = both(arrays((2, 3), (3,), (2,), (1,)))
    ours = cf.grad(tree_fn)({"w": w, "v": v, "b": [b0, b1]})
    theirs = torch.func.grad(tree_fn)({"w": tw, "v": tv, "b": [tb0, tb1]})
    assert structure(ours) == structure(theirs)
    same(ours, theirs)

    def with_aux(x):
        return (x ** 3).sum(), {"y": x * 2, "z": [x.sum()]}

    (x,), (tx,) = both(arrays((4,)))
    g, aux = cf.grad(with_aux, has_aux=True)(x)
    tg, taux = torch.func.grad(with_aux, has_aux=True)(tx)
    same((g, aux), (tg, taux))
    with pytest.raises(RuntimeError, match="Expected tensors, got unsupported type <class 'int'>"):
        cf.grad(lambda a: (a.sum(), 7), has_aux=True)(x)
    (g, (value, aux)) = cf.grad_and_value(with_aux, has_aux=True)(x)
    same((g, value), torch.func.grad_and_value(with_aux, has_aux=True)(tx)[:1]
         + (torch.func.grad_and_value(with_aux, has_aux=True)(tx)[1][0],))


def test_grad_of_an_unused_input_is_zeros_as_torch():
    (x, y), (tx, ty) = both(arrays((3,), (2,)))
    ours = cf.grad(lambda a, b: (a * 2).sum(), (0, 1))(x, y)
    same(ours, torch.func.grad(lambda a, b: (a * 2).sum(), (0, 1))(tx, ty))
    same(cf.grad(lambda a: cr.tensor(1.0, dtype=cr.float64))(x), np.zeros(3))


def test_grad_refuses_what_torch_refuses():
    x = cr.tensor(arrays((3,))[0])
    with pytest.raises(RuntimeError, match="Expected f\\(\\*args\\) to return a scalar Tensor, "
                                           "got tensor with 1 dims"):
        cf.grad(lambda a: a * 2)(x)
    with pytest.raises(RuntimeError, match="to return a Tensor, got <class 'float'>"):
        cf.grad(lambda a: 1.0)(x)
    with pytest.raises(RuntimeError, match="should be a tuple: \\(output, aux\\)"):
        cf.grad(lambda a: a.sum(), has_aux=True)(x)
    with pytest.raises(RuntimeError, match="Got argnum=2, but only 1 positional inputs"):
        cf.grad(lambda a: a.sum(), 2)(x)
    with pytest.raises(RuntimeError, match="argnums elements must be unique"):
        cf.grad(lambda a, b: a.sum(), (0, 0))(x, x)
    with pytest.raises(RuntimeError, match="argnums must be non-empty"):
        cf.grad(lambda a: a.sum(), ())(x)
    with pytest.raises(RuntimeError, match="argnums must be int or Tuple"):
        cf.grad(lambda a: a.sum(), [0])(x)
    with pytest.raises(ValueError, match="Thing passed to transform API must be Tensor"):
        cf.grad(lambda a: a.sum())((x, 3))


@pytest.mark.parametrize("has_aux", [False, True])
def test_vjp_matches_torch_and_can_be_called_twice(has_aux):
    (x, y, c0, c1), (tx, ty, tc0, tc1) = both(arrays((3,), (3,), (3,), ()))

    def fn(a, b):
        out = vector_fn(a, b)
        return (out, a.sum()) if has_aux else out

    ours = cf.vjp(fn, x, y, has_aux=has_aux)
    theirs = torch.func.vjp(fn, tx, ty, has_aux=has_aux)
    assert len(ours) == len(theirs) == 2 + has_aux
    same(ours[0], theirs[0])
    for _ in range(2):
        got = ours[1]((c0, c1))
        assert isinstance(got, tuple) and len(got) == 2
        same(got, theirs[1]((tc0, tc1)))
    if has_aux:
        same(ours[2], theirs[2])
    with pytest.raises(RuntimeError, match="Expected pytree structure of cotangents"):
        ours[1](c0)
    with pytest.raises(NotImplementedError, match="create_graph=True"):
        ours[1]((c0, c1), create_graph=True)


def test_vjp_refuses_integer_outputs():
    with pytest.raises(RuntimeError, match="All outputs of f must be floating-point"):
        cf.vjp(lambda a: (a > 0).long(), cr.tensor([1.0, -1.0]))


@pytest.mark.parametrize("argnums", [0, 1, (0, 1)])
def test_jacrev_matches_torch(argnums):
    (x, y), (tx, ty) = both(arrays((3,), (3,)))
    ours = cf.jacrev(vector_fn, argnums)(x, y)
    theirs = torch.func.jacrev(vector_fn, argnums)(tx, ty)
    assert structure(ours) == structure(theirs)
    same(ours, theirs)


def test_jacrev_of_matrices_dicts_and_aux_match_torch():
    (w, v), (tw, tv) = both(arrays((2, 3), (3, 4)))

    def fn(p):
        return (p["w"] @ p["v"]).tanh(), p["w"].sum()

    ours, aux = cf.jacrev(fn, has_aux=True, chunk_size=2)({"w": w, "v": v})
    theirs, taux = torch.func.jacrev(fn, has_aux=True)({"w": tw, "v": tv})
    assert structure(ours) == structure(theirs)
    same((ours, aux), (theirs, taux))
    with pytest.raises(ValueError, match="`chunk_size` should be greater than 0"):
        cf.jacrev(fn, chunk_size=0)


def test_transform_results_that_torch_would_differentiate_refuse_backward():
    """Results carry no first-order answer disguised as a higher-order one: where PyTorch's
    result depends on a tensor outside the transform that requires grad, backward raises."""
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    x = cr.tensor([3.0, 4.0])
    g = cf.grad(lambda a: (a * a * w).sum())(x)
    np.testing.assert_allclose(g.data, [6.0, 16.0])
    with pytest.raises(NotImplementedError, match="result of grad.*once-differentiable"):
        (g * w).sum().backward()
    with pytest.raises(NotImplementedError, match="result of grad"):
        cf.grad(lambda a: (a * a).sum())(w).sum().backward()
    with cr.no_grad():
        assert not cf.grad(lambda a: (a * a * w).sum())(x).requires_grad
    detached = cf.grad(lambda a: (a * a).sum())(x)
    assert not detached.requires_grad and detached._ctx is None


@pytest.mark.parametrize("nested", [
    lambda f: cf.grad(cf.grad(f)),
    lambda f: cf.jacrev(cf.grad(f)),
    lambda f: cf.grad(lambda x: cf.vjp(f, x)[0]),
    lambda f: cf.grad(lambda x: cf.vmap(cf.grad(f))(x[None]).sum()),
], ids=["grad-grad", "jacrev-grad", "grad-vjp", "grad-vmap-grad"])
def test_nested_gradient_transforms_refuse(nested):
    with pytest.raises(NotImplementedError, match="inside .*once-differentiable"):
        nested(lambda x: (x ** 3).sum())(cr.tensor([1.0, 2.0]))
    assert cf.grad(lambda x: (x ** 3).sum())(cr.tensor([1.0])).item() == 3.0  # state reset


@pytest.mark.parametrize("call, match", [
    (lambda: cf.jacfwd(lambda x: x), "jacfwd.*forward-mode"),
    (lambda: cf.jvp(lambda x: x, (cr.ones(1),), (cr.ones(1),)), "jvp.*reverse mode only"),
    (lambda: cf.linearize(lambda x: x, cr.ones(1)), "linearize.*forward-mode"),
    (lambda: cf.hessian(lambda x: x.sum()), "hessian.*once-differentiable"),
])
def test_forward_mode_and_second_order_refuse(call, match):
    with pytest.raises(NotImplementedError, match=match):
        call()


# ---------------------------------------------------------------- functional_call


class Pair(cr.nn.Module):
    def __init__(self):
        super().__init__()
        self.a = cr.nn.Linear(3, 2)
        self.b = cr.nn.Linear(2, 2)
        self.register_buffer("scale", cr.tensor([2.0, 3.0]))

    def forward(self, x, shift=0.0):
        return self.b(self.a(x).tanh()) * self.scale + shift


def test_functional_call_uses_the_given_tensors_and_restores_the_module():
    model = Pair().double()
    before = {k: v for k, v in [*model.named_parameters(), *model.named_buffers()]}
    new = {k: cr.tensor(RNG.standard_normal(v.shape), requires_grad=True)
           for k, v in model.named_parameters()}
    new["scale"] = cr.tensor([1.0, -1.0], dtype=cr.float64)
    x = cr.tensor(RNG.standard_normal((4, 3)))
    out = cf.functional_call(model, new, (x,), {"shift": 1.0})
    torch_model = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Tanh(),
                                      torch.nn.Linear(2, 2)).double()
    tnew = {k.replace("a.", "0.").replace("b.", "2."): torch.tensor(v.data, requires_grad=True)
            for k, v in new.items() if k != "scale"}
    tout = torch.func.functional_call(torch_model, tnew, (torch.tensor(x.data),))
    tout = tout * torch.tensor([1.0, -1.0], dtype=torch.float64) + 1.0
    same(out, tout)
    out.sum().backward()
    tout.sum().backward()
    for ours, theirs in (("a.weight", "0.weight"), ("a.bias", "0.bias"),
                         ("b.weight", "2.weight"), ("b.bias", "2.bias")):
        same(new[ours].grad, tnew[theirs].grad)
    assert all(model.get_parameter(k) is v for k, v in before.items() if k != "scale")
    assert model.scale is before["scale"] and model.a.weight.grad is None


def test_functional_call_restores_the_module_when_forward_raises():
    model = Pair()
    weight = model.a.weight

    class Boom(Exception):
        pass

    def hook(module, args):
        raise Boom

    model.b.register_forward_pre_hook(hook)
    with pytest.raises(Boom):
        cf.functional_call(model, {"a.weight": cr.zeros(2, 3), "new_attr": cr.ones(1)},
                           cr.ones(1, 3))
    assert model.a.weight is weight and not hasattr(model, "new_attr")


def test_functional_call_argument_forms_and_errors_as_torch():
    model = Pair()
    x = cr.ones(1, 3)
    part1, part2 = {"a.weight": cr.zeros(2, 3)}, {"a.bias": cr.ones(2)}
    merged = cf.functional_call(model, (part1, part2), x)
    together = cf.functional_call(model, {**part1, **part2}, (x,))
    np.testing.assert_allclose(merged.data, together.data)
    with pytest.raises(ValueError, match=r"\['a.weight'\] appeared in multiple dictionaries"):
        cf.functional_call(model, (part1, dict(part1)), x)
    with pytest.raises(ValueError, match="Expected all elements of parameter_and_buffer_dicts"):
        cf.functional_call(model, (part1, 3), x)
    with pytest.raises(ValueError, match="to be a dict, or a list/tuple of dicts"):
        cf.functional_call(model, 3, x)
    with pytest.raises(RuntimeError, match="Error\\(s\\) in reparametrizing for Pair:\n\t"
                                           "Unexpected key\\(s\\): 'zzz'.\n\tMissing key"):
        cf.functional_call(model, {"zzz": cr.ones(1)}, x, strict=True)
    with pytest.raises(TypeError, match="is not an instance of torch.Tensor"):
        cf.functional_call(model, {"a.weight": 3.0}, x)
    assert isinstance(model.a.weight, cr.nn.Parameter)


class Tied(cr.nn.Module):
    def __init__(self):
        super().__init__()
        self.foo = cr.nn.Parameter(cr.tensor([1.0]))
        self.bar = self.foo

    def forward(self, x):
        return x + self.foo + self.bar


def test_functional_call_tied_weights_as_torch():
    class TorchTied(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.foo = torch.nn.Parameter(torch.tensor([1.0]))
            self.bar = self.foo

        def forward(self, x):
            return x + self.foo + self.bar

    ours, theirs = Tied(), TorchTied()
    zero, tzero = cr.zeros(1), torch.zeros(1)
    for tie in (True, False):
        same(cf.functional_call(ours, {"foo": zero}, zero, tie_weights=tie),
             torch.func.functional_call(theirs, {"foo": tzero}, tzero, tie_weights=tie))
    with pytest.raises(ValueError, match=r"multiple values for keys \['bar', 'foo'\], which are "
                                         "tied. Consider using tie_weights=False"):
        cf.functional_call(ours, {"foo": zero, "bar": cr.ones(1)}, zero)
    cf.functional_call(ours, {"foo": zero}, zero, strict=True)  # bar is filled in by the tie


def test_functional_call_writes_back_a_reassigned_buffer_as_torch():
    class Counter(cr.nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("n", cr.zeros(()))

        def forward(self, x):
            self.n = self.n + 1
            return x

    model, given = Counter(), {"n": cr.zeros(())}
    cf.functional_call(model, given, cr.ones(1))
    assert model.n.item() == 0 and given["n"].item() == 1


def test_stateless_functional_call_is_deprecated_and_delegates():
    from chainrule.nn.utils.stateless import functional_call

    model, x = Pair(), cr.ones(1, 3)
    with pytest.warns(FutureWarning, match="use `torch.func.functional_call` instead"):
        old = functional_call(model, {"a.bias": cr.ones(2)}, x)
    np.testing.assert_allclose(old.data, cf.functional_call(model, {"a.bias": cr.ones(2)}, x).data)


def test_stack_module_state_as_torch():
    models = [cr.nn.Linear(3, 2) for _ in range(3)]
    params, buffers = cf.stack_module_state(models)
    assert params["weight"].shape == (3, 2, 3) and params["weight"].requires_grad
    assert params["weight"]._ctx is None and buffers == {}
    np.testing.assert_array_equal(params["bias"].data[1], models[1].bias.data)
    with pytest.raises(RuntimeError, match="Expected at least one model, got 0"):
        cf.stack_module_state([])
    with pytest.raises(RuntimeError, match="same class"):
        cf.stack_module_state([cr.nn.Linear(1, 1), cr.nn.ReLU()])


# ---------------------------------------------------------------- signatures


@pytest.mark.parametrize("name", cf.__all__)
def test_signatures_match_torch(name):
    theirs = inspect.signature(getattr(torch.func, name)).parameters
    ours = inspect.signature(getattr(cf, name)).parameters
    assert [(p.name, p.kind, p.default) for p in ours.values()] == \
        [(p.name, p.kind, p.default) for p in theirs.values()]


def test_no_warning_is_left_behind():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cf.grad(lambda a: a.sum())(cr.ones(2))
