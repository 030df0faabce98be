"""Linear regression on raw tensors: ``mm``, leaf tensors with requires_grad and a
hand-written gradient step under no_grad."""

import numpy as np
import torch

rng = np.random.default_rng(0)
true_w = np.array([[2.0], [-3.4]], dtype=np.float32)
features = rng.normal(size=(100, 2)).astype(np.float32)
labels = features @ true_w + 4.2 + rng.normal(0, 0.01, (100, 1)).astype(np.float32)
X, y = torch.from_numpy(features), torch.from_numpy(labels)

w = torch.tensor(rng.normal(0, 0.01, (2, 1)), dtype=torch.float32, requires_grad=True)
b = torch.zeros(1, requires_grad=True)
lr = 0.1

for epoch in range(10):
    prediction = X.mm(w) + b
    loss = ((prediction - y) ** 2).mean()
    loss.backward()
    with torch.no_grad():
        w -= lr * w.grad
        b -= lr * b.grad
        w.grad.zero_()
        b.grad.zero_()
    print(f"epoch {epoch} loss {loss.item():.6f}")

print("w", w.detach().t().numpy().round(2).tolist(), "b", round(b.item(), 2))
print("check", torch.mm(X[:2], w).shape)
