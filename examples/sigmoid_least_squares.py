"""An L-layer sigmoid network trained with the least-squares cost C = (1/2N) Σ ‖a − y‖² by
mini-batch stochastic gradient descent, on the two-moons problem (the setting of the classic
derivation: sigmoid units, quadratic cost, one-hot targets, plain SGD).

The output layer's error is δᴸ = (a − y) ⊙ σ'(zᴸ) with σ' = σ(1 − σ); autograd derives it, and
the example checks one layer's weight gradient against central differences first.

Run: python examples/sigmoid_least_squares.py
"""

from __future__ import annotations

import numpy as np

import chainrule as cr
from chainrule import nn
from chainrule.data import DataLoader, TensorDataset
from chainrule.data.datasets import make_moons


def sigmoid_network(sizes: list[int]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for fan_in, fan_out in zip(sizes, sizes[1:]):
        layers += [nn.Linear(fan_in, fan_out), nn.Sigmoid()]
    return nn.Sequential(*layers)


def quadratic_cost(a: cr.Tensor, y: cr.Tensor) -> cr.Tensor:
    """C = (1/2N) Σₙ ‖aₙ − yₙ‖²."""
    return 0.5 * ((a - y) ** 2).sum(dim=1).mean()


def output_layer_gradient_check(model: nn.Sequential, x: np.ndarray, y: np.ndarray) -> bool:
    """Central differences against autograd for the last layer's weights, in float64."""
    with cr.no_grad():
        hidden = model[:-2](cr.tensor(x)).double()  # the input of the last Linear
    weight = model[-2].weight.detach().double().requires_grad_()
    target = cr.tensor(y, dtype=cr.float64)
    return cr.gradcheck(lambda w: quadratic_cost((hidden @ w.T).sigmoid(), target), [weight])


def main(sizes: tuple = (2, 16, 16, 2), epochs: int = 60, lr: float = 3.0,
         batch_size: int = 10, seed: int = 0) -> float:
    cr.manual_seed(seed)
    x, labels = make_moons(1000, noise=0.1, generator=np.random.default_rng(seed))
    onehot = np.eye(2, dtype=np.float32)[labels]
    model = sigmoid_network(list(sizes))
    check = output_layer_gradient_check(model, x[:8], onehot[:8])
    print(f"gradient check of a sigmoid layer with the quadratic cost: {check}")
    loader = DataLoader(TensorDataset(x, onehot), batch_size=batch_size, shuffle=True)
    optimizer = cr.optim.SGD(model.parameters(), lr=lr)
    for epoch in range(epochs):
        for xb, yb in loader:
            optimizer.zero_grad()
            quadratic_cost(model(xb), yb).backward()
            optimizer.step()
        if (epoch + 1) % 10 == 0:
            with cr.no_grad():
                out = model(cr.tensor(x))
                cost = quadratic_cost(out, cr.tensor(onehot)).item()
                accuracy = float(np.mean(out.numpy().argmax(axis=1) == labels))
            print(f"epoch {epoch + 1:3d}: cost {cost:.5f}  accuracy {accuracy:.2%}")
    return accuracy


if __name__ == "__main__":
    main()
