"""Spectral normalisation as PyTorch's legacy forward pre-hook (``torch.nn.utils.spectral_norm``):
W_SN = W / σ(W), σ estimated by power iteration, ``weight`` recomputed before every forward.

The module keeps ``weight_orig`` (the parameter) and the buffers ``weight_u``, ``weight_v``
(the estimates of the first left and right singular vectors, σ = uᵀ W v). In training mode each
forward first runs ``n_power_iterations`` steps v ← normalize(Wᵀu), u ← normalize(W v) on the
buffers (without gradient); in eval mode the stored u, v are used as they are. The gradient
flows through W in both W and σ, u and v being constants.

Reference: Miyato et al., "Spectral Normalization for Generative Adversarial Networks" (2018),
https://arxiv.org/abs/1802.05957.
"""

from __future__ import annotations

from typing import Any, TypeVar

import numpy as np

from ... import functional as F
from ...grad_mode import no_grad
from ...tensor import Tensor
from ..module import Module
from ..parameter import Parameter
from .hook_tables import find_hook, remove_hook

__all__ = ["SpectralNorm", "SpectralNormLoadStateDictPreHook", "SpectralNormStateDictHook",
           "spectral_norm", "remove_spectral_norm"]


def weight_as_matrix(weight: Tensor, dim: int) -> Tensor:
    """``weight`` as a (size of ``dim``, rest) matrix, ``dim`` moved first: the matrix whose
    largest singular value both spectral norms estimate."""
    if dim != 0:
        weight = weight.movedim(dim, 0)
    return weight.reshape(weight.shape[0], -1)


class SpectralNorm:
    """The forward pre-hook of ``spectral_norm``: sets ``module.<name>`` to
    ``<name>_orig / σ``, after a power iteration on ``<name>_u``, ``<name>_v`` in training
    mode.

    Args:
        name: the weight's name.
        n_power_iterations: power-iteration steps per training forward (positive).
        dim: the dimension of the outputs (moved first before the weight is seen as a
            matrix of that many rows).
        eps: the floor on norms when vectors are normalised.
    """

    # State-dict format version; version 1 saves u and v and no weight (the only one written)
    _version: int = 1
    name: str
    dim: int
    n_power_iterations: int
    eps: float

    def __init__(self, name: str = "weight", n_power_iterations: int = 1, dim: int = 0,
                 eps: float = 1e-12) -> None:
        self.name = name
        self.dim = dim
        if n_power_iterations <= 0:
            raise ValueError("Expected n_power_iterations to be positive, but "
                             f"got n_power_iterations={n_power_iterations}")
        self.n_power_iterations = n_power_iterations
        self.eps = eps

    def reshape_weight_to_matrix(self, weight: Tensor) -> Tensor:
        """The weight as a (size of ``dim``, rest) matrix."""
        return weight_as_matrix(weight, self.dim)

    def compute_weight(self, module: Module, do_power_iteration: bool) -> Tensor:
        """W / σ with σ = uᵀ W v; with ``do_power_iteration`` u and v are first updated in
        place (so a module's copies that share the buffers see it, as in PyTorch) and copies
        of them are used, so that an earlier graph keeps the values it was built with."""
        weight = getattr(module, self.name + "_orig")
        u = getattr(module, self.name + "_u")
        v = getattr(module, self.name + "_v")
        weight_mat = self.reshape_weight_to_matrix(weight)
        if do_power_iteration:
            with no_grad():
                for _ in range(self.n_power_iterations):
                    v.copy_(F.normalize(weight_mat.t().mv(u), dim=0, eps=self.eps))
                    u.copy_(F.normalize(weight_mat.mv(v), dim=0, eps=self.eps))
                u, v = u.clone(), v.clone()
        sigma = u.dot(weight_mat.mv(v))
        return weight / sigma

    def remove(self, module: Module) -> None:
        """Put back ``module.<name>`` as a Parameter holding W / σ (no power iteration)."""
        with no_grad():
            weight = self.compute_weight(module, do_power_iteration=False)
        for suffix in ("", "_u", "_v", "_orig"):
            delattr(module, self.name + suffix)
        module.register_parameter(self.name, Parameter(weight.detach()))

    def __call__(self, module: Module, inputs: Any) -> None:
        setattr(module, self.name, self.compute_weight(module, module.training))

    def _solve_v_and_rescale(self, weight_mat: np.ndarray, u: np.ndarray,
                             target_sigma: float) -> np.ndarray:
        """A v with u = normalize(W v) (least squares, by the pseudo-inverse of WᵀW) scaled
        so that uᵀ W v = ``target_sigma``."""
        v = np.linalg.pinv(weight_mat.T @ weight_mat) @ weight_mat.T @ u
        return v * (target_sigma / (u @ weight_mat @ v))

    @staticmethod
    def apply(module: Module, name: str, n_power_iterations: int, dim: int,
              eps: float) -> SpectralNorm:
        """Register the reparametrization on ``module`` (see ``spectral_norm``)."""
        if find_hook(module, "_forward_pre_hooks", SpectralNorm, name) is not None:
            raise RuntimeError(f"Cannot register two spectral_norm hooks on the same parameter "
                               f"{name}")
        fn = SpectralNorm(name, n_power_iterations, dim, eps)
        weight = _parameter(module, name)
        with no_grad():
            h, w = fn.reshape_weight_to_matrix(weight).shape
            u = F.normalize(weight.new_empty(h).normal_(0, 1), dim=0, eps=fn.eps)
            v = F.normalize(weight.new_empty(w).normal_(0, 1), dim=0, eps=fn.eps)
        delattr(module, fn.name)
        module.register_parameter(fn.name + "_orig", weight)
        # NOTE: as in PyTorch, ``module.<name>`` exists from the start (code that initialises
        # weights reads it), a plain tensor sharing the parameter's data
        setattr(module, fn.name, weight.detach())
        module.register_buffer(fn.name + "_u", u)
        module.register_buffer(fn.name + "_v", v)
        module.register_forward_pre_hook(fn)
        module.register_state_dict_post_hook(SpectralNormStateDictHook(fn))
        module.register_load_state_dict_pre_hook(SpectralNormLoadStateDictPreHook(fn))
        return fn


