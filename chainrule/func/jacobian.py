"""``jacrev``: Jacobians by reverse mode, one backward pass per output element; and the
transforms that need forward mode or higher-order gradients, which chainrule lacks and
which therefore refuse (``jacfwd``, ``jvp``, ``hessian``, ``linearize``)."""

from __future__ import annotations

import functools
from typing import Any, Callable, NoReturn

import numpy as np

from ..grad_mode import enable_grad
from ..methods.shape import stack
from ..tensor import Tensor
from . import _pytree as tree
from .autodiff import (
    _check_argnums,
    _grads,
    _outside_leaves,
    _returned,
    _split_aux,
    _transform,
    _with_copies,
)


def jacrev(func: Callable, argnums: Any = 0, *, has_aux: bool = False,
           chunk_size: int | None = None, _preallocate_and_copy: bool = False) -> Callable:
    """``func`` → its Jacobian with respect to the arguments at ``argnums``, computed by
    reverse mode (``torch.func.jacrev``).

    The Jacobian of an output o with respect to an input x has shape ``o.shape + x.shape``.
    For several outputs (a tuple/list/dict) the result has the outputs' structure; for a
    tuple ``argnums`` each entry is a tuple over those arguments; an argument that is a
    tuple/list/dict of tensors gives that structure.

    Args:
        func: returns a tensor or a tuple/list/dict of them (``(that, aux)`` with
            ``has_aux``).
        argnums: an int or a tuple of ints, as in ``grad``.
        has_aux: the new function returns ``(jacobian, aux)``.
        chunk_size: how many rows PyTorch computes at once: a memory setting only. chainrule
            runs one backward pass per row whatever it is (it must be None or > 0).

    Example:
        >>> import chainrule
        >>> from chainrule.func import jacrev
        >>> jacrev(lambda x: x ** 2)(chainrule.tensor([1.0, 3.0]))
        tensor([[2., 0.],
                [0., 6.]])
    """
    if not (chunk_size is None or chunk_size > 0):
        raise ValueError("jacrev: `chunk_size` should be greater than 0.")

    @functools.wraps(func)
    def wrapper(*args: Any) -> Any:
        return _jacrev(func, argnums, has_aux, args)

    return wrapper


def _jacrev(func: Callable, argnums: Any, has_aux: bool, args: tuple) -> Any:
    positions = _check_argnums(argnums, len(args))
    with _transform("jacrev"), enable_grad():
        args, copies, originals, specs = _with_copies(args, positions)
        output, aux = _split_aux(func(*args), has_aux, "jacrev(f, *args)")
    flat_out, out_spec = tree.flatten(output)
    for out in flat_out:
        if not isinstance(out, Tensor):
            raise RuntimeError(f"jacrev(f, *args): expected f(*args) to return only tensors, "
                               f"got unsupported type {type(out)}")
    outside = originals + _outside_leaves([*flat_out, *tree.flatten(aux)[0]], copies)
    per_output = []
    for out in flat_out:
        blocks = iter(_jacobian_blocks(out, copies))
        parts = [tree.unflatten([next(blocks) for _ in range(tree.count(s))], s)
                 for s in specs]
        per_output.append(parts[0] if isinstance(argnums, int) else tuple(parts))
    jac = _returned(tree.unflatten(per_output, out_spec), outside, "jacrev")
    return (jac, _returned(aux, outside, "jacrev")) if has_aux else jac


def _jacobian_blocks(out: Tensor, inputs: list[Tensor]) -> list[Tensor]:
    """d(out)/d(x) for each x of ``inputs``, shaped ``out.shape + x.shape``: one backward
    pass per element of ``out``, seeded with that element's one-hot cotangent."""
    seeds = np.eye(out.numel(), dtype=out.dtype).reshape(out.numel(), *out.shape)
    rows = [_grads([out], inputs, [Tensor(seed)]) for seed in seeds]
    blocks = []
    for i, x in enumerate(inputs):
        if not rows:  # an output with no elements
            blocks.append(Tensor(np.zeros(out.shape + x.shape, x.dtype)))
            continue
        blocks.append(stack([row[i] for row in rows]).reshape(out.shape + x.shape))
    return blocks


# ---------------------------------------------------------------- what chainrule cannot do


def _refuse(name: str, why: str) -> NoReturn:
    raise NotImplementedError(f"torch.func.{name} is not supported by chainrule: {why}")


_FORWARD = ("it needs forward-mode automatic differentiation, and chainrule has reverse mode "
            "only; use jacrev (same Jacobian, by reverse mode) or vjp")
_SECOND = ("it needs second derivatives, and chainrule's backward is once-differentiable "
           "(higher-order gradients are not supported)")


def jacfwd(func: Callable, argnums: Any = 0, has_aux: bool = False, *,
           randomness: str = "error") -> Callable:
    """Refuses (NotImplementedError): forward-mode Jacobian; use ``jacrev``."""
    _refuse("jacfwd", _FORWARD)


def jvp(func: Callable, primals: Any, tangents: Any, *, strict: bool = False,
        has_aux: bool = False) -> Any:
    """Refuses (NotImplementedError): Jacobian-vector products need forward mode."""
    _refuse("jvp", _FORWARD)


def linearize(func: Callable, *primals: Any) -> Any:
    """Refuses (NotImplementedError): linearize is built on ``jvp`` (forward mode)."""
    _refuse("linearize", _FORWARD)


def hessian(func: Callable, argnums: Any = 0) -> Callable:
    """Refuses (NotImplementedError): the Hessian is a Jacobian of a gradient."""
    _refuse("hessian", _SECOND)
