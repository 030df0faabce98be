"""``vmap``: a function of one example mapped over a batch dimension, by a loop.

PyTorch runs ``func`` once on batched tensors; chainrule calls it once per index of the
mapped dimension and stacks the results, which gives the same values (and, since the slicing
and the stacking are differentiable, the same gradients) at the cost of a Python loop.
"""

from __future__ import annotations

import contextlib
import functools
from typing import Any, Callable, Iterator

import numpy as np

from .. import random
from ..methods.shape import stack
from ..tensor import Tensor
from . import _pytree as tree

RANDOMNESS = ("error", "different", "same")


def vmap(func: Callable, in_dims: Any = 0, out_dims: Any = 0, randomness: str = "error", *,
         chunk_size: int | None = None) -> Callable:
    """``func`` mapped over a dimension of its inputs (``torch.func.vmap``):
    ``vmap(f)(x)[i] == f(x[i])``.

    Args:
        func: takes tensors (or tuples/lists/dicts of them, or other values) and returns a
            tensor or a tuple/list/dict of tensors.
        in_dims: the mapped dimension of each positional argument: an int, None (not
            mapped: passed whole to every call), or a tuple with one entry per argument,
            itself nested like the argument. Keyword arguments are never mapped.
        out_dims: where the mapped dimension goes in each output: an int, or a tuple nested
            like the outputs; None for an output that does not depend on the mapped inputs.
        randomness: ``'error'``: a random draw inside ``func`` raises RuntimeError;
            ``'different'``: each slice draws its own numbers; ``'same'``: every slice draws
            the same numbers (each generator is rewound to where it was for the first slice).
        chunk_size: how many slices PyTorch batches at once (memory only); chainrule runs
            one slice at a time whatever it is (it must be None or > 0).

    Returns:
        The mapped function. Every mapped input must have the same size in its mapped
        dimension (ValueError otherwise), and at least one input must be mapped.

    Example:
        >>> import chainrule
        >>> from chainrule.func import vmap
        >>> vmap(lambda row, w: (row * w).sum(), in_dims=(0, None))(
        ...     chainrule.ones(3, 2), chainrule.tensor([1.0, 2.0]))
        tensor([3., 3., 3.])
    """
    if randomness not in RANDOMNESS:
        raise RuntimeError("Only allowed values for randomness are 'error', 'different', or "
                           f"'same'. Got {randomness}")
    if not (chunk_size is None or chunk_size > 0):
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got {chunk_size})")

    @functools.wraps(func)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        size, dims, flat_args, spec = _mapped_inputs(func, in_dims, args)
        outputs = []
        with _randomness(randomness) as next_slice:
            for i in range(size):
                next_slice()
                sliced = [a if d is None else a.select(d, i) for a, d in zip(flat_args, dims)]
                outputs.append(func(*tree.unflatten(sliced, spec), **kwargs))
        return _stacked(func, outputs, out_dims)

    return wrapped


def _name(func: Callable) -> str:
    return getattr(func, "__name__", repr(func))


def _mapped_inputs(func: Callable, in_dims: Any, args: tuple) -> tuple[int, list, list, Any]:
    """(the mapped size, each leaf's in_dim (non-negative or None), the leaves, the spec)."""
    name = _name(func)
    if not isinstance(in_dims, (int, tuple)) and in_dims is not None:
        raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): expected `in_dims` "
                         "to be int or a (potentially nested) tuple matching the structure of "
                         f"inputs, got: {type(in_dims)}.")
    if not args:
        raise ValueError(f"vmap({name})(<inputs>): got no inputs. Maybe you forgot to add "
                         "inputs, or you are trying to vmap over a function with no inputs. "
                         "The latter is unsupported.")
    flat_args, spec = tree.flatten(args)
    dims = tree.broadcast(in_dims, spec)
    if dims is None:
        raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): in_dims is not "
                         "compatible with the structure of `inputs`. in_dims has structure "
                         f"{tree.flatten(in_dims)[1]} but inputs has structure {spec}.")
    dims = [_checked_dim(name, in_dims, d, a) for d, a in zip(dims, flat_args)]
    sizes = [a.shape[d] for a, d in zip(flat_args, dims) if d is not None]
    if not sizes:
        raise ValueError("vmap: Expected at least one Tensor to vmap over")
    if any(s != sizes[0] for s in sizes):
        raise ValueError("vmap: Expected all tensors to have the same size in the mapped "
                         f"dimension, got sizes {sizes} for the mapped dimension")
    return sizes[0], dims, flat_args, spec


