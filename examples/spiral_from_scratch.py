"""The two-layer ReLU + softmax network of the CS231n case study "Putting it together:
minimal neural network case study", on spiral data, with chainrule tensors.

Setting (as in the case study): 300 points in 3 classes, hidden layer of 100 ReLU units,
scores = ReLU(X W1 + b1) W2 + b2, softmax cross-entropy plus L2 regularisation
0.5·λ·(‖W1‖² + ‖W2‖²) with λ = 1e-3, full-batch gradient descent with step 1.0 for 10,000
iterations. The case study reports 98% training accuracy.

Before training, the gradients that autograd computes are compared with the classic
hand-derived backpropagation of the same network:
    dscores = (softmax(scores) − onehot(y)) / N
    dW2 = hᵀ·dscores + λW2        db2 = Σ dscores
    dh  = dscores·W2ᵀ ⊙ [h > 0]
    dW1 = Xᵀ·dh + λW1             db1 = Σ dh

Run: python examples/spiral_from_scratch.py
"""

from __future__ import annotations

import chainrule.nn.functional as F
import numpy as np

import chainrule as cr
from chainrule.data.datasets import make_spirals

REG = 1e-3


def forward(params: dict, x: cr.Tensor) -> tuple[cr.Tensor, cr.Tensor]:
    hidden = (x @ params["W1"] + params["b1"]).relu()
    return hidden, hidden @ params["W2"] + params["b2"]


def loss_of(params: dict, x: cr.Tensor, y: cr.Tensor) -> cr.Tensor:
    _, scores = forward(params, x)
    l2 = (params["W1"] ** 2).sum() + (params["W2"] ** 2).sum()
    return F.cross_entropy(scores, y) + 0.5 * REG * l2


def hand_derived_gradients(params: dict, x: np.ndarray, y: np.ndarray) -> dict:
    """Backpropagation written out by hand, in NumPy (the case study's derivation)."""
    w1, b1, w2, b2 = (params[k].detach().numpy() for k in ("W1", "b1", "W2", "b2"))
    hidden = np.maximum(0, x @ w1 + b1)
    scores = hidden @ w2 + b2
    probs = np.exp(scores - scores.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    dscores = probs
    dscores[np.arange(len(y)), y] -= 1
    dscores /= len(y)
    dhidden = (dscores @ w2.T) * (hidden > 0)
    return {"W2": hidden.T @ dscores + REG * w2, "b2": dscores.sum(axis=0, keepdims=True),
            "W1": x.T @ dhidden + REG * w1, "b1": dhidden.sum(axis=0, keepdims=True)}


def main(iterations: int = 10_000, step: float = 1.0, seed: int = 0) -> float:
    generator = np.random.default_rng(seed)
    x_np, y_np = make_spirals(300, 3, generator=generator)
    x, y = cr.tensor(x_np, dtype=cr.float64), cr.tensor(y_np)
    params = {"W1": 0.01 * generator.standard_normal((2, 100)), "b1": np.zeros((1, 100)),
              "W2": 0.01 * generator.standard_normal((100, 3)), "b2": np.zeros((1, 3))}
    params = {k: cr.tensor(v, requires_grad=True) for k, v in params.items()}
    optimizer = cr.optim.SGD(params.values(), lr=step)

    loss_of(params, x, y).backward()
    manual = hand_derived_gradients(params, x_np.astype(np.float64), y_np)
    worst = max(np.max(np.abs(params[k].grad.numpy() - manual[k])) for k in params)
    print(f"autograd vs hand-derived backprop: largest difference {worst:.2e}")
    for iteration in range(iterations):
        optimizer.zero_grad()
        loss = loss_of(params, x, y)
        loss.backward()
        optimizer.step()
        if iteration % 1000 == 0:
            print(f"iteration {iteration:5d}: loss {loss.item():.6f}")
    with cr.no_grad():
        accuracy = (forward(params, x)[1].argmax(dim=1) == y).float().mean().item()
    print(f"training accuracy: {accuracy:.2%}")
    return accuracy


if __name__ == "__main__":
    main()
