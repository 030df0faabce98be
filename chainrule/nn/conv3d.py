"""3-D convolution layers: ``Conv3d`` and ``ConvTranspose3d`` (PyTorch's names, arguments,
defaults, parameter shapes and initialisation, shared with the 2-D layers in ``nn.conv``).

Init, as PyTorch: weight and bias ~ U(−1/√fan_in, 1/√fan_in), fan_in = weight.shape[1]·kd·kh·kw
(for the transposed convolution that is out_channels/groups·kd·kh·kw).
"""

from __future__ import annotations

from .. import functional as F
from .conv import _ConvForwardNd, _ConvTransposeNd


class Conv3d(_ConvForwardNd):
    """3-D convolution (cross-correlation) over (N, C, D, H, W) volumes.

    y[n, o] = b[o] + Σ_c W[o, c] ⋆ x[n, c], the sum over the input channels of o's group.

    Args:
        in_channels, out_channels: C and O.
        kernel_size, stride, dilation: int or (d, h, w).
        padding: int, (d, h, w), 'valid' or 'same' (stride 1 only).
        groups: independent channel groups.
        bias: add a learned (O,) bias.
        padding_mode: 'zeros', or 'reflect', 'replicate', 'circular' (the input is padded by
            ``F.pad`` in that mode before a convolution without padding).
        device: the CPU (another device raises ``DeviceError``), as a string or a device.
        dtype: parameter dtype (float32 by default).
        generator: random generator for the initialisation.

    Shape:
        (N, C, D, H, W) -> (N, O, Do, Ho, Wo), Do = ⌊(D + 2·pd − dd·(kd − 1) − 1)/sd⌋ + 1;
        (C, D, H, W) unbatched.

    Example:
        >>> import chainrule
        >>> conv = chainrule.nn.Conv3d(2, 4, 3, padding=1)
        >>> conv(chainrule.randn(1, 2, 4, 6, 6)).shape
        (1, 4, 4, 6, 6)
    """

    _dims = 3

    _function = staticmethod(F.conv3d)


class ConvTranspose3d(_ConvTransposeNd):
    """Transposed 3-D convolution: the gradient of a Conv3d with respect to its input, used
    to upsample volumes. Weight shape (C, O/groups, kd, kh, kw).

    Args:
        in_channels, out_channels, kernel_size, stride, padding, output_padding, groups,
            bias, dilation, padding_mode ('zeros' only), device, dtype, generator: as in
            ``ConvTranspose2d``, three spatial dimensions.

    Shape:
        (N, C, D, H, W) -> (N, O, Do, Ho, Wo),
        Do = (D − 1)·sd − 2·pd + dd·(kd − 1) + output_padding_d + 1; (C, D, H, W) unbatched.
        ``forward(input, output_size)`` picks the output_padding that gives ``output_size``.

    Example:
        >>> import chainrule
        >>> up = chainrule.nn.ConvTranspose3d(4, 2, 2, stride=2)
        >>> up(chainrule.randn(1, 4, 3, 5, 5)).shape
        (1, 2, 6, 10, 10)
    """

    _dims = 3
    _function = staticmethod(F.conv_transpose3d)
