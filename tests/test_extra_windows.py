"""The window functions (``chainrule.hann_window`` ...) against PyTorch's: lengths 0, 1, 2, 5
and 64, periodic and symmetric, float32 and float64, the parameters of Hamming and Kaiser,
``requires_grad`` and the errors."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from tests.optional import needs_torch, torch

pytestmark = needs_torch

WINDOWS = ["hann_window", "hamming_window", "blackman_window", "bartlett_window",
           "kaiser_window"]


@pytest.mark.parametrize("periodic", [True, False])
@pytest.mark.parametrize("length", [0, 1, 2, 5, 64])
@pytest.mark.parametrize("name", WINDOWS)
def test_windows_match_torch(name, length, periodic):
    for ours_dtype, their_dtype, tol in ((None, None, 1e-6), (cr.float64, torch.float64, 1e-12)):
        got = getattr(cr, name)(length, periodic, dtype=ours_dtype)
        want = getattr(torch, name)(length, periodic, dtype=their_dtype)
        assert str(got.dtype) == str(want.numpy().dtype)
        assert got.shape == tuple(want.shape)
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=tol, atol=tol)


@pytest.mark.parametrize("length", [1, 5, 64])
def test_hamming_and_kaiser_parameters_match_torch(length):
    pairs = [(cr.hamming_window(length, False, 0.5), torch.hamming_window(length, False, 0.5)),
             (cr.hamming_window(length, True, 0.6, 0.3),
              torch.hamming_window(length, True, 0.6, 0.3)),
             (cr.hamming_window(length, alpha=0.6), torch.hamming_window(length, True, 0.6)),
             (cr.kaiser_window(length, False, 3.0), torch.kaiser_window(length, False, 3.0)),
             (cr.kaiser_window(length, beta=5.0), torch.kaiser_window(length, True, 5.0))]
    for got, want in pairs:
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6, atol=1e-6)


def test_requires_grad_makes_a_leaf():
    w = cr.hann_window(4, requires_grad=True)
    assert w.requires_grad and w.is_leaf
    (w * w).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), 2 * w.detach().numpy())


@pytest.mark.parametrize(("call", "kind", "match"), [
    (lambda: cr.hann_window(-1), RuntimeError, "non-negative window_length"),
    (lambda: cr.bartlett_window(3.0), TypeError, "must be int"),
    (lambda: cr.blackman_window(3, dtype=cr.int64), RuntimeError, "floating point dtypes"),
    (lambda: cr.kaiser_window(3, layout="sparse_coo"), RuntimeError, "not implemented"),
    (lambda: cr.hamming_window(3, device="cuda"), RuntimeError, "CPU only"),
])
def test_window_errors_name_the_problem(call, kind, match):
    with pytest.raises(kind, match=match):
        call()
