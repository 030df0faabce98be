"""Elementwise functions of one array: Y = f(X), so dL/dX = G ⊙ f'(X) with G = dL/dY.

Where f' is most cheaply written through the output (exp, tanh, sigmoid, sqrt) the output Y
is saved instead of X. Conventions at kinks (tested): relu'(0) = 0, |x|'(0) = 0, and clamp
passes the gradient where min ≤ x ≤ max, bounds included (PyTorch's rules).
"""

from __future__ import annotations

import numpy as np

from ..autograd import Function
from ..kernels import relu, relu_grad


class Neg(Function):
    """Y = −X.   dL/dX = −G."""

    @staticmethod
    def forward(ctx, x):
        return -x

    @staticmethod
    def backward(ctx, grad_out):
        return -grad_out


class Exp(Function):
    """Y = eˣ.   dL/dX = G ⊙ Y.   Saves Y."""

    @staticmethod
    def forward(ctx, x):
        y = np.exp(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad_out):
        (y,) = ctx.saved
        return grad_out * y


class Log(Function):
    """Y = ln X.   dL/dX = G / X.   Saves X."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log(x)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        return grad_out / x


class Log1p(Function):
    """Y = ln(1 + X), accurate for small X.   dL/dX = G / (1 + X).   Saves X."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log1p(x)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        return grad_out / (1 + x)


class Expm1(Function):
    """Y = eˣ − 1, accurate for small X.   dL/dX = G ⊙ eˣ = G ⊙ (Y + 1).   Saves Y."""

    @staticmethod
    def forward(ctx, x):
        y = np.expm1(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad_out):
        (y,) = ctx.saved
        return grad_out * (y + 1)


class Exp2(Function):
    """Y = 2ˣ.   dL/dX = G ⊙ Y ln 2.   Saves Y."""

    @staticmethod
    def forward(ctx, x):
        y = np.exp2(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad_out):
        (y,) = ctx.saved
        return grad_out * y * np.log(2.0).astype(y.dtype)


class Log2(Function):
    """Y = log₂ X (exact at powers of 2).   dL/dX = G / (X ln 2).   Saves X."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log2(x)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        return grad_out / (x * np.log(2.0).astype(x.dtype))


class Log10(Function):
    """Y = log₁₀ X (exact at powers of 10).   dL/dX = G / (X ln 10).   Saves X."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log10(x)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        return grad_out / (x * np.log(10.0).astype(x.dtype))


class Sqrt(Function):
    """Y = √X.   dL/dX = G / (2Y).   Saves Y."""

    @staticmethod
    def forward(ctx, x):
        y = np.sqrt(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad_out):
        (y,) = ctx.saved
        return grad_out / (2 * y)


class Rsqrt(Function):
    """Y = 1/√X.   dL/dX = −G ⊙ X^(−3/2) / 2 = −G ⊙ Y³ / 2.   Saves Y."""

    @staticmethod
    def forward(ctx, x):
        y = 1 / np.sqrt(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad_out):
        (y,) = ctx.saved
        return grad_out * (-0.5 * y * y * y)


