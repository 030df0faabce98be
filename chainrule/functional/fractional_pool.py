"""Fractional max pooling (Graham, 2014) with PyTorch's signatures: ``fractional_max_pool2d``,
``fractional_max_pool3d`` and their ``*_with_indices`` forms.

Each (N, C) plane is pooled with windows of a fixed size k whose starts step by 1 or 2 (on
average I/O) in a pseudo-random pattern drawn from one sample u per plane and dimension.
PyTorch's rule for the starts of one dimension (input size I, output size O, kernel k),
computed in the input's dtype as its kernel does:

    α = (I − k) / (O − 1)
    start[i] = trunc((i + u)·α) − trunc(u·α)    for i < O − 1
    start[O − 1] = I − k

The samples are ``_random_samples`` (N, C, dims) when given (the same samples give PyTorch's
values and indices exactly), else drawn from the package generator (``chainrule.random``).
Which sample drives which dimension is PyTorch's: in 2-D, sample 0 the width and sample 1 the
height; in 3-D, samples 0, 1, 2 the time, height and width.

A composite, no backward of its own: the window maxima's flat positions are found on the
arrays, then the output is ``gather`` of the input at them, so the gradient goes to each
window's maximum (summed where windows share it), as in PyTorch.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..random import resolve
from ..tensor import Tensor
from .conv import tuple_of

_DIM_NAMES = ("time", "height", "width")


def window_starts(samples: np.ndarray, size: int, out: int, kernel: int) -> np.ndarray:
    """PyTorch's window starts (..., out) along one dimension, from samples (...)."""
    starts = np.empty(samples.shape + (out,), dtype=np.int64)
    if out > 1:
        kind = samples.dtype.type
        alpha = kind(size - kernel) / kind(out - 1)
        steps = np.arange(out - 1, dtype=samples.dtype)
        u = samples[..., None]
        # astype truncates toward zero, as C's static_cast<int> does
        starts[..., :-1] = ((steps + u) * alpha).astype(np.int64) - (u * alpha).astype(np.int64)
    if out > 0:
        starts[..., -1] = size - kernel
    return starts


def window_positions(samples: np.ndarray, sizes, out, kernel) -> np.ndarray:
    """Flat positions (N, C, ∏out, ∏k) of every window element, windows and their elements
    in scan order (the last dimension fastest)."""
    dims = len(sizes)
    strides = [math.prod(sizes[d + 1:]) for d in range(dims)]
    order = (1, 0) if dims == 2 else range(dims)  # the sample of each dimension (PyTorch's)
    flat = np.zeros(samples.shape[:2] + (1,) * 2 * dims, dtype=np.int64)
    for d, sample in enumerate(order):
        starts = window_starts(samples[:, :, sample], sizes[d], out[d], kernel[d])
        rows = starts[..., None] + np.arange(kernel[d])  # (N, C, out_d, k_d)
        shape = [1] * 2 * dims
        shape[d], shape[dims + d] = out[d], kernel[d]
        flat = flat + rows.reshape(samples.shape[:2] + tuple(shape)) * strides[d]
    return flat.reshape(samples.shape[:2] + (math.prod(out), math.prod(kernel)))


def window_argmax(values: np.ndarray) -> np.ndarray:
    """Index along the last axis of each window's maximum, PyTorch's way: the first maximum,
    but the last NaN if there is one (its scan takes a value if v > max or v is NaN)."""
    nan = np.isnan(values)
    last_nan = values.shape[-1] - 1 - np.argmax(nan[..., ::-1], axis=-1)
    return np.where(nan.any(axis=-1), last_nan, np.argmax(values, axis=-1))


def _output_size(name: str, x: Tensor, dims: int, output_size: Any, output_ratio: Any):
    if output_size is None and output_ratio is None:
        raise ValueError(f"{name} requires specifying either an output_size or an "
                         "output_ratio")
    if output_size is not None:
        return tuple_of(output_size, dims, "output_size", minimum=0)
    ratios = tuple(output_ratio) if isinstance(output_ratio, (tuple, list)) else \
        (output_ratio,) * dims
    if len(ratios) != dims:
        raise ValueError(f"{name} requires output_ratio to be a number or a tuple of {dims} "
                         f"numbers, got {output_ratio!r}")
    sizes = tuple(int(size * ratio) for size, ratio in zip(x.shape[-dims:], ratios))
    if min(sizes) < 0:
        raise ValueError(f"{name}: output_ratio {output_ratio!r} gives a negative output size "
                         f"{sizes}")
    return sizes


