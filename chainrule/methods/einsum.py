"""``einsum``: the equation is checked and made explicit here (an ellipsis becomes letters, an
implicit output is spelled out, size-1 dimensions are broadcast through graph nodes), so the
``Einsum`` Function sees letters with one size each; its backward is einsum again.
"""

from __future__ import annotations

import string
from typing import Any

from .. import dtypes
from ..ops import linalg
from .math import MathMixin, as_operand


def einsum(equation: str, *operands: Any) -> Any:
    """Sum of products of the operands' elements, written in Einstein notation (PyTorch's
    ``torch.einsum``): ``einsum("ij,jk->ik", a, b)`` is ``a @ b``, ``einsum("ii", a)`` the
    trace, ``einsum("...ij->...ji", a)`` a batched transpose. Differentiable in every operand.

    Args:
        equation: subscripts (letters a-z, A-Z) of each operand, separated by commas, then
            optionally ``->`` and the output's subscripts; ``...`` stands for the broadcast
            dimensions. Without ``->`` the output holds the letters seen once, sorted.
        operands: the tensors, as separate arguments or as one list (``einsum(eq, [a, b])``).

    Example:
        >>> import chainrule
        >>> a = chainrule.tensor([[1.0, 2.0], [3.0, 4.0]])
        >>> chainrule.einsum("ii", a)
        tensor(5.)
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands:
        raise ValueError("einsum(): must provide at least one operand")
    if not isinstance(equation, str):
        raise TypeError(f"einsum(): equation must be a str, got {type(equation).__name__}")
    like = next((x for x in operands if isinstance(x, MathMixin)), None)
    if like is None:
        raise TypeError("einsum(): the operands must be tensors")
    tensors = [as_operand(like, x)[0] for x in operands]
    inputs, output = explicit_equation(equation, [t.ndim for t in tensors])
    dtype = tensors[0].dtype
    for t in tensors[1:]:
        dtype = dtypes.promote(dtype, t.dtype)
    tensors = _broadcast_sizes([t.to(dtype) for t in tensors], inputs)
    return tensors[0]._apply(linalg.Einsum, *tensors[1:], inputs=inputs, output=output)


def explicit_equation(equation: str, ndims: list[int]) -> tuple[tuple[str, ...], str]:
    """The subscripts of each operand and of the output, with ``...`` replaced by letters the
    equation does not use and an implicit output spelled out; ValueError on a bad equation."""
    equation = equation.replace(" ", "")
    lhs, arrow, rhs = equation.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(ndims):
        raise ValueError(f"einsum(): the equation {equation!r} has subscripts for "
                         f"{len(terms)} operands, but {len(ndims)} were given")
    for term in terms + ([rhs] if arrow else []):
        _check_subscripts(term, equation)
    widths = [_ellipsis_width(term, ndim, k) for k, (term, ndim) in enumerate(zip(terms, ndims))]
    unused = [c for c in string.ascii_letters if c not in equation]
    width = max(widths)
    if width > len(unused):
        raise ValueError(f"einsum(): too many broadcast dimensions ({width}) for the "
                         "letters left unused by the equation")
    ellipsis = "".join(unused[:width])
    inputs = tuple(term.replace("...", ellipsis[width - w:]) for term, w in zip(terms, widths))
    if arrow:
        output = rhs.replace("...", ellipsis)
    else:
        letters = "".join(terms).replace("...", "")
        output = ellipsis + "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    _check_output(output, inputs)
    return inputs, output


def _check_subscripts(term: str, equation: str) -> None:
    rest = term.replace("...", "", 1)
    for c in rest:
        if c not in string.ascii_letters:
            what = "more than one ellipsis" if c == "." else f"the subscript {c!r}"
            raise ValueError(f"einsum(): {what} in {term!r} of the equation {equation!r}: "
                             "subscripts must be letters in [a-zA-Z], with at most one '...'")


def _ellipsis_width(term: str, ndim: int, k: int) -> int:
    """How many dimensions of operand ``k`` its ``...`` stands for."""
    named = len(term.replace("...", ""))
    if "..." not in term and named != ndim or named > ndim:
        raise ValueError(f"einsum(): the subscripts {term!r} name {named} dimensions, but "
                         f"operand {k} has {ndim}" + ("" if "..." in term else
                                                       " (and there is no ellipsis)"))
    return ndim - named


def _check_output(output: str, inputs: tuple[str, ...]) -> None:
    seen = set("".join(inputs))
    for c in output:
        if output.count(c) > 1:
            raise ValueError(f"einsum(): the output subscript {c!r} appears more than once")
        if c not in seen:
            raise ValueError(f"einsum(): the output subscript {c!r} names no dimension of "
                             "any operand")


def _broadcast_sizes(tensors: list, inputs: tuple[str, ...]) -> list:
    """Each letter's size in every operand: the largest; size-1 dimensions are broadcast to
    it (a graph node, whose backward sums the gradient back), any other mismatch raises."""
    sizes: dict[str, int] = {}
    for t, term in zip(tensors, inputs):
        for c, n in zip(term, t.shape):
            known = sizes.get(c, 1)
            if n != known and n != 1 and known != 1:
                raise ValueError(f"einsum(): the subscript {c!r} has size {n} in an operand of "
                                 f"shape {t.shape}, but size {known} elsewhere")
            sizes[c] = n if known == 1 else known
    targets = [tuple(sizes[c] for c in term) for term in inputs]
    return [t if t.shape == target else t.broadcast_to(target)
            for t, target in zip(tensors, targets)]
