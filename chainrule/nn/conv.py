"""Convolution layers: ``Conv1d``, ``Conv2d``, ``ConvTranspose1d``, ``ConvTranspose2d``
(PyTorch's names, arguments,
defaults, parameter shapes and initialisation).

Each holds ``weight`` (and ``bias``) and calls one function of ``chainrule.functional``.
Init, as PyTorch: weight ~ kaiming_uniform_(a=√5), i.e. U(−1/√fan_in, 1/√fan_in), and
bias ~ U(−1/√fan_in, 1/√fan_in), with fan_in = weight.shape[1]·kh·kw (for a transposed
convolution that is out_channels/groups·kh·kw, as PyTorch computes it).
"""

from __future__ import annotations

from typing import Any

from .. import functional as F
from ..creation import empty
from ..device import require_cpu
from ..functional.conv import conv_padding, tuple_of
from ..tensor import Tensor
from . import init
from .module import Module
from .parameter import Parameter

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class _ConvNd(Module):
    """What the convolution layers share: argument checks, parameters, init, repr."""

    _dims = 2
    _transposed = False

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any,
                 padding: Any, dilation: Any, groups: int, bias: bool, padding_mode: str,
                 output_padding: Any = 0, device: Any = None, dtype: Any = None,
                 generator: Any = None) -> None:
        super().__init__()
        name, dims = type(self).__name__, self._dims
        require_cpu(device, name)
        _check_channels(name, in_channels, out_channels, groups)
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"{name}: padding_mode must be one of {_PADDING_MODES}, got "
                             f"{padding_mode!r}")
        if padding_mode != "zeros" and self._transposed:
            raise ValueError(f'{name}: only "zeros" padding mode is supported, got '
                             f"padding_mode={padding_mode!r}")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = tuple_of(kernel_size, dims, "kernel_size")
        self.stride = tuple_of(stride, dims, "stride")
        self.dilation = tuple_of(dilation, dims, "dilation")
        self.padding = padding if isinstance(padding, str) else \
            tuple_of(padding, dims, "padding", minimum=0)
        pads = conv_padding(self.padding, self.kernel_size, self.stride, self.dilation)
        # F.pad's order: last dimension first, (before, after) each
        self._reversed_padding_repeated_twice = tuple(v for pair in reversed(pads) for v in pair)
        self.output_padding = tuple_of(output_padding, dims, "output_padding", 0)
        self.padding_mode = padding_mode
        shape = (in_channels, out_channels // groups) if self._transposed else \
            (out_channels, in_channels // groups)
        self.weight = Parameter(empty(*shape, *self.kernel_size, dtype=dtype))
        if bias:
            self.bias = Parameter(empty(out_channels, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters(generator)

    def reset_parameters(self, generator: Any = None) -> None:
        """Draw fresh parameters with PyTorch's default initialisation (module docstring)."""
        init.default_affine_(self.weight, self.bias, generator)

    def extra_repr(self) -> str:
        zeros = (0,) * self._dims
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if self.padding != zeros:
            text += f", padding={self.padding}"  # unquoted, as PyTorch prints 'same'
        if self.dilation != (1,) * self._dims:
            text += f", dilation={self.dilation}"
        if self.output_padding != zeros:
            text += f", output_padding={self.output_padding}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        text += ", bias=False" if self.bias is None else ""
        return text + (f", padding_mode={self.padding_mode}" if self.padding_mode != "zeros"
                       else "")

    def _padded(self, input: Tensor) -> tuple[Tensor, Any]:
        """The input and the padding to convolve with: for a padding_mode other than 'zeros',
        the input padded by ``F.pad`` in that mode, and no further padding (PyTorch's way)."""
        if self.padding_mode == "zeros":
            return input, self.padding
        return F.pad(input, self._reversed_padding_repeated_twice, self.padding_mode), 0


def _check_channels(name: str, in_channels: int, out_channels: int, groups: int) -> None:
    if not isinstance(groups, int) or groups < 1:
        raise ValueError(f"{name}: groups must be a positive integer, got {groups!r}")
    if in_channels % groups:
        raise ValueError(f"{name}: in_channels={in_channels} must be divisible by "
                         f"groups={groups}")
    if out_channels % groups:
        raise ValueError(f"{name}: out_channels={out_channels} must be divisible by "
                         f"groups={groups}")


class _ConvForwardNd(_ConvNd):
    """What Conv1d, Conv2d and Conv3d share: PyTorch's constructor with its defaults, and a
    ``forward`` that pads by ``padding_mode`` and calls ``_function``, the functional form."""

    _function = staticmethod(F.conv2d)

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None,
                 generator: Any = None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, device=device, dtype=dtype,
                         generator=generator)

    def forward(self, input: Tensor) -> Tensor:
        return self._function(*self._forward_arguments(input))

    def _forward_arguments(self, input: Tensor) -> tuple:
        """The arguments of ``_function`` for ``input``, padded by ``padding_mode``:
        ``forward``'s first half, shared with the fused Conv2d + ReLU that ``nn.Sequential``
        runs (``nn.fusion``)."""
        input, padding = self._padded(input)
        return (input, self.weight, self.bias, self.stride, padding, self.dilation,
                self.groups)


class Conv2d(_ConvForwardNd):
    """2-D convolution (cross-correlation) over (N, C, H, W) images.

    y[n, o] = b[o] + Σ_c W[o, c] ⋆ x[n, c], the sum over the input channels of o's group.

    Args:
        in_channels, out_channels: C and O.
        kernel_size, stride, dilation: int or (h, w).
        padding: int, (h, w), 'valid' or 'same' (stride 1 only; an even kernel pads one more
            at the bottom/right, as PyTorch).
        groups: independent channel groups (groups = C = O: depthwise).
        bias: add a learned (O,) bias.
        padding_mode: 'zeros', or 'reflect', 'replicate', 'circular': the input is padded
            by ``F.pad`` in that mode before a convolution without padding.
        device: the CPU (another device raises ``DeviceError``), as a string or a device.
        dtype: parameter dtype (float32 by default).
        generator: random generator for the initialisation.

    Shape:
        (N, C, H, W) -> (N, O, Ho, Wo), Ho = ⌊(H + 2·ph − dh·(kh − 1) − 1)/sh⌋ + 1.
        A 3-D input (C, H, W) is one unbatched image, as in PyTorch: output (O, Ho, Wo).

    Example:
        >>> import chainrule
        >>> conv = chainrule.nn.Conv2d(3, 8, 3, padding=1)
        >>> conv(chainrule.randn(2, 3, 16, 16)).shape
        (2, 8, 16, 16)
    """

    _function = staticmethod(F.conv2d)


class Conv1d(_ConvForwardNd):
    """1-D convolution over (N, C, L) sequences; arguments as ``Conv2d``, one dimension.

    Shape:
        (N, C, L) -> (N, O, Lo), Lo = ⌊(L + 2p − d·(k − 1) − 1)/s⌋ + 1; (C, L) unbatched.

    Example:
        >>> import chainrule
        >>> chainrule.nn.Conv1d(4, 6, 3, stride=2)(chainrule.randn(2, 4, 11)).shape
        (2, 6, 5)
    """

    _dims = 1

    _function = staticmethod(F.conv1d)


class _ConvTransposeNd(_ConvNd):
    """What ConvTranspose1d and ConvTranspose2d share: the constructor, and ``forward`` with
    ``output_size``; ``_function`` is the functional form."""

    _transposed = True
    _function = staticmethod(F.conv_transpose2d)

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, output_padding: Any = 0, groups: int = 1, bias: bool = True,
                 dilation: Any = 1, padding_mode: str = "zeros", device: Any = None,
                 dtype: Any = None, generator: Any = None) -> None:
        if isinstance(padding, str):
            raise ValueError(f"{type(self).__name__}: padding must be an int or a tuple, got "
                             f"{padding!r}")
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, output_padding, device=device, dtype=dtype,
                         generator=generator)

    def forward(self, input: Tensor, output_size: Any = None) -> Tensor:
        output_padding = self.output_padding if output_size is None else \
            self._output_padding(input, output_size)
        return self._function(input, self.weight, self.bias, self.stride, self.padding,
                              output_padding, self.groups, self.dilation)

    def _output_padding(self, input: Tensor, output_size: Any) -> tuple[int, ...]:
        """The output_padding that gives ``output_size`` (its last entries), as PyTorch."""
        dims, name = self._dims, type(self).__name__
        wanted = tuple(output_size)[-dims:]
        if len(tuple(output_size)) not in (dims, dims + 1, dims + 2):
            raise ValueError(f"{name}: output_size must have {dims} or {dims + 2} elements, "
                             f"got {tuple(output_size)}")
        smallest = [(i - 1) * s - 2 * p + d * (k - 1) + 1 for i, s, p, d, k in zip(
            input.shape[-dims:], self.stride, self.padding, self.dilation, self.kernel_size)]
        extra = tuple(w - m for w, m in zip(wanted, smallest))
        if any(not 0 <= e < max(s, d) for e, s, d in zip(extra, self.stride, self.dilation)):
            raise ValueError(f"{name}: requested output size {wanted} is not reachable from "
                             f"input {tuple(input.shape)}: the sizes possible start at "
                             f"{tuple(smallest)} and add less than the stride")
        return extra


class ConvTranspose2d(_ConvTransposeNd):
    """Transposed 2-D convolution ("deconvolution"): the gradient of a Conv2d with respect to
    its input, used as an upsampling layer. Weight shape (C, O/groups, kh, kw).

    Args:
        in_channels, out_channels, kernel_size, stride, dilation, groups, bias, padding_mode,
            dtype, generator: as in ``Conv2d``.
        padding: int or (h, w), cut from each border of the full output.
        output_padding: int or (h, w) added at the bottom/right (smaller than stride or
            dilation).

    Shape:
        (N, C, H, W) -> (N, O, Ho, Wo),
        Ho = (H − 1)·sh − 2·ph + dh·(kh − 1) + output_padding_h + 1; (C, H, W) unbatched.
        ``forward(input, output_size)`` picks the output_padding that gives ``output_size``
        ((Ho, Wo), or with the leading dimensions).

    Example:
        >>> import chainrule
        >>> up = chainrule.nn.ConvTranspose2d(8, 4, 2, stride=2)
        >>> up(chainrule.randn(1, 8, 5, 5)).shape
        (1, 4, 10, 10)
    """

    _function = staticmethod(F.conv_transpose2d)


class ConvTranspose1d(_ConvTransposeNd):
    """Transposed 1-D convolution over (N, C, L) sequences, the gradient of a Conv1d with
    respect to its input. Weight shape (C, O/groups, k); init as PyTorch's (module
    docstring: fan_in = O/groups·k).

    Args:
        in_channels, out_channels, kernel_size, stride, padding, output_padding, groups,
            bias, dilation, padding_mode, dtype, generator: as in ``ConvTranspose2d``, one
            spatial dimension.

    Shape:
        (N, C, L) -> (N, O, Lo), Lo = (L − 1)·s − 2p + d·(k − 1) + output_padding + 1;
        (C, L) unbatched. ``forward(input, output_size)`` as in ``ConvTranspose2d``.

    Example:
        >>> import chainrule
        >>> up = chainrule.nn.ConvTranspose1d(4, 2, 3, stride=2)
        >>> up(chainrule.randn(1, 4, 5)).shape, up(chainrule.randn(1, 4, 5), [12]).shape
        ((1, 2, 11), (1, 2, 12))
    """

    _dims = 1

    _function = staticmethod(F.conv_transpose1d)
