"""Top-level ``chainrule.X`` forms of the misc methods (tile, scatter_reduce, index_put,
masked_scatter, index_copy, put, kthvalue, msort, unique_consecutive, narrow_copy, resize_as_),
``unravel_index``, the products mv, inner, vdot, addmv, addr, addbmm, chain_matmul and
vander, ``angle`` and the parametric ReLU of ``Tensor.prelu`` (both piecewise in the sign of
x), and ``gradient`` (whose finite differences are in ``methods.finite_differences``).
(``tril_indices`` and ``triu_indices`` are in ``chainrule.index_creation``.)

The products check the shapes and dtypes their PyTorch namesakes require and are then
compositions of ``matmul``, ``*``, ``+`` and ``cumprod``, whose gradients are derived
already. The statistics (cov, corrcoef, trapezoid, histogram) are in
``methods.misc_statistics``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import dtypes
from .linalg import bmm, outer
from .math import as_operand, broadcasts_to, matmul, where
from .reduce import refuse_out
from .shape import cat


def tile(input: Any, dims: Any) -> Any:
    """``torch.tile``: ``input`` repeated ``dims[i]`` times along dimension i (leading
    dimensions added or repeated once as needed)."""
    return input.tile(*dims) if isinstance(dims, (tuple, list)) else input.tile(dims)


def scatter_reduce(input: Any, dim: int, index: Any, src: Any, reduce: str, *,
                   include_self: bool = True) -> Any:
    """``torch.scatter_reduce``: see ``Tensor.scatter_reduce``."""
    return input.scatter_reduce(dim, index, src, reduce, include_self=include_self)


def index_put(input: Any, indices: Any, values: Any, accumulate: bool = False) -> Any:
    """``torch.index_put``: see ``Tensor.index_put``."""
    return input.index_put(indices, values, accumulate)


def index_put_(input: Any, indices: Any, values: Any, accumulate: bool = False) -> Any:
    """``torch.index_put_``: the in-place ``index_put``."""
    return input.index_put_(indices, values, accumulate)


def masked_scatter(input: Any, mask: Any, source: Any) -> Any:
    """``torch.masked_scatter``: see ``Tensor.masked_scatter``."""
    return input.masked_scatter(mask, source)


def index_copy(input: Any, dim: int, index: Any, source: Any) -> Any:
    """``torch.index_copy``: see ``Tensor.index_copy``."""
    return input.index_copy(dim, index, source)


def put(input: Any, index: Any, source: Any, accumulate: bool = False) -> Any:
    """``torch.put``: see ``Tensor.put``."""
    return input.put(index, source, accumulate)


def kthvalue(input: Any, k: int, dim: int = -1, keepdim: bool = False) -> Any:
    """``torch.kthvalue``: the named tuple ``(values, indices)`` of the k-th smallest."""
    return input.kthvalue(k, dim, keepdim)


def msort(input: Any) -> Any:
    """``torch.msort``: ``input`` sorted along dimension 0."""
    return input.msort()


def unique_consecutive(input: Any, return_inverse: bool = False, return_counts: bool = False,
                       dim: int | None = None) -> Any:
    """``torch.unique_consecutive``: see ``Tensor.unique_consecutive``."""
    return input.unique_consecutive(return_inverse, return_counts, dim)


def narrow_copy(input: Any, dim: int, start: int, length: int) -> Any:
    """``torch.narrow_copy``: a copy of ``narrow``."""
    return input.narrow_copy(dim, start, length)


def resize_as_(input: Any, the_template: Any, *, memory_format: Any = None) -> Any:
    """``torch.resize_as_``: see ``Tensor.resize_as_``."""
    return input.resize_as_(the_template)


def consecutive_runs(array: np.ndarray, dim: int | None) -> tuple:
    """(values, inverse, counts) of the runs of equal consecutive elements (slices along
    ``dim``) of ``array``, as int64 inverse and counts."""
    from .reduce import normalize_dim

    axis = None if dim is None else normalize_dim(dim, array.ndim)
    rows = array.reshape(-1, 1) if axis is None else \
        np.moveaxis(array, axis, 0).reshape(array.shape[axis], -1)
    new = np.ones(rows.shape[0], dtype=bool)
    new[1:] = (rows[1:] != rows[:-1]).any(axis=1)
    starts = np.flatnonzero(new)
    counts = np.diff(np.append(starts, rows.shape[0])).astype(np.int64)
    inverse = (np.cumsum(new) - 1).astype(np.int64)
    if axis is None:
        return rows[starts, 0], inverse.reshape(array.shape), counts
    return np.take(array, starts, axis=axis), inverse, counts


def unravel_index(indices: Any, shape: Any) -> tuple:
    """``torch.unravel_index``: the coordinates in a tensor of ``shape`` of each flat index
    (negative ones count from the end), as a tuple of int64 tensors of ``indices``' shape."""
    from .select import index_array

    if not hasattr(indices, "_const"):
        raise TypeError(f"unravel_index: indices must be a tensor, got "
                        f"{type(indices).__name__}")
    flat = index_array("unravel_index", indices)
    shape = (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(n) for n in
                                                                              shape)
    if any(n < 0 for n in shape):
        raise ValueError(f"unravel_index: shape must hold non-negative sizes, got {shape}")
    size = int(np.prod(shape))
    if flat.size and (flat.min() < -size or flat.max() >= size):
        raise ValueError(f"unravel_index: indices must lie in [{-size}, {size - 1}] for "
                         f"shape {shape}")
    coords = np.unravel_index(np.where(flat < 0, flat + size, flat), shape) if shape else ()
    return tuple(indices._const(c.astype(np.int64)) for c in coords)


