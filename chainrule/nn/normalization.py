"""Normalisation layers: ``BatchNorm1d``, ``BatchNorm2d``, ``SyncBatchNorm``, ``LayerNorm``,
``RMSNorm``, ``GroupNorm``, ``LocalResponseNorm`` (``InstanceNorm1d/2d/3d`` are in
``instance_norm``).

Each (but LocalResponseNorm, which has none) holds its affine parameters (γ as ``weight``,
initialised to ones; β as ``bias``, zeros) and, for batch norm, the running statistics as
buffers, then calls one function of ``chainrule.functional``. Names, arguments, defaults and
``state_dict`` keys are PyTorch's.
"""

from __future__ import annotations

import numbers
import sys
from typing import Any, Sequence

from .. import dtypes
from ..creation import ones, tensor, zeros
from ..device import require_cpu
from ..functional.norm import batch_norm, group_norm, layer_norm, local_response_norm, rms_norm
from ..functional.sync_norm import sync_batch_norm
from ..tensor import Tensor
from . import init
from .module import Module
from .parameter import Parameter


class _BatchNorm(Module):
    """What BatchNorm1d and BatchNorm2d share; they differ only in the input ranks accepted."""

    _layouts: dict[int, str] = {}

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, device: Any = None,
                 dtype: Any = None, *, bias: bool = True) -> None:
        super().__init__()
        require_cpu(device, type(self).__name__)
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        _make_parameters(self, (num_features,), affine, bias, dtype)
        _register_running_stats(self, num_features, track_running_stats, dtype)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        """running_mean ← 0, running_var ← 1, num_batches_tracked ← 0."""
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1)
            self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        """Reset the running statistics, and γ to ones and β to zeros."""
        self.reset_running_stats()
        _reset_affine(self)

    def forward(self, x: Tensor) -> Tensor:
        return batch_norm(*self._forward_arguments(x))

    def _forward_arguments(self, x: Tensor) -> tuple:
        """The arguments of ``functional.batch_norm`` for ``x``, after checking its shape and
        counting the batch (``num_batches_tracked``): ``forward``'s first half, shared with
        the fused batch norm + ReLU that ``nn.Sequential`` runs (``nn.fusion``)."""
        self._check_input(x)
        momentum = self._average_factor()
        use_batch_stats = self.training or self.running_mean is None
        track = not self.training or self.track_running_stats
        return (x, self.running_mean if track else None, self.running_var if track else None,
                self.weight, self.bias, use_batch_stats, momentum, self.eps)

    def _average_factor(self) -> float:
        """The running averages' momentum for this call; counts the batch when training.

        ``momentum=None`` gives the cumulative average: the k-th batch has weight 1/k.
        """
        if not (self.training and self.track_running_stats):
            return 0.0 if self.momentum is None else self.momentum
        self.num_batches_tracked.add_(1)
        if self.momentum is None:
            return 1.0 / int(self.num_batches_tracked.item())
        return self.momentum

    def _check_input(self, x: Tensor) -> None:
        layout = self._layouts.get(x.ndim)
        if layout is None:
            expected = " or ".join(f"{n}-D {lay}" for n, lay in self._layouts.items())
            raise ValueError(f"{self!r} expects a {expected} input, got a {x.ndim}-D input of "
                             f"shape {tuple(x.shape)}")
        if x.shape[1] != self.num_features:
            raise ValueError(f"{self!r} expects inputs of layout {layout} with "
                             f"C={self.num_features} channels, got shape {tuple(x.shape)}. "
                             "Hint: num_features must equal the previous layer's channels")

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalisation over a batch of vectors or sequences:
    y = (x − E[x]) / √(Var[x] + ε) · γ + β, per channel.

    Training mode normalises with the batch mean and biased variance over (N, L) and updates
    ``running_mean``/``running_var`` (unbiased variance) with ``momentum``; eval mode uses
    the running statistics. See ``chainrule.functional.batch_norm``.

    Args:
        num_features: C, the number of channels.
        eps: added to the variance.
        momentum: weight of each new batch in the running averages; None for a cumulative
            average (1/num_batches_tracked).
        affine: learn γ (``weight``) and β (``bias``).
        track_running_stats: keep running statistics; if False, the buffers are None and
            batch statistics are used in eval mode too.
        bias: (keyword) if False there is no β even when ``affine``.
        device: the CPU (another device raises ``DeviceError``), as a string or a device.
        dtype: parameter and buffer dtype (float32 by default).

    Shape:
        x: (N, C) or (N, C, L)  ->  y: the same shape

    Init: γ = 1, β = 0, running_mean = 0, running_var = 1, num_batches_tracked = 0.

    Example:
        >>> import chainrule
        >>> bn = chainrule.nn.BatchNorm1d(3)
        >>> bn(chainrule.randn(8, 3, 5)).shape
        (8, 3, 5)
    """

    _layouts = {2: "(N, C)", 3: "(N, C, L)"}


class BatchNorm2d(_BatchNorm):
    """Batch normalisation over a batch of images:
    y = (x − E[x]) / √(Var[x] + ε) · γ + β, per channel, statistics over (N, H, W).

    Args, init and modes as ``BatchNorm1d``.

    Shape:
        x: (N, C, H, W)  ->  y: (N, C, H, W)

    Example:
        >>> import chainrule
        >>> bn = chainrule.nn.BatchNorm2d(4)
        >>> sorted(bn.state_dict())
        ['bias', 'num_batches_tracked', 'running_mean', 'running_var', 'weight']
    """

    _layouts = {4: "(N, C, H, W)"}


class BatchNorm3d(_BatchNorm):
    """Batch normalisation over a batch of volumes:
    y = (x − E[x]) / √(Var[x] + ε) · γ + β, per channel, statistics over (N, D, H, W).

    Args, init and modes as ``BatchNorm1d``.

    Shape:
        x: (N, C, D, H, W)  ->  y: (N, C, D, H, W)

    Example:
        >>> import chainrule
        >>> chainrule.nn.BatchNorm3d(4)(chainrule.randn(2, 4, 3, 5, 5)).shape
        (2, 4, 3, 5, 5)
    """

    _layouts = {5: "(N, C, D, H, W)"}


class SyncBatchNorm(_BatchNorm):
    """Batch normalisation for inputs of any rank from 2 up: (N, C), (N, C, L), (N, C, H, W),
    (N, C, D, H, W), the statistics per channel over every dim but C; in PyTorch the batch
    statistics are reduced across the processes of a distributed job.

    In training mode within an initialised ``chainrule.distributed`` job of more than one
    process, the mean and variance are those of the union of every process's batch (two
    all-reduces in the forward pass and two in the backward, so every process must run both);
    otherwise it is batch normalisation of this process's batch. Eval mode uses the running
    statistics, which are the same on every process.

    Args as ``BatchNorm1d``, and:
        process_group: accepted for PyTorch compatibility (the default group is the only one).

    Shape:
        x: (N, C, *)  ->  y: the same shape

    Example:
        >>> import chainrule
        >>> bn = chainrule.nn.SyncBatchNorm(3)
        >>> bn(chainrule.randn(4, 3, 2, 2, 2)).shape
        (4, 3, 2, 2, 2)
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True,
                 process_group: Any = None, device: Any = None, dtype: Any = None, *,
                 bias: bool = True) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device,
                         dtype, bias=bias)
        self.process_group = process_group

    def forward(self, x: Tensor) -> Tensor:
        reduce = _all_reduce_sum(self.process_group) if self.training else None
        if reduce is None:
            return super().forward(x)
        self._check_input(x)
        momentum = self._average_factor()
        track = self.track_running_stats
        return sync_batch_norm(x, self.running_mean if track else None,
                               self.running_var if track else None, self.weight, self.bias,
                               momentum, self.eps, reduce)

    def _check_input(self, x: Tensor) -> None:
        if x.ndim < 2:
            raise ValueError(f"{self!r} expects an input of at least 2 dims (N, C, *), got a "
                             f"{x.ndim}-D input of shape {tuple(x.shape)}")
        if x.shape[1] != self.num_features:
            raise ValueError(f"{self!r} expects inputs of layout (N, C, *) with "
                             f"C={self.num_features} channels, got shape {tuple(x.shape)}")

    @classmethod
    def convert_sync_batchnorm(cls, module: Module, process_group: Any = None) -> Module:
        """Replace every batch-norm layer (BatchNorm1d, BatchNorm2d, ...) in ``module``'s tree
        by a SyncBatchNorm that shares its parameters and running statistics and keeps its
        training mode; returns the converted module (a new one only when ``module`` itself
        is a batch-norm layer).

        Example:
            >>> import chainrule
            >>> net = chainrule.nn.Sequential(chainrule.nn.BatchNorm1d(3))
            >>> type(chainrule.nn.SyncBatchNorm.convert_sync_batchnorm(net)[0]).__name__
            'SyncBatchNorm'
        """
        converted = module
        if isinstance(module, _BatchNorm):
            converted = cls(module.num_features, module.eps, module.momentum, module.affine,
                            module.track_running_stats, process_group)
            for name in ("weight", "bias"):
                converted._parameters[name] = module._parameters[name]
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                converted._buffers[name] = module._buffers[name]
            converted.train(module.training)
        for name, child in list(module.named_children()):
            converted._modules[name] = cls.convert_sync_batchnorm(child, process_group)
        return converted


