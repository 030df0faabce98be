"""The top-level ``chainrule.X`` forms of the special-function methods of ``SpecialMixin``
(PyTorch's ``torch.lgamma``, ``torch.polygamma`` ...), loaded on first use. Each calls the
method, whose docstring says more.
"""

from __future__ import annotations

from typing import Any


def lgamma(input: Any) -> Any:
    """ln|Γ(x)| (``torch.lgamma``).

    Example:
        >>> import chainrule
        >>> chainrule.lgamma(chainrule.tensor([0.5, 1.0, 4.0]))
        tensor([0.5724, 0.0000, 1.7918])
    """
    return input.lgamma()


def digamma(input: Any) -> Any:
    """ψ(x) = Γ'(x)/Γ(x) (``torch.digamma``)."""
    return input.digamma()


def polygamma(n: int, input: Any) -> Any:
    """ψ⁽ⁿ⁾(x), the n-th derivative of digamma (``torch.polygamma``).

    Example:
        >>> import chainrule
        >>> chainrule.polygamma(1, chainrule.tensor([1.0]))  # π²/6
        tensor([1.6449])
    """
    return input.polygamma(n)


def mvlgamma(input: Any, p: int) -> Any:
    """The multivariate log-gamma of dimension ``p`` (``torch.mvlgamma``)."""
    return input.mvlgamma(p)


def sinc(input: Any) -> Any:
    """sin(πx)/(πx), 1 at 0 (``torch.sinc``)."""
    return input.sinc()


def deg2rad(input: Any) -> Any:
    """x · π/180 (``torch.deg2rad``)."""
    return input.deg2rad()


def rad2deg(input: Any) -> Any:
    """x · 180/π (``torch.rad2deg``)."""
    return input.rad2deg()


def heaviside(input: Any, values: Any) -> Any:
    """The Heaviside step, ``values`` at 0 (``torch.heaviside``).

    Example:
        >>> import chainrule
        >>> chainrule.heaviside(chainrule.tensor([-2.0, 0.0, 3.0]), chainrule.tensor([0.5]))
        tensor([0.0000, 0.5000, 1.0000])
    """
    return input.heaviside(values)


def gcd(input: Any, other: Any) -> Any:
    """The elementwise greatest common divisor of integer tensors (``torch.gcd``)."""
    return input.gcd(other)


def lcm(input: Any, other: Any) -> Any:
    """The elementwise least common multiple of integer tensors (``torch.lcm``)."""
    return input.lcm(other)


def i0(input: Any) -> Any:
    """I₀(x), the modified Bessel function of order 0 (``torch.i0``)."""
    return input.i0()
