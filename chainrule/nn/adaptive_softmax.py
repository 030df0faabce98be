"""``AdaptiveLogSoftmaxWithLoss``: the efficient softmax approximation of Grave et al. (2016),
with PyTorch's arguments, parameter names, outputs and errors.

The classes are split by ``cutoffs`` into a shortlist [0, c₀) and clusters [cᵢ, cᵢ₊₁). The
head (a linear layer) scores the shortlist's classes and one logit per cluster; cluster i's
own classes are scored by a small tail network (in → in/div_valueⁱ⁺¹ → cluster size, no
biases). The log-probability of a class y is

    log p(y) = head_logprob[y]                                   y in the shortlist
    log p(y) = head_logprob[c₀ + i] + cluster_logprob_i[y − cᵢ]  y in cluster i

each a log_softmax. Everything is a composite of ``Linear`` and ``functional``, so the
gradients need no code here.

Reference: Grave et al., "Efficient softmax approximation for GPUs",
https://arxiv.org/abs/1609.04309
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any, Sequence

import numpy as np

from .. import functional as F
from ..autograd import no_grad
from ..creation import zeros
from ..device import require_cpu
from ..tensor import Tensor
from .container import ModuleList, Sequential
from .linear import Linear
from .module import Module

_ASMoutput = namedtuple("_ASMoutput", ["output", "loss"])


def _check_cutoffs(cutoffs: list, n_classes: int) -> None:
    if len(cutoffs) == 0:
        raise ValueError("cutoffs should be a sequence of length larger than 0")
    if cutoffs != sorted(cutoffs) or min(cutoffs) <= 0 or max(cutoffs) > n_classes - 1 or \
            len(set(cutoffs)) != len(cutoffs) or any(int(c) != c for c in cutoffs):
        raise ValueError("cutoffs should be a sequence of unique, positive integers sorted in "
                         "an increasing order, where each value is between 1 and "
                         f"n_classes-1 (n_classes={n_classes}), got {cutoffs}")


def _check_shapes(input: Tensor, target: Tensor) -> None:
    """PyTorch's rules: a (N,) target with (N, in_features) input, or a 0-d one with (in,)."""
    if target.ndim == 1:
        if input.shape[:1] != target.shape:
            raise RuntimeError("Input and target should have the same size in the batch "
                               f"dimension (input {tuple(input.shape)}, target "
                               f"{tuple(target.shape)}).")
        if input.ndim != 2:
            raise RuntimeError("1D target tensor expects 2D input tensors, but found inputs "
                               f"with size {tuple(input.shape)}")
    elif target.ndim == 0:
        if input.ndim != 1:
            raise RuntimeError("0D target tensor expects 1D input tensors, but found inputs "
                               f"with size {tuple(input.shape)}")
    else:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported (got "
                           f"shape {tuple(target.shape)})")


