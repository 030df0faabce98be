"""The workloads of ``python -m benchmarks``: each builds one round function per framework
(chainrule, PyTorch when installed, and a hand-written NumPy loop where one exists) from the
same data, initial weights, dtype (float32) and batch order, reusing the models of mlp.py,
cnn.py and overhead.py."""

from __future__ import annotations

import itertools
import time
from typing import Any, Callable

import numpy as np

from . import cnn, mlp, overhead
from .harness import Round, repeat

BIG, SMALL = (512, 256), (64, 64)


def mlp_training_flops(hidden: tuple[int, ...], batch: int) -> float:
    """Forward products, weight gradients, and input gradients of every layer but the first."""
    sizes = (784, *hidden, 10)
    products = [2 * batch * i * o for i, o in zip(sizes, sizes[1:])]
    return 2 * sum(products) + sum(products[1:])


def mlp_inference_flops(hidden: tuple[int, ...], batch: int) -> float:
    sizes = (784, *hidden, 10)
    return sum(2 * batch * i * o for i, o in zip(sizes, sizes[1:]))


def cnn_training_flops(batch: int = cnn.BATCH) -> float:
    """The two convolutions as GEMMs (output pixels × out channels × in channels × 9) and the
    two dense layers: forward, weight gradients, and input gradients but the first conv's."""
    conv1 = 2 * batch * 28 * 28 * 32 * 1 * 9
    conv2 = 2 * batch * 14 * 14 * 64 * 32 * 9
    dense = 2 * batch * 3136 * 128 + 2 * batch * 128 * 10
    return 3 * (conv1 + conv2 + dense) - conv1


def _cycled_steps(step: Callable[[Any], None], batches: list, per_round: int) -> Round:
    """A round: the next ``per_round`` batches of an endless pass over ``batches`` (each
    framework has its own pass, so all see the same batches in the same order)."""
    source = itertools.cycle(batches)

    def run() -> float:
        chunk = [next(source) for _ in range(per_round)]
        return _timed_steps(step, chunk)

    return run


def _timed_steps(step: Callable[[Any], None], chunk: list) -> float:
    start = time.perf_counter()
    for batch in chunk:
        step(batch)
    return (time.perf_counter() - start) / len(chunk)


def mlp_training(torch: Any, hidden: tuple[int, ...], batch: int, per_round: int,
                 data: tuple[np.ndarray, np.ndarray]) -> dict[str, Round]:
    """784-…-10 ReLU MLP, cross-entropy, momentum SGD (mlp.py's models)."""
    x, y = data
    batches = mlp.epoch_batches(len(x), batch, 0)
    steps = {"chainrule": mlp.chainrule_step(x, y, hidden),
             "numpy": mlp.numpy_step(x, y, hidden)}
    if torch is not None:
        steps["pytorch"] = mlp.torch_step(x, y, hidden, torch)
    for step in steps.values():  # warm up: first allocations, momentum buffers
        for idx in batches[:3]:
            step(idx)
    return {name: _cycled_steps(step, batches[3:], per_round) for name, step in steps.items()}


# Untimed CNN steps before the rounds: a fresh process's first steps are its slowest (the
# allocator's heap and the work arrays grow to their steady size), and with one step per
# round (--quick) a single warm-up step left that in the timed rounds.
CNN_WARM_UP_STEPS = 3


def cnn_training(torch: Any, per_round: int, random_data: bool) -> dict[str, Round]:
    """cnn.py's two-conv network, batch 128, Adam; torch starts from chainrule's weights."""
    batches, _ = cnn.load_batches(4 * per_round + CNN_WARM_UP_STEPS, random_data)
    model = cnn.chainrule_model()
    steps = {"chainrule": cnn.chainrule_trainer(model)}
    if torch is not None:
        steps["pytorch"] = cnn.torch_trainer(cnn.torch_model(model))
    for step in steps.values():
        for batch in batches[:CNN_WARM_UP_STEPS]:
            step(*batch)
    return {name: _cycled_steps(lambda b, s=step: s(*b), batches[CNN_WARM_UP_STEPS:], per_round)
            for name, step in steps.items()}


def mlp_inference(torch: Any, batch: int, per_round: int,
                  data: tuple[np.ndarray, np.ndarray]) -> dict[str, Round]:
    """Forward pass of the 784-512-256-10 MLP in eval mode without gradient recording
    (chainrule ``no_grad``, PyTorch ``inference_mode``), same weights."""
    calls = inference_calls(torch, np.ascontiguousarray(data[0][:batch]))
    rounds = {name: repeat(call, per_round) for name, call in calls.items()}
    for run in rounds.values():
        run()
    return rounds


