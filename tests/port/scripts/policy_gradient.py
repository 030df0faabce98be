"""REINFORCE on a contextual bandit: a policy network, torch.distributions.Categorical,
log_prob and entropy, returns normalised by their standard deviation."""

import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim
from torch.distributions import Categorical


class Policy(nn.Module):
    def __init__(self, n_context=4, n_actions=3):
        super().__init__()
        self.affine1 = nn.Linear(n_context, 32)
        self.affine2 = nn.Linear(32, n_actions)

    def forward(self, x):
        return torch.softmax(self.affine2(torch.relu(self.affine1(x))), dim=1)


def main():
    torch.manual_seed(543)
    rng = np.random.default_rng(0)
    payoff = rng.normal(size=(4, 3))
    policy = Policy()
    optimizer = optim.Adam(policy.parameters(), lr=1e-2)
    eps = np.finfo(np.float32).eps.item()
    for episode in range(15):
        contexts = rng.integers(0, 4, 16)
        state = torch.from_numpy(np.eye(4, dtype=np.float32)[contexts])
        probs = policy(state)
        m = Categorical(probs)
        action = m.sample()
        rewards = torch.tensor(payoff[contexts, action.numpy()], dtype=torch.float32)
        returns = (rewards - rewards.mean()) / (rewards.std() + eps)
        loss = (-m.log_prob(action) * returns).sum() - 0.01 * m.entropy().mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        print(f"episode {episode} loss {loss.item():.6f} reward {rewards.mean().item():.3f}")


if __name__ == "__main__":
    main()
