"""More dropout layers: ``Dropout3d`` (whole 3-D channels), ``AlphaDropout`` and
``FeatureAlphaDropout`` (the self-normalising dropouts for SELU networks)."""

from __future__ import annotations

from ..functional.stochastic import alpha_dropout, dropout3d, feature_alpha_dropout
from ..tensor import Tensor
from .channel_dropout import _ChannelDropout


class Dropout3d(_ChannelDropout):
    """Zero each channel x[n, c, :, :, :] with probability ``p`` while training and scale the
    kept channels by 1/(1 − p); in eval mode the input passes unchanged.

    Args:
        p: probability of zeroing a channel, in [0, 1].
        inplace: write the result over the input and return the input, as PyTorch does.
        generator: random generator for the masks (default: package generator).

    Shape:
        x: (N, C, D, H, W) or (C, D, H, W)  ->  y: the same shape

    Example:
        >>> import chainrule
        >>> chainrule.nn.Dropout3d(0.3)
        Dropout3d(p=0.3, inplace=False)
    """

    def forward(self, x: Tensor) -> Tensor:
        return dropout3d(x, self.p, self.training, self.inplace, generator=self.generator)


class AlphaDropout(_ChannelDropout):
    """Alpha dropout while training (each element dropped to SELU's saturation value, then
    an affine correction keeps zero mean and unit variance); the identity in eval mode. See
    ``chainrule.functional.alpha_dropout``.

    Args:
        p: probability of dropping an element, in [0, 1].
        inplace: stored and shown, but not used: PyTorch's module never passes it on either
            (``functional.alpha_dropout(..., inplace=True)`` does write in place).
        generator: random generator for the masks (default: package generator).

    Shape: any (*) -> the same shape.

    Example:
        >>> import chainrule
        >>> chainrule.nn.AlphaDropout(0.2)
        AlphaDropout(p=0.2, inplace=False)
    """

    def forward(self, x: Tensor) -> Tensor:
        return alpha_dropout(x, self.p, self.training, generator=self.generator)


class FeatureAlphaDropout(_ChannelDropout):
    """Alpha dropout of whole channels x[n, c, ...] while training; the identity in eval mode.
    See ``chainrule.functional.feature_alpha_dropout``.

    Args as ``AlphaDropout``.

    Shape: (N, C, *) -> the same shape.

    Example:
        >>> import chainrule
        >>> chainrule.nn.FeatureAlphaDropout()
        FeatureAlphaDropout(p=0.5, inplace=False)
    """

    def forward(self, x: Tensor) -> Tensor:
        return feature_alpha_dropout(x, self.p, self.training, generator=self.generator)
