"""Convolutions, pools and batch norm (eval) on an empty batch (N = 0), as PyTorch allows: the
output has N = 0 and the shape the geometry gives; backward gives dL/dX of the input's empty
shape, and dL/dW and dL/db equal to zero (each is a sum over the images, and there are none).
These used to fail inside NumPy with "cannot reshape array of size 0"."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from tests.optional import needs_torch, torch

# name: (layer, as built by chainrule.nn or torch.nn), input shape with N = 0
CASES = {
    "conv2d": (lambda nn: nn.Conv2d(3, 4, 3), (0, 3, 8, 8)),
    "conv2d padded strided": (lambda nn: nn.Conv2d(3, 4, 3, padding=1, stride=2), (0, 3, 8, 8)),
    "conv2d 1x1": (lambda nn: nn.Conv2d(3, 4, 1), (0, 3, 8, 8)),
    "conv2d groups": (lambda nn: nn.Conv2d(4, 4, 3, groups=2), (0, 4, 8, 8)),
    "conv2d depthwise": (lambda nn: nn.Conv2d(4, 4, 3, groups=4, padding=1), (0, 4, 8, 8)),
    "conv1d": (lambda nn: nn.Conv1d(2, 3, 3), (0, 2, 5)),
    "conv3d": (lambda nn: nn.Conv3d(2, 3, 3), (0, 2, 5, 5, 5)),
    "conv_transpose1d": (lambda nn: nn.ConvTranspose1d(2, 3, 3), (0, 2, 5)),
    "conv_transpose2d": (lambda nn: nn.ConvTranspose2d(2, 3, 3, stride=2), (0, 2, 5, 5)),
    "conv_transpose3d": (lambda nn: nn.ConvTranspose3d(2, 3, 3), (0, 2, 4, 4, 4)),
    "max_pool2d": (lambda nn: nn.MaxPool2d(2), (0, 3, 8, 8)),
    "avg_pool2d": (lambda nn: nn.AvgPool2d(2), (0, 3, 8, 8)),
    "adaptive_avg_pool2d": (lambda nn: nn.AdaptiveAvgPool2d(1), (0, 3, 8, 8)),
    "batch_norm2d eval": (lambda nn: nn.BatchNorm2d(3).eval(), (0, 3, 8, 8)),
}


def run(nn, make, shape, tensor):
    """(output shape, dL/dX shape, [dL/dparameter as arrays]) for sum(layer(zeros)).backward()."""
    layer = make(nn)
    x = tensor(np.zeros(shape, dtype=np.float32), requires_grad=True)
    y = layer(x)
    y.sum().backward()
    grads = [np.asarray(p.grad.detach().numpy()) for p in layer.parameters()]
    return tuple(y.shape), tuple(x.grad.shape), grads


@pytest.mark.parametrize("name", sorted(CASES))
def test_empty_batch_runs_forward_and_backward(name):
    make, shape = CASES[name]
    out_shape, grad_shape, grads = run(cr.nn, make, shape, cr.tensor)
    assert out_shape[0] == 0 and grad_shape == shape
    for grad in grads:
        assert grad.dtype == np.float32 and np.array_equal(grad, np.zeros_like(grad))


@needs_torch
@pytest.mark.parametrize("name", sorted(CASES))
def test_empty_batch_shapes_match_torch(name):
    make, shape = CASES[name]
    ours = run(cr.nn, make, shape, cr.tensor)
    theirs = run(torch.nn, make, shape, torch.tensor)
    assert ours[:2] == theirs[:2]
    assert [g.shape for g in ours[2]] == [g.shape for g in theirs[2]]
