"""Matrix products: MatMul, Linear (the fused affine map of a fully connected layer), and
Einsum (any sum of products written in Einstein notation)."""

from __future__ import annotations

import math
from functools import partial

import numpy as np

from ..autograd import Function
from ..kernels import column_sums, over_batch, parallel, relu
from ..kernels.parallel import chunks_for
from .unary import ReluAfter
from .workspace import WORKSPACE


class MatMul(Function):
    """Matrix product Y = A @ B, with A: (…, n, k), B: (…, k, m), Y: (…, n, m).

    Backward, from dL = ⟨G, dY⟩ and dY = dA @ B + A @ dB:
        dL/dA = G @ Bᵀ     (…, n, m) @ (…, m, k) -> (…, n, k)
        dL/dB = Aᵀ @ G     (…, k, n) @ (…, n, m) -> (…, k, m)

    Saves A and B (each is needed by the other's gradient). 1-D operands and differing batch
    dimensions are reshaped or broadcast by the tensor layer before this Function runs, so
    both operands have at least two dimensions and equal batch dimensions.
    """

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a @ b

    @staticmethod
    def backward(ctx, grad_out):
        a, b = ctx.saved
        grad_a = grad_out @ np.swapaxes(b, -1, -2) if ctx.needs_input_grad[0] else None
        grad_b = np.swapaxes(a, -1, -2) @ grad_out if ctx.needs_input_grad[1] else None
        return grad_a, grad_b


class Linear(Function):
    """Fused affine map Y = X Wᵀ + b, with X: (…, in), W: (out, in), b: (out,), Y: (…, out).

    This is the layer of the classic derivation (there written y = xW + b with W stored as
    (in, out)); fusing the transpose, product and bias into one node saves two graph nodes
    and a broadcast per layer. With X flattened to (N, in) and G = dL/dY to (N, out):
        dL/dX = G W          (N, out) @ (out, in) -> (N, in)
        dL/dW = Gᵀ X         (out, N) @ (N, in)   -> (out, in)
        dL/db = 1ᵀ G         column sums of G      -> (out,)
    Saves X and W. b may be absent (forward gets None, backward returns None for it).

    Every row of Y and of dL/dX, and every row of dL/dW and entry of dL/db (one per output
    feature), is its own sum: large products are split into chunks of those rows run on
    chainrule's threads (``split_gradients``, ``affine``), the same sums in the same order.
    """

    @staticmethod
    def forward(ctx, x, weight, bias=None):
        ctx.save_for_backward(x, weight)
        return affine(x, weight, bias)

    @staticmethod
    def backward(ctx, grad_out):
        x, weight = ctx.saved[:2]  # (LinearReLU saves its output after them)
        return affine_gradients(grad_out, x, weight, ctx.needs_input_grad)


class LinearReLU(ReluAfter):
    """Y = max(X Wᵀ + b, 0): ``Linear`` and ``Relu`` as one graph node (``ReluAfter``, where
    the derivation is: dL/dZ = G ⊙ [Y > 0], then Linear's three gradients with dL/dZ), for a
    Linear layer directly followed by a ReLU in ``nn.Sequential`` (its fast path,
    ``nn.fusion``). Saves X, W and Y."""

    layer = Linear


def affine_relu(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None) -> np.ndarray:
    """max(X Wᵀ + b, 0) as a new array: ``affine``, then ReLU over its result in place
    (``LinearReLU``'s forward, also run directly when nothing is recorded)."""
    y = affine(x, weight, bias)
    return relu(y, out=y)


def affine_gradients(grad_out: np.ndarray, x: np.ndarray, weight: np.ndarray, needs) -> tuple:
    """``Linear``'s (dL/dX, dL/dW[, dL/db]) for G = ``grad_out``, each None where ``needs``
    (``needs_input_grad``) says not needed; large products go to ``split_gradients``."""
    grad_2d = rows(grad_out)
    if grad_out.size * weight.shape[1] >= split_size():  # large: on several threads
        split = split_gradients(grad_2d, x, weight, needs)
        if split is not None:
            return split
    grad_x = (grad_2d @ weight).reshape(x.shape) if needs[0] else None
    grad_w = grad_2d.T @ rows(x) if needs[1] else None
    grad_b = column_sums(grad_2d) if len(needs) > 2 and needs[2] else None
    return (grad_x, grad_w, grad_b)[: len(needs)]