def _all_reduce_sum(group: Any) -> Any:
    """A function summing a NumPy array over the processes of the initialised
    ``chainrule.distributed`` job, or None without a job of more than one process. Read
    through ``sys.modules``: a job exists only if a script imported the distributed package,
    and ``nn`` (a lower layer) must not import it."""
    dist = sys.modules.get("chainrule.distributed")
    if dist is None or not dist.is_initialized() or dist.get_world_size() <= 1:
        return None

    def reduce(array: Any) -> Any:
        total = Tensor(array)
        dist.all_reduce(total, group=group)
        return total.data

    return reduce


class LayerNorm(Module):
    """Layer normalisation over the last dims: y = (x − E[x]) / √(Var[x] + ε) · γ + β.

    Statistics are per sample over ``normalized_shape`` (biased variance), the same in
    training and eval; γ and β are elementwise, of shape ``normalized_shape``.

    Args:
        normalized_shape: the trailing shape to normalise over (an int means the last dim).
        eps: added to the variance.
        elementwise_affine: learn γ (``weight``) and β (``bias``).
        bias: if False there is no β.
        device: the CPU (another device raises ``DeviceError``), as a string or a device.
        dtype: parameter dtype (float32 by default).

    Shape:
        x: (*, *normalized_shape)  ->  y: the same shape

    Init: γ = 1, β = 0.

    Example:
        >>> import chainrule
        >>> ln = chainrule.nn.LayerNorm(6)
        >>> ln(chainrule.randn(2, 5, 6)).shape
        (2, 5, 6)
    """

    def __init__(self, normalized_shape: int | Sequence[int], eps: float = 1e-5,
                 elementwise_affine: bool = True, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        require_cpu(device, "LayerNorm")
        if isinstance(normalized_shape, numbers.Integral):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(int(n) for n in normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        _make_parameters(self, self.normalized_shape, elementwise_affine, bias, dtype)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """γ ← 1, β ← 0."""
        _reset_affine(self)

    def forward(self, x: Tensor) -> Tensor:
        k = len(self.normalized_shape)
        if x.ndim < k or tuple(x.shape[x.ndim - k:]) != self.normalized_shape:
            trailing = ", ".join(map(str, self.normalized_shape))
            raise ValueError(f"{self!r} expects inputs of shape (*, {trailing}), got shape "
                             f"{tuple(x.shape)}")
        return layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")


class RMSNorm(Module):
    """Root-mean-square normalisation over the last dims: y = x / √(mean(x²) + ε) · γ.

    As ``LayerNorm`` without the centring and the shift: the mean of squares is per sample over
    ``normalized_shape``, the same in training and eval; γ is elementwise.

    Args:
        normalized_shape: the trailing shape to normalise over (an int means the last dim).
        eps: added to the mean of squares; None (the default) means the machine epsilon of
            the input's dtype, as in PyTorch.
        elementwise_affine: learn γ (``weight``).
        device: the CPU (another device raises ``DeviceError``), as a string or a device.
        dtype: parameter dtype (float32 by default).

    Shape:
        x: (*, *normalized_shape)  ->  y: the same shape

    Init: γ = 1.

    Example:
        >>> import chainrule
        >>> norm = chainrule.nn.RMSNorm(6)
        >>> norm(chainrule.randn(2, 5, 6)).shape
        (2, 5, 6)
    """

    def __init__(self, normalized_shape: int | Sequence[int], eps: float | None = None,
                 elementwise_affine: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        require_cpu(device, "RMSNorm")
        if isinstance(normalized_shape, numbers.Integral):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(int(n) for n in normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        _make_parameters(self, self.normalized_shape, elementwise_affine, False, dtype)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """γ ← 1."""
        _reset_affine(self)

    def forward(self, x: Tensor) -> Tensor:
        return rms_norm(x, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")


class GroupNorm(Module):
    """Group normalisation: y = (x − E[x]) / √(Var[x] + ε) · γ + β, the statistics per sample
    and per group of C/G channels (over those channels and all positions).

    The same in training and eval. ``GroupNorm(C, C)`` is instance norm (with affine),
    ``GroupNorm(1, C)`` is layer norm over (C, *) with per-channel γ, β.

    Args:
        num_groups: G; must divide ``num_channels``.
        num_channels: C.
        eps: added to the variance.
        affine: learn per-channel γ (``weight``) and β (``bias``), shape (C,).
        bias: (keyword) if False there is no β.
        device: the CPU (another device raises ``DeviceError``), as a string or a device.
        dtype: parameter dtype (float32 by default).

    Shape:
        x: (N, C, *)  ->  y: (N, C, *)

    Init: γ = 1, β = 0.

    Example:
        >>> import chainrule
        >>> gn = chainrule.nn.GroupNorm(2, 4)
        >>> gn(chainrule.randn(3, 4, 5, 5)).shape
        (3, 4, 5, 5)
    """

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5,
                 affine: bool = True, device: Any = None, dtype: Any = None, *,
                 bias: bool = True) -> None:
        super().__init__()
        require_cpu(device, "GroupNorm")
        if num_groups <= 0 or num_channels % num_groups:
            raise ValueError(f"num_channels ({num_channels}) must be divisible by num_groups "
                             f"({num_groups})")
        self.num_groups, self.num_channels = num_groups, num_channels
        self.eps, self.affine = eps, affine
        _make_parameters(self, (num_channels,), affine, bias, dtype)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """γ ← 1, β ← 0."""
        _reset_affine(self)

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim < 2 or x.shape[1] != self.num_channels:
            raise ValueError(f"{self!r} expects inputs of layout (N, C, *) with "
                             f"C={self.num_channels} channels, got shape {tuple(x.shape)}")
        return group_norm(x, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, "
                f"affine={self.affine}, bias={self.bias is not None}")


class LocalResponseNorm(Module):
    """Local response normalisation across channels (AlexNet):
    b_c = a_c / (k + α/n · Σ a_{c'}²)^β over the n = ``size`` neighbouring channels; see
    ``functional.local_response_norm``. No parameters.

    Args:
        size: n, the number of neighbouring channels summed.
        alpha: α (1e-4), beta: β (0.75), k: k (1.0).

    Shape:
        (N, C, *)  ->  the same shape

    Example:
        >>> import chainrule
        >>> chainrule.nn.LocalResponseNorm(2)(chainrule.randn(2, 4, 3, 3)).shape
        (2, 4, 3, 3)
    """

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75,
                 k: float = 1.0) -> None:
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input: Tensor) -> Tensor:
        return local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


def _make_parameters(module: Module, shape: tuple[int, ...], affine: bool, bias: bool,
                     dtype: Any) -> None:
    """Register ``weight`` and ``bias`` of ``shape`` (values set by ``_reset_affine``), or
    None for those the layer does not have."""
    if affine:
        module.weight = Parameter(ones(shape, dtype=dtype))
    else:
        module.register_parameter("weight", None)
    if affine and bias:
        module.bias = Parameter(zeros(shape, dtype=dtype))
    else:
        module.register_parameter("bias", None)


def _register_running_stats(module: Module, num_features: int, track: bool,
                            dtype: Any) -> None:
    """The buffers running_mean (zeros), running_var (ones) and num_batches_tracked, or all
    three registered as None when the statistics are not tracked (PyTorch's state_dict keys)."""
    if track:
        module.register_buffer("running_mean", zeros(num_features, dtype=dtype))
        module.register_buffer("running_var", ones(num_features, dtype=dtype))
        module.register_buffer("num_batches_tracked", tensor(0, dtype=dtypes.int64))
    else:
        for name in ("running_mean", "running_var", "num_batches_tracked"):
            module.register_buffer(name, None)


def _reset_affine(module: Module) -> None:
    if module.weight is not None:
        init.ones_(module.weight)
    if module.bias is not None:
        init.zeros_(module.bias)