def _parameter(module: Module, name: str) -> Parameter:
    from ..lazy import UninitializedParameter  # here: the lazy layers are loaded on demand

    if name not in module._parameters:  # PyTorch's KeyError, with a message
        raise KeyError(f"spectral_norm: '{name}' is not a parameter of {type(module).__name__}")
    weight = module._parameters[name]
    if weight is None:
        raise ValueError(f"`SpectralNorm` cannot be applied as parameter `{name}` is None")
    if isinstance(weight, UninitializedParameter):
        raise ValueError("The module passed to `SpectralNorm` can't have uninitialized "
                         "parameters. Make sure to run the dummy forward before applying "
                         "spectral normalization")
    return weight


class SpectralNormLoadStateDictPreHook:
    """Loads state dicts written before PyTorch's version 1 of ``spectral_norm``: those hold
    ``weight`` (W / σ) and ``weight_u`` but no ``weight_v``, which is solved for (v with
    u = normalize(W_orig v) and uᵀ W_orig v = σ, σ = mean(W_orig / W)). A state dict with
    ``weight_orig``, ``weight_u``, ``weight_v`` and no ``weight`` (the current format, also
    when its version metadata was lost) is left alone.

    Called as a chainrule load-state-dict pre-hook, ``hook(module, state_dict, prefix, …)``
    (PyTorch registers it without the module)."""

    def __init__(self, fn: SpectralNorm) -> None:
        self.fn = fn

    def __call__(self, module: Module, state_dict: dict, prefix: str, local_metadata: dict,
                 strict: bool, missing_keys: list, unexpected_keys: list,
                 error_msgs: list) -> None:
        fn = self.fn
        version = local_metadata.get("spectral_norm", {}).get(fn.name + ".version", None)
        if version is not None and version >= 1:
            return
        key = prefix + fn.name
        if version is None and key not in state_dict and \
                all(key + suffix in state_dict for suffix in ("_orig", "_u", "_v")):
            return
        absent = [key + suffix for suffix in ("_orig", "", "_u") if key + suffix not in state_dict]
        if absent:
            if strict:
                missing_keys.extend(absent)
            return
        weight_orig = _array(state_dict[key + "_orig"])
        sigma = float(np.mean(weight_orig / _array(state_dict.pop(key))))
        weight_mat = _array(fn.reshape_weight_to_matrix(Tensor(weight_orig)))
        v = fn._solve_v_and_rescale(weight_mat, _array(state_dict[key + "_u"]), sigma)
        state_dict[key + "_v"] = Tensor(v.astype(weight_orig.dtype))