# The size of a product of m·k·n multiply-adds in ``over_batch``'s unit of work (the bytes
# an elementwise pass reads and writes): one core does about 4 multiply-adds in the time
# such a pass moves one byte (~45 G multiply-adds/s against ~10 GB/s here), so a product is
# split from about 16 M multiply-adds (0.4 ms) up.
MULTIPLY_ADDS_PER_BYTE = 4


def product_work(m: int, k: int, n: int) -> int:
    """``over_batch``'s size of the work for an (m, k) @ (k, n) product."""
    return m * k * n // MULTIPLY_ADDS_PER_BYTE


def split_size() -> int:
    """The multiply-adds of the smallest product ``over_batch`` would split: the one test
    small layers pay (nothing else of the split route runs for them)."""
    return MULTIPLY_ADDS_PER_BYTE * parallel.MIN_PARALLEL_BYTES


def split_gradients(grad: np.ndarray, x: np.ndarray, weight: np.ndarray, needs):
    """(dL/dX, dL/dW, dL/db) of ``Linear`` (None where ``needs``, its ``needs_input_grad``,
    says not needed; dL/db only with a bias) for G: (N, out), computed
    in chunks on chainrule's threads (``gradient_rows``); None when the products are too
    small to split (``over_batch``'s threshold) or one thread is set. dL/dX and dL/dW are
    written into ``WORKSPACE.spare`` arrays (memory of an earlier step that nothing refers
    to any more: no fresh pages to fault in)."""
    need_x, need_w, need_b = (tuple(needs) + (False,))[:3]
    work = (need_x + need_w) * product_work(*grad.shape, weight.shape[1])
    if len(chunks_for(len(grad), work)) == 1:
        return None
    x_2d = rows(x)
    grad_x = WORKSPACE.spare("linear.grad_input", (len(grad), weight.shape[1]),
                             np.result_type(grad, weight)) if need_x else None
    grad_w = WORKSPACE.spare("linear.grad_weight", weight.shape,
                             np.result_type(grad, x)) if need_w else None
    grad_b = np.empty(grad.shape[1], grad.dtype) if need_b else None
    over_batch(partial(gradient_rows, grad, x_2d, weight, grad_x, grad_w, grad_b), len(grad),
               work)
    grads = (None if grad_x is None else grad_x.reshape(x.shape), grad_w, grad_b)
    return grads[:len(needs)]


