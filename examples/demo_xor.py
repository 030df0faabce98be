"""A two-layer network learns XOR by full-batch gradient descent, with nothing but chainrule's
Tensor and autograd: the weights are plain tensors that require grad.

Run: python examples/demo_xor.py
"""

from __future__ import annotations

import chainrule as cr


def main(steps: int = 2000, lr: float = 0.5, seed: int = 0) -> float:
    cr.manual_seed(seed)
    x = cr.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = cr.tensor([[0.0], [1.0], [1.0], [0.0]])
    w1 = (cr.randn(2, 8) * 1.0).requires_grad_()
    b1 = cr.zeros(8, requires_grad=True)
    w2 = (cr.randn(8, 1) * 0.5).requires_grad_()
    b2 = cr.zeros(1, requires_grad=True)
    params = [w1, b1, w2, b2]
    for step in range(steps + 1):
        prediction = ((x @ w1 + b1).tanh() @ w2 + b2).sigmoid()
        loss = ((prediction - y) ** 2).mean()
        for p in params:
            p.grad = None
        loss.backward()
        with cr.no_grad():
            for p in params:
                p.sub_(p.grad * lr)
        if step % (steps // 10) == 0:
            print(f"step {step:5d}  loss {loss.item():.6f}")
    print("predictions:", [round(v, 3) for v in prediction.detach().numpy().ravel().tolist()])
    return loss.item()


if __name__ == "__main__":
    main()