def _array(value: Any) -> np.ndarray:
    return np.asarray(value.data if isinstance(value, Tensor) else value)


class SpectralNormStateDictHook:
    """Records the state-dict format version (``spectral_norm`` → ``<name>.version``) in the
    module's local metadata, as PyTorch's state-dict hook does.

    NOTE: chainrule's ``state_dict`` keeps no ``_metadata``, so the record does not reach the
    saved dict; the load hook then sees no version and recognises the format by its keys."""

    def __init__(self, fn: SpectralNorm) -> None:
        self.fn = fn

    def __call__(self, module: Module, state_dict: dict, prefix: str,
                 local_metadata: dict) -> None:
        records = local_metadata.setdefault("spectral_norm", {})
        key = self.fn.name + ".version"
        if key in records:
            raise RuntimeError(f"Unexpected key in metadata['spectral_norm']: {key}")
        records[key] = self.fn._version


T_module = TypeVar("T_module", bound=Module)


def spectral_norm(module: T_module, name: str = "weight", n_power_iterations: int = 1,
                  eps: float = 1e-12, dim: int | None = None) -> T_module:
    """Reparametrize ``module.<name>`` as W / σ(W), σ the largest singular value estimated by
    power iteration (spectral normalisation), with a forward pre-hook.

    The parameter becomes ``<name>_orig``; the buffers ``<name>_u`` and ``<name>_v`` hold the
    singular-vector estimates, drawn at random from chainrule's generator (``manual_seed``)
    and normalised. Before each forward ``module.<name>`` is recomputed, after
    ``n_power_iterations`` power-iteration steps in training mode only. A weight of more
    than two dimensions is seen as a matrix with ``dim`` first. Prefer
    ``parametrizations.spectral_norm``.

    Args:
        module: the module that holds the weight.
        name: the weight's name.
        n_power_iterations: power-iteration steps per training forward (positive).
        eps: the floor on norms when vectors are normalised.
        dim: the dimension of the outputs (default 0; 1 for the transposed convolutions).

    Returns:
        ``module``.

    Raises:
        KeyError: ``name`` is not a parameter of ``module``.
        RuntimeError: ``name`` already has a spectral_norm hook.
        ValueError: ``n_power_iterations`` is not positive.

    Example:
        >>> from chainrule import nn
        >>> m = spectral_norm(nn.Linear(20, 40))
        >>> tuple(m.weight_u.shape), tuple(m.weight_v.shape)
        ((40,), (20,))
    """
    if dim is None:
        dim = 1 if _is_transposed_conv(module) else 0
    SpectralNorm.apply(module, name, n_power_iterations, dim, eps)
    return module


def _is_transposed_conv(module: Module) -> bool:
    from .. import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d

    return isinstance(module, (ConvTranspose1d, ConvTranspose2d, ConvTranspose3d))


def remove_spectral_norm(module: T_module, name: str = "weight") -> T_module:
    """Undo ``spectral_norm``: ``module.<name>`` becomes a plain Parameter again, holding
    W / σ computed from the stored u and v (no power iteration).

    Raises:
        ValueError: ``module`` has no spectral_norm on ``name``.
    """
    key = find_hook(module, "_forward_pre_hooks", SpectralNorm, name)
    if key is None:
        raise ValueError(f"spectral_norm of '{name}' not found in {module}")
    module._forward_pre_hooks[key].remove(module)
    remove_hook(module, "_forward_pre_hooks", key)
    for table, kind in (("_state_dict_hooks", SpectralNormStateDictHook),
                        ("_load_state_dict_pre_hooks", SpectralNormLoadStateDictPreHook)):
        key = find_hook(module, table, kind, name)
        if key is not None:
            remove_hook(module, table, key)
    return module