# ---------------------------------------------------------------- products


def _need(name: str, what: str, t: Any, ndim: int) -> None:
    if t.ndim != ndim:
        raise ValueError(f"{name}: {what} must be a {ndim}-D tensor, got shape {t.shape}")


def _same_dtype(name: str, *tensors: Any) -> None:
    if len({t.dtype for t in tensors}) > 1:
        raise TypeError(f"{name}: the inputs must have the same dtype, got "
                        f"{', '.join(str(t.dtype) for t in tensors)}")


def mv(input: Any, vec: Any) -> Any:
    """``torch.mv``: the matrix-vector product (n, m) @ (m,) -> (n,)."""
    _need("mv", "input", input, 2)
    _need("mv", "vec", vec, 1)
    _same_dtype("mv", input, vec)
    if input.shape[1] != vec.shape[0]:
        raise ValueError(f"mv: size mismatch: mat {input.shape} and vec {vec.shape}")
    return matmul(input, vec)


def inner(input: Any, other: Any) -> Any:
    """``torch.inner``: Σ_k a[..., k]·b[..., k] over the last dimension of both, for every
    pair of leading indices: shape a.shape[:-1] + b.shape[:-1]; a product when one is 0-d."""
    _same_dtype("inner", input, other)
    if input.ndim == 0 or other.ndim == 0:
        return input * other
    k = input.shape[-1]
    if other.shape[-1] != k:
        raise ValueError(f"inner: the last dimensions must match, got shapes {input.shape} "
                         f"and {other.shape}")
    product = matmul(input.reshape(-1, k), other.reshape(-1, k).transpose(0, 1))
    return product.reshape(input.shape[:-1] + other.shape[:-1])


def vdot(input: Any, other: Any) -> Any:
    """``torch.vdot``: Σ conj(aᵢ)·bᵢ of two 1-D tensors; for real tensors, ``dot``."""
    _need("vdot", "input", input, 1)
    _need("vdot", "other", other, 1)
    _same_dtype("vdot", input, other)
    if input.shape != other.shape:
        raise ValueError(f"vdot: the vectors have different lengths: shapes {input.shape} "
                         f"and {other.shape}")
    return matmul(input, other)


def _scaled_sum(name: str, input: Any, product: Any, beta: Any, alpha: Any) -> Any:
    """β·input + α·product, with ``input`` ignored when β = 0 (PyTorch's rule)."""
    input = as_operand(product, input)[0]
    if not broadcasts_to(tuple(input.shape), product.shape):
        raise ValueError(f"{name}: input of shape {input.shape} does not broadcast to the "
                         f"shape {product.shape} of the product")
    product = product if alpha == 1 else product * alpha
    if beta == 0:
        return product
    return product + (input if beta == 1 else input * beta)


def addmv(input: Any, mat: Any, vec: Any, *, beta: Any = 1, alpha: Any = 1) -> Any:
    """``torch.addmv``: β·input + α·(mat @ vec), ``input`` broadcast to (n,)."""
    _same_dtype("addmv", input, mat, vec)
    return _scaled_sum("addmv", input, mv(mat, vec), beta, alpha)


def addr(input: Any, vec1: Any, vec2: Any, *, beta: Any = 1, alpha: Any = 1) -> Any:
    """``torch.addr``: β·input + α·outer(vec1, vec2), ``input`` broadcast to (n, m)."""
    return _scaled_sum("addr", input, outer(vec1, vec2), beta, alpha)


def addbmm(input: Any, batch1: Any, batch2: Any, *, beta: Any = 1, alpha: Any = 1) -> Any:
    """``torch.addbmm``: β·input + α·Σ_b batch1[b] @ batch2[b], ``input`` broadcast to
    (n, p)."""
    _same_dtype("addbmm", input, batch1, batch2)
    return _scaled_sum("addbmm", input, bmm(batch1, batch2).sum(0), beta, alpha)


def chain_matmul(*matrices: Any, out: Any = None) -> Any:
    """``torch.chain_matmul`` (deprecated in PyTorch for ``linalg.multi_dot``): the product
    of two or more matrices, left to right; one matrix is returned as a copy."""
    if not matrices:
        raise ValueError("chain_matmul: expected one or more matrices")
    for i, m in enumerate(matrices):
        _need("chain_matmul", f"matrix {i}", m, 2)
    _same_dtype("chain_matmul", *matrices)
    result = matrices[0].clone()
    for m in matrices[1:]:
        if result.shape[1] != m.shape[0]:
            raise ValueError(f"chain_matmul: the matrices cannot be multiplied: shapes "
                             f"{[tuple(x.shape) for x in matrices]}")
        result = matmul(result, m)
    return result


