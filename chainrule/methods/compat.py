"""Tensor attributes and aliases that PyTorch scripts read and that need no new math: the
``is_*`` flags of a CPU, dense, real tensor, the other spellings of existing methods
(``arccos`` is ``acos``), and the complex-number API, which on real tensors is the identity
or a transpose (``conj``, ``real``, ``adjoint``, ``mH``).

What chainrule cannot hold (complex and bfloat16 dtypes, devices other than the CPU) raises
an error that names the problem, never a silently different tensor. The conversions to sparse
and MKL-DNN layouts are left undefined, so that ``chainrule run`` names them in its one-line
report of a missing feature. The legacy constructors and Python-callable maps are in
``methods.compat_legacy``.
"""

from __future__ import annotations

import builtins
import warnings

import numpy as np

from .. import dtypes
from ..layout import channels_last, channels_last_3d, contiguous_format, memory_format, strided
from .compat_legacy import LegacyMixin
from .inplace import inplace
from .math import as_operand, broadcast_for_grad, broadcast_shape, where


def _no_complex(name: str) -> TypeError:
    return TypeError(f"Tensor.{name}(): chainrule has no complex dtypes (its tensors hold "
                     "NumPy's real and integer dtypes); keep real and imaginary parts as two "
                     "real tensors")


def _floating(x):
    """``x``, or a copy in the default float dtype when ``x`` holds integers or bools."""
    return x if dtypes.is_floating(x.dtype) else x.to(dtypes.get_default_dtype())


def _incomplete_gamma(a, x, upper: bool):
    """P(a, x) (or Q when ``upper``) through ``ops.special.Gammainc``, as
    ``chainrule.special.gammainc`` computes it: floating tensors only, broadcast first."""
    from ..ops.special import Gammainc  # here: ``import chainrule`` need not load it

    name = "igammac" if upper else "igamma"
    for value in (a, x):
        if isinstance(value, CompatMixin) and not dtypes.is_floating(value.dtype):
            raise TypeError(f"{name}: needs floating-point tensors, got {value.dtype}; "
                            "convert first, e.g. x.double()")
    x, dtype = as_operand(a, x)
    a, x = a.to(dtype), x.to(dtype)
    if a.shape != x.shape:
        a, x = broadcast_for_grad([a, x], broadcast_shape(name, a.shape, x.shape))
    return a._apply(Gammainc, x, upper=upper)


def _matrix_dims(t, name: str) -> None:
    if t.ndim < 2:
        raise RuntimeError(f"tensor.{name} is only supported on matrices or batches of "
                           f"matrices. Got {t.ndim}-D tensor.")


def _stride_order(t) -> tuple[tuple[int, ...], bool]:
    """The dimensions from outermost to innermost in memory, by PyTorch's rule, and whether
    that order is strict: C order or channels last when the memory is exactly one of them,
    else an insertion sort by stride that leaves dimensions of stride 0 where they are and
    puts, of two equal strides, the longer dimension outside (strict when every neighbour
    is strictly ordered)."""
    n, shape, strides = t.ndim, t.shape, t.stride()
    if n < 2:
        return tuple(builtins.range(n)), True
    last = n == 4 and t.is_contiguous(channels_last)
    if t.is_contiguous() != last:
        return (tuple(builtins.range(n)) if not last else (0, 2, 3, 1)), True

    def ge(a: int, b: int) -> bool:  # a >= b, with a size 0 counting as the largest
        return b == 0 or (a != 0 and a >= b)

    def order(a: int, b: int) -> int:  # > 0: b goes outside a (the sort runs inner first)
        if strides[a] == 0 or strides[b] == 0:
            return 0
        if strides[a] == strides[b]:
            return 0 if ge(shape[b], shape[a]) else 1
        return -1 if strides[b] > strides[a] else 1

    perm = list(reversed(builtins.range(n)))
    for i in builtins.range(1, n):
        moving = i
        for j in reversed(builtins.range(i)):
            c = order(perm[j], perm[moving])
            if c < 0:
                break
            if c > 0:
                perm[j], perm[moving] = perm[moving], perm[j]
                moving = j
    strict = all(order(a, b) == -1 for a, b in zip(perm, perm[1:]))
    return tuple(reversed(perm)), strict


def _ambiguous_order(t, formats: list) -> bool:
    """Whether the dimension order is not unique (a size-1 dimension, or two neighbours with
    equal strides) and the memory is not in exactly one of ``formats``."""
    strides = t.stride()
    several = 1 in t.shape or any(a == b for a, b in zip(strides, strides[1:]))
    ranks = {id(channels_last): 4, id(channels_last_3d): 5}
    matching = sum(f is contiguous_format and t.is_contiguous()
                   or t.ndim == ranks.get(id(f)) and t.is_contiguous(f) for f in formats)
    return several and matching != 1


