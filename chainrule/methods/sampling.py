"""Random sampling driven by a tensor of probabilities: multinomial, bernoulli, bernoulli_, with
their top-level ``chainrule.X`` forms; and the in-place fills from a distribution (``random_``,
``exponential_``, ``log_normal_``, ``cauchy_``, ``geometric_``; ``uniform_`` and ``normal_`` are
on ``Tensor`` itself).

Every draw comes from the package generator (``chainrule.manual_seed``) unless a
``generator`` (a ``np.random.Generator``) is passed. The samples are constants: PyTorch records
an always-zero gradient for bernoulli and none for multinomial, so nothing is lost.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import dtypes
from ..random import resolve
from .math import inplace_operand


def _check_probabilities(name: str, p: np.ndarray) -> None:
    if not (np.all(np.isfinite(p)) and np.all((p >= 0) & (p <= 1))):
        raise RuntimeError(f"{name}: probabilities must lie in [0, 1] (and not be NaN)")


class SamplingMixin:
    """Sampling methods of ``Tensor``."""

    __slots__ = ()

    def multinomial(self, num_samples, replacement=False, *, generator=None):
        """``num_samples`` category indices per row, drawn with probabilities proportional to
        the row (1-D: one distribution; 2-D: one per row), in the order they were drawn.

        Without ``replacement`` a category is drawn at most once per row; asking for more
        samples than a row has non-zero weights is a RuntimeError (PyTorch's documentation
        forbids it; its CPU code then draws zero-weight categories). Rows are drawn one after
        another (``Generator.choice``)."""
        weights = self._multinomial_weights(int(num_samples), replacement)
        rng = resolve(generator)
        rows = weights / weights.sum(axis=1, keepdims=True)
        draws = [rng.choice(rows.shape[1], int(num_samples), replace=bool(replacement), p=row)
                 for row in rows]
        out = np.asarray(draws, dtype=np.int64).reshape(len(rows), int(num_samples))
        return self._const(out[0] if self.ndim == 1 else out)

    def bernoulli(self, p=None, *, generator=None):
        """A tensor of ``self``'s shape and dtype holding 1 with probability ``self`` (or the
        number ``p`` when given) and 0 otherwise."""
        if not dtypes.is_floating(self.dtype):
            raise TypeError(f"bernoulli: needs a floating-point tensor of probabilities, got "
                            f"{self.dtype}")
        probs = self.data if p is None else np.full(self.shape, float(p))
        _check_probabilities("bernoulli", probs)
        draw = resolve(generator).random(self.shape) < probs
        return self._const(np.asarray(draw).astype(self.dtype))

    def bernoulli_(self, p=0.5, *, generator=None):
        """Fill ``self`` in place with 1 with probability ``p`` (a number, or a tensor that
        broadcasts to ``self``) and 0 otherwise; any dtype."""
        probs = np.asarray(inplace_operand(self, "bernoulli_", p), dtype=np.float64)
        _check_probabilities("bernoulli_", probs)
        draw = resolve(generator).random(self.shape) < probs
        return self._write("bernoulli_", draw)

    def random_(self, low=None, high=None, *, generator=None):
        """Fill ``self`` in place with integers drawn uniformly from [low, high):
        ``random_()`` from [0, 2^m] where m is the float's mantissa width (2^24 for float32;
        the dtype's maximum + 1 for integers, [0, 2) for bool), ``random_(high)`` from
        [0, high), ``random_(low, high)`` from [low, high)."""
        if high is None:
            low, high = 0, (low if low is not None else _random_bound(self.dtype))
        low, high = int(low), int(high)
        if low >= high:
            raise RuntimeError(f"random_: expects low < high, got low={low}, high={high}")
        draw = resolve(generator).integers(low, high, self.shape, dtype=np.int64,
                                           endpoint=False)
        return self._write("random_", draw)

    def exponential_(self, lambd=1.0, *, generator=None):
        """Fill ``self`` in place with draws from the exponential distribution of rate λ
        (density λe^(−λx), x ≥ 0)."""
        if not lambd > 0:
            raise RuntimeError(f"exponential_: expects lambd > 0, got {lambd}")
        rng = _floating_rng(self, "exponential_", generator)
        return self._write("exponential_", rng.exponential(1.0 / lambd, self.shape))

    def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
        """Fill ``self`` in place with e^Z, Z ~ N(mean, std²)."""
        if not std > 0:
            raise RuntimeError(f"log_normal_: expects std > 0, got {std}")
        rng = _floating_rng(self, "log_normal_", generator)
        return self._write("log_normal_", rng.lognormal(mean, std, self.shape))

    def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
        """Fill ``self`` in place with draws from the Cauchy distribution (median, scale σ)."""
        if not sigma > 0:
            raise RuntimeError(f"cauchy_: expects sigma > 0, got {sigma}")
        rng = _floating_rng(self, "cauchy_", generator)
        return self._write("cauchy_", median + sigma * rng.standard_cauchy(self.shape))

    def geometric_(self, p, *, generator=None):
        """Fill ``self`` in place with the number of Bernoulli(p) trials up to and including
        the first success (1, 2, ...)."""
        if not 0 < p < 1:
            raise RuntimeError(f"geometric_: expects p in (0, 1), got {p}")
        return self._write("geometric_", resolve(generator).geometric(p, self.shape))

    def _multinomial_weights(self, num_samples, replacement):
        """The weights as a float64 (rows, categories) array, checked as PyTorch checks them."""
        if not dtypes.is_floating(self.dtype):
            raise TypeError(f"multinomial: needs a floating-point tensor of weights, got "
                            f"{self.dtype}")
        if self.ndim not in (1, 2):
            raise ValueError(f"multinomial: weights must be 1-D or 2-D, got shape {self.shape}")
        weights = self.data.reshape(-1, self.shape[-1]).astype(np.float64)
        if not (np.all(np.isfinite(weights)) and np.all(weights >= 0)):
            raise RuntimeError("multinomial: weights must be finite and non-negative")
        if not np.all(weights.sum(axis=1) > 0):
            raise RuntimeError("multinomial: every row of weights needs a positive sum")
        if num_samples <= 0:
            raise RuntimeError(f"multinomial: num_samples must be positive, got {num_samples}")
        available = np.count_nonzero(weights, axis=1).min()
        if not replacement and num_samples > available:
            raise RuntimeError(f"multinomial: cannot draw {num_samples} samples without "
                               f"replacement from a row with {available} non-zero weights")
        return weights


def _random_bound(dtype: np.dtype) -> int:
    """The exclusive upper end of ``random_()``'s range for ``dtype``, as in PyTorch."""
    if dtype.kind == "f":
        return 2 ** (np.finfo(dtype).nmant + 1) + 1
    if dtype.kind == "b":
        return 2
    return int(np.iinfo(dtype).max) + 1


