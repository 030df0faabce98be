"""``StructureMixin``: the Tensor method forms of the functions in ``methods.structure_functions``
(flips, rotations, splits, diagonals) and of the statistics, search and product functions
beside it. Each method loads its function's module on first use, so that ``import chainrule``
does not (tests/test_lazy_import.py).
"""

from __future__ import annotations


def _shapes():
    from . import structure_functions  # noqa: PLC0415 - loaded on first use

    return structure_functions


def _statistics():
    from . import statistics  # noqa: PLC0415 - loaded on first use

    return statistics


def _search():
    from . import search  # noqa: PLC0415 - loaded on first use

    return search


def _products():
    from . import products  # noqa: PLC0415 - loaded on first use

    return products


class StructureMixin:
    """Flips, rotations, splits, diagonals, statistics, searches and products of ``Tensor``."""

    __slots__ = ()

    def fliplr(self):
        return _shapes().fliplr(self)

    def flipud(self):
        return _shapes().flipud(self)

    def rot90(self, k=1, dims=(0, 1)):
        return _shapes().rot90(self, k, dims)

    def tensor_split(self, indices_or_sections, dim=0):
        return _shapes().tensor_split(self, indices_or_sections, dim)

    def hsplit(self, indices_or_sections):
        return _shapes().hsplit(self, indices_or_sections)

    def vsplit(self, indices_or_sections):
        return _shapes().vsplit(self, indices_or_sections)

    def dsplit(self, indices_or_sections):
        return _shapes().dsplit(self, indices_or_sections)

    def select(self, dim, index):
        return _shapes().select(self, dim, index)

    def diagonal(self, offset=0, dim1=0, dim2=1):
        return _shapes().diagonal(self, offset, dim1, dim2)

    def trace(self):
        return _shapes().trace(self)

    def diag_embed(self, offset=0, dim1=-2, dim2=-1):
        return _shapes().diag_embed(self, offset, dim1, dim2)

    def aminmax(self, *, dim=None, keepdim=False):
        return _statistics().aminmax(self, dim=dim, keepdim=keepdim)

    def count_nonzero(self, dim=None):
        return _statistics().count_nonzero(self, dim)

    def nansum(self, dim=None, keepdim=False, *, dtype=None):
        return _statistics().nansum(self, dim, keepdim, dtype=dtype)

    def nanmean(self, dim=None, keepdim=False, *, dtype=None):
        return _statistics().nanmean(self, dim, keepdim, dtype=dtype)

    def median(self, dim=None, keepdim=False):
        return _statistics().median(self, dim, keepdim)

    def mode(self, dim=-1, keepdim=False):
        return _statistics().mode(self, dim, keepdim)

    def quantile(self, q, dim=None, keepdim=False, *, interpolation="linear"):
        return _statistics().quantile(self, q, dim, keepdim, interpolation=interpolation)

    def nanquantile(self, q, dim=None, keepdim=False, *, interpolation="linear"):
        return _statistics().nanquantile(self, q, dim, keepdim, interpolation=interpolation)

    def cummax(self, dim):
        return _statistics().cummax(self, dim)

    def cummin(self, dim):
        return _statistics().cummin(self, dim)

    def logcumsumexp(self, dim):
        return _statistics().logcumsumexp(self, dim)

    def diff(self, n=1, dim=-1, prepend=None, append=None):
        return _statistics().diff(self, n, dim, prepend, append)

    def masked_select(self, mask):
        return _search().masked_select(self, mask)

    def take(self, index):
        return _search().take(self, index)

    def argwhere(self):
        return _search().argwhere(self)

    def bincount(self, weights=None, minlength=0):
        return _search().bincount(self, weights, minlength)

    def histc(self, bins=100, min=0, max=0):  # noqa: A002 - PyTorch's argument names
        return _search().histc(self, bins, min, max)

    def kron(self, other):
        return _products().kron(self, other)

    def cross(self, other, dim=None):
        return _products().cross(self, other, dim)

    def dist(self, other, p=2):
        return _products().dist(self, other, p)

    def baddbmm(self, batch1, batch2, *, beta=1, alpha=1):
        return _products().baddbmm(self, batch1, batch2, beta=beta, alpha=alpha)

    def det(self):
        return _products().det(self)

    def inverse(self):
        return _products().inverse(self)

    def is_nonzero(self):
        return _search().is_nonzero(self)