def inference_calls(torch: Any, x: np.ndarray) -> dict[str, Callable[[], None]]:
    """One forward of the seeded 784-512-256-10 MLP on ``x`` by each framework: chainrule
    under ``no_grad``, the NumPy loop, PyTorch (when given) under ``inference_mode``."""
    import chainrule as cr

    model, _ = mlp.chainrule_model(BIG)
    model.eval()
    xt = cr.from_numpy(x)
    weights = [p.data for p in model.parameters()]

    def ours() -> None:
        with cr.no_grad():
            model(xt)

    def plain() -> None:
        h = x
        for i in range(0, len(weights), 2):
            h = h @ weights[i].T
            h += weights[i + 1]
            if i + 2 < len(weights):
                np.maximum(h, 0, out=h)

    calls = {"chainrule": ours, "numpy": plain}
    if torch is not None:
        theirs_model, xs = _torch_copy(torch, model), torch.from_numpy(x)

        def theirs() -> None:
            with torch.inference_mode():
                theirs_model(xs)

        calls["pytorch"] = theirs
    return calls


def _torch_copy(torch: Any, model: Any) -> Any:
    """The torch Sequential of Linear/ReLU layers with the chainrule model's weights."""
    layers = []
    for layer in model:
        if type(layer).__name__ == "Linear":
            dense = torch.nn.Linear(layer.in_features, layer.out_features)
            with torch.no_grad():
                dense.weight.copy_(torch.from_numpy(layer.weight.data))
                dense.bias.copy_(torch.from_numpy(layer.bias.data))
            layers.append(dense)
        else:
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers).eval()


def per_op(torch: Any, per_round: dict[str, int]) -> dict[str, dict[str, Round]]:
    """overhead.py's two tiny workloads: an 8×8 expression with backward, and a 64-64 MLP
    forward and backward at batch 32: the fixed cost of an op, not the arithmetic.
    ``per_round``: calls per round of "expr" and of "mlp"."""
    rng = np.random.default_rng(0)
    ours = dict(zip(["expr", "mlp"], overhead.chainrule_workloads(rng)))
    theirs = dict(zip(["expr", "mlp"], overhead.torch_workloads(rng, torch))) if torch else {}
    out = {}
    for name, fn in ours.items():
        rounds = {"chainrule": repeat(fn, per_round[name])}
        if name in theirs:
            rounds["pytorch"] = repeat(theirs[name], per_round[name])
        for run in rounds.values():
            run()
        out[name] = rounds
    return out


def recurrent(torch: Any, kind: str, per_round: int) -> dict[str, Round] | None:
    """A one-layer ``kind`` (LSTM or GRU), input 64, hidden 128, batch 32, 32 steps, forward
    and backward with SGD; None until chainrule.nn has the layer."""
    import chainrule as cr

    if not hasattr(cr.nn, kind):
        return None
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 32, 64)).astype(np.float32)
    return _sequence_rounds(torch, lambda nn: getattr(nn, kind)(64, 128, batch_first=True), x,
                            per_round)


def transformer(torch: Any, per_round: int) -> dict[str, Round] | None:
    """One TransformerEncoderLayer (d_model 128, 4 heads, feed-forward 256, no dropout),
    batch 32 × 32 tokens, forward and backward with SGD; None until chainrule.nn has it."""
    import chainrule as cr

    if not hasattr(cr.nn, "TransformerEncoderLayer"):
        return None
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 32, 128)).astype(np.float32)
    options = dict(dim_feedforward=256, dropout=0.0, batch_first=True)
    return _sequence_rounds(torch, lambda nn: nn.TransformerEncoderLayer(128, 4, **options), x,
                            per_round)


def _sequence_rounds(torch: Any, build: Callable[[Any], Any], x: np.ndarray,
                     per_round: int) -> dict[str, Round]:
    """Rounds of forward + backward + SGD of the layer ``build(nn)`` makes, for chainrule
    (seeded) and PyTorch (with chainrule's weights), on the same input; warmed up once."""
    import chainrule as cr

    cr.manual_seed(0)
    ours_layer = build(cr.nn)
    rounds = {"chainrule": repeat(_sequence_step(cr, ours_layer, cr.from_numpy(x)), per_round)}
    if torch is not None:
        theirs_layer = build(torch.nn)
        _copy_state(torch, ours_layer, theirs_layer)
        rounds["pytorch"] = repeat(_sequence_step(torch, theirs_layer, torch.from_numpy(x)),
                                   per_round)
    for run in rounds.values():
        run()
    return rounds


def _sequence_step(lib: Any, layer: Any, x: Any) -> Callable[[], None]:
    optimizer = lib.optim.SGD(layer.parameters(), lr=1e-3)

    def step() -> None:
        optimizer.zero_grad()
        out = layer(x)
        out = out[0] if isinstance(out, tuple) else out
        (out * out).mean().backward()
        optimizer.step()

    return step


def _copy_state(torch: Any, ours: Any, theirs: Any) -> None:
    """Give the torch layer the chainrule layer's initial weights where the names match."""
    state = {key: torch.from_numpy(np.array(value.data)) for key, value in
             ours.state_dict().items()}
    try:
        theirs.load_state_dict(state)
    except (RuntimeError, KeyError):
        pass  # different parameter layout: both keep their own seeded initialisation
