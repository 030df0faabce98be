"""The top-level forms of the shape methods (``chainrule.flatten(x)`` is ``x.flatten()``), and
``meshgrid``, with PyTorch's names and arguments."""

from __future__ import annotations

from typing import Any

from .shape import _sizes


def flatten(input: Any, start_dim: int = 0, end_dim: int = -1) -> Any:
    """Merge the dimensions ``start_dim`` … ``end_dim`` into one."""
    return input.flatten(start_dim, end_dim)


def unflatten(input: Any, dim: int, sizes: Any) -> Any:
    """Split the dimension ``dim`` into ``sizes`` (one may be −1)."""
    return input.unflatten(dim, sizes)


def unsqueeze(input: Any, dim: int) -> Any:
    """Insert a dimension of size 1 at ``dim``."""
    return input.unsqueeze(dim)


def squeeze(input: Any, dim: Any = None) -> Any:
    """Remove the dimensions of size 1 (only those in ``dim`` when given)."""
    return input.squeeze(dim)


def reshape(input: Any, shape: Any) -> Any:
    """The same elements in the shape ``shape`` (one size may be −1)."""
    return input.reshape(shape)


def ravel(input: Any) -> Any:
    """The elements as a 1-D tensor."""
    return input.reshape(-1)


def transpose(input: Any, dim0: int, dim1: int) -> Any:
    """Swap the dimensions ``dim0`` and ``dim1``."""
    return input.transpose(dim0, dim1)


def swapaxes(input: Any, axis0: int, axis1: int) -> Any:
    """Swap the dimensions ``axis0`` and ``axis1`` (NumPy's name for ``transpose``)."""
    return input.transpose(axis0, axis1)


def swapdims(input: Any, dim0: int, dim1: int) -> Any:
    """Swap the dimensions ``dim0`` and ``dim1`` (an alias of ``transpose``)."""
    return input.transpose(dim0, dim1)


def permute(input: Any, dims: Any) -> Any:
    """Reorder the dimensions: the output's dimension i is the input's ``dims[i]``."""
    return input.permute(*_sizes((dims,)))


def split(tensor: Any, split_size_or_sections: Any, dim: int = 0) -> tuple:
    """Pieces of ``split_size`` along ``dim`` (the last may be smaller), or of the sizes
    listed."""
    return tensor.split(split_size_or_sections, dim)


def chunk(input: Any, chunks: int, dim: int = 0) -> tuple:
    """``chunks`` nearly equal pieces along ``dim`` (the last may be smaller)."""
    return input.chunk(chunks, dim)


def meshgrid(*tensors: Any, indexing: str = "ij") -> tuple:
    """Coordinate grids from 1-D tensors: output k repeats ``tensors[k]`` along every other
    dimension (``torch.meshgrid``). Differentiable (a reshape and a broadcast each).

    Args:
        tensors: 1-D tensors (or 0-D, as one element), separately or as one list.
        indexing: 'ij' (default; output shape (len(t0), len(t1), ...)) or 'xy' (the first two
            dimensions swapped, as NumPy's default). PyTorch warns when ``indexing`` is left
            out; chainrule takes 'ij' silently.
    """
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing not in ("ij", "xy"):
        raise ValueError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    if not tensors:
        raise ValueError("meshgrid: expects at least one tensor")
    for k, x in enumerate(tensors):
        if x.ndim > 1:
            raise ValueError(f"meshgrid: expects 0-D or 1-D tensors, tensor {k} has shape "
                             f"{x.shape}")
    vectors = [x.reshape(-1) for x in tensors]
    order = list(range(len(vectors)))
    if indexing == "xy" and len(vectors) > 1:
        order[0], order[1] = 1, 0
    shape = tuple(vectors[k].shape[0] for k in order)
    grids = []
    for k, v in enumerate(vectors):
        axis = order.index(k)
        view = [1] * len(shape)
        view[axis] = shape[axis]
        grids.append(v.reshape(view).expand(shape))
    return tuple(grids)

