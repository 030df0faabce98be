"""``Generator``: PyTorch's ``torch.Generator`` as a NumPy random generator.

A ``Generator`` is an ``np.random.Generator`` (PCG64), so every chainrule function that takes
``generator=`` (creation functions, initialisers, dropout, ``DataLoader``, ``random_split``)
accepts it as it is. ``Generator().manual_seed(s)`` draws the same stream as the package
generator after ``chainrule.manual_seed(s)``; a fresh ``Generator()`` starts from PyTorch's
default seed (67280421310721), so it too is the same on every run.
"""

from __future__ import annotations

import secrets
from typing import Any

import numpy as np

from .device import CPU, require_cpu

DEFAULT_SEED = 67280421310721  # a fresh torch.Generator's initial_seed()


def _checked_seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"Generator.manual_seed expects a non-negative integer, got {seed!r}")
    return int(seed)


class Generator(np.random.Generator):
    """A seeded random generator (``torch.Generator``) on the CPU.

    Args:
        device: the CPU (None, ``'cpu'`` or a device); another device raises ``DeviceError``.

    Example:
        >>> import chainrule
        >>> g = chainrule.Generator().manual_seed(0)
        >>> a = chainrule.randn(3, generator=g)
        >>> _ = chainrule.manual_seed(0)
        >>> bool((chainrule.randn(3) == a).all())
        True
    """

    def __init__(self, device: Any = None) -> None:
        require_cpu(device, "Generator")
        super().__init__(np.random.PCG64(DEFAULT_SEED))
        self._initial_seed = DEFAULT_SEED

    @property
    def device(self) -> Any:
        return CPU

    def manual_seed(self, seed: int) -> Generator:
        """Restart the stream from ``seed``; returns the generator."""
        seed = _checked_seed(seed)
        self.bit_generator.state = np.random.PCG64(seed).state
        self._initial_seed = seed
        return self

    def seed(self) -> int:
        """Reseed from fresh OS entropy; returns the new seed (a 63-bit integer)."""
        seed = secrets.randbits(63)
        self.manual_seed(seed)
        return seed

    def initial_seed(self) -> int:
        """The seed the stream last started from."""
        return self._initial_seed

    def get_state(self) -> dict[str, Any]:
        """The position in the stream (a JSON-serialisable dict, for ``set_state``)."""
        return self.bit_generator.state

    def set_state(self, state: dict[str, Any]) -> Generator:
        """Go back to a position returned by ``get_state``; returns the generator."""
        if not isinstance(state, dict) or state.get("bit_generator") != "PCG64":
            raise ValueError("Generator.set_state expects a state returned by "
                             f"Generator.get_state(), got {type(state).__name__}")
        self.bit_generator.state = state
        return self

    def __reduce__(self) -> tuple:
        return _rebuild, (self.get_state(), self._initial_seed)


def _rebuild(state: dict[str, Any], initial_seed: int) -> Generator:
    generator = Generator().set_state(state)
    generator._initial_seed = initial_seed
    return generator
