"""A two-headed model on token sequences, written with the PyTorch features that scripts lean
on beyond the basics: pretrained embeddings with max_norm, in-place activations (a ReLU module
and a functional call whose result is not assigned), two losses through one
torch.autograd.backward, autograd.grad with materialize_grads, optimizer and clipping flags,
and a checkpoint loaded back with assign=True."""

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class TwoHeads(nn.Module):
    def __init__(self, vectors):
        super().__init__()
        self.emb = nn.Embedding.from_pretrained(vectors, freeze=False, max_norm=2.0)
        self.body = nn.Sequential(nn.Linear(8, 16), nn.ReLU(inplace=True), nn.Linear(16, 16))
        self.classes = nn.Linear(16, 3)
        self.value = nn.Linear(16, 1)

    def forward(self, tokens):
        h = self.body(self.emb(tokens).mean(1))
        F.leaky_relu(h, 0.1, inplace=True)  # changes h itself
        h = F.dropout(h, 0.0, self.training, True)
        return self.classes(h), self.value(h).squeeze(1)


def init_linear(model, seed):
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.Linear):
                bound = 1.0 / np.sqrt(module.in_features)
                for p in (module.weight, module.bias):
                    p.copy_(torch.from_numpy(rng.uniform(-bound, bound, p.shape)
                                             .astype(np.float32)))


def main():
    rng = np.random.default_rng(0)
    vectors = torch.from_numpy(rng.normal(0.0, 1.0, (20, 8)).astype(np.float32))
    model = TwoHeads(vectors)
    init_linear(model, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, foreach=False)
    for step in range(6):
        tokens = torch.from_numpy(rng.integers(0, 20, (16, 5)))
        labels = torch.from_numpy(rng.integers(0, 3, 16))
        targets = torch.from_numpy(rng.normal(size=16).astype(np.float32))
        optimizer.zero_grad()
        logits, values = model(tokens)
        loss_class = F.cross_entropy(logits, labels)
        loss_value = F.mse_loss(values, targets)
        torch.autograd.backward([loss_class, loss_value], [torch.tensor(1.0), torch.tensor(0.5)])
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0, foreach=None)
        optimizer.step()
        print(f"step {step} loss {(loss_class + 0.5 * loss_value).item():.6f}")

    logits, _ = model(tokens)
    grads = torch.autograd.grad(F.cross_entropy(logits, labels),
                                [model.classes.weight, model.value.weight], materialize_grads=True)
    print(f"gradient norms {grads[0].norm().item():.6f} {grads[1].norm().item():.6f}")

    torch.save(model.state_dict(), "two_heads.pt")
    restored = TwoHeads(vectors)
    restored.load_state_dict(torch.load("two_heads.pt", weights_only=True), assign=True)
    model.eval()
    restored.eval()
    with torch.no_grad():
        same = torch.equal(restored(tokens)[0], model(tokens)[0])
        print(f"restored loss {F.cross_entropy(restored(tokens)[0], labels).item():.6f} "
              f"same {same}")


if __name__ == "__main__":
    main()