class Abs(Function):
    """Y = |X|.   dL/dX = G ⊙ sign(X), which is 0 at X = 0.   Saves X."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.abs(x)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        return grad_out * np.sign(x)


class Sign(Function):
    """Y = sign(X) ∈ {−1, 0, 1}; sign(NaN) = 0, as in PyTorch (NumPy's sign keeps NaN).

    Y is constant on each side of 0, so dY/dX = 0 wherever it exists; at the jump X = 0 the
    gradient is taken as 0 too (PyTorch's convention), so dL/dX = 0 everywhere.
    """

    @staticmethod
    def forward(ctx, x):
        y = np.sign(x)
        return np.where(np.isnan(y), y.dtype.type(0), y) if y.dtype.kind == "f" else y

    @staticmethod
    def backward(ctx, grad_out):
        return np.zeros_like(grad_out)


class Sin(Function):
    """Y = sin X.   dL/dX = G ⊙ cos X.   Saves X."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.sin(x)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        return grad_out * np.cos(x)


class Cos(Function):
    """Y = cos X.   dL/dX = −G ⊙ sin X.   Saves X."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.cos(x)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        return -grad_out * np.sin(x)


class Tanh(Function):
    """Y = tanh X.   dL/dX = G ⊙ (1 − Y²).   Saves Y."""

    @staticmethod
    def forward(ctx, x):
        y = np.tanh(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad_out):
        (y,) = ctx.saved
        return grad_out * (1 - y * y)


class Sigmoid(Function):
    """Y = σ(X) = 1 / (1 + e⁻ˣ).   dL/dX = G ⊙ Y(1 − Y).   Saves Y.

    Numerics: with E = e^(−|X|) ≤ 1, σ(X) = 1/(1 + E) for X ≥ 0 and E/(1 + E) for X < 0, so
    no exponential overflows (finite and exact for X = ±1000 in float32).
    """

    @staticmethod
    def forward(ctx, x):
        e = np.exp(-np.abs(x))
        y = np.where(x >= 0, 1 / (1 + e), e / (1 + e))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad_out):
        (y,) = ctx.saved
        return grad_out * y * (1 - y)


class Softplus(Function):
    """Y = ln(1 + eˣ).   dL/dX = G ⊙ σ(X).   Saves X.

    Numerics: computed as max(X, 0) + ln(1 + e^(−|X|)), which never overflows; the derivative
    uses the same two-branch sigmoid as ``Sigmoid``.
    """

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        e = np.exp(-np.abs(x))
        return grad_out * np.where(x >= 0, 1 / (1 + e), e / (1 + e))


class Relu(Function):
    """Y = max(X, 0).   dL/dX = G ⊙ [X > 0]; the subgradient at 0 is 0.   Saves Y.

    [X > 0] = [Y > 0], so backward needs only Y (``kernels.relu_grad``). That is also why
    ``in_place=True`` (``relu_``) may write Y over X: nothing reads X afterwards.
    """

    @staticmethod
    def forward(ctx, x, in_place=False):
        y = relu(x, out=x if in_place else None)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad_out):
        (y,) = ctx.saved
        return relu_grad(grad_out, y)


class ReluAfter(Function):
    """Y = max(F(X, …), 0) as one graph node, F being the Function ``layer`` (set by each
    subclass): F's forward, then max(·, 0) written over its output in place, so the same
    operations as F's node followed by a ``Relu`` node, the same bits, and no ReLU array.

    Backward, with Z = F(X, …) and G = dL/dY: ReLU's rule first, dL/dZ = G ⊙ [Z > 0], and
    [Z > 0] = [Y > 0]; then F's backward with dL/dZ in place of G. F's backward must not read
    Z (it has been overwritten) and must read its own saved arrays from the front of
    ``ctx.saved``. Saves what F saves, and Y after them.
    """

    layer: type[Function]

    @classmethod
    def forward(cls, ctx, *arrays, **params):
        y = cls.layer.forward(ctx, *arrays, **params)
        relu(y, out=y)
        ctx.save_for_backward(*ctx.saved, y)
        return y

    @classmethod
    def backward(cls, ctx, grad_out):
        return cls.layer.backward(ctx, relu_grad(grad_out, ctx.saved[-1]))


class Clamp(Function):
    """Y = min(max(X, lo), hi), either bound optional.

    dL/dX = G ⊙ [lo ≤ X ≤ hi]  (bounds included, as in PyTorch).   Saves X.
    """

    @staticmethod
    def forward(ctx, x, lo=None, hi=None):
        ctx.save_for_backward(x)
        ctx.lo, ctx.hi = lo, hi
        return np.clip(x, lo, hi)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        inside = np.ones(x.shape, dtype=bool)
        if ctx.lo is not None:
            inside &= x >= ctx.lo
        if ctx.hi is not None:
            inside &= x <= ctx.hi
        return grad_out * inside


class Cast(Function):
    """Y = X converted to ``dtype`` (a copy, also when the dtype is unchanged: ``clone``).

    The value is unchanged, so dL/dX = G converted back to X's dtype.
    """

    keeps_dtype = False

    @staticmethod
    def forward(ctx, x, dtype):
        ctx.dtype = x.dtype
        return x.astype(dtype)

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out.astype(ctx.dtype, copy=False)


class Contiguous(Function):
    """Y = X copied into C (row-major) order, or with ``channels_last`` into the order that
    keeps the second axis (channels) innermost (N, *spatial, C in memory; the shape stays
    (N, C, *spatial)): the same values either way, so dL/dX = G."""

    @staticmethod
    def forward(ctx, x, channels_last=False):
        if not channels_last:
            return np.array(x, order="C")
        inner = (0, *range(2, x.ndim), 1)  # channels last
        back = (0, x.ndim - 1, *range(1, x.ndim - 1))
        return np.ascontiguousarray(x.transpose(inner)).transpose(back)

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out
