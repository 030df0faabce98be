"""Matrix products with PyTorch's stricter names: ``mm``, ``bmm``, ``dot``, ``outer``
(``ger``), ``addmm`` and the transpose ``t``, as Tensor methods and top-level functions; and
the Tensor methods of the decompositions and matrix functions of ``methods.matrix_api``
(``cholesky``, ``qr``, ``svd``, ``slogdet``, ``logdet``, ``pinverse``, ``matrix_power``,
``matrix_exp``, ``cholesky_solve``, ``cholesky_inverse``, ``triangular_solve``).

Each checks the number of dimensions its PyTorch namesake requires (``mm`` takes matrices
only, ``bmm`` 3-D batches of equal size, without broadcasting) and is then a composition of
``matmul``, ``*`` and ``+``, whose gradients are already derived (``ops.MatMul``).
"""

from __future__ import annotations

from typing import Any

from .math import as_operand, broadcasts_to, matmul


def _need(name: str, what: str, t: Any, ndim: int) -> None:
    if t.ndim != ndim:
        raise ValueError(f"{name}: {what} must be a {ndim}-D tensor, got shape {t.shape}")


def mm(input: Any, mat2: Any) -> Any:
    """Matrix product of two matrices (n, m) @ (m, p) -> (n, p) (``torch.mm``; no broadcasting,
    use ``matmul`` for that).

    Args:
        input: the first matrix (n, m).
        mat2: the second matrix (m, p).
    """
    mat2 = as_operand(input, mat2)[0]
    _need("mm", "input", input, 2)
    _need("mm", "mat2", mat2, 2)
    return matmul(input, mat2)


def bmm(input: Any, mat2: Any) -> Any:
    """Batched matrix product (b, n, m) @ (b, m, p) -> (b, n, p) (``torch.bmm``: both 3-D,
    the same batch size, no broadcasting).

    Args:
        input: the first batch of matrices (b, n, m).
        mat2: the second batch (b, m, p).
    """
    mat2 = as_operand(input, mat2)[0]
    _need("bmm", "input", input, 3)
    _need("bmm", "mat2", mat2, 3)
    if input.shape[0] != mat2.shape[0]:
        raise ValueError(f"bmm: the batch sizes differ: shapes {input.shape} and {mat2.shape}")
    return matmul(input, mat2)


def dot(input: Any, tensor: Any) -> Any:
    """Inner product Σ aᵢbᵢ of two 1-D tensors of the same length (``torch.dot``).

    Args:
        input: the first vector.
        tensor: the second vector.
    """
    tensor = as_operand(input, tensor)[0]
    _need("dot", "input", input, 1)
    _need("dot", "tensor", tensor, 1)
    if input.shape != tensor.shape:
        raise ValueError(f"dot: the vectors have different lengths: shapes {input.shape} and "
                         f"{tensor.shape}")
    return matmul(input, tensor)


def outer(input: Any, vec2: Any) -> Any:
    """Outer product out[i, j] = a[i]·b[j] of two 1-D tensors (``torch.outer``; ``ger`` is
    its old name).

    Args:
        input: the vector a (n,).
        vec2: the vector b (m,); the result is (n, m).
    """
    vec2 = as_operand(input, vec2)[0]
    _need("outer", "input", input, 1)
    _need("outer", "vec2", vec2, 1)
    return input.reshape(-1, 1) * vec2.reshape(1, -1)


ger = outer


def addmm(input: Any, mat1: Any, mat2: Any, *, beta: Any = 1, alpha: Any = 1) -> Any:
    """β·input + α·(mat1 @ mat2) (``torch.addmm``); ``input`` broadcasts to (n, p). With
    β = 0, ``input`` is ignored (its NaN and inf do not reach the result), as in PyTorch.

    Args:
        input: the matrix added, broadcastable to (n, p).
        mat1: (n, m).
        mat2: (m, p).
        beta: the factor of ``input`` (keyword).
        alpha: the factor of the product (keyword).
    """
    product = mm(as_operand(input, mat1)[0], mat2)
    if not broadcasts_to(tuple(input.shape), product.shape):
        raise ValueError(f"addmm: input of shape {input.shape} does not broadcast to the "
                         f"shape {product.shape} of mat1 @ mat2")
    product = product if alpha == 1 else product * alpha
    if beta == 0:
        return product
    return product + (input if beta == 1 else input * beta)


def t(input: Any) -> Any:
    """The transpose of a matrix; 0-D and 1-D tensors are returned as they are (``torch.t``).

    Args:
        input: a tensor with at most 2 dimensions.
    """
    if input.ndim > 2:
        raise ValueError(f"t() expects a tensor with <= 2 dimensions, but it has "
                         f"{input.ndim} (shape {input.shape}); use transpose(dim0, dim1)")
    return input.transpose(0, 1) if input.ndim == 2 else input


class LinalgMixin:
    """``mm``, ``bmm``, ``dot``, ``outer``, ``ger``, ``addmm`` and ``t`` of ``Tensor``, and
    its decompositions and matrix functions."""

    __slots__ = ()

    def mm(self, mat2):
        return mm(self, mat2)

    def bmm(self, mat2):
        return bmm(self, mat2)

    def dot(self, tensor):
        return dot(self, tensor)

    def outer(self, vec2):
        return outer(self, vec2)

    def ger(self, vec2):
        return outer(self, vec2)

    def addmm(self, mat1, mat2, *, beta=1, alpha=1):
        return addmm(self, mat1, mat2, beta=beta, alpha=alpha)

    def t(self):
        return t(self)

    # The decompositions and matrix functions (methods.matrix_api, loaded on first use).

    def cholesky(self, upper=False):
        return _matrix_api().cholesky(self, upper)

    def cholesky_solve(self, input2, upper=False):
        return _matrix_api().cholesky_solve(self, input2, upper)

    def cholesky_inverse(self, upper=False):
        return _matrix_api().cholesky_inverse(self, upper)

    def qr(self, some=True):
        return _matrix_api().qr(self, some)

    def svd(self, some=True, compute_uv=True):
        return _matrix_api().svd(self, some, compute_uv)

    def slogdet(self):
        return _matrix_api().slogdet(self)

    def logdet(self):
        return _matrix_api().logdet(self)

    def pinverse(self, rcond=1e-15):
        return _matrix_api().pinverse(self, rcond)

    def matrix_power(self, n):
        return _matrix_api().matrix_power(self, n)

    def matrix_exp(self):
        return _matrix_api().matrix_exp(self)

    def triangular_solve(self, A, upper=True, transpose=False, unitriangular=False):  # noqa: N803
        return _matrix_api().triangular_solve(self, A, upper, transpose, unitriangular)


def _matrix_api() -> Any:
    from . import matrix_api  # noqa: PLC0415 - loaded on first use (tests/test_lazy_import.py)

    return matrix_api
