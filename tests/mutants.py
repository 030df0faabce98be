"""The mutation table of ``python -m tests.mutate`` (docs/mutation.md): realistic bugs, one per
row, each planted alone in a scratch copy of the repository while the tests named in its row
run. A row that no test notices is a *survivor*: a hole in the tests, unless it is listed in
``ACCEPTED_SURVIVORS`` (or, where an optional module such as torch is missing,
``ACCEPTED_WHEN_MISSING``) with the reason it is not worth a test.

Each row: an id, the area it covers (``REQUIRED_AREAS`` lists those the table must cover), the
file, an exact snippet of that file and its replacement (the snippet must occur exactly once,
so a stale row fails loudly instead of testing nothing), the bug in one line, and the pytest
arguments that should kill it (paths, node ids, ``-k`` expressions; shell-quoted). Keep the
snippets short and the test selections tight: every row runs its tests twice (unmutated as a
baseline, then mutated).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass


@dataclass(frozen=True)
class Mutant:
    id: str
    area: str
    path: str
    find: str
    replace: str
    bug: str
    tests: str

    @property
    def pytest_args(self) -> tuple[str, ...]:
        return tuple(shlex.split(self.tests))


def _m(id: str, area: str, path: str, find: str, replace: str, bug: str, tests: str) -> Mutant:
    return Mutant(id, area, path, find, replace, bug, tests)


OPS = "chainrule/ops/"
OPTIM = "chainrule/optim/"
GRADCHECK = "tests/ops/test_gradcheck.py"
OPTIMIZERS = "tests/optim/test_optimizers.py"
OPTIM_TORCH = "tests/optim/test_torch_parity.py"
SCHED = "tests/optim/test_lr_scheduler.py"

MUTANTS: list[Mutant] = [
    # ------------------------------------------------------------ arithmetic
    _m("arith-sub-grad-sign", "arithmetic", OPS + "arithmetic.py",
       "grad_b = -grad_out if ctx.needs_input_grad[1]",
       "grad_b = grad_out if ctx.needs_input_grad[1]",
       "Sub: dL/dB = +G instead of −G",
       f"{GRADCHECK} -k 'test_gradcheck and sub'"),
    _m("arith-mul-grad-copy-paste", "arithmetic", OPS + "arithmetic.py",
       "grad_b = grad_out * a if", "grad_b = grad_out * b if",
       "Mul: dL/dB = G·B (copy-pasted from dL/dA) instead of G·A",
       f"{GRADCHECK} -k 'test_gradcheck and mul'"),
    _m("arith-div-grad-drops-a", "arithmetic", OPS + "arithmetic.py",
       "grad_b = -grad_out * y / b if", "grad_b = -grad_out / (b * b) if",
       "Div: dL/dB = −G/B², the factor A of −G·A/B² dropped",
       f"{GRADCHECK} -k 'test_gradcheck and div'"),
    _m("arith-pow-exponent-off-by-one", "arithmetic", OPS + "arithmetic.py",
       "return grad_out * p * np.power(x, p - 1)", "return grad_out * p * np.power(x, p)",
       "PowScalar: dL/dX = G·p·X^p instead of G·p·X^(p−1)",
       f"{GRADCHECK} -k 'test_gradcheck and pow_scalar'"),
    _m("arith-maximum-ties", "arithmetic", OPS + "arithmetic.py",
       "share = np.where(a == b, 0.5, (a > b)", "share = np.where(a == b, 1.0, (a > b)",
       "maximum: a tie sends the whole gradient to both inputs instead of G/2 each",
       "tests/ops/test_edge_cases.py tests/ops/test_gradcheck.py -k 'maximum or edge'"),
    # ------------------------------------------------------------ unary math
    _m("unary-sigmoid-grad", "unary", OPS + "unary.py",
       "return grad_out * y * (1 - y)", "return grad_out * (1 - y * y)",
       "Sigmoid: tanh's derivative 1 − Y² pasted in place of Y(1 − Y)",
       f"{GRADCHECK} -k 'test_gradcheck and sigmoid'"),
    _m("unary-log1p-grad", "unary", OPS + "unary.py",
       "return grad_out / (1 + x)", "return grad_out / x",
       "Log1p: dL/dX = G/X (log's derivative) instead of G/(1 + X)",
       f"{GRADCHECK} -k 'test_gradcheck and log1p'"),
    _m("unary-rsqrt-grad", "unary", OPS + "unary.py",
       "return grad_out * (-0.5 * y * y * y)", "return grad_out * (-0.5 * y * y)",
       "Rsqrt: dL/dX = −G·Y²/2 instead of −G·Y³/2",
       f"{GRADCHECK} -k 'test_gradcheck and rsqrt'"),
    _m("unary-relu-kink", "unary", OPS + "unary.py",
       "return grad_out * (y > 0).astype(grad_out.dtype)",
       "return grad_out * (y >= 0).astype(grad_out.dtype)",
       "ReLU: mask Y ≥ 0 instead of Y > 0 (passes the gradient for every input)",
       f"{GRADCHECK} -k 'test_gradcheck and relu'"),
    _m("unary-clamp-bound-excluded", "unary", OPS + "unary.py",
       "inside &= x >= ctx.lo", "inside &= x > ctx.lo",
       "clamp: no gradient at x = min (PyTorch passes it at the bounds)",
       "tests/ops/test_edge_cases.py"),
    # ------------------------------------------------------------ reductions
    _m("reduce-mean-grad-unscaled", "reduction", OPS + "reduce.py",
       "scale = 1.0 / max(_count(ctx.shape, ctx.axis), 1)", "scale = 1.0",
       "mean: backward forgets the 1/n",
       f"{GRADCHECK} -k 'test_gradcheck and mean'"),
    _m("reduce-amax-ties-not-shared", "reduction", OPS + "reduce.py",
       "return mask * (_expand(grad_out, x.shape, ctx.axis, ctx.keepdims) / count)",
       "return mask * _expand(grad_out, x.shape, ctx.axis, ctx.keepdims)",
       "amax: k tied maxima each get G instead of G/k",
       "tests/ops/test_edge_cases.py tests/ops/test_torch_parity.py"),
    _m("reduce-logsumexp-grad-unshifted", "reduction", OPS + "reduce.py",
       "keepdims) * np.exp(x - y)", "keepdims) * np.exp(x)",
       "logsumexp: dL/dX = G·e^X, the division by Σe^X (e^(X−Y)) dropped",
       f"{GRADCHECK} -k 'test_gradcheck and logsumexp'"),
    _m("reduce-var-correction-ignored", "reduction", "chainrule/methods/reduce.py",
       "return total / max(count - correction, 0)", "return total / count",
       "var/std: Bessel's correction ignored (always the biased variance)",
       "tests/ops/test_forward.py -k 'var or std'"),
    # ------------------------------------------------------------ shape ops, indexing
    _m("shape-getitem-repeated-index", "shape", OPS + "shape.py",
       "np.add.at(grad, ctx.index, grad_out)", "grad[ctx.index] = grad_out",
       "x[idx] backward assigns instead of adding: a repeated index keeps one gradient",
       f"{GRADCHECK} -k 'test_gradcheck and getitem'"),
    _m("shape-permute-inverse", "shape", OPS + "shape.py",
       "return np.transpose(grad_out, np.argsort(ctx.perm))",
       "return np.transpose(grad_out, ctx.perm)",
       "permute backward applies perm again instead of its inverse",
       f"{GRADCHECK} -k 'test_gradcheck and permute'"),
    _m("shape-concat-split-bounds", "shape", OPS + "shape.py",
       "np.cumsum([x.shape[axis] for x in xs])[:-1]", "np.cumsum([x.shape[0] for x in xs])[:-1]",
       "cat backward splits G at the sizes along axis 0 whatever the axis",
       f"{GRADCHECK} -k 'test_gradcheck and cat'"),
    # ------------------------------------------------------------ matmul, linear
    _m("matmul-grad-b-untransposed", "matmul", OPS + "linalg.py",
       "grad_b = np.swapaxes(a, -1, -2) @ grad_out",
       "grad_b = np.swapaxes(grad_out, -1, -2) @ a",
       "matmul: dL/dB = Gᵀ A (the transpose of Aᵀ G)",
       f"{GRADCHECK} -k 'test_gradcheck and matmul'"),
    _m("linear-bias-grad-mean", "matmul", OPS + "linalg.py",
       "grad_b = column_sums(grad_2d)", "grad_b = column_sums(grad_2d) / len(grad_2d)",
       "Linear: bias gradient is the mean over the batch instead of the sum",
       "tests/nn/test_layers.py -k linear"),
    # ------------------------------------------------------------ softmax family
    _m("softmax-grad-jacobian-diagonal", "softmax", OPS + "reduce.py",
       "return y * (grad_out - np.sum(grad_out * y, axis=ctx.axis, keepdims=True))",
       "return y * (grad_out - np.sum(grad_out, axis=ctx.axis, keepdims=True))",
       "softmax backward: Σ G instead of Σ G⊙Y in Y⊙(G − Σ G⊙Y)",
       f"{GRADCHECK} -k 'test_gradcheck and softmax'"),
    _m("log-softmax-grad-all-axes", "softmax", OPS + "reduce.py",
       "return grad_out - np.exp(y) * np.sum(grad_out, axis=ctx.axis, keepdims=True)",
       "return grad_out - np.exp(y) * np.sum(grad_out, axis=None, keepdims=True)",
       "log_softmax backward sums G over every axis instead of the softmax axis",
       f"{GRADCHECK} -k 'test_gradcheck and log_softmax'"),
    # ------------------------------------------------------------ convolution
    _m("conv-output-size-ignores-dilation", "conv", OPS + "im2col.py",
       "return (size + pad_lo + pad_hi - dilation * (kernel - 1) - 1) // stride + 1",
       "return (size + pad_lo + pad_hi - (kernel - 1) - 1) // stride + 1",
       "conv output size computed without the dilation",
       "tests/nn/test_conv.py -k 'definition or gradcheck'"),
    _m("conv-crop-left-is-bottom", "conv", OPS + "conv.py",
       "grad_x = crop_to_nchw(grad_xh, padding[0], padding[2], x_shape[2:])",
       "grad_x = crop_to_nchw(grad_xh, padding[0], padding[1], x_shape[2:])",
       "Conv2d backward crops the input gradient at (top, bottom) instead of (top, left)",
       "tests/nn/test_conv.py -k 'gradcheck or composite'"),
    _m("conv-weight-grad-transposed-kernel", "conv", OPS + "conv.py",
       "split = matrix.reshape(groups, kh, kw, second, first // groups).transpose(0, 4, 3, 1, 2)",
       "split = matrix.reshape(groups, kh, kw, second, first // groups).transpose(0, 4, 3, 2, 1)",
       "Conv2d weight gradient with the kernel's rows and columns swapped",
       "tests/nn/test_conv.py -k 'gradcheck or composite'"),
    _m("conv-transpose-bias-grad", "conv", OPS + "conv.py",
       "grad_b = grad_out.sum(axis=(0, 2, 3))", "grad_b = grad_out.mean(axis=(0, 2, 3))",
       "ConvTranspose2d: bias gradient averaged instead of summed",
       "tests/nn/test_conv.py -k conv_transpose"),
    # ------------------------------------------------------------ pooling
    _m("pool-max-ties-last", "pool", OPS + "pool.py",
       "better = np.greater(value, y).view(np.uint8)",
       "better = np.greater_equal(value, y).view(np.uint8)",
       "max pool: the last maximum of a window wins ties (PyTorch: the first)",
       "tests/nn/test_pooling.py -k 'ties or indices'"),
    _m("pool-avg-count-include-pad", "pool", OPS + "pool.py",
       "return np.minimum(end, size) - np.maximum(start, 0)", "return end - start",
       "avg pool: count_include_pad=False still divides by the padded window",
       "tests/nn/test_pooling.py -k avg_pool"),
    _m("pool-adaptive-bins-floor", "pool", OPS + "pool.py",
       "return (i * size) // out, -((-(i + 1) * size) // out)",
       "return (i * size) // out, ((i + 1) * size) // out",
       "adaptive pools: bin ends rounded down (PyTorch rounds up), dropping elements",
       "tests/nn/test_pooling.py -k adaptive"),
    # ------------------------------------------------------------ normalisation
    _m("norm-batchnorm-grad-drops-term", "norm", OPS + "norm.py",
       "(m * grad_out - grad_beta - x_hat * grad_gamma)", "(m * grad_out - grad_beta)",
       "batch norm backward drops the −X̂·Σ(G⊙X̂) term (variance path)",
       "tests/nn/test_normalization.py -k 'gradcheck or composite'"),
    _m("norm-running-var-biased", "norm", "chainrule/functional/norm.py",
       "unbiased = var * (count / (count - 1))", "unbiased = var",
       "batch norm running_var updated with the biased batch variance",
       "tests/nn/test_normalization.py -k running"),
    _m("norm-layernorm-grad-drops-mean", "norm", OPS + "norm.py",
       "return (inv_std / m) * (m * grad_out - sum_g - x_hat * sum_gx)",
       "return (inv_std / m) * (m * grad_out - x_hat * sum_gx)",
       "layer/group norm backward drops the −Σ G term (mean path)",
       "tests/nn/test_normalization.py -k 'layer_norm or group_norm or normalize'"),
    # ------------------------------------------------------------ losses
    _m("loss-ce-grad-not-p-minus-y", "loss", OPS + "loss.py",
       "grad[index] -= 1\n", "\n",
       "fused cross-entropy gradient p instead of p − y (one-hot never subtracted)",
       "tests/nn/test_losses.py -k cross_entropy"),
    _m("loss-ce-mean-over-classes", "loss", OPS + "loss.py",
       "denominator = loss.size if sample_weight is None",
       "denominator = x.size if sample_weight is None",
       "cross-entropy 'mean' divides by N·C instead of N",
       "tests/nn/test_losses.py -k cross_entropy"),
    _m("loss-bce-logits-pos-weight", "loss", OPS + "loss.py",
       "target = y if p is None else p * y", "target = y",
       "BCE-with-logits gradient ignores pos_weight on the target term",
       "tests/nn/test_losses.py tests/nn/test_losses_torch.py -k 'bce or binary'"),
    _m("loss-huber-linear-branch", "loss", "chainrule/functional/loss.py",
       "(size - 0.5 * delta) * delta)", "(size - 0.5 * delta))",
       "Huber loss: linear branch not multiplied by δ",
       "tests/nn/test_losses.py tests/nn/test_losses_torch.py -k huber"),
    # ------------------------------------------------------------ optimizers
    _m("sgd-ignores-dampening", "optim:SGD", OPTIM + "sgd.py",
       "axpby_(1 - dampening, grad, momentum, buf)", "axpby_(1, grad, momentum, buf)",
       "SGD momentum ignores dampening: b ← μb + g",
       OPTIMIZERS),
    _m("sgd-dampens-first-step", "optim:SGD", OPTIM + "sgd.py",
       "buf = state[\"momentum_buffer\"] = grad.copy()",
       "buf = state[\"momentum_buffer\"] = (1 - dampening) * grad",
       "SGD dampens the first momentum step too (PyTorch: b₁ = g)",
       OPTIMIZERS),
    _m("sgd-nesterov-ignored", "optim:SGD", OPTIM + "sgd.py",
       "grad = grad + momentum * buf if group[\"nesterov\"] else buf", "grad = buf",
       "SGD nesterov=True takes the plain momentum step",
       OPTIMIZERS),
    _m("adam-no-bias-correction-m", "optim:Adam", OPTIM + "adam.py",
       "axpby_(-lr / (1 - beta1**t), step, shrink, p.data)", "axpby_(-lr, step, shrink, p.data)",
       "Adam without the first moment's bias correction 1/(1 − β₁ᵗ)",
       OPTIMIZERS),
    _m("adam-no-bias-correction-v", "optim:Adam", OPTIM + "adam.py",
       "denom /= (1 - beta2**t) ** 0.5\n", "\n",
       "Adam without the second moment's bias correction √(1 − β₂ᵗ)",
       OPTIMIZERS),
    _m("adam-amsgrad-max-unused", "optim:Adam", OPTIM + "adam.py",
       "v = np.maximum(state[\"max_exp_avg_sq\"], v, out=state[\"max_exp_avg_sq\"])",
       "np.maximum(state[\"max_exp_avg_sq\"], v, out=state[\"max_exp_avg_sq\"])",
       "AMSGrad keeps the running maximum but divides by the current v",
       OPTIMIZERS),
    _m("adamw-decay-without-lr", "optim:AdamW", OPTIM + "adam.py",
       "shrink = 1 - lr * decay", "shrink = 1 - decay",
       "AdamW decays θ by (1 − λ) instead of (1 − γλ)",
       OPTIMIZERS),
    _m("adamw-decay-as-l2", "optim:AdamW", OPTIM + "adam.py",
       "if decay != 0 and group[\"decoupled_weight_decay\"]:", "if False:",
       "AdamW adds λθ to the gradient (Adam's L2) instead of decoupled decay",
       OPTIMIZERS),
    _m("rmsprop-alpha-swapped", "optim:RMSprop", OPTIM + "rmsprop.py",
       "axpby_(1 - alpha, np.multiply(grad, grad, out=self.temporary(grad)), alpha, square_avg)",
       "axpby_(alpha, np.multiply(grad, grad, out=self.temporary(grad)), 1 - alpha, square_avg)",
       "RMSprop: v ← (1 − α)v + αg², the smoothing weights swapped",
       OPTIMIZERS),
    _m("rmsprop-centered-sign", "optim:RMSprop", OPTIM + "rmsprop.py",
       "return np.subtract(square_avg, centered, out=centered)",
       "return np.add(square_avg, centered, out=centered)",
       "centered RMSprop divides by √(v + ḡ²) instead of √(v − ḡ²)",
       OPTIMIZERS),
    _m("adagrad-lr-decay-off-by-one", "optim:Adagrad", OPTIM + "adagrad.py",
       "clr = lr / (1 + (state[\"step\"] - 1) * lr_decay)",
       "clr = lr / (1 + state[\"step\"] * lr_decay)",
       "Adagrad decays the rate from the first step: γ/(1 + tη) instead of γ/(1 + (t − 1)η)",
       OPTIMIZERS),
    _m("adagrad-sum-not-accumulated", "optim:Adagrad", OPTIM + "adagrad.py",
       "total += square", "total[...] = square",
       "Adagrad's sum of squares holds only the last g²",
       OPTIMIZERS),
    # ------------------------------------------------------------ schedulers
    _m("steplr-decays-at-epoch-0", "sched:StepLR", OPTIM + "lr_scheduler.py",
       "if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:",
       "if self.last_epoch % self.step_size != 0:",
       "StepLR multiplies by γ already at epoch 0",
       SCHED),
    _m("multisteplr-repeated-milestone", "sched:MultiStepLR", OPTIM + "lr_scheduler.py",
       "factor = self.gamma ** self.milestones[self.last_epoch]", "factor = self.gamma",
       "MultiStepLR counts a milestone given twice once (PyTorch: γ²)",
       SCHED),
    _m("exponentiallr-closed-form-mix", "sched:ExponentialLR", OPTIM + "lr_scheduler.py",
       "return [lr * self.gamma for lr in self._current_lrs()]\n\n\nclass Cosine",
       "return [lr * self.gamma ** self.last_epoch for lr in self._current_lrs()]\n\n\n"
       "class Cosine",
       "ExponentialLR multiplies the current rate by γ^epoch (closed form on the recursive one)",
       SCHED),
    _m("cosine-drops-eta-min", "sched:CosineAnnealingLR", OPTIM + "lr_scheduler.py",
       "return [ratio * (lr - eta_min) + eta_min for lr", "return [ratio * lr for lr",
       "CosineAnnealingLR's recursive step ignores eta_min",
       SCHED),
    _m("linearlr-off-by-one", "sched:LinearLR", OPTIM + "lr_scheduler.py",
       "(self.total_iters * start + (t - 1) * (end - start))",
       "(self.total_iters * start + t * (end - start))",
       "LinearLR's recursive factor uses epoch t instead of t − 1",
       SCHED),
    _m("onecycle-momentum-never-annealed", "sched:OneCycleLR", OPTIM + "lr_scheduler.py",
       "self._set_momentum(group, momentum)", "pass",
       "OneCycleLR computes the cycled momentum but never sets it",
       SCHED),
    _m("onecycle-three-phase-boundary", "sched:OneCycleLR", OPTIM + "lr_scheduler.py",
       "(float(2 * pct_start * total) - 2, (\"max_lr\", \"initial_lr\"),",
       "(float(2 * pct_start * total) - 1, (\"max_lr\", \"initial_lr\"),",
       "OneCycleLR three_phase: the second phase ends one step late (2pn − 1, not 2pn − 2)",
       SCHED),
    _m("onecycle-min-lr", "sched:OneCycleLR", OPTIM + "lr_scheduler.py",
       "group[\"min_lr\"] = group[\"initial_lr\"] / final_div_factor",
       "group[\"min_lr\"] = peak / final_div_factor",
       "OneCycleLR's final rate is max_lr/final_div_factor instead of initial_lr/…",
       SCHED),
    _m("plateau-ignores-min-lr", "sched:ReduceLROnPlateau", OPTIM + "plateau.py",
       "new_lr = max(old_lr * self.factor, min_lr)", "new_lr = old_lr * self.factor",
       "ReduceLROnPlateau cuts below min_lr",
       f"{SCHED} tests/train/test_fit.py -k 'plateau'"),
    _m("plateau-patience-off-by-one", "sched:ReduceLROnPlateau", OPTIM + "plateau.py",
       "if self.num_bad_epochs > self.patience:", "if self.num_bad_epochs >= self.patience:",
       "ReduceLROnPlateau cuts after `patience` bad epochs instead of more than `patience`",
       f"{OPTIM}plateau.py {SCHED} -k 'plateau or ReduceLROnPlateau'"),
    # ------------------------------------------------------------ init
    _m("init-default-a-too-small", "init", "chainrule/nn/init.py",
       "kaiming_uniform_(weight, a=math.sqrt(5), generator=generator)",
       "kaiming_uniform_(weight, a=2.5, generator=generator)",
       "default Linear/Conv weight init with a = 2.5 instead of √5: bound 9% too small",
       "tests/nn/test_init_and_utils.py tests/nn/test_layers.py tests/nn/test_conv.py "
       "-k 'init or bound'"),
    _m("init-trunc-normal-clamps", "init", "chainrule/nn/init.py",
       "    while outside.any():\n"
       "        values[outside] = rng.normal(mean, std, int(outside.sum()))\n"
       "        outside = (values < a) | (values > b)\n",
       "    values = np.clip(values, a, b)\n",
       "trunc_normal_ clamps samples to [a, b] instead of redrawing them",
       "tests/nn/test_init_and_utils.py"),
    _m("init-xavier-fan-in-only", "init", "chainrule/nn/init.py",
       "bound = gain * math.sqrt(6.0 / (fan_in + fan_out))",
       "bound = gain * math.sqrt(6.0 / fan_in)",
       "xavier_uniform_ bound from fan_in alone",
       "tests/nn/test_init_and_utils.py"),
    _m("init-kaiming-mode-swapped", "init", "chainrule/nn/init.py",
       "fan = fan_in if mode == \"fan_in\" else fan_out",
       "fan = fan_out if mode == \"fan_in\" else fan_in",
       "kaiming_*: mode='fan_in' uses fan_out and vice versa",
       "tests/nn/test_init_and_utils.py"),
    # ------------------------------------------------------------ engine
    _m("engine-grad-overwritten", "engine", "chainrule/autograd.py",
       "node._grad = node._grad + grad", "node._grad = grad",
       ".grad overwritten by each backward instead of accumulated",
       "tests/test_autograd.py"),
    _m("engine-pending-overwritten", "engine", "chainrule/autograd.py",
       "self.pending[node] = grad if previous is None else previous + grad",
       "self.pending[node] = grad",
       "a node used twice in one graph keeps only the last path's gradient",
       "tests/test_autograd.py"),
    _m("engine-sum-to-lead-offset", "engine", OPS + "shape.py",
       "lead + i for i, size in enumerate(shape) if size == 1",
       "i for i, size in enumerate(shape) if size == 1",
       "sum_to: stretched size-1 axes not offset by the broadcast's leading axes",
       "tests/test_autograd.py tests/ops/test_broadcast_hypothesis.py"),
    _m("engine-retain-graph-ignored", "engine", "chainrule/autograd.py",
       "if not retain_graph:\n            ctx.saved", "if True:\n            ctx.saved",
       "backward frees the graph even with retain_graph=True",
       "tests/test_autograd.py"),
    _m("engine-version-check-skipped", "engine", "chainrule/autograd.py",
       "if ctx.freed or ctx.versions != tuple([p._version for p in ctx.parents]):",
       "if ctx.freed:",
       "an input changed in place after use is not detected (silently wrong gradient)",
       "tests/test_autograd.py"),
    # ------------------------------------------------------------ modules, dropout
    _m("module-load-state-dict-ignores-strict", "module", "chainrule/nn/module.py",
       "        if strict:\n            problems += [f\"missing key",
       "        if False:\n            problems += [f\"missing key",
       "load_state_dict(strict=True) accepts missing and unexpected keys",
       "tests/nn/test_module.py -k load_state_dict"),
    _m("dropout-unscaled", "dropout", "chainrule/functional/layers.py",
       "keep.astype(x.dtype) * (1.0 / (1.0 - p))", "keep.astype(x.dtype)",
       "dropout keeps elements unscaled (not inverted dropout: no 1/(1 − p))",
       "chainrule/functional/layers.py tests/nn/test_layers.py -k dropout"),
    _m("dropout-keep-probability-inverted", "dropout", "chainrule/functional/layers.py",
       "dtype=np.float32) >= p", "dtype=np.float32) < p",
       "dropout keeps each element with probability p instead of 1 − p",
       "tests/nn/test_layers.py -k dropout"),
    _m("dropout-active-in-eval", "dropout", "chainrule/functional/layers.py",
       "if not training or p == 0.0:", "if p == 0.0:",
       "dropout also drops in eval mode",
       "tests/nn/test_layers.py -k dropout"),
    # ------------------------------------------------------------ loaders
    _m("io-offsets-size-unchecked", "io", "chainrule/io.py",
       "if begin > end or end - begin != expected:", "if begin > end:",
       "io.load accepts an entry whose byte span does not match its shape and dtype",
       "tests/test_io.py -k malformed"),
    _m("io-gap-between-tensors", "io", "chainrule/io.py",
       "if begin != position:", "if begin < position:",
       "io.load accepts a gap between two tensors' bytes",
       "tests/test_io.py -k malformed"),
    _m("dataloader-last-batch-dropped", "dataloader", "chainrule/data/dataloader.py",
       "else math.ceil(n / self.batch_size)", "else n // self.batch_size",
       "DataLoader drops the last partial batch even without drop_last",
       "tests/data/test_dataloader.py"),
    _m("dataloader-global-rng", "dataloader", "chainrule/data/dataloader.py",
       "return resolve(self.generator).permutation(n)", "return np.random.permutation(n)",
       "DataLoader shuffles with NumPy's global RNG, ignoring generator= and manual_seed",
       "tests/data/test_dataloader.py"),
    _m("dataloader-shuffle-ignored", "dataloader", "chainrule/data/dataloader.py",
       "if self.shuffle:\n            return", "if False:\n            return",
       "DataLoader(shuffle=True) never shuffles",
       "tests/data/test_dataloader.py"),
    _m("fmnist-idx-little-endian", "fashion-mnist", "chainrule/data/datasets/idx.py",
       "int.from_bytes(data[i:i + 4], \"big\")", "int.from_bytes(data[i:i + 4], \"little\")",
       "IDX reader decodes the dimension sizes little-endian",
       "tests/data/test_fashion_mnist.py"),
    _m("fmnist-scale-256", "fashion-mnist", "chainrule/data/datasets/fashion_mnist.py",
       "np.divide(images, np.float32(255)", "np.divide(images, np.float32(256)",
       "Fashion-MNIST pixels divided by 256 (white is 0.996, not 1)",
       "tests/data/test_fashion_mnist.py"),
    _m("fmnist-label-range", "fashion-mnist", "chainrule/data/datasets/fashion_mnist.py",
       "labels.max() >= len(CLASSES)", "labels.max() > len(CLASSES)",
       "Fashion-MNIST reader accepts label 10",
       "tests/data/test_fashion_mnist.py"),
    # ------------------------------------------------------------ CLI
    _m("cli-predict-argmax-axis", "cli", "chainrule/app.py",
       "classes = predict(net, x).argmax(axis=1)", "classes = predict(net, x).argmax(axis=0)",
       "chainrule predict takes the argmax over the samples instead of the classes",
       "tests/test_cli.py -k predict"),
    _m("cli-quiet-inverted", "cli", "chainrule/cli.py",
       "0 if defaults.quiet else \"auto\"", "\"auto\" if defaults.quiet else 0",
       "chainrule train --quiet shows progress and the default run is silent",
       "tests/test_cli.py -k train_writes"),
    _m("cli-error-exit-status", "cli", "chainrule/cli.py",
       "print(f\"chainrule: error: {message}\", file=sys.stderr)\n        return 2",
       "print(f\"chainrule: error: {message}\", file=sys.stderr)\n        return 1",
       "chainrule exits 1 on a reported error instead of the documented 2",
       "tests/test_cli.py -k bad_arguments"),
]

REQUIRED_AREAS = frozenset({
    "arithmetic", "unary", "reduction", "shape", "matmul", "softmax", "conv", "pool", "norm",
    "loss", "optim:SGD", "optim:Adam", "optim:AdamW", "optim:RMSprop", "optim:Adagrad",
    "sched:StepLR", "sched:MultiStepLR", "sched:ExponentialLR", "sched:CosineAnnealingLR",
    "sched:LinearLR", "sched:OneCycleLR", "sched:ReduceLROnPlateau", "init", "engine", "module",
    "dropout", "io", "dataloader", "fashion-mnist", "cli",
})

_PENDING = "pending tests in issue 18 item 2"

# Survivors accepted in every environment: id -> why the bug is not (yet) worth a test here.
ACCEPTED_SURVIVORS: dict[str, str] = {
    "init-default-a-too-small": f"{_PENDING} (init distributions): the tests check that the "
                                "default init stays inside ±1/√fan_in, not that it fills it",
    "init-trunc-normal-clamps": f"{_PENDING} (init distributions): the tests check the bounds "
                                "of trunc_normal_, not that no mass piles up on them",
    "cli-predict-argmax-axis": f"{_PENDING} (CLI predict): the test predicts 3 samples of a "
                               "3-class model, so an argmax over the samples is also in 0…2",
}

# Survivors accepted only where an optional module is missing from the Python that runs the
# tests (their killers skip there): module -> {id: reason}.
ACCEPTED_WHEN_MISSING: dict[str, dict[str, str]] = {
    "torch": {
        "multisteplr-repeated-milestone": f"{_PENDING} (scheduler formulas); with torch the "
                                          "parity test, whose milestones repeat 5, kills it",
        "onecycle-momentum-never-annealed": f"{_PENDING} (scheduler formulas); with torch "
                                            "the parity test compares the momenta each step",
        "onecycle-three-phase-boundary": f"{_PENDING} (scheduler formulas); with torch the "
                                         "parity test's three-phase case kills it",
        "plateau-ignores-min-lr": f"{_PENDING} (scheduler formulas); with torch the parity "
                                  "test's min_lr case kills it",
    },
    "matplotlib": {
        "cli-quiet-inverted": "the only test that reads `chainrule train`'s progress lines also "
                              "checks the pictures and skips without matplotlib; with it, killed",
    },
}

MUTANTS_BY_ID = {m.id: m for m in MUTANTS}