def _floating_rng(t: Any, name: str, generator: Any) -> np.random.Generator:
    """The generator to draw with, after checking that ``t`` holds floats (continuous draws
    into an integer tensor are refused, as in PyTorch)."""
    if not dtypes.is_floating(t.dtype):
        raise TypeError(f"{name}: draws from a continuous distribution, so the tensor must be "
                        f"floating point, got {t.dtype}")
    return resolve(generator)


def multinomial(input: Any, num_samples: int, replacement: bool = False, *,
                generator: Any = None) -> Any:
    """``torch.multinomial``: category indices (int64) drawn from the non-negative weights in
    each row of a 1-D or 2-D ``input``, in the order drawn (see ``Tensor.multinomial``).

    Args:
        num_samples: how many indices per row.
        replacement: draw with replacement; without it, at most the number of non-zero
            weights (a RuntimeError beyond, where PyTorch's CPU code draws zero weights).
        generator: a ``np.random.Generator`` (default: the package generator).
    """
    return input.multinomial(num_samples, replacement, generator=generator)


def bernoulli(input: Any, p: float | None = None, *, generator: Any = None) -> Any:
    """``torch.bernoulli``: 1 with probability ``input`` (or ``p``), else 0, in ``input``'s
    shape and dtype; a constant (PyTorch records an always-zero gradient).

    Args:
        p: one probability for every element instead of ``input``'s values.
        generator: a ``np.random.Generator`` (default: the package generator).
    """
    return input.bernoulli(p, generator=generator)
