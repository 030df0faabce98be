"""Where chainrule's MLP step spends the time that a plain NumPy loop does not.

Trains 784-512-256-10 (batch 128, SGD momentum 0.9, float32; ``--hidden 64 64 --batch 32``
for the small configuration) five ways, in turn, a chunk of
steps each (``mlp.run_in_turn``), and prints each one's time per step against chainrule's:

* ``chainrule``: the real thing (module, engine, optimizer);
* ``chainrule, bare update``: chainrule's forward/backward, then momentum SGD written as bare
  NumPy on the parameters' arrays (the same passes as chainrule's optimizer, without its
  bookkeeping);
* ``mirror, chainrule optimizer``: chainrule's array operations written as one NumPy function
  (the same ``ops`` calls on the same arrays, but no Tensors, Contexts or engine), then
  chainrule's optimizer;
* ``mirror``: that function and the bare update (chainrule's array work with no framework);
* ``numpy loop``: the hand-written loop of ``mlp.py``.

If ``mirror`` matches ``numpy loop``, chainrule does no array work that the loop does not, and
the difference between ``chainrule`` and ``mirror`` is the framework's Python: its bookkeeping
between two large matrix products, which runs with cold caches.

Run: python benchmarks/mlp_breakdown.py [--epochs 12] [--samples 10240] [--hidden 64 64]
[--batch 32]
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import mlp  # noqa: E402

import chainrule as cr  # noqa: E402
from chainrule.ops.loss import CrossEntropy  # noqa: E402
from chainrule.ops.unary import Relu  # noqa: E402

HIDDEN, LR, MOMENTUM = (512, 256), 0.05, 0.9  # as mlp.py's big configuration


def bare_update(params, buffers) -> None:
    """b ← μ b + g (b ← g at the first step); θ ← θ − γ b; then clear the gradient."""
    for k, p in enumerate(params):
        if buffers[k] is None:
            buffers[k] = p._grad.copy()
        else:
            buffers[k] *= MOMENTUM
            buffers[k] += p._grad
        p.data -= LR * buffers[k]
        p._grad = None


class _Saved:
    """A stand-in Context for calling chainrule's Functions on bare arrays."""

    def save_for_backward(self, *arrays):
        self.saved = arrays


def mirror_gradients(weights, biases, x, labels) -> list[np.ndarray]:
    """dL/dW and dL/db of chainrule's forward and backward, with its own array operations."""
    inputs, h = [], x
    for i, (w, b) in enumerate(zip(weights, biases)):
        inputs.append(h)
        h = h @ w.T
        h += b
        if i < len(weights) - 1:
            h = Relu.forward(_Saved(), h)
    ctx = _Saved()
    CrossEntropy.forward(ctx, h, labels)
    grad = CrossEntropy.backward(ctx, np.ones((), h.dtype))
    grads_w, grads_b = [], []
    for i in reversed(range(len(weights))):
        grads_w.insert(0, grad.T @ inputs[i])
        grads_b.insert(0, grad.sum(axis=0))
        if i:
            relu = _Saved()
            relu.save_for_backward(inputs[i])  # ReLU's output, which its backward reads
            grad = Relu.backward(relu, grad @ weights[i])
    return grads_w + grads_b


def chainrule_step(x, y, bare: bool, hidden=HIDDEN):
    model, optimizer = mlp.chainrule_model(hidden, LR)
    params, buffers = list(model.parameters()), [None] * 2 * (len(hidden) + 1)
    loss_fn = cr.nn.CrossEntropyLoss()

    def step(idx):
        if not bare:
            optimizer.zero_grad()
        loss_fn(model(cr.from_numpy(x[idx])), cr.from_numpy(y[idx])).backward()
        if bare:
            bare_update(params, buffers)
        else:
            optimizer.step()

    return step


def mirror_step(x, y, bare: bool, hidden=HIDDEN):
    model, optimizer = mlp.chainrule_model(hidden, LR)
    params = list(model.parameters())
    weights, biases = [p.data for p in params[0::2]], [p.data for p in params[1::2]]
    by_gradient = params[0::2] + params[1::2]  # the order mirror_gradients returns
    buffers = [None] * 2 * (len(hidden) + 1)

    def step(idx):
        for p, g in zip(by_gradient, mirror_gradients(weights, biases, x[idx], y[idx])):
            p._grad = g
        if bare:
            bare_update(by_gradient, buffers)
        else:
            optimizer.step()
            optimizer.zero_grad()

    return step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--samples", type=int, default=80 * 128, help="training samples used")
    parser.add_argument("--hidden", type=int, nargs="+", default=list(HIDDEN))
    parser.add_argument("--batch", type=int, default=128)
    args = parser.parse_args()
    x, y, source = mlp.load_data()
    x, y = x[:args.samples], y[:args.samples]
    hidden = tuple(args.hidden)
    steps = {
        "chainrule": chainrule_step(x, y, False, hidden),
        "chainrule, bare update": chainrule_step(x, y, True, hidden),
        "mirror, chainrule optimizer": mirror_step(x, y, False, hidden),
        "mirror": mirror_step(x, y, True, hidden),
        "numpy loop": mlp.numpy_step(x, y, hidden),
    }
    results = mlp.run_in_turn(steps, len(x), args.batch, args.epochs, 40)
    print(f"data: {source}, {len(x)} samples; {args.epochs} epochs, chunks of 40 steps in turn")
    reference = np.concatenate(results["chainrule"][2:])
    for name, per_epoch in results.items():
        seconds = np.concatenate(per_epoch[2:])
        print(f"{name:28s} {np.median(seconds) / 40 * 1e3:6.3f} ms/step   time / chainrule's: "
              f"{np.median(seconds / reference):.3f}")


if __name__ == "__main__":
    main()