def gradient_rows(grad, x, weight, grad_x, grad_w, grad_b, samples: slice) -> None:
    """One chunk of ``split_gradients``: the rows ``samples`` of dL/dX = G W, and the same
    share of the output features, ``features``, of dL/dW = Gᵀ X and dL/db = 1ᵀ G (each a
    whole sum over the batch, so no partial sums to add across chunks). Outputs given as
    None are skipped."""
    batch, out = grad.shape
    features = slice(samples.start * out // batch, samples.stop * out // batch)
    if grad_x is not None:
        np.matmul(grad[samples], weight, out=grad_x[samples])
    if grad_w is not None:
        np.matmul(grad[:, features].T, x, out=grad_w[features])
    if grad_b is not None:
        grad_b[features] = column_sums(grad[:, features])


def affine(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None) -> np.ndarray:
    """X Wᵀ + b as a new array (b optional): ``Linear``'s forward, which ``F.linear`` also
    calls directly when nothing is recorded. The bias is added in place into the product,
    and X of more than two dimensions is multiplied as one (N, in) matrix of rows (NumPy
    would otherwise make one product per leading index). A large product is split into
    chunks of rows run on chainrule's threads (``over_batch``): each row is the same sum."""
    x2 = rows(x) if x.ndim > 2 else x
    y = split_affine(x2, weight, bias) if x.size * weight.shape[0] >= split_size() else None
    if y is None:
        y = x2 @ weight.T
        if bias is not None:
            y += bias
    return y.reshape(*x.shape[:-1], weight.shape[0]) if x.ndim > 2 else y


def split_affine(x: np.ndarray, weight: np.ndarray, bias) -> np.ndarray | None:
    """X Wᵀ + b for X: (N, in), in chunks of rows on chainrule's threads (``affine_rows``);
    None when not split (one thread, or ``over_batch``'s conditions)."""
    work = product_work(*x.shape, weight.shape[0]) if x.ndim == 2 else 0
    if len(chunks_for(len(x), work)) == 1:
        return None
    y = np.empty((len(x), weight.shape[0]), np.result_type(x, weight))
    over_batch(partial(affine_rows, x, weight, bias, y), len(x), work)
    return y


def affine_rows(x: np.ndarray, weight: np.ndarray, bias, y: np.ndarray, samples: slice) -> None:
    """Rows ``samples`` of Y = X Wᵀ + b, written into ``y``."""
    np.matmul(x[samples], weight.T, out=y[samples])
    if bias is not None:
        y[samples] += bias


def rows(a: np.ndarray) -> np.ndarray:
    """``a`` as a matrix of its last axis, (∏ leading sizes, last size): a view where the
    memory allows, else a copy."""
    return a.reshape(math.prod(a.shape[:-1]), a.shape[-1])


class Einsum(Function):
    """Y = einsum("s₁,…,sₙ->o", X₁, …, Xₙ): each sᵢ names the axes of Xᵢ by letters; Y[o] is
    the sum, over every letter not in o, of Π Xᵢ[sᵢ].

    The tensor layer hands this Function an explicit equation without an ellipsis (``inputs``:
    one subscript string per operand, ``output``), whose letters have one size in every
    operand (size-1 broadcasting is done by a BroadcastTo node first).

    Backward: Y is linear in each operand. With G = dL/dY, for the operand k:
        dL/dX_k[s_k] = Σ_(letters not in s_k) G[o] · Π_(j≠k) X_j[s_j],
    the einsum "o,s_1,…(without s_k)…,s_n -> s_k" of G and the other operands, with two
    refinements:
      * a letter of s_k that is in neither o nor another operand was summed over X_k alone:
        Y does not depend on where along it an element lies, so the gradient is the same
        everywhere along it (computed without it, then broadcast);
      * a letter repeated in s_k ("ii->i") reads only the diagonal of X_k: the gradient is
        computed for the distinct letters and written onto that diagonal; the rest is 0.
    Saves the operands.
    """

    @staticmethod
    def forward(ctx, *operands, inputs, output):
        ctx.save_for_backward(*operands)
        ctx.inputs, ctx.output = inputs, output
        equation = ",".join(inputs) + "->" + output
        return np.einsum(equation, *operands, optimize=len(operands) > 1)

    @staticmethod
    def backward(ctx, grad_out):
        operands = ctx.saved
        return tuple(
            einsum_operand_grad(grad_out, operands, ctx.inputs, ctx.output, k)
            if ctx.needs_input_grad[k] else None
            for k in range(len(operands))
        )


def einsum_operand_grad(grad_out: np.ndarray, operands: tuple, inputs: tuple, output: str,
                        k: int) -> np.ndarray:
    """dL/dX_k of ``Einsum`` (see its docstring): an einsum of G with the other operands."""
    target = inputs[k]
    distinct = "".join(dict.fromkeys(target))
    others = [s for j, s in enumerate(inputs) if j != k]
    seen = set(output).union(*others)
    kept = "".join(c for c in distinct if c in seen)
    terms = ",".join([output] + others)
    rest = [x for j, x in enumerate(operands) if j != k]
    grad = np.einsum(f"{terms}->{kept}", grad_out, *rest, optimize=len(rest) > 0)
    sizes = dict(zip(target, operands[k].shape))
    if kept != distinct:
        grad = grad.reshape([sizes[c] if c in seen else 1 for c in distinct])
        grad = np.broadcast_to(grad, [sizes[c] for c in distinct])
    if distinct == target:
        return grad
    full = np.zeros(operands[k].shape, dtype=grad.dtype)
    np.einsum(f"{target}->{distinct}", full)[...] = grad  # a writeable view of the diagonal
    return full