def vander(x: Any, N: int | None = None, increasing: bool = False) -> Any:
    """``torch.vander``: the Vandermonde matrix of the 1-D ``x``, columns x^(N−1) … x^0
    (x^0 … x^(N−1) when ``increasing``); N defaults to len(x). A cumulative product, so the
    gradient is exact at x = 0."""
    from .. import dtypes

    if x.ndim != 1:
        raise ValueError(f"vander: x must be a one-dimensional tensor, got shape {x.shape}")
    n = x.shape[0] if N is None else int(N)
    if n < 0:
        raise ValueError(f"vander: N must be non-negative, got {n}")
    if not x.is_floating_point():
        x = x.to(dtypes.int64)
    if n == 0:
        return x.reshape(-1, 1)[:, :0]
    ones = x._const(np.ones((x.shape[0], 1), dtype=x.dtype))
    columns = x.reshape(-1, 1).expand(x.shape[0], n - 1)
    powers = cat([ones, columns], 1).cumprod(1)
    return powers if increasing else powers.flip([1])


# ---------------------------------------------------------------- piecewise in the sign of x


def _floating(x: Any) -> Any:
    """``x``, or a copy in the default float dtype when ``x`` holds integers or bools."""
    return x if dtypes.is_floating(x.dtype) else x.to(dtypes.get_default_dtype())


def angle(input: Any, *, out: Any = None) -> Any:
    """``torch.angle`` of a real tensor, each element read as a complex number: π where
    input < 0, 0 where input ≥ 0 (−0 included), NaN where it is NaN; integer and bool inputs
    give the default float dtype.

    The function is piecewise constant, so its derivative is 0 everywhere (PyTorch's is 0
    for real inputs too, at 0 and at NaN included). The result still joins the graph, as
    PyTorch's does: the constant values plus 0·sign(input), whose backward is exactly 0.

    Example:
        >>> import chainrule
        >>> chainrule.angle(chainrule.tensor([-2.0, 0.0, 3.0]))
        tensor([3.1416, 0.0000, 0.0000])
    """
    refuse_out("angle", out)
    x = _floating(input)
    values = np.where(x.data < 0, np.pi, 0.0).astype(x.dtype)
    values = np.where(np.isnan(x.data), x.data, values)
    return x.sign() * 0 + x._const(values)


def parametric_relu(input: Any, weight: Any) -> Any:
    """PReLU(x) = x for x > 0, a·x otherwise (``Tensor.prelu`` and ``F.prelu``), the slopes a
    one per channel (dimension 1) or one shared; integer inputs give the default float dtype.

    A ``where`` of x and a·x: the gradient is 1 where x > 0 and a where x ≤ 0 (so a at 0, as
    PyTorch); the slope's is Σ x·G over the elements with x ≤ 0 of its channel.
    """
    x = _floating(input)
    if not hasattr(weight, "_const"):
        raise TypeError(f"prelu: weight must be a tensor, got {type(weight).__name__}")
    if weight.ndim > 1:
        raise RuntimeError(f"prelu: weight must be a 0-d or 1-d tensor, got {weight.ndim} "
                           f"dimensions (shape {tuple(weight.shape)})")
    channels = x.shape[1] if x.ndim >= 2 else 1
    if weight.numel() not in (1, channels):
        raise RuntimeError(f"prelu: weight has {weight.numel()} slopes but the input has "
                           f"{channels} channels (dimension 1 of shape {tuple(x.shape)}); "
                           "give 1 slope or one per channel")
    if weight.numel() > 1:
        weight = weight.reshape((1, channels) + (1,) * (x.ndim - 2))
    elif x.ndim < weight.ndim:
        weight = weight.reshape(())
    return where(x > 0, x, x * weight)


# ---------------------------------------------------------------- finite differences


def gradient(input: Any, *, spacing: Any = 1, dim: Any = None, edge_order: int = 1) -> tuple:
    """``torch.gradient``: the derivative of the samples ``input`` estimated by finite
    differences along each dimension of ``dim`` (an int or a list; every dimension when
    None), as a tuple of tensors of ``input``'s shape, one per dimension.

    ``spacing`` is where the samples lie: a number (a uniform step for every dimension), a
    list of numbers (one step per dimension) or a list of 1-D tensors (the coordinates along
    each dimension, gradients flowing to them too). Inside, central differences (second-order
    accurate); at the ends, one-sided ones of order ``edge_order`` (1 or 2), each dimension
    needing at least ``edge_order + 1`` samples. Integer inputs give the default float dtype.
    The formulas are in ``methods.finite_differences``.

    Example:
        >>> import chainrule
        >>> chainrule.gradient(chainrule.tensor([1.0, 4.0, 9.0, 16.0]))
        (tensor([3., 4., 6., 7.]),)
    """
    from .finite_differences import gradient as differences

    return differences(input, spacing, dim, edge_order)
