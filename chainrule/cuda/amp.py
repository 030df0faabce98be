"""``torch.cuda.amp``: the older spelling of ``torch.amp`` with the device fixed to CUDA.

Both names do nothing here, as ``chainrule.amp`` explains: computation stays in the tensors'
own dtype (float32 for a default model), and the scaler scales nothing.
"""

from __future__ import annotations

from typing import Any

from .. import amp


class autocast(amp.autocast):
    """``torch.cuda.amp.autocast(enabled=True, dtype=float16, cache_enabled=True)``: a no-op
    context manager and decorator (see ``chainrule.amp.autocast``)."""

    def __init__(self, enabled: bool = True, dtype: Any = None,
                 cache_enabled: bool = True) -> None:
        super().__init__("cuda", dtype=dtype, enabled=enabled, cache_enabled=cache_enabled)


class GradScaler(amp.GradScaler):
    """``torch.cuda.amp.GradScaler``: ``chainrule.amp.GradScaler`` for device ``'cuda'``,
    which scales nothing."""

    def __init__(self, init_scale: float = 2.0 ** 16, growth_factor: float = 2.0,
                 backoff_factor: float = 0.5, growth_interval: int = 2000,
                 enabled: bool = True) -> None:
        super().__init__("cuda", init_scale, growth_factor, backoff_factor, growth_interval,
                         enabled)


__all__ = ["GradScaler", "autocast"]