def _checked_dim(name: str, in_dims: Any, dim: Any, arg: Any) -> int | None:
    where = f"vmap({name}, in_dims={in_dims}, ...)(<inputs>)"
    if dim is None:
        return None
    if not isinstance(dim, int) or isinstance(dim, bool):
        raise ValueError(f"{where}: Got in_dim={dim} for an input but in_dim must be either an "
                         "integer dimension or None.")
    if not isinstance(arg, Tensor):
        raise ValueError(f"{where}: Got in_dim={dim} for an input but the input is of type "
                         f"{type(arg)}. We cannot vmap over non-Tensor arguments, please use "
                         "None as the respective in_dim")
    if not -arg.ndim <= dim < arg.ndim:
        raise ValueError(f"{where}: Got in_dim={dim} for some input, but that input is a Tensor "
                         f"of dimensionality {arg.ndim} so expected in_dim to satisfy "
                         f"-{arg.ndim} <= in_dim < {arg.ndim}.")
    return dim % arg.ndim


def _stacked(func: Callable, outputs: list, out_dims: Any) -> Any:
    """The outputs of the slices, each leaf stacked along its out_dim."""
    name = _name(func)
    flat = [tree.flatten(out) for out in outputs]
    spec = flat[0][1]
    if isinstance(outputs[0], Tensor) and isinstance(out_dims, tuple) and len(out_dims) == 1:
        out_dims = out_dims[0]  # PyTorch accepts (d,) for a single tensor output
    dims = tree.broadcast(out_dims, spec)
    if dims is None:
        raise ValueError(f"vmap({name}, ..., out_dims={out_dims})(<inputs>): out_dims is not "
                         "compatible with the structure of `outputs`. out_dims has structure "
                         f"{tree.flatten(out_dims)[1]} but outputs has structure {spec}.")
    leaves = [_stack_leaf(name, out_dims, [f[0][k] for f in flat], d)
              for k, d in enumerate(dims)]
    return tree.unflatten(leaves, spec)


def _stack_leaf(name: str, out_dims: Any, values: list, dim: Any) -> Any:
    if dim is None:
        if not all(_same(v, values[0]) for v in values):
            raise ValueError(f"vmap({name}, ...): `{name}` can not return a BatchedTensor when "
                             "out_dim is None")
        return values[0]
    if not isinstance(dim, int) or isinstance(dim, bool):
        raise ValueError(f"vmap({name}, ..., out_dims={out_dims}): `out_dims` must be an int, "
                         "None or a python collection of ints representing where in the "
                         "outputs the vmapped dimension should appear.")
    if not isinstance(values[0], Tensor):
        raise ValueError(f"vmap({name}, ...): `{name}` must only return Tensors, got type "
                         f"{type(values[0])}. Did you mean to set out_dims= to None for output?")
    return stack(values, dim)


def _same(a: Any, b: Any) -> bool:
    """Whether two slices' outputs are one value (an output that is not batched)."""
    if a is b:
        return True
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        return a.shape == b.shape and bool(np.array_equal(a.data, b.data, equal_nan=True))
    return type(a) is type(b) and a == b


@contextlib.contextmanager
def _randomness(rule: str) -> Iterator[Callable[[], None]]:
    """Apply ``rule`` to the random draws made inside the block; yields the function to call
    before each slice. 'different' changes nothing: each slice draws on from where the
    previous one stopped."""
    if rule == "different":
        yield lambda: None
        return
    starts: dict[int, Any] = {}  # 'same': each generator's state before its first draw
    seen: set[int] = set()  # the generators met in the current slice

    def hook(rng: Any) -> Any:
        if rule == "error":
            raise RuntimeError("vmap: called random operation while in randomness error mode. "
                               "Please either use the 'same' or 'different' randomness flags "
                               "on vmap or perform the randomness operation out of vmap")
        if id(rng) not in seen:
            seen.add(id(rng))
            if id(rng) in starts:
                rng.bit_generator.state = starts[id(rng)]
            else:
                starts[id(rng)] = rng.bit_generator.state
        return previous(rng) if previous is not None else rng

    previous = random.set_draw_hook(hook)
    try:
        yield seen.clear
    finally:
        random.set_draw_hook(previous)
