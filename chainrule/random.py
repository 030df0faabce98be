"""The package random generator: one seeded ``np.random.Generator`` behind init, dropout and
shuffling. chainrule never touches NumPy's global random state.

``manual_seed(s)`` makes every later draw reproducible within one NumPy build; as with PyTorch,
there is no promise of identical streams across NumPy versions or platforms.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

import numpy as np

# Made on first use, from fresh OS entropy as before: importing numpy.random and seeding a
# generator at import would slow ``import chainrule`` (benchmarks/README.md, import time).
_generator: np.random.Generator | None = None
_seed: int | None = None  # the seed of _generator (``initial_seed``)


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed the package generator and return it.

    Example:
        >>> import chainrule
        >>> _ = chainrule.manual_seed(0)
        >>> a = chainrule.randn(3)
        >>> _ = chainrule.manual_seed(0)
        >>> bool((chainrule.randn(3) == a).all())
        True
    """
    global _generator, _seed
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"manual_seed expects a non-negative integer, got {seed!r}")
    _generator = np.random.default_rng(int(seed))
    _seed = int(seed)
    return _generator


def default_generator() -> np.random.Generator:
    """The package generator that ``manual_seed`` resets."""
    if _generator is None:
        manual_seed(_fresh_seed())
    return _generator


def _fresh_seed() -> int:
    """A non-negative 63-bit seed from the operating system's entropy."""
    return int(np.random.SeedSequence().generate_state(1, np.uint64)[0] >> np.uint64(1))


def seed() -> int:
    """Reseed the package generator from fresh entropy and return the seed (``torch.seed``)."""
    value = _fresh_seed()
    manual_seed(value)
    return value


def initial_seed() -> int:
    """The seed of the package generator: the last ``manual_seed`` or ``seed``, or the one
    drawn from entropy when it was first used (``torch.initial_seed``)."""
    default_generator()
    return _seed


def resolve(rng: np.random.Generator | None) -> np.random.Generator:
    """``rng`` itself, or the package generator when ``rng`` is None; passed first through
    this thread's draw hook, if one is set (``set_draw_hook``)."""
    rng = default_generator() if rng is None else rng
    hook = getattr(_draw_hooks, "hook", None)
    return rng if hook is None else hook(rng)


_draw_hooks = threading.local()


def set_draw_hook(hook: Callable[[Any], Any] | None) -> Callable[[Any], Any] | None:
    """Make ``hook(generator)`` see, on this thread, every generator that a draw is about to
    use (``resolve``), and return the hook it replaces. ``chainrule.func.vmap`` sets one for
    its ``randomness`` rule (raise, or rewind the generator for each slice)."""
    previous = getattr(_draw_hooks, "hook", None)
    _draw_hooks.hook = hook
    return previous


def get_rng_state() -> dict[str, Any]:
    """The package generator's state, a JSON-serialisable dict (for checkpoints)."""
    return default_generator().bit_generator.state


def set_rng_state(new_state: dict[str, Any]) -> None:
    """Restore a state returned by ``get_rng_state``."""
    default_generator().bit_generator.state = new_state
