"""Lazy convolutions and norms (PyTorch's names, arguments and defaults): ``LazyConv1d/2d/3d``
and ``LazyConvTranspose1d/2d/3d`` take ``in_channels`` from their first input,
``LazyBatchNorm1d/2d/3d`` and ``LazyInstanceNorm1d/2d/3d`` take ``num_features``.

Each is ``LazyModuleMixin`` (``nn.lazy``) over its eager layer's class: until the first forward
its weight and bias are ``UninitializedParameter``s (a norm's running statistics
``UninitializedBuffer``s) and the inferred size is 0; the first forward materialises them,
initialises them as the eager layer does (a convolution draws weight then bias, as its
``reset_parameters``; a norm sets γ = 1, β = 0, running_mean = 0, running_var = 1) and turns
the layer into it (``LazyConv2d`` becomes ``Conv2d``). Loading a ``state_dict`` first takes
the shapes from the checkpoint, as ``LazyLinear`` does.

Where chainrule departs from PyTorch 2.13, it is to keep a lazy layer usable: the channels of
an unbatched input to a lazy instance norm are its first dimension (PyTorch reads the second,
then refuses the input); a norm with neither affine parameters nor running statistics still
takes ``num_features`` from its input (PyTorch leaves it 0); a layer loaded from a checkpoint
takes its size from the checkpoint (PyTorch leaves it 0); an input the layer cannot take is
refused before anything changes.
"""

from __future__ import annotations

from typing import Any

from .. import dtypes
from ..creation import tensor
from ..tensor import Tensor
from .conv import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d
from .conv3d import Conv3d, ConvTranspose3d
from .instance_norm import InstanceNorm1d, InstanceNorm2d, InstanceNorm3d, _InstanceNorm
from .lazy import LazyModuleMixin, UninitializedBuffer, UninitializedParameter
from .normalization import BatchNorm1d, BatchNorm2d, BatchNorm3d, _BatchNorm, _reset_affine

_SPATIAL = {1: "L", 2: "H, W", 3: "D, H, W"}