class CompatMixin(LegacyMixin):
    """Tensor's PyTorch-compatibility attributes and aliases."""

    __slots__ = ()

    # ------------------------------------------------------------ flags (CPU, dense, real)

    is_cpu = property(lambda self: True, doc="True: chainrule keeps data on the CPU.")
    is_sparse = property(lambda self: False, doc="False: chainrule's tensors are dense.")
    is_sparse_csr = property(lambda self: False, doc="False: chainrule's tensors are dense.")
    is_quantized = property(lambda self: False, doc="False: chainrule has no quantized dtypes.")
    is_meta = property(lambda self: False, doc="False: every tensor holds its data.")
    is_mkldnn = property(lambda self: False, doc="False: no MKL-DNN layout here.")
    is_nested = property(lambda self: False, doc="False: chainrule has no nested tensors.")
    is_vulkan = property(lambda self: False, doc="False: data is on the CPU.")
    is_xla = property(lambda self: False, doc="False: data is on the CPU.")
    is_xpu = property(lambda self: False, doc="False: data is on the CPU.")
    is_ipu = property(lambda self: False, doc="False: data is on the CPU.")
    is_maia = property(lambda self: False, doc="False: data is on the CPU.")
    is_mps = property(lambda self: False, doc="False: data is on the CPU.")
    is_mtia = property(lambda self: False, doc="False: data is on the CPU.")
    layout = property(lambda self: strided, doc="``chainrule.strided``: every tensor is dense.")

    def is_conj(self):
        """False: chainrule has no complex tensors, so none carries a lazy conjugation."""
        return False

    def is_neg(self):
        """False: no tensor carries a lazy negation (a complex-view feature of PyTorch)."""
        return False

    def is_inference(self):
        """False. NOTE: a tensor made under ``inference_mode()`` is an ordinary tensor in
        chainrule (it may later join a graph, which PyTorch forbids), so none is an inference
        tensor in PyTorch's sense."""
        return False

    def is_distributed(self):
        return False

    def is_coalesced(self):
        raise RuntimeError("is_coalesced expected sparse coordinate tensor layout but got "
                           "Strided: chainrule's tensors are dense")

    def is_same_size(self, other):
        """Whether ``other`` has the same shape."""
        return self.shape == other.shape

    def is_set_to(self, tensor):
        """Whether ``tensor`` views exactly this tensor's elements: the same memory, dtype,
        first element, shape and strides."""
        return (self.dtype == tensor.dtype and self.shape == tensor.shape
                and self.data.strides == tensor.data.strides
                and self.data_ptr() == tensor.data_ptr()
                and np.may_share_memory(self.data, tensor.data))

    def dim_order(self, *, ambiguity_check=False):
        """The dimensions from outermost to innermost in memory: ``(0, 1, 2, 3)`` for C order,
        ``(0, 2, 3, 1)`` for channels last. ``ambiguity_check=True`` raises when more than
        one order fits (size-1 dimensions, equal strides); a list of memory formats raises
        unless the memory is in exactly one of them."""
        formats = [] if isinstance(ambiguity_check, bool) else ambiguity_check
        if not isinstance(formats, list) or not all(isinstance(f, memory_format)
                                                    for f in formats):
            raise TypeError("The ambiguity_check argument must be a bool or a list of memory "
                            "formats.")
        if ambiguity_check is not False and _ambiguous_order(self, formats):
            raise RuntimeError("The tensor does not have unique dim order, or cannot map to "
                               "exact one of the given memory formats.")
        order, strict = _stride_order(self)
        if ambiguity_check and not strict:
            raise RuntimeError("The tensor does not have unique dim order.")
        return order

    def dense_dim(self):
        """The number of dense dimensions: all of them (no tensor is sparse here)."""
        return self.ndim

    def sparse_dim(self):
        return 0

    # ------------------------------------------------------------ memory and autograd

    def storage_offset(self):
        """How many elements lie between the start of the memory this tensor views (its NumPy
        base array) and its first element: ``x[1]`` of a (2, 3) tensor gives 3."""
        root = self.data
        while isinstance(root.base, np.ndarray):
            root = root.base
        start = root.__array_interface__["data"][0]
        return (self.data_ptr() - start) // self.dtype.itemsize

    def const_data_ptr(self):
        """The address of the first element (``data_ptr``)."""
        return self.data_ptr()

    @property
    def retains_grad(self):
        """Whether ``retain_grad()`` was called on this non-leaf tensor (False for a leaf,
        whose ``.grad`` is kept anyway)."""
        return self._ctx is not None and self._retains_grad

    @property
    def output_nr(self):
        """Which output of the node that made it this tensor is: 0, since every chainrule
        Function has one output (multi-output ops such as ``split`` make one node per
        piece)."""
        return 0

    @property
    def volatile(self):
        """False, with PyTorch's warning: the legacy ``Variable.volatile`` flag is gone."""
        warnings.warn("volatile was removed (Variable.volatile is always False)", UserWarning,
                      stacklevel=2)
        return False

    # ------------------------------------------------------------ complex API on real tensors

    def conj(self):
        """Self: the conjugate of a real tensor is the tensor (PyTorch returns it too)."""
        return self

    def conj_physical(self):
        return self

    def conj_physical_(self):
        """Self, counted as an in-place change (its version goes up), as in PyTorch."""
        return inplace(self, "conj_physical_", lambda x: x)

    def resolve_conj(self):
        return self

    def resolve_neg(self):
        return self

    real = property(lambda self: self, doc="Self: a real tensor is its own real part.")

    @property
    def imag(self):
        """Raises RuntimeError, as in PyTorch: a real tensor has no imaginary part."""
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes "
                           f"(this one is {self.dtype}; chainrule has no complex dtypes).")

    def adjoint(self):
        """The conjugate transpose of the last two dimensions: for a real tensor, ``mT``."""
        _matrix_dims(self, "adjoint()")
        return self.transpose(-2, -1)

    @property
    def mH(self):  # noqa: N802 - torch's name
        """The conjugate transpose of the last two dimensions: for a real tensor, ``mT``."""
        _matrix_dims(self, "mH")
        return self.transpose(-2, -1)

    @property
    def H(self):  # noqa: N802 - torch's name
        """The conjugate transpose of a matrix: for a real one, ``t()``. A 0-d tensor gives
        itself with PyTorch's deprecation warning; other ranks raise (``mH`` for batches)."""
        if self.ndim == 0:
            warnings.warn("Tensor.H is deprecated on 0-D tensors. Consider using x.conj().",
                          UserWarning, stacklevel=2)
            return self
        if self.ndim != 2:
            hint = " For batches of matrices, consider using tensor.mH" if self.ndim > 2 else ""
            raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got "
                               f"{self.ndim}-D tensor.{hint}")
        return self.transpose(0, 1)

    def cfloat(self, memory_format=None):
        raise _no_complex("cfloat")

    def cdouble(self, memory_format=None):
        raise _no_complex("cdouble")

    def chalf(self, memory_format=None):
        raise _no_complex("chalf")

    def bfloat16(self, memory_format=None):
        raise TypeError("Tensor.bfloat16(): chainrule has no bfloat16 dtype (NumPy has none); "
                        "half() gives float16, float() float32")

    # ------------------------------------------------------------ other spellings

    def arccos(self):
        return self.acos()

    def arccosh(self):
        return self.acosh()

    def arcsin(self):
        return self.asin()

    def arcsinh(self):
        return self.asinh()

    def arctan(self):
        return self.atan()

    def arctan2(self, other):
        return self.atan2(other)

    def arctanh(self):
        return self.atanh()

    def arccos_(self):
        return self.acos_()

    def arccosh_(self):
        return self.acosh_()

    def arcsin_(self):
        return self.asin_()

    def arcsinh_(self):
        return self.asinh_()

    def arctan_(self):
        return self.atan_()

    def arctan2_(self, other):
        return self.atan2_(other)

    def arctanh_(self):
        return self.atanh_()

    def split_with_sizes(self, split_sizes, dim=0):
        """Pieces of the listed sizes along ``dim`` (which must add up to its size)."""
        return self.split(list(split_sizes), dim)

    def unsafe_split(self, split_size, dim=0):
        """``split`` (PyTorch's unsafe form skips a view check that chainrule never needs)."""
        return self.split(split_size, dim)

    def unsafe_split_with_sizes(self, split_sizes, dim=0):
        return self.split(list(split_sizes), dim)

    def unsafe_chunk(self, chunks, dim=0):
        return self.chunk(chunks, dim)

    def to_dense(self, dtype=None, *, masked_grad=None):
        """Self (every tensor is dense), converted to ``dtype`` when given."""
        return self if dtype is None else self.to(dtype)

    def hardshrink(self, lambd=0.5):
        """x where |x| > λ, else 0 (``nn.functional.hardshrink``; integers give floats)."""
        x = _floating(self)
        return where((x > lambd) | (x < -lambd), x, 0.0)

    def prelu(self, weight):
        """x for x > 0, a·x otherwise, with slopes ``weight`` one per channel (dimension 1)
        or one shared (``nn.functional.prelu``; integers give floats)."""
        from .misc_functions import parametric_relu

        return parametric_relu(self, weight)

    def angle(self):
        """π where self < 0, 0 where self ≥ 0, NaN at NaN: the angle of a real number
        (``chainrule.angle``; integers give floats; the gradient is 0)."""
        from .misc_functions import angle

        return angle(self)

    def igamma(self, other):
        """P(self, other), the regularized lower incomplete gamma function
        (``chainrule.special.gammainc``); the gradient flows to ``other`` only."""
        return _incomplete_gamma(self, other, upper=False)

    def igammac(self, other):
        """Q(self, other) = 1 − P(self, other) (``chainrule.special.gammaincc``)."""
        return _incomplete_gamma(self, other, upper=True)

    def igamma_(self, other):
        return inplace(self, "igamma_", lambda x, o: x.igamma(o), other)

    def igammac_(self, other):
        return inplace(self, "igammac_", lambda x, o: x.igammac(o), other)

    def mvlgamma_(self, p):
        return inplace(self, "mvlgamma_", lambda x: x.mvlgamma(p))