def _samples(name: str, x: Tensor, dims: int, given: Any) -> np.ndarray:
    """The (N, C, dims) samples: ``given`` checked as PyTorch checks it, or fresh ones."""
    batch, channels = (x.shape[0], x.shape[1]) if x.ndim == dims + 2 else (1, x.shape[0])
    if given is None:
        return resolve(None).random((batch, channels, dims)).astype(x.dtype)
    samples = given.data if isinstance(given, Tensor) else np.asarray(given)
    if samples.dtype != x.dtype:
        raise RuntimeError(f"{name}: expect _random_samples to have the same dtype as input "
                           f"({x.dtype}), got {samples.dtype}")
    if samples.ndim != 3:
        raise RuntimeError(f"{name}: expect _random_samples to have 3 dimensions, got "
                           f"{samples.ndim}")
    if samples.shape[0] < batch or samples.shape[1] != channels or samples.shape[2] != dims:
        raise RuntimeError(f"{name}: expect _random_samples of shape (≥ {batch}, {channels}, "
                           f"{dims}) for input of shape {tuple(x.shape)}, got "
                           f"{tuple(samples.shape)}")
    return samples[:batch]


def _fractional_max_pool(name: str, dims: int, input: Tensor, kernel_size: Any,
                         output_size: Any, output_ratio: Any, _random_samples: Any):
    """(values, indices) of a ``dims``-D fractional max pool (the public functions' body)."""
    if input.ndim not in (dims + 1, dims + 2):
        raise ValueError(f"{name}: expected a {dims + 2}-D (batched) or {dims + 1}-D "
                         f"(unbatched) input, got shape {tuple(input.shape)}")
    kernel = tuple_of(kernel_size, dims, "kernel_size")
    out = _output_size(name, input, dims, output_size, output_ratio)
    sizes = input.shape[-dims:]
    # NOTE: PyTorch's 3-D check is strict (O + k − 1 < I), its 2-D check is not; so are these.
    limit = "<" if dims == 3 else "<="
    for axis_name, o, k, size in zip(_DIM_NAMES[-dims:], out, kernel, sizes):
        if o + k - 1 > size - (dims == 3):
            raise RuntimeError(f"{name}(): pool {axis_name} {k} too large relative to input "
                               f"{axis_name} {size} (output size {o}; needs output + kernel "
                               f"- 1 {limit} input)")
    samples = _samples(name, input, dims, _random_samples)
    x = input if input.ndim == dims + 2 else input.unsqueeze(0)
    planes = x.reshape(*x.shape[:2], -1)
    positions = window_positions(samples, sizes, out, kernel)
    values = np.take_along_axis(planes.data, positions.reshape(*positions.shape[:2], -1), 2)
    best = window_argmax(values.reshape(positions.shape))
    indices = np.take_along_axis(positions, best[..., None], -1)[..., 0]
    y = planes.gather(2, indices).reshape(*x.shape[:2], *out)
    indices = indices.reshape(y.shape)
    if input.ndim == dims + 1:
        return y.squeeze(0), Tensor._const(indices[0])
    return y, Tensor._const(indices)


def fractional_max_pool2d_with_indices(input: Tensor, kernel_size: Any, output_size: Any = None,
                                       output_ratio: Any = None, return_indices: bool = False,
                                       _random_samples: Any = None) -> tuple[Tensor, Tensor]:
    """``fractional_max_pool2d`` that always returns (values, indices h·W + w), as PyTorch's
    (``return_indices`` is taken and ignored).

    Example:
        >>> import chainrule
        >>> u = chainrule.full((1, 1, 2), 0.5)
        >>> y, i = fractional_max_pool2d_with_indices(
        ...     chainrule.arange(25.0).reshape(1, 1, 5, 5), 2, 3, _random_samples=u)
        >>> y.tolist(), i.tolist()
        ([[[[6.0, 8.0, 9.0], [16.0, 18.0, 19.0], [21.0, 23.0, 24.0]]]], [[[[6, 8, 9], [16, 18, 19], [21, 23, 24]]]])
    """  # noqa: E501
    return _fractional_max_pool("fractional_max_pool2d", 2, input, kernel_size, output_size,
                                output_ratio, _random_samples)