class _LazyConv(LazyModuleMixin):
    """What the lazy convolutions share: ``in_channels`` from dim 1 of a batched input (dim 0
    of an unbatched one), which ``groups`` must divide."""

    _inferred = "in_channels"

    def _make_lazy(self, bias: bool, dtype: Any) -> None:
        self.weight = UninitializedParameter(dtype=dtype)
        if bias:
            self.bias = UninitializedParameter(dtype=dtype)

    @property
    def _scale(self) -> int:  # type: ignore[override]
        # a convolution's weight holds in_channels/groups input channels, a transposed one's
        # all in_channels
        return 1 if self._transposed else self.groups

    def _templates(self) -> dict[str, tuple]:
        out, groups, kernel = self.out_channels, self.groups, self.kernel_size
        if self._transposed:
            weight = ("in_channels", out // groups, *kernel)
        else:
            weight = (out, "in_channels" if groups == 1 else "in_channels/groups", *kernel)
        return {"weight": weight, "bias": (out,)}

    def _inferred_from(self, input: Tensor) -> int:
        dims = self._dims
        if input.ndim not in (dims + 1, dims + 2):
            raise ValueError(f"{self._label()} expects a {dims + 2}-D input (N, C, "
                             f"{_SPATIAL[dims]}) or an unbatched {dims + 1}-D input (C, "
                             f"{_SPATIAL[dims]}), got shape {tuple(input.shape)}")
        return int(input.shape[input.ndim - dims - 1])

    def _size_problem(self, size: int) -> str | None:
        if size % self.groups:
            return f"in_channels={size} must be divisible by groups={self.groups}"
        return None

    def _label(self) -> str:
        groups = f", groups={self.groups}" if self.groups != 1 else ""
        return (f"{type(self).__name__}(out_channels={self.out_channels}, "
                f"kernel_size={self.kernel_size}{groups})")


class _LazyConvForward(_LazyConv):
    """The constructor of LazyConv1d/2d/3d: the eager one's, without ``in_channels``."""

    def __init__(self, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0,
                 dilation: Any = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None) -> None:
        super().__init__(0, out_channels, kernel_size, stride, padding, dilation, groups,
                         False, padding_mode, device, dtype)
        self._make_lazy(bias, dtype)


class _LazyConvTranspose(_LazyConv):
    """The constructor of LazyConvTranspose1d/2d/3d: the eager one's, without
    ``in_channels``."""

    def __init__(self, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0,
                 output_padding: Any = 0, groups: int = 1, bias: bool = True,
                 dilation: Any = 1, padding_mode: str = "zeros", device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__(0, out_channels, kernel_size, stride, padding, output_padding, groups,
                         False, dilation, padding_mode, device, dtype)
        self._make_lazy(bias, dtype)


class LazyConv1d(_LazyConvForward, Conv1d):
    """``Conv1d`` whose ``in_channels`` is taken from its first input (C of (N, C, L), or of
    an unbatched (C, L)); arguments as ``Conv1d``'s, without ``in_channels``.

    Example:
        >>> import chainrule
        >>> conv = chainrule.nn.LazyConv1d(6, 3)
        >>> conv(chainrule.randn(2, 4, 11)).shape, conv
        ((2, 6, 9), Conv1d(4, 6, kernel_size=(3,), stride=(1,)))
    """

    cls_to_become = Conv1d


class LazyConv2d(_LazyConvForward, Conv2d):
    """``Conv2d`` whose ``in_channels`` is taken from its first input (C of (N, C, H, W), or
    of an unbatched (C, H, W)); arguments as ``Conv2d``'s, without ``in_channels``.

    Until the first forward the weight and bias are ``UninitializedParameter``s and
    ``in_channels`` is 0; the first forward materialises them ((out_channels,
    in_channels/groups, kh, kw) and (out_channels,)), draws them as ``Conv2d`` does and turns
    this layer into a ``Conv2d``.

    Example:
        >>> import chainrule
        >>> conv = chainrule.nn.LazyConv2d(8, 3, padding=1)
        >>> conv(chainrule.randn(2, 3, 16, 16)).shape, conv.weight.shape
        ((2, 8, 16, 16), (8, 3, 3, 3))
    """

    cls_to_become = Conv2d


class LazyConv3d(_LazyConvForward, Conv3d):
    """``Conv3d`` whose ``in_channels`` is taken from its first input (C of (N, C, D, H, W),
    or of an unbatched (C, D, H, W)); arguments as ``Conv3d``'s, without ``in_channels``.

    Example:
        >>> import chainrule
        >>> conv = chainrule.nn.LazyConv3d(4, 3, padding=1)
        >>> conv(chainrule.randn(1, 2, 4, 6, 6)).shape, conv.in_channels
        ((1, 4, 4, 6, 6), 2)
    """

    cls_to_become = Conv3d


class LazyConvTranspose1d(_LazyConvTranspose, ConvTranspose1d):
    """``ConvTranspose1d`` whose ``in_channels`` is taken from its first input (C of (N, C,
    L), or of an unbatched (C, L)); arguments as ``ConvTranspose1d``'s, without
    ``in_channels``; the first forward may pass ``output_size``.

    Example:
        >>> import chainrule
        >>> up = chainrule.nn.LazyConvTranspose1d(2, 3, stride=2)
        >>> up(chainrule.randn(1, 4, 5)).shape, up.weight.shape
        ((1, 2, 11), (4, 2, 3))
    """

    cls_to_become = ConvTranspose1d


class LazyConvTranspose2d(_LazyConvTranspose, ConvTranspose2d):
    """``ConvTranspose2d`` whose ``in_channels`` is taken from its first input (C of (N, C, H,
    W), or of an unbatched (C, H, W)); arguments as ``ConvTranspose2d``'s, without
    ``in_channels``; the first forward may pass ``output_size``.

    Example:
        >>> import chainrule
        >>> up = chainrule.nn.LazyConvTranspose2d(4, 2, stride=2)
        >>> up(chainrule.randn(1, 8, 5, 5)).shape, up.in_channels
        ((1, 4, 10, 10), 8)
    """

    cls_to_become = ConvTranspose2d


class LazyConvTranspose3d(_LazyConvTranspose, ConvTranspose3d):
    """``ConvTranspose3d`` whose ``in_channels`` is taken from its first input (C of (N, C,
    D, H, W), or of an unbatched (C, D, H, W)); arguments as ``ConvTranspose3d``'s, without
    ``in_channels``; the first forward may pass ``output_size``.

    Example:
        >>> import chainrule
        >>> up = chainrule.nn.LazyConvTranspose3d(2, 2, stride=2)
        >>> up(chainrule.randn(1, 4, 3, 5, 5)).shape, up.in_channels
        ((1, 2, 6, 10, 10), 4)
    """

    cls_to_become = ConvTranspose3d


class _LazyNorm(LazyModuleMixin):
    """What the lazy norms share: PyTorch's lazy constructor (affine parameters and running
    statistics by default, for instance norms too), every tensor of shape
    (num_features,)."""

    _inferred = "num_features"

    def __init__(self, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, device: Any = None, dtype: Any = None, *,
                 bias: bool = True) -> None:
        super().__init__(0, eps, momentum, False, False, device, dtype, bias=False)
        self.affine, self.track_running_stats = affine, track_running_stats
        if affine:
            self.weight = UninitializedParameter(dtype=dtype)
            if bias:
                self.bias = UninitializedParameter(dtype=dtype)
        if track_running_stats:
            self.running_mean = UninitializedBuffer(dtype=dtype)
            self.running_var = UninitializedBuffer(dtype=dtype)
            self.register_buffer("num_batches_tracked", tensor(0, dtype=dtypes.int64))

    def _templates(self) -> dict[str, tuple]:
        return {name: ("num_features",) for name in ("weight", "bias", "running_mean",
                                                     "running_var")}

    def _reset(self) -> None:
        """γ = 1, β = 0, running_mean = 0, running_var = 1, num_batches_tracked = 0."""
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1)
            self.num_batches_tracked.zero_()
        _reset_affine(self)

    def _wrong_rank(self, input: Tensor, expected: str) -> ValueError:
        return ValueError(f"{type(self).__name__} expects {expected} input, got a "
                          f"{input.ndim}-D input of shape {tuple(input.shape)}")


class _LazyBatchNorm(_LazyNorm, _BatchNorm):
    """``num_features`` from dim 1 of the first input, of one of the eager layer's ranks."""

    def _inferred_from(self, input: Tensor) -> int:
        if input.ndim not in self._layouts:
            expected = " or ".join(f"{n}-D {lay}" for n, lay in self._layouts.items())
            raise self._wrong_rank(input, f"a {expected}")
        return int(input.shape[1])


class _LazyInstanceNorm(_LazyNorm, _InstanceNorm):
    """``num_features`` from the channel dim of the first input: 1 if batched, 0 if not."""

    def _inferred_from(self, input: Tensor) -> int:
        dims = self._dims
        if input.ndim not in (dims + 1, dims + 2):
            raise self._wrong_rank(input, f"a {dims + 2}-D (N, C, {_SPATIAL[dims]}) or an "
                                          f"unbatched {dims + 1}-D (C, {_SPATIAL[dims]})")
        return int(input.shape[input.ndim - dims - 1])


class LazyBatchNorm1d(_LazyBatchNorm):
    """``BatchNorm1d`` whose ``num_features`` is taken from dim 1 of its first input ((N, C)
    or (N, C, L)); arguments as ``BatchNorm1d``'s, without ``num_features``.

    Until the first forward γ and β are ``UninitializedParameter``s and running_mean and
    running_var ``UninitializedBuffer``s (those the layer has: see ``affine`` and
    ``track_running_stats``); the first forward gives them shape (C,), sets them as
    ``BatchNorm1d`` does and turns this layer into a ``BatchNorm1d``.

    Example:
        >>> import chainrule
        >>> bn = chainrule.nn.LazyBatchNorm1d()
        >>> bn(chainrule.randn(8, 3, 5)).shape, bn.num_features, type(bn).__name__
        ((8, 3, 5), 3, 'BatchNorm1d')
    """

    cls_to_become = BatchNorm1d
    _layouts = BatchNorm1d._layouts


class LazyBatchNorm2d(_LazyBatchNorm):
    """``BatchNorm2d`` whose ``num_features`` is taken from dim 1 of its first input (N, C, H,
    W); arguments as ``BatchNorm2d``'s, without ``num_features``.

    Example:
        >>> import chainrule
        >>> bn = chainrule.nn.LazyBatchNorm2d()
        >>> bn(chainrule.randn(2, 4, 3, 3)).shape, bn.running_mean.shape
        ((2, 4, 3, 3), (4,))
    """

    cls_to_become = BatchNorm2d
    _layouts = BatchNorm2d._layouts


class LazyBatchNorm3d(_LazyBatchNorm):
    """``BatchNorm3d`` whose ``num_features`` is taken from dim 1 of its first input (N, C,
    D, H, W); arguments as ``BatchNorm3d``'s, without ``num_features``.

    Example:
        >>> import chainrule
        >>> bn = chainrule.nn.LazyBatchNorm3d(affine=False)
        >>> bn(chainrule.randn(2, 4, 3, 3, 3)).shape, bn.weight
        ((2, 4, 3, 3, 3), None)
    """

    cls_to_become = BatchNorm3d
    _layouts = BatchNorm3d._layouts


class LazyInstanceNorm1d(_LazyInstanceNorm):
    """``InstanceNorm1d`` whose ``num_features`` is taken from the channels of its first input
    ((N, C, L) or unbatched (C, L)); arguments as ``InstanceNorm1d``'s, without
    ``num_features``, but ``affine`` and ``track_running_stats`` default to True, as in
    PyTorch.

    Example:
        >>> import chainrule
        >>> norm = chainrule.nn.LazyInstanceNorm1d()
        >>> norm(chainrule.randn(2, 3, 5)).shape, type(norm).__name__, norm.num_features
        ((2, 3, 5), 'InstanceNorm1d', 3)
        >>> norm.affine, norm.track_running_stats
        (True, True)
    """

    cls_to_become = InstanceNorm1d
    _dims = 1


class LazyInstanceNorm2d(_LazyInstanceNorm):
    """``InstanceNorm2d`` whose ``num_features`` is taken from the channels of its first input
    ((N, C, H, W) or unbatched (C, H, W)); arguments as ``LazyInstanceNorm1d``'s.

    Example:
        >>> import chainrule
        >>> norm = chainrule.nn.LazyInstanceNorm2d(affine=False, track_running_stats=False)
        >>> norm(chainrule.randn(3, 4, 4)).shape, norm.num_features
        ((3, 4, 4), 3)
    """

    cls_to_become = InstanceNorm2d
    _dims = 2


class LazyInstanceNorm3d(_LazyInstanceNorm):
    """``InstanceNorm3d`` whose ``num_features`` is taken from the channels of its first input
    ((N, C, D, H, W) or unbatched (C, D, H, W)); arguments as ``LazyInstanceNorm1d``'s.

    Example:
        >>> import chainrule
        >>> norm = chainrule.nn.LazyInstanceNorm3d()
        >>> norm(chainrule.randn(1, 2, 3, 3, 3)).shape, norm.weight.shape
        ((1, 2, 3, 3, 3), (2,))
    """

    cls_to_become = InstanceNorm3d
    _dims = 3


__all__ = ["LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d", "LazyConv1d", "LazyConv2d",
           "LazyConv3d", "LazyConvTranspose1d", "LazyConvTranspose2d", "LazyConvTranspose3d",
           "LazyInstanceNorm1d", "LazyInstanceNorm2d", "LazyInstanceNorm3d"]