class AdaptiveLogSoftmaxWithLoss(Module):
    """Adaptive softmax: log-probabilities of ``n_classes`` classes from a head over the
    frequent ones and one tail per cluster of rarer ones (see the module docstring).

    Args:
        in_features: size of each input row.
        n_classes: number of classes.
        cutoffs: increasing, unique integers in [1, n_classes − 1] that split the classes
            into the shortlist and the clusters.
        div_value: cluster i's hidden size is ⌊in_features / div_valueⁱ⁺¹⌋ (default 4).
        head_bias: give the head a bias.
        device, dtype: for the parameters (the CPU; float32 by default).

    Parameters (PyTorch's names): ``head.weight`` (c₀ + clusters, in_features), ``head.bias``
    if ``head_bias``, and for cluster i ``tail.i.0.weight`` (hidden, in_features) and
    ``tail.i.1.weight`` (cluster size, hidden).

    Shape:
        forward: input (N, in_features), target (N,) -> output (N,), the log-probability of
        each target, and loss, the mean of −output; or (in_features,) and a 0-d target.

    Example:
        >>> import chainrule
        >>> asm = chainrule.nn.AdaptiveLogSoftmaxWithLoss(8, 10, cutoffs=[4, 7], div_value=2.0)
        >>> out = asm(chainrule.randn(3, 8), chainrule.tensor([0, 5, 9]))
        >>> out.output.shape, out.loss.shape
        ((3,), ())
    """

    def __init__(self, in_features: int, n_classes: int, cutoffs: Sequence[int],
                 div_value: float = 4.0, head_bias: bool = False, device: Any = None,
                 dtype: Any = None) -> None:
        require_cpu(device, type(self).__name__)
        super().__init__()
        cutoffs = list(cutoffs)
        _check_cutoffs(cutoffs, n_classes)
        self.in_features, self.n_classes = in_features, n_classes
        self.cutoffs = cutoffs + [n_classes]
        self.div_value, self.head_bias = div_value, head_bias
        self.shortlist_size = self.cutoffs[0]
        self.n_clusters = len(self.cutoffs) - 1
        self.head_size = self.shortlist_size + self.n_clusters
        self.head = Linear(in_features, self.head_size, bias=head_bias, device=device,
                           dtype=dtype)
        self.tail = ModuleList()
        for i in range(self.n_clusters):
            hidden = int(in_features // (div_value ** (i + 1)))
            size = self.cutoffs[i + 1] - self.cutoffs[i]
            self.tail.append(Sequential(
                Linear(in_features, hidden, bias=False, device=device, dtype=dtype),
                Linear(hidden, size, bias=False, device=device, dtype=dtype)))

    def reset_parameters(self) -> None:
        """Re-initialise the head and every tail layer as at construction."""
        self.head.reset_parameters()
        for projection, output in self.tail:
            projection.reset_parameters()
            output.reset_parameters()

    def forward(self, input_: Tensor, target_: Tensor) -> _ASMoutput:
        _check_shapes(input_, target_)
        batched = target_.ndim > 0
        input = input_ if batched else input_.unsqueeze(0)
        target = np.asarray(target_.numpy() if isinstance(target_, Tensor) else target_)
        output = self._target_log_prob(input, target.reshape(-1).astype(np.int64))
        loss = (-output).mean()
        return _ASMoutput(output if batched else output.squeeze(0), loss)

    def _target_log_prob(self, input: Tensor, target: np.ndarray) -> Tensor:
        """log p(target[n]) for each row n: the head's term plus, for the rows whose target is
        in a cluster, that cluster's term (the rows of each cluster go through its tail
        together, then every row's term is put back in input order)."""
        if target.size and (target.min() < 0 or target.max() >= self.n_classes):
            raise RuntimeError(f"Target values should be in [0, {self.n_classes - 1}], but "
                               f"values in range [{target.min()}, {target.max()}] were found. ")
        cluster = np.searchsorted(self.cutoffs, target, side="right")  # 0: the shortlist
        rows = [np.flatnonzero(cluster == 0)]
        terms = [zeros(len(rows[0]), dtype=input.dtype)]
        for i in range(1, len(self.cutoffs)):
            members = np.flatnonzero(cluster == i)
            if members.size == 0:
                continue
            relative = target[members] - self.cutoffs[i - 1]
            logprob = F.log_softmax(self.tail[i - 1](input[members]), dim=1)
            terms.append(logprob.gather(1, relative[:, None]).squeeze(1))
            rows.append(members)
        in_order = F.cat(terms)[np.argsort(np.concatenate(rows), kind="stable")]
        head_index = np.where(cluster == 0, target, self.shortlist_size + cluster - 1)
        head_logprob = F.log_softmax(self.head(input), dim=1)
        return in_order + head_logprob.gather(1, head_index[:, None]).squeeze(1)

    def _get_full_log_prob(self, input: Tensor, head_output: Tensor) -> Tensor:
        """(N, n_classes) log-probabilities from the input and the head's output."""
        head_logprob = F.log_softmax(head_output, dim=1)
        parts = [head_logprob[:, :self.shortlist_size]]
        for i, projection in enumerate(self.tail):
            cluster = self.shortlist_size + i
            parts.append(F.log_softmax(projection(input), dim=1) +
                         head_logprob[:, cluster:cluster + 1])
        return F.cat(parts, dim=1)

    def log_prob(self, input: Tensor) -> Tensor:
        """log p(class) of every class: input (N, in_features) -> (N, n_classes)."""
        return self._get_full_log_prob(input, self.head(input))

    def predict(self, input: Tensor) -> Tensor:
        """The most likely class of each row, (N, in_features) -> (N,) int64: the head's
        argmax where that is a shortlist class, else the argmax of the full log_prob."""
        with no_grad():
            head_output = self.head(input)
            output = np.argmax(head_output.numpy(), axis=1)
            rare = output >= self.shortlist_size
            if rare.any():
                log_prob = self._get_full_log_prob(input[rare], head_output[rare])
                output[rare] = np.argmax(log_prob.numpy(), axis=1)
        return Tensor._const(output.astype(np.int64))

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, n_classes={self.n_classes}, "
                f"cutoffs={self.cutoffs[:-1]}, div_value={self.div_value}, "
                f"head_bias={self.head_bias}")


__all__ = ["AdaptiveLogSoftmaxWithLoss"]
