"""Ready-made parametrizations (PyTorch's ``torch.nn.utils.parametrizations``), registered with
``parametrize.register_parametrization``: ``weight_norm`` (w = g · v / ‖v‖) and
``spectral_norm`` (W / σ(W), σ by power iteration).

PyTorch's ``orthogonal`` is not provided: it needs the QR-based orthogonal maps (matrix
exponential, Cayley, Householder products) and their trivializations, not written yet.
"""

from __future__ import annotations

from typing import Any

from ... import functional as F
from ...grad_mode import no_grad
from ...tensor import Tensor
from ..module import Module
from . import parametrize
from .spectral_norm import _is_transposed_conv, weight_as_matrix
from .weight_norm import norm_except_dim, weight_norm_of

__all__ = ["spectral_norm", "weight_norm"]


class _WeightNorm(Module):
    """w = g · v / ‖v‖ from (g, v) = (``original0``, ``original1``); its ``right_inverse``
    splits a weight into its norms and itself. ``dim`` None (or -1): one norm for the whole
    tensor."""

    def __init__(self, dim: int | None = 0) -> None:
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g: Tensor, weight_v: Tensor) -> Tensor:
        return weight_norm_of(weight_v, weight_g, self.dim)

    def right_inverse(self, weight: Tensor) -> tuple[Tensor, Tensor]:
        return norm_except_dim(weight, 2, self.dim), weight


def weight_norm(module: Module, name: str = "weight", dim: int = 0) -> Module:
    """Parametrize ``module.<name>`` as w = g · v / ‖v‖ (weight normalisation).

    g (``parametrizations.<name>.original0``: the norms, size 1 except along ``dim``) and v
    (``original1``: the direction, initially the weight) are new Parameters; the weight is
    recomputed on every access (``parametrize.cached()`` computes it once per block). A state
    dict written by the legacy ``nn.utils.weight_norm`` (``<name>_g``, ``<name>_v``) loads.

    Args:
        module: the module that holds the weight.
        name: the weight's name.
        dim: the dimension whose slices keep their own norm (None: one norm for the whole
            tensor).

    Returns:
        ``module``.

    Example:
        >>> from chainrule import nn
        >>> m = weight_norm(nn.Linear(20, 40))
        >>> tuple(m.parametrizations.weight.original0.shape)
        (40, 1)
        >>> list(m.state_dict())
        ['bias', 'parametrizations.weight.original0', 'parametrizations.weight.original1']
    """
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)

    def legacy_keys(module: Module, state_dict: dict, prefix: str, *args: Any) -> None:
        g_key, v_key = f"{prefix}{name}_g", f"{prefix}{name}_v"
        if g_key in state_dict and v_key in state_dict:
            state_dict[f"{prefix}parametrizations.{name}.original0"] = state_dict.pop(g_key)
            state_dict[f"{prefix}parametrizations.{name}.original1"] = state_dict.pop(v_key)

    module.register_load_state_dict_pre_hook(legacy_keys)
    return module


class _SpectralNorm(Module):
    """W / σ(W), σ = uᵀ W v with u, v (buffers ``_u``, ``_v``) the estimates of W's first
    singular vectors. Built with 15 power-iteration steps from random unit vectors (drawn
    from chainrule's generator); each access in training mode first runs
    ``n_power_iterations`` more (u ← normalize(W v), v ← normalize(Wᵀu), without gradient),
    eval mode uses u and v as they are. The gradient flows through W in both W and σ. A 1-D
    weight is simply divided by its norm. ``right_inverse`` is the identity."""

    def __init__(self, weight: Tensor, n_power_iterations: int = 1, dim: int = 0,
                 eps: float = 1e-12) -> None:
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError("Dimension out of range (expected to be in range of "
                             f"[-{ndim}, {ndim - 1}] but got {dim})")
        if n_power_iterations <= 0:
            raise ValueError("Expected n_power_iterations to be positive, but "
                             f"got n_power_iterations={n_power_iterations}")
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:  # a vector needs no estimate (forward)
            self.n_power_iterations = n_power_iterations
            with no_grad():
                weight_mat = weight_as_matrix(weight, self.dim)
                h, w = weight_mat.shape
                u = weight_mat.new_empty(h).normal_(0, 1)
                v = weight_mat.new_empty(w).normal_(0, 1)
                self.register_buffer("_u", F.normalize(u, dim=0, eps=self.eps))
                self.register_buffer("_v", F.normalize(v, dim=0, eps=self.eps))
            self._power_method(weight_mat, 15)

    def _power_method(self, weight_mat: Tensor, n_power_iterations: int) -> None:
        # NOTE: u and v are updated in place, so that copies of the module sharing the
        # buffers see the update (PyTorch's DataParallel note); forward then uses clones
        with no_grad():
            for _ in range(n_power_iterations):
                self._u.copy_(F.normalize(weight_mat.mv(self._v), dim=0, eps=self.eps))
                self._v.copy_(F.normalize(weight_mat.t().mv(self._u), dim=0, eps=self.eps))

    def forward(self, weight: Tensor) -> Tensor:
        if weight.ndim == 1:
            return F.normalize(weight, dim=0, eps=self.eps)
        weight_mat = weight_as_matrix(weight, self.dim)
        if self.training:
            self._power_method(weight_mat, self.n_power_iterations)
        sigma = self._u.clone().vdot(weight_mat.mv(self._v.clone()))
        return weight / sigma

    def right_inverse(self, value: Tensor) -> Tensor:
        return value


def spectral_norm(module: Module, name: str = "weight", n_power_iterations: int = 1,
                  eps: float = 1e-12, dim: int | None = None) -> Module:
    """Parametrize ``module.<name>`` as W / σ(W), σ the largest singular value estimated by
    power iteration (spectral normalisation).

    The parameter becomes ``parametrizations.<name>.original``; the parametrization
    ``parametrizations.<name>[0]`` holds the buffers ``_u`` and ``_v``, initialised from
    random unit vectors (chainrule's generator: ``manual_seed``) by 15 power-iteration steps,
    and updated by ``n_power_iterations`` steps at each access of the weight in training mode
    (none in eval mode). A weight of more than two dimensions is seen as a matrix with
    ``dim`` first.

    Args:
        module: the module that holds the weight.
        name: the weight's name.
        n_power_iterations: power-iteration steps per training access (positive).
        eps: the floor on norms when vectors are normalised.
        dim: the dimension of the outputs (default 0; 1 for the transposed convolutions).

    Returns:
        ``module``.

    Raises:
        ValueError: ``name`` names no parameter or buffer; ``n_power_iterations`` is not
            positive.
        IndexError: ``dim`` is out of range.

    Example:
        >>> from chainrule import nn
        >>> m = spectral_norm(nn.Linear(20, 40))
        >>> list(m.state_dict())  # doctest: +NORMALIZE_WHITESPACE
        ['bias', 'parametrizations.weight.original', 'parametrizations.weight.0._u',
         'parametrizations.weight.0._v']
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        dim = 1 if _is_transposed_conv(module) else 0
    parametrize.register_parametrization(
        module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))
    return module