def fractional_max_pool2d(input: Tensor, kernel_size: Any, output_size: Any = None,
                          output_ratio: Any = None, return_indices: bool = False,
                          _random_samples: Any = None) -> Any:
    """2-D fractional max pooling: Y[n, c, i, j] = max of the kh×kw window of X at
    (rows[i], cols[j]), the starts drawn as in this module's docstring.

    Args:
        input: (N, C, H, W) or (C, H, W).
        kernel_size: k or (kh, kw).
        output_size: O or (Ho, Wo); needs Ho + kh − 1 ≤ H and Wo + kw − 1 ≤ W.
        output_ratio: instead of output_size: r or (rh, rw), giving Ho = ⌊H·rh⌋, Wo = ⌊W·rw⌋.
        return_indices: also return the maxima's positions h·W + w (int64), for
            ``max_unpool2d``.
        _random_samples: (N, C, 2) samples in [0, 1) of the input's dtype (PyTorch's); drawn
            from the package generator when None.

    Shape:
        (N, C, H, W) -> (N, C, Ho, Wo).

    Example:
        >>> import chainrule
        >>> fractional_max_pool2d(chainrule.randn(2, 3, 10, 9), 2, output_ratio=0.5).shape
        (2, 3, 5, 4)
    """
    y, indices = fractional_max_pool2d_with_indices(input, kernel_size, output_size,
                                                    output_ratio, return_indices,
                                                    _random_samples)
    return (y, indices) if return_indices else y


def fractional_max_pool3d_with_indices(input: Tensor, kernel_size: Any, output_size: Any = None,
                                       output_ratio: Any = None, return_indices: bool = False,
                                       _random_samples: Any = None) -> tuple[Tensor, Tensor]:
    """``fractional_max_pool3d`` that always returns (values, indices d·H·W + h·W + w), as
    PyTorch's (``return_indices`` is taken and ignored).

    Example:
        >>> import chainrule
        >>> y, i = fractional_max_pool3d_with_indices(chainrule.randn(1, 2, 5, 5, 5), 2, 3)
        >>> y.shape, i.shape
        ((1, 2, 3, 3, 3), (1, 2, 3, 3, 3))
    """
    return _fractional_max_pool("fractional_max_pool3d", 3, input, kernel_size, output_size,
                                output_ratio, _random_samples)


def fractional_max_pool3d(input: Tensor, kernel_size: Any, output_size: Any = None,
                          output_ratio: Any = None, return_indices: bool = False,
                          _random_samples: Any = None) -> Any:
    """3-D fractional max pooling: Y[n, c, t, i, j] = max of the kt×kh×kw window of X at
    (times[t], rows[i], cols[j]), the starts drawn as in this module's docstring.

    Args:
        input: (N, C, T, H, W) or (C, T, H, W).
        kernel_size: k or (kt, kh, kw).
        output_size: O or (To, Ho, Wo); needs To + kt − 1 < T, likewise H and W
            (strict, as in PyTorch).
        output_ratio: instead of output_size: r or (rt, rh, rw), giving To = ⌊T·rt⌋, ….
        return_indices: also return the maxima's positions t·H·W + h·W + w (int64).
        _random_samples: (N, C, 3) samples in [0, 1) of the input's dtype (PyTorch's); drawn
            from the package generator when None.

    Shape:
        (N, C, T, H, W) -> (N, C, To, Ho, Wo).

    Example:
        >>> import chainrule
        >>> fractional_max_pool3d(chainrule.randn(1, 2, 8, 8, 8), 2, output_size=5).shape
        (1, 2, 5, 5, 5)
    """
    y, indices = fractional_max_pool3d_with_indices(input, kernel_size, output_size,
                                                    output_ratio, return_indices,
                                                    _random_samples)
    return (y, indices) if return_indices else y


__all__ = ["fractional_max_pool2d", "fractional_max_pool2d_with_indices",
           "fractional_max_pool3d", "fractional_max_pool3d_with_indices"]
