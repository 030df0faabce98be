"""Mixed precision, PyTorch's ``torch.amp`` names, on a CPU that computes in float32.

PyTorch's ``autocast`` runs chosen ops in float16 or bfloat16 on an accelerator, and
``GradScaler`` scales the loss so that float16 gradients do not underflow. chainrule computes
on the CPU in the dtype of its tensors, so both are accepted and do nothing: ``autocast``
leaves every op in its own dtype (a float32 model stays float32), and ``GradScaler`` behaves
as PyTorch's does when it is disabled, which is what PyTorch does on a machine without CUDA.
A script written for mixed precision therefore runs unchanged, in float32.
"""

from __future__ import annotations

import functools
from typing import Any, Callable

from .device import device


def _device_type(name: Any) -> str:
    """The type of device string `name`, checked (GradScaler's argument hides the class)."""
    return device(name).type


class autocast:
    """``torch.amp.autocast``: a context manager and decorator that changes nothing here.

    Args:
        device_type: ``'cpu'``, ``'cuda'``, ... (checked as a device string).
        dtype: the lower precision PyTorch would use; recorded, not applied.
        enabled: whether PyTorch would autocast; recorded.
        cache_enabled: accepted for PyTorch's signature; unused.

    Differs from PyTorch: no op changes dtype. Computation stays in the tensors' own dtype
    (float32 for a default model), so results match a run without autocast.

    Example:
        >>> import chainrule
        >>> with chainrule.amp.autocast(device_type="cpu"):
        ...     y = chainrule.ones(2, 2) @ chainrule.ones(2, 2)
        >>> y.dtype
        dtype('float32')
    """

    def __init__(self, device_type: str = "cpu", dtype: Any = None, enabled: bool = True,
                 cache_enabled: bool | None = None) -> None:
        self.device = device(device_type).type
        self.fast_dtype = dtype
        self._enabled = bool(enabled)
        self._cache_enabled = cache_enabled

    def __enter__(self) -> autocast:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def __call__(self, func: Callable) -> Callable:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self:
                return func(*args, **kwargs)

        return wrapper


class GradScaler:
    """``torch.amp.GradScaler``, as PyTorch's behaves when disabled: nothing is scaled.

    Args:
        device: ``'cuda'`` (PyTorch's default) or ``'cpu'``; checked as a device string.
        init_scale, growth_factor, backoff_factor, growth_interval: accepted for PyTorch's
            signature; unused, since no loss is scaled.
        enabled: accepted; the scaler is disabled either way, because chainrule computes in
            the tensors' own dtype (float32 gradients need no scaling).

    ``scale(loss)`` returns ``loss`` unchanged, ``step(optimizer)`` runs ``optimizer.step()``
    and returns its result, ``unscale_`` and ``update`` do nothing, ``get_scale()`` is 1.0,
    ``is_enabled()`` is False and ``state_dict()`` is empty: what PyTorch's scaler does when
    CUDA is not available. So the usual loop runs unchanged::

        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
    """

    def __init__(self, device: str = "cuda", init_scale: float = 2.0 ** 16,
                 growth_factor: float = 2.0, backoff_factor: float = 0.5,
                 growth_interval: int = 2000, enabled: bool = True) -> None:
        self._device = _device_type(device)
        self._init_scale = init_scale
        self._growth_factor = growth_factor
        self._backoff_factor = backoff_factor
        self._growth_interval = growth_interval

    def scale(self, outputs: Any) -> Any:
        """``outputs`` unchanged (a loss, or a list of them)."""
        return outputs

    def unscale_(self, optimizer: Any) -> None:
        """Nothing to unscale."""
        return None

    def step(self, optimizer: Any, *args: Any, **kwargs: Any) -> Any:
        """``optimizer.step(*args, **kwargs)``, and its result."""
        return optimizer.step(*args, **kwargs)

    def update(self, new_scale: Any = None) -> None:
        """Nothing to update."""
        return None

    def get_scale(self) -> float:
        return 1.0

    def is_enabled(self) -> bool:
        return False

    def state_dict(self) -> dict:
        """Empty, as a disabled PyTorch scaler's."""
        return {}

    def load_state_dict(self, state_dict: dict) -> None:
        """Accepts any scaler state (PyTorch's included) and keeps none of it, as a disabled
        PyTorch scaler does."""
        return None
