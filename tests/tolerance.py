"""Comparisons the tests share: a fast route against its plain reference, a layer against
PyTorch."""

from __future__ import annotations

import numpy as np


def assert_close_to_scale(fast, plain, dtype, float32_ulps: int = 64) -> None:
    """Each array of ``fast`` has ``dtype`` and equals its ``plain`` counterpart to 1e-12 of
    the plain array's largest magnitude (at least 1) in float64, and to ``float32_ulps`` ulps
    of it in float32: the routes sum in different orders, so they agree to rounding only."""
    for a, b in zip(fast, plain, strict=True):
        assert a.dtype == np.dtype(dtype)
        scale = max(float(np.abs(b).max()), 1.0)
        tol = 1e-12 if dtype == np.float64 else float32_ulps * np.finfo(np.float32).eps
        np.testing.assert_allclose(a, b, rtol=0, atol=tol * scale)


def assert_layer_matches_torch(ours, theirs, x, rng, out_tol: float, grad_tol,
                               torch) -> None:
    """``theirs`` (a torch module) given ``ours``'s parameters, both run forward on ``x`` and
    backward from one random upstream gradient: the output and dL/dx agree within
    ``out_tol`` (relative and absolute), and each parameter's gradient within ``grad_tol``
    (rtol, atol)."""
    import chainrule as cr

    theirs.load_state_dict({k: torch.from_numpy(v.data.copy())
                            for k, v in ours.state_dict().items()})
    xt, xr = cr.from_numpy(x).requires_grad_(), torch.from_numpy(x).requires_grad_()
    y, yr = ours(xt), theirs(xr)
    g = rng.standard_normal(tuple(y.shape)).astype(x.dtype)
    y.backward(cr.from_numpy(g))
    yr.backward(torch.from_numpy(g))
    np.testing.assert_allclose(y.data, yr.detach().numpy(), rtol=out_tol, atol=out_tol)
    np.testing.assert_allclose(xt.grad.numpy(), xr.grad.numpy(), rtol=out_tol, atol=out_tol)
    theirs_params = dict(theirs.named_parameters())
    for name, param in ours.named_parameters():
        np.testing.assert_allclose(param.grad.numpy(), theirs_params[name].grad.numpy(),
                                   rtol=grad_tol[0], atol=grad_tol[1], err_msg=name)
