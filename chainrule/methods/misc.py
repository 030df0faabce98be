"""Indexing and scatter methods of Tensor beyond ``methods.select``: tile, unfold,
scatter_reduce, index_put, put, index_copy, masked_scatter, fill_diagonal_, kthvalue, msort,
unique_consecutive, sum_to_size, narrow_copy, resize_as_ (and the in-place forms); with the
product and statistics methods of ``methods.misc_functions`` and the in-place products
(addmv_, addr_, addbmm_, baddbmm_).

Every write by position (index_put, put, index_copy, masked_scatter) is a ``Scatter`` (or, to
accumulate, ``ScatterAdd``) into the flattened tensor at the flat positions the index names,
so its gradients are those already derived; scatter_reduce has its own Function
(``ops.misc.ScatterReduce``). tile is ``repeat``, unfold and kthvalue are indexing. Indices,
unique values and counts are constants, as in PyTorch.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from ..ops import shape as shape_ops
from .inplace import inplace
from .math import broadcast_shape, broadcasts_to
from .reduce import normalize_dim
from .select import check_bounds, index_array, sort_order
from .shape import _sizes

KthValue = namedtuple("kthvalue", ["values", "indices"])


def _positions(shape: tuple[int, ...]) -> np.ndarray:
    """The flat (C-order) position of every element of a tensor of ``shape``."""
    return np.arange(int(np.prod(shape)), dtype=np.int64).reshape(shape)


class MiscMixin:
    """tile, unfold, the scatter and put family, kthvalue and friends of ``Tensor``."""

    __slots__ = ()

    def tile(self, *dims):
        """``self`` repeated ``dims[i]`` times along dimension i; with fewer dims than
        dimensions, the leading ones are repeated once (PyTorch ``tile``)."""
        reps = _sizes(dims)
        return self.repeat(*((1,) * (self.ndim - len(reps)) + reps))

    def unfold(self, dimension, size, step):
        """Every window of ``size`` elements along ``dimension``, ``step`` apart, as a new last
        dimension: shape (..., (n − size) // step + 1, ..., size). Overlapping windows add
        their gradients."""
        axis = normalize_dim(dimension, self.ndim)
        n = self.shape[axis] if self.ndim else 1
        size, step = int(size), int(step)
        if step <= 0:
            raise RuntimeError(f"unfold: step is {step} but must be > 0")
        if not 0 <= size <= n:
            raise RuntimeError(f"unfold: the maximum size for dimension {dimension} is {n} "
                               f"but size is {size}")
        windows = np.arange((n - size) // step + 1)[:, None] * step + np.arange(size)
        if self.ndim == 0:
            return self.reshape(1)[windows].reshape(size)
        picked = self[(slice(None),) * axis + (windows,)]
        return picked.movedim(axis + 1, -1)

    def scatter_reduce(self, dim, index, src, reduce, *, include_self=True):
        """``self`` with every ``src[j]`` combined into the position ``j`` with its ``dim``
        coordinate replaced by ``index[j]``, by ``reduce``: 'sum', 'prod', 'mean', 'amax' or
        'amin'; ``include_self=False`` leaves ``self``'s value out where anything lands.
        Gradients flow to ``self`` and ``src`` (tied extremes share it equally)."""
        from ..ops import misc

        if reduce not in misc.REDUCTIONS:
            raise ValueError(f"scatter_reduce: reduce must be one of {misc.REDUCTIONS}, got "
                             f"{reduce!r}")
        axis = normalize_dim(dim, self.ndim)
        idx = index_array("scatter_reduce", index)
        self._same_dtype("scatter_reduce", src)
        if self.ndim == 0:
            out = self.reshape(1).scatter_reduce(0, idx.reshape(1), src.reshape(1), reduce,
                                                 include_self=include_self)
            return out.reshape(())
        self._check_scatter_shapes("scatter_reduce", idx, src, axis)
        check_bounds("scatter_reduce", idx, self.shape[axis], dim)
        return self._apply(misc.ScatterReduce, src, indices=idx, axis=axis, reduce=reduce,
                           include_self=bool(include_self))

    def scatter_reduce_(self, dim, index, src, reduce, *, include_self=True):
        """In-place ``scatter_reduce``."""
        self._check_source("scatter_reduce_", src)
        return self._write("scatter_reduce_", self.detach().scatter_reduce(
            dim, index, src, reduce, include_self=include_self))

    def index_put(self, indices, values, accumulate=False):
        """``self`` with ``values`` (broadcast to ``self[indices]``'s shape) written at
        ``self[indices]``; ``indices`` is a tuple of integer or bool tensors, one per leading
        dimension. ``accumulate=True`` adds instead, repeated positions adding up."""
        if not isinstance(indices, (tuple, list)):
            raise TypeError(f"index_put: indices must be a tuple of tensors, got "
                            f"{type(indices).__name__}")
        arrays = tuple(i.data if isinstance(i, MiscMixin) else np.asarray(i) for i in indices)
        for a in arrays:
            if a.dtype.kind not in "iub":
                raise TypeError(f"index_put: indices must be integer or bool tensors, got "
                                f"{a.dtype}")
        try:
            where = _positions(self.shape)[arrays]
        except IndexError as err:
            raise IndexError(f"index_put: indices do not fit a tensor of shape {self.shape}: "
                             f"{err}") from None
        values = self._source("index_put", values)
        if not broadcasts_to(values.shape, where.shape):
            raise ValueError(f"index_put: values of shape {values.shape} cannot be broadcast "
                             f"to the indexed shape {where.shape}")
        return self._flat_write(where, values.broadcast_to(where.shape), accumulate)

    def index_put_(self, indices, values, accumulate=False):
        """In-place ``index_put``."""
        self._check_source("index_put_", values)
        return self._write("index_put_", self.detach().index_put(indices, values, accumulate))

    def put(self, index, source, accumulate=False):
        """``self`` with ``source[j]`` written at flat position ``index[j]`` (of the tensor
        read in C order; negative positions count from the end); ``accumulate`` adds."""
        idx = index_array("put", index).reshape(-1)
        source = self._source("put", source)
        if source.numel() != idx.size:
            raise IndexError(f"put: source and index must have the same number of elements, "
                             f"got {source.numel()} and {idx.size}")
        n = self.numel()
        check_bounds("put", np.where(idx < 0, idx + n, idx), n, "(flattened)")
        return self._flat_write(np.where(idx < 0, idx + n, idx), source, accumulate)

    def put_(self, index, source, accumulate=False):
        """In-place ``put``."""
        self._check_source("put_", source)
        return self._write("put_", self.detach().put(index, source, accumulate))

    def index_copy(self, dim, index, source):
        """``self`` with the slice ``source[j]`` along ``dim`` copied to position ``index[j]``;
        ``source`` has ``self``'s shape but ``len(index)`` along ``dim``."""
        axis = normalize_dim(dim, self.ndim)
        idx = self._vector_index("index_copy", index, axis, dim)
        source = self._source("index_copy", source)
        where = np.take(_positions(self.shape or (1,)), idx, axis=axis)
        if source.shape != where.shape if self.ndim else source.numel() != where.size:
            raise ValueError(f"index_copy: source of shape {source.shape} must match self "
                             f"{self.shape} except for {idx.size} (the number of indices) "
                             f"along dimension {dim}")
        return self._flat_write(where, source, False)

    def index_copy_(self, dim, index, source):
        """In-place ``index_copy``."""
        self._check_source("index_copy_", source)
        return self._write("index_copy_", self.detach().index_copy(dim, index, source))

    def masked_scatter(self, mask, source):
        """``self`` (broadcast with the bool ``mask``) with the elements where ``mask`` holds
        replaced, in C order, by the first elements of ``source``."""
        condition = self._mask("masked_scatter", mask).data
        shape = broadcast_shape("masked_scatter", self.shape, condition.shape)
        where = np.flatnonzero(np.broadcast_to(condition, shape))
        source = self._source("masked_scatter", source)
        if source.numel() < where.size:
            raise RuntimeError(f"masked_scatter: source has {source.numel()} elements, fewer "
                               f"than the {where.size} true elements of the mask")
        target = self if self.shape == shape else self.broadcast_to(shape)
        return target._flat_write(where, source, False)

    def masked_scatter_(self, mask, source):
        """In-place ``masked_scatter``; ``mask`` must broadcast to ``self``'s shape."""
        mask_shape = tuple(np.shape(getattr(mask, "data", mask)))
        if not broadcasts_to(mask_shape, self.shape):
            raise ValueError(f"masked_scatter_: a mask of shape {mask_shape} cannot be "
                             f"broadcast to the shape {self.shape} of the tensor changed in "
                             "place")
        self._check_source("masked_scatter_", source)
        return self._write("masked_scatter_", self.detach().masked_scatter(mask, source))

    def fill_diagonal_(self, fill_value, wrap=False):
        """Set the main diagonal (elements with all indices equal) to ``fill_value`` in place;
        for a tall matrix, ``wrap=True`` starts again every ``columns + 1`` rows."""
        if self.ndim < 2:
            raise ValueError(f"fill_diagonal_: expected at least 2 dimensions, got shape "
                             f"{self.shape}")
        if self.ndim > 2 and len(set(self.shape)) != 1:
            raise ValueError(f"fill_diagonal_: all dimensions of a tensor with more than 2 "
                             f"must have the same length, got shape {self.shape}")
        mask = np.zeros(self.shape, dtype=bool)
        np.fill_diagonal(mask, True, wrap=bool(wrap))
        return self.masked_fill_(self._const(mask), fill_value)

    def kthvalue(self, k, dim=-1, keepdim=False):
        """``(values, indices)``: the ``k``-th smallest element along ``dim`` (1-based) and
        its position; the gradient flows to that position."""
        axis = normalize_dim(dim, self.ndim)
        size = self.shape[axis] if self.ndim else 1
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
            raise TypeError(f"kthvalue: k must be an int, got {type(k).__name__}")
        if size == 0:
            raise IndexError(f"kthvalue: dimension {dim} has size 0; there is no k-th value")
        if not 1 <= k <= size:
            raise RuntimeError(f"kthvalue: k ({k}) is out of range for dimension {dim} of "
                               f"size {size} (expected 1 <= k <= {size})")
        if self.ndim == 0:
            return KthValue(self, self._const(np.zeros((), dtype=np.int64)))
        pick = np.take(sort_order(self.data, axis, False), [k - 1], axis=axis)
        values = self._apply(shape_ops.TakeAlongAxis, indices=pick, axis=axis)
        if not keepdim:
            values, pick = values.squeeze(axis), np.squeeze(pick, axis)
        return KthValue(values, self._const(pick))

    def msort(self):
        """The values sorted along dimension 0 (``sort(dim=0).values``)."""
        return self.sort(0).values

    def unique_consecutive(self, return_inverse=False, return_counts=False, dim=None):
        """Each run of equal consecutive elements (or, with ``dim``, of equal slices along
        ``dim``) reduced to one; optionally where each input element went and run lengths."""
        from .misc_functions import consecutive_runs

        values, inverse, counts = consecutive_runs(self.data, dim)
        out = [self._const(values)]
        if return_inverse:
            out.append(self._const(inverse))
        if return_counts:
            out.append(self._const(counts))
        return out[0] if len(out) == 1 else tuple(out)

    def sum_to_size(self, *size):
        """``self`` summed down to ``size``, a shape that broadcasts to ``self``'s (the
        reverse of ``expand``)."""
        shape = _sizes(size)
        if not broadcasts_to(shape, self.shape):
            raise RuntimeError(f"sum_to_size: size {list(shape)} is not expandable to size "
                               f"{list(self.shape)}")
        lead = self.ndim - len(shape)
        out = self.sum(dim=tuple(range(lead))) if lead else self
        ones = tuple(i for i, n in enumerate(shape) if n == 1 and out.shape[i] != 1)
        return out.sum(dim=ones, keepdim=True) if ones else out

    def narrow_copy(self, dim, start, length):
        """A copy of ``narrow(dim, start, length)`` (not a view)."""
        return self.narrow(dim, start, length).clone()

    def resize_as_(self, other, memory_format=None):
        """``resize_`` to ``other``'s shape (the same number of elements only)."""
        return self.resize_(*other.shape)

    # ---------------------------------------------------------------- products, statistics
    # (the top-level functions of methods.misc_functions and methods.misc_statistics)

    def mv(self, vec):
        from .misc_functions import mv

        return mv(self, vec)

    def inner(self, other):
        from .misc_functions import inner

        return inner(self, other)

    def vdot(self, other):
        from .misc_functions import vdot

        return vdot(self, other)

    def addmv(self, mat, vec, *, beta=1, alpha=1):
        from .misc_functions import addmv

        return addmv(self, mat, vec, beta=beta, alpha=alpha)

    def addr(self, vec1, vec2, *, beta=1, alpha=1):
        from .misc_functions import addr

        return addr(self, vec1, vec2, beta=beta, alpha=alpha)

    def addbmm(self, batch1, batch2, *, beta=1, alpha=1):
        from .misc_functions import addbmm

        return addbmm(self, batch1, batch2, beta=beta, alpha=alpha)

    # In place: ``self`` ← the product written into it, recorded as the other in-place
    # methods are (``methods.inplace``): the result must keep ``self``'s shape and dtype.

    def addmv_(self, mat, vec, *, beta=1, alpha=1):
        """``self`` ← β·self + α·(mat @ vec), in place; returns ``self``."""
        return inplace(self, "addmv_", lambda x, m, v: x.addmv(m, v, beta=beta, alpha=alpha),
                       mat, vec)

    def addr_(self, vec1, vec2, *, beta=1, alpha=1):
        """``self`` ← β·self + α·outer(vec1, vec2), in place; returns ``self``."""
        return inplace(self, "addr_", lambda x, a, b: x.addr(a, b, beta=beta, alpha=alpha),
                       vec1, vec2)

    def addbmm_(self, batch1, batch2, *, beta=1, alpha=1):
        """``self`` ← β·self + α·Σ_b batch1[b] @ batch2[b], in place; returns ``self``."""
        return inplace(self, "addbmm_",
                       lambda x, a, b: x.addbmm(a, b, beta=beta, alpha=alpha), batch1, batch2)

    def baddbmm_(self, batch1, batch2, *, beta=1, alpha=1):
        """``self`` ← β·self + α·(batch1 @ batch2) batch by batch, in place; returns
        ``self``."""
        return inplace(self, "baddbmm_",
                       lambda x, a, b: x.baddbmm(a, b, beta=beta, alpha=alpha), batch1, batch2)

    def cov(self, *, correction=1, fweights=None, aweights=None):
        from .misc_statistics import cov

        return cov(self, correction=correction, fweights=fweights, aweights=aweights)

    def corrcoef(self):
        from .misc_statistics import corrcoef

        return corrcoef(self)

    def histogram(self, bins, *, range=None, weight=None, density=False):
        from .misc_statistics import histogram

        return histogram(self, bins, range=range, weight=weight, density=density)

    def _flat_write(self, where, source, accumulate):
        """``self`` with ``source`` (read in C order) written, or added, at the flat
        positions ``where``: a Scatter or ScatterAdd on the flattened tensor."""
        from ..ops import select

        fn = select.ScatterAdd if accumulate else select.Scatter
        flat = self.reshape(-1)._apply(fn, source.reshape(-1),
                                       indices=np.asarray(where, np.int64).reshape(-1), axis=0)
        return flat.reshape(self.shape)

    def _source(self, name, source):
        """``source`` as a tensor of ``self``'s dtype, or a TypeError naming both dtypes."""
        if not isinstance(source, MiscMixin):
            source = self._const(np.asarray(source, dtype=self.dtype))
        self._same_dtype(name, source)
        return source

    def _same_dtype(self, name, source):
        if not isinstance(source, MiscMixin):
            raise TypeError(f"{name}: the source must be a tensor, got "
                            f"{type(source).__name__}")
        if source.dtype != self.dtype:
            raise TypeError(f"{name}: the source is {source.dtype} but self is {self.dtype}; "
                            "they must have the same dtype")
