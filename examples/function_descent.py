"""Gradient descent on a function, not a network: f(x) = x₀² + x₁³ + 1 from x = (2, 3).

The gradient is (2x₀, 3x₁²), (4, 27) at the start; autograd's value is compared with
chainrule.numerical_grad (central differences). Then 1000 steps of optim.SGD(lr=0.01) on the
tensor itself: x₀ decays geometrically to 0, while x₁ creeps toward the flat point of x₁³
(its gradient 3x₁² vanishes there), ending near (0, 0.033). Optimizers work on any tensor
that requires grad.

Run: python examples/function_descent.py
"""

from __future__ import annotations

import chainrule as cr


def f(x: cr.Tensor) -> cr.Tensor:
    return x[0] ** 2 + x[1] ** 3 + 1


def main(steps: int = 1000, lr: float = 0.01) -> list[float]:
    x = cr.tensor([2.0, 3.0], dtype=cr.float64, requires_grad=True)
    f(x).backward()
    (numeric,) = cr.numerical_grad(f, [x.detach()])
    print(f"gradient at (2, 3): autograd {x.grad.tolist()}, numerical "
          f"{[round(v, 6) for v in numeric.tolist()]}")
    optimizer = cr.optim.SGD([x], lr=lr)
    for step in range(1, steps + 1):
        optimizer.zero_grad()
        value = f(x)
        value.backward()
        optimizer.step()
        if step in (1, 10, 100, 500, 1000):
            print(f"step {step:4d}: x = ({x[0].item():.6f}, {x[1].item():.6f}), "
                  f"f(x) = {value.item():.6f}")
    return x.detach().tolist()


if __name__ == "__main__":
    main()
