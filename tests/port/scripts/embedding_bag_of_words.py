"""A bag-of-words text classifier: nn.Embedding, mean pooling, log_softmax and NLLLoss,
with Adagrad."""

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sentences = [("good great fine", 1), ("bad awful poor", 0), ("great good", 1),
             ("poor bad", 0), ("fine good great", 1), ("awful bad poor", 0)]
vocab = {w: i for i, w in enumerate(sorted({w for s, _ in sentences for w in s.split()}))}


class BagOfWords(nn.Module):
    def __init__(self, vocab_size, dim=8, classes=2):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, dim)
        self.fc = nn.Linear(dim, classes)

    def forward(self, tokens):
        return F.log_softmax(self.fc(self.embedding(tokens).mean(dim=1)), dim=1)


def encode(sentence, length=3):
    ids = [vocab[w] for w in sentence.split()]
    return ids + [ids[-1]] * (length - len(ids))


def main():
    model = BagOfWords(len(vocab))
    rng = np.random.default_rng(0)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.from_numpy(rng.normal(0, 0.5, p.shape).astype(np.float32)))
    tokens = torch.tensor([encode(s) for s, _ in sentences])
    labels = torch.tensor([label for _, label in sentences])
    optimizer = torch.optim.Adagrad(model.parameters(), lr=0.3)
    loss_function = nn.NLLLoss()
    for epoch in range(8):
        model.zero_grad()
        loss = loss_function(model(tokens), labels)
        loss.backward()
        optimizer.step()
        print(f"epoch {epoch} loss {loss.item():.6f}")
    with torch.no_grad():
        print("predictions", model(tokens).argmax(dim=1).tolist())


if __name__ == "__main__":
    main()
