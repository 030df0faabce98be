"""Instance normalisation layers: ``InstanceNorm1d``, ``InstanceNorm2d``, ``InstanceNorm3d``
(PyTorch's names, arguments, defaults, ``state_dict`` keys and modes).

Each holds optional per-channel affine parameters (γ as ``weight``, ones; β as ``bias``,
zeros) and optional running statistics as buffers, and calls
``chainrule.functional.instance_norm``.
"""

from __future__ import annotations

import warnings
from typing import Any

from ..device import require_cpu
from ..functional.norm import instance_norm
from ..tensor import Tensor
from .module import Module
from .normalization import _make_parameters, _register_running_stats, _reset_affine


class _InstanceNorm(Module):
    """What InstanceNorm1d/2d/3d share; they differ only in the number of spatial dims."""

    _dims = 1

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = False, track_running_stats: bool = False,
                 device: Any = None, dtype: Any = None, *, bias: bool = True) -> None:
        super().__init__()
        require_cpu(device, type(self).__name__)
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        _make_parameters(self, (num_features,), affine, bias, dtype)
        _register_running_stats(self, num_features, track_running_stats, dtype)
        _reset_affine(self)

    def forward(self, input: Tensor) -> Tensor:
        batched = self._check_input(input)
        x = input if batched else input.unsqueeze(0)
        y = instance_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                          self.training or not self.track_running_stats,
                          0.0 if self.momentum is None else self.momentum, self.eps)
        return y if batched else y.squeeze(0)

    def _check_input(self, x: Tensor) -> bool:
        """True for a batched input; ValueError for a wrong rank, or wrong channels when
        affine (PyTorch only warns when not affine)."""
        dims = self._dims
        if x.ndim not in (dims + 1, dims + 2):
            raise ValueError(f"{type(self).__name__}: expected {dims + 1}D or {dims + 2}D "
                             f"input (got {x.ndim}D input of shape {tuple(x.shape)})")
        channel_dim = x.ndim - dims - 1
        if x.shape[channel_dim] != self.num_features:
            message = (f"{type(self).__name__}: expected input's size at dim={channel_dim} to "
                       f"match num_features ({self.num_features}), but got: "
                       f"{x.shape[channel_dim]}")
            if self.affine or self.track_running_stats:
                raise ValueError(message)
            warnings.warn(message + "; num_features is not used because affine=False",
                          stacklevel=3)
        return x.ndim == dims + 2

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class InstanceNorm1d(_InstanceNorm):
    """Instance normalisation of sequences: y = (x − E[x]) / √(Var[x] + ε) · γ + β, the
    statistics per sample and channel over L (biased variance).

    Instance statistics are used in training and in eval, unless ``track_running_stats``:
    then training updates ``running_mean``/``running_var`` and eval uses them. See
    ``chainrule.functional.instance_norm``.

    Args:
        num_features: C, the number of channels.
        eps: added to the variance.
        momentum: weight of each new batch in the running averages (None: 0, the running
            statistics stay at their initial values, as in PyTorch).
        affine: learn per-channel γ (``weight``) and β (``bias``); default False.
        track_running_stats: keep running statistics; default False.
        bias: (keyword) if False there is no β even when ``affine``.
        device: the CPU (another device raises ``DeviceError``), as a string or a device.
        dtype: parameter and buffer dtype (float32 by default).

    Shape:
        (N, C, L) or unbatched (C, L)  ->  the same shape

    Init: γ = 1, β = 0, running_mean = 0, running_var = 1, num_batches_tracked = 0 (never
    incremented, as in PyTorch).

    Example:
        >>> import chainrule
        >>> chainrule.nn.InstanceNorm1d(3)(chainrule.randn(2, 3, 5)).shape
        (2, 3, 5)
    """


class InstanceNorm2d(_InstanceNorm):
    """Instance normalisation of images, statistics per sample and channel over (H, W);
    arguments and modes as ``InstanceNorm1d``.

    Shape:
        (N, C, H, W) or unbatched (C, H, W)  ->  the same shape

    Example:
        >>> import chainrule
        >>> norm = chainrule.nn.InstanceNorm2d(4, affine=True)
        >>> sorted(norm.state_dict())
        ['bias', 'weight']
    """

    _dims = 2


class InstanceNorm3d(_InstanceNorm):
    """Instance normalisation of volumes, statistics per sample and channel over (D, H, W);
    arguments and modes as ``InstanceNorm1d``.

    Shape:
        (N, C, D, H, W) or unbatched (C, D, H, W)  ->  the same shape

    Example:
        >>> import chainrule
        >>> chainrule.nn.InstanceNorm3d(2)(chainrule.randn(1, 2, 3, 3, 3)).shape
        (1, 2, 3, 3, 3)
    """

    _dims = 3


__all__ = ["InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d"]
