"""``chainrule.special``: PyTorch's ``torch.special`` names that chainrule covers.

Most are the top-level functions under their SciPy-style names (``gammaln`` is ``lgamma``,
``psi`` and ``digamma`` are ``polygamma(0, ·)``, ``expit`` is ``sigmoid``, ``multigammaln`` is
``mvlgamma``); the rest (``erfcx``, ``i0e``, ``i1``, ``i1e``, ``ndtr``, ``ndtri``,
``log_ndtr``, ``xlog1py``, ``entr``, ``zeta``) apply a Function of ``ops.special``. Integer and
bool tensors give float32, as in PyTorch. The values are computed in float64 and rounded once
(``ops/special_math.py`` says how, and how accurately).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import dtypes
from .functional.activation import log_softmax as _log_softmax
from .functional.activation import softmax as _softmax
from .functional.basic import log1p, logsumexp
from .functional.basic import sigmoid as expit
from .methods.elementwise import exp2, expm1
from .methods.elementwise import rounded as round  # noqa: A004 - torch.special.round
from .methods.math import (
    MathMixin,
    as_operand,
    binary,
    broadcast_for_grad,
    broadcast_shape,
)
from .methods.pointwise_functions import erf, erfc, erfinv, logit
from .methods.special_functions import (
    digamma,
    i0,
    polygamma,
    sinc,
)
from .methods.special_functions import (
    lgamma as gammaln,
)
from .methods.special_functions import (
    mvlgamma as multigammaln,
)
from .ops import special as _ops
from .ops import special_math as _math

__all__ = [
    "digamma", "entr", "erf", "erfc", "erfcx", "erfinv", "exp2", "expit", "expm1", "gammaln",
    "gammainc", "gammaincc", "i0", "i0e", "i1", "i1e", "log1p", "log_ndtr", "log_softmax",
    "logit", "logsumexp",
    "multigammaln", "ndtr", "ndtri", "polygamma", "psi", "round", "sinc", "softmax", "xlog1py",
    "xlogy", "zeta",
]

psi = digamma


def _float(input: Any) -> Any:
    if not isinstance(input, MathMixin):
        raise TypeError(f"expected a Tensor, got {type(input).__name__}")
    return input._float()


def erfcx(input: Any) -> Any:
    """The scaled complementary error function e^(x²)·erfc(x), finite where erfc underflows.

    Example:
        >>> import chainrule
        >>> chainrule.special.erfcx(chainrule.tensor([0.0, 30.0]))
        tensor([1.0000, 0.0188])
    """
    return _float(input)._apply(_ops.Erfcx)


def i0e(input: Any) -> Any:
    """e^(−|x|)·I₀(x), the exponentially scaled modified Bessel function of order 0."""
    return _float(input)._apply(_ops.BesselI, nu=0, scaled=True)


def i1(input: Any) -> Any:
    """I₁(x), the modified Bessel function of the first kind of order 1."""
    return _float(input)._apply(_ops.BesselI, nu=1, scaled=False)


def i1e(input: Any) -> Any:
    """e^(−|x|)·I₁(x), the exponentially scaled modified Bessel function of order 1."""
    return _float(input)._apply(_ops.BesselI, nu=1, scaled=True)


def ndtr(input: Any) -> Any:
    """Φ(x), the standard normal CDF, relatively accurate in the left tail."""
    return _float(input)._apply(_ops.Ndtr)


def ndtri(input: Any) -> Any:
    """Φ⁻¹(p), the standard normal quantile (∓∞ at 0 and 1, NaN outside [0, 1]).

    Example:
        >>> import chainrule
        >>> chainrule.special.ndtri(chainrule.tensor([0.5, 0.975]))
        tensor([0.0000, 1.9600])
    """
    return _float(input)._apply(_ops.Ndtri)


def log_ndtr(input: Any) -> Any:
    """ln Φ(x), finite far into the left tail (about −x²/2 there)."""
    return _float(input)._apply(_ops.LogNdtr)


def entr(input: Any) -> Any:
    """The entropy term −x·ln x (0 at 0, −∞ for x < 0)."""
    return _float(input)._apply(_ops.Entr)


def _pair(input: Any, other: Any) -> tuple[Any, Any]:
    """(tensor, other) for the binary forms, where PyTorch lets a number come first."""
    if isinstance(input, MathMixin) or not isinstance(other, MathMixin):
        return input, other
    return as_operand(other, input)[0], other


def xlogy(input: Any, other: Any) -> Any:
    """x·ln y, 0 where x is 0 (unless y is NaN); either may be a number."""
    input, other = _pair(input, other)
    return input.xlogy(other)


def xlog1py(input: Any, other: Any) -> Any:
    """x·ln(1 + y), 0 where x is 0 (unless y is NaN); either may be a number.

    Example:
        >>> import chainrule
        >>> chainrule.special.xlog1py(chainrule.tensor([0.0, 2.0]), chainrule.tensor([-1.0, 0.0]))
        tensor([0., 0.])
    """
    input, other = _pair(input, other)
    return binary(_ops.Xlog1py, input, other, "xlog1py", floating=True)


def zeta(input: Any, other: Any) -> Any:
    """The Hurwitz zeta function ζ(x, q) = Σₖ (q + k)^(−x); either may be a number. A
    constant (PyTorch defines no gradient)."""
    input, other = _pair(input, other)
    other, dtype = as_operand(input, other)
    dtype = dtype if dtypes.is_floating(dtype) else dtypes.default_float
    broadcast_shape("zeta", input.shape, other.shape)
    value = _math.zeta(input.data, other.data)
    return input._const(np.asarray(value).astype(dtype))


def gammainc(input: Any, other: Any) -> Any:
    """P(a, x) = γ(a, x)/Γ(a), the regularized lower incomplete gamma function, with
    a = ``input`` and x = ``other`` (floating-point tensors; either may be a number). The
    gradient flows to x only (PyTorch defines none for a).

    Example:
        >>> import chainrule
        >>> chainrule.special.gammainc(chainrule.tensor([1.0, 2.0]), chainrule.tensor([1.0, 1.0]))
        tensor([0.6321, 0.2642])
    """
    return _incomplete_gamma(input, other, False)


def gammaincc(input: Any, other: Any) -> Any:
    """Q(a, x) = 1 − P(a, x), the regularized upper incomplete gamma function."""
    return _incomplete_gamma(input, other, True)


def _incomplete_gamma(input: Any, other: Any, upper: bool) -> Any:
    name = "gammaincc" if upper else "gammainc"
    input, other = _pair(input, other)
    for value in (input, other):
        if isinstance(value, MathMixin) and not dtypes.is_floating(value.dtype):
            raise TypeError(f"{name}: needs floating-point tensors, got {value.dtype} (PyTorch "
                            "refuses integers too); convert first, e.g. x.double()")
    other, dtype = as_operand(input, other)
    a, x = input.to(dtype), other.to(dtype)
    if a.shape != x.shape:
        a, x = broadcast_for_grad([a, x], broadcast_shape(name, a.shape, x.shape))
    return a._apply(_ops.Gammainc, x, upper=upper)


def softmax(input: Any, dim: int, *, dtype: Any = None) -> Any:
    """exp(x)/Σ exp(x) along ``dim`` (``torch.special.softmax``)."""
    return _softmax(input, dim, dtype=dtype)


def log_softmax(input: Any, dim: int, *, dtype: Any = None) -> Any:
    """x − logsumexp(x) along ``dim`` (``torch.special.log_softmax``)."""
    return _log_softmax(input, dim, dtype=dtype)

