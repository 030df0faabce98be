"""``ParametrizationList``: the container of ``module.parametrizations.<name>``, holding the
parametrizations of one tensor and the unconstrained tensor(s) they map (``original``, or
``original0``, ``original1``, … when the first parametrization's ``right_inverse`` returns a
sequence), with PyTorch's consistency checks and state-dict names.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ...grad_mode import no_grad
from ...tensor import Tensor
from ..container import ModuleList
from ..module import Module
from ..parameter import Parameter


def set_data(dest: Tensor, src: Tensor) -> None:
    """Make ``dest`` hold ``src``'s values while keeping its identity (PyTorch's ``set_``),
    so that an optimizer holding ``dest`` sees the new values."""
    if src is not dest:
        dest.data = src.data
        dest._version_counter[0] += 1


def register_parameter_or_buffer(module: Module, name: str, value: Tensor) -> None:
    if isinstance(value, Parameter):
        module.register_parameter(name, value)
    else:
        module.register_buffer(name, value)


class ParametrizationList(ModuleList):
    """The parametrizations of one tensor, and the tensor(s) they are computed from.

    It is the type of ``module.parametrizations[tensor_name]`` once ``tensor_name`` is
    parametrized by ``register_parametrization``, which builds it (not meant to be built by
    hand). Calling it computes ``p_n(…p_1(p_0(original)))``. When the first
    parametrization has no ``right_inverse`` (taken as the identity) or one that returns a
    tensor, the unconstrained tensor is ``original``; when ``right_inverse`` returns a sequence,
    they are ``original0``, ``original1``, … (new Parameters when the tensor was one).

    Args:
        modules: the parametrizations (one or more).
        original: the parameter or buffer being parametrized.
        unsafe: skip the checks that the parametrized tensor keeps its shape and dtype.

    Raises:
        ValueError: ``modules`` is empty; ``right_inverse`` returns neither a tensor nor a
            sequence of tensors, or (one tensor) changes the dtype; or, unless ``unsafe``, the
            parametrized tensor differs from ``original`` in shape or dtype.
    """

    def __init__(self, modules: Sequence[Module], original: Tensor,
                 unsafe: bool = False) -> None:
        if len(modules) == 0:
            raise ValueError("ParametrizationList requires one or more modules.")
        super().__init__(modules)
        self.unsafe = unsafe
        original_shape, original_dtype = original.shape, original.dtype
        with no_grad():
            new = original
            for module in reversed(list(self)):
                if hasattr(module, "right_inverse"):
                    try:
                        new = module.right_inverse(new)
                    except NotImplementedError:
                        pass  # a right_inverse that refuses is the identity
        if not isinstance(new, (Tensor, Sequence)):
            raise ValueError("'right_inverse' must return a Tensor or a Sequence of tensors "
                             f"(list, tuple...). Got {type(new).__name__}")
        self.is_tensor = isinstance(new, Tensor)
        self.ntensors = 1 if self.is_tensor else len(new)
        if self.is_tensor:
            self._register_original(original, new)
        else:
            self._register_originals(original, new)
        if not self.unsafe:
            _check_same_kind(self(), original_shape, original_dtype)

    def _register_original(self, original: Tensor, new: Tensor) -> None:
        if original.dtype != new.dtype:
            raise ValueError("When `right_inverse` outputs one tensor, it may not change the "
                             f"dtype.\noriginal.dtype: {original.dtype}\n"
                             f"right_inverse(original).dtype: {new.dtype}")
        with no_grad():
            set_data(original, new)  # the same object: no need to re-register it anywhere
        register_parameter_or_buffer(self, "original", original)

    def _register_originals(self, original: Tensor, new: Sequence) -> None:
        for i, tensor in enumerate(new):
            if not isinstance(tensor, Tensor):
                raise ValueError("'right_inverse' must return a Tensor or a Sequence of "
                                 f"tensors (list, tuple...). Got element {i} of the sequence "
                                 f"with type {type(tensor).__name__}.")
            if isinstance(original, Parameter):
                tensor = Parameter(tensor, original.requires_grad)
            tensor.requires_grad_(original.requires_grad)
            register_parameter_or_buffer(self, f"original{i}", tensor)

    def right_inverse(self, value: Tensor) -> None:
        """Set the original tensor(s) so that the parametrized tensor becomes ``value``: each
        parametrization's ``right_inverse``, last registered first, then the result is copied
        into ``original`` (or ``original0``, ``original1``, …), keeping their identities.

        Raises:
            RuntimeError: a parametrization has no ``right_inverse``.
            ValueError: the result's kind, length or dtypes differ from the originals'.
        """
        with no_grad():
            for module in reversed(list(self)):
                if not hasattr(module, "right_inverse"):
                    raise RuntimeError(f"parametrization {type(module).__name__} does not "
                                       "implement right_inverse.")
                value = module.right_inverse(value)
            if self.is_tensor:
                self._set_original(value)
            else:
                self._set_originals(value)

    def _set_original(self, value: Any) -> None:
        if not isinstance(value, Tensor):
            raise ValueError(f"`right_inverse` should return a tensor. Got "
                             f"{type(value).__name__}")
        if value.dtype != self.original.dtype:
            raise ValueError(f"The tensor returned by `right_inverse` has dtype {value.dtype} "
                             f"while `original` has dtype {self.original.dtype}")
        set_data(self.original, value)

    def _set_originals(self, value: Any) -> None:
        if not isinstance(value, Sequence):
            raise ValueError("'right_inverse' must return a sequence of tensors. "
                             f"Got {type(value).__name__}.")
        if len(value) != self.ntensors:
            raise ValueError("'right_inverse' must return a sequence of tensors of length "
                             f"{self.ntensors}. Got a sequence of length {len(value)}.")
        for i, tensor in enumerate(value):
            original_i = getattr(self, f"original{i}")
            if not isinstance(tensor, Tensor):
                raise ValueError("'right_inverse' must return a sequence of tensors. Got "
                                 f"element {i} of type {type(tensor).__name__}.")
            if original_i.dtype != tensor.dtype:
                raise ValueError(f"Tensor {i} returned by `right_inverse` has dtype "
                                 f"{tensor.dtype} while `original{i}` has dtype "
                                 f"{original_i.dtype}")
            set_data(original_i, tensor)

    def forward(self) -> Tensor:
        parametrizations = list(self)
        if self.is_tensor:
            x = parametrizations[0](self.original)
        else:
            x = parametrizations[0](*(getattr(self, f"original{i}")
                                      for i in range(self.ntensors)))
        for parametrization in parametrizations[1:]:
            x = parametrization(x)
        return x


def _check_same_kind(z: Any, shape: tuple, dtype: Any) -> None:
    """The check of registration: the parametrized tensor is a tensor of the original's
    shape and dtype."""
    if not isinstance(z, Tensor):
        raise ValueError(f"A parametrization must return a tensor. Got {type(z).__name__}.")
    if z.dtype != dtype:
        raise ValueError("Registering a parametrization may not change the dtype of the "
                         "tensor, unless `unsafe` flag is enabled.\n"
                         f"unparametrized dtype: {dtype}\nparametrized dtype: {z.dtype}")
    if z.shape != shape:
        raise ValueError("Registering a parametrization may not change the shape of the "
                         "tensor, unless `unsafe` flag is enabled.\n"
                         f"unparametrized shape: {shape}\nparametrized shape: {z.shape}")
