"""``StructureMixin``: the Tensor method forms of the functions in ``methods.structure_functions``
(flips, rotations, splits, diagonals) and of the statistics, search and product functions
beside it. Each method loads its function's module on first use, so that ``import chainrule``
does not (tests/test_lazy_import.py).
"""

from __future__ import annotations


def _shapes():
    from . import structure_functions  # noqa: PLC0415 - loaded on first use

    return structure_functions


class StructureMixin:
    """Flips, rotations, splits and diagonals of ``Tensor``."""

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
