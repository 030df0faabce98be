"""Forward + backward time of single CNN layers: chainrule against PyTorch (CPU), same run.

Each layer gets the same input (float32, NCHW, C-contiguous) and the same upstream gradient
in both frameworks, shared with NumPy, not copied; one repetition is a forward pass and a
backward pass into the input and the parameters. The frameworks are timed in alternating
rounds and each reports its median round, by wall clock and by CPU time; the ratios are
PyTorch's time over chainrule's (above 1: chainrule is faster). torch and chainrule get
``--threads`` threads, NumPy's BLAS ``--blas-threads`` (default: the same; chainrule splits
batches over its own threads only when the BLAS has one).

Run: python benchmarks/cnn_layers.py [--threads N] [--blas-threads B] [--rounds R] [--reps K]
                                     [--only NAME ...]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

# name -> (input shape, chainrule layer builder, torch layer builder): the builders take the
# module namespace (chainrule.nn or torch.nn).
LAYERS = {
    "conv 1→32 3×3 (28²)": ((128, 1, 28, 28), lambda nn: nn.Conv2d(1, 32, 3, padding=1)),
    "conv 32→64 3×3 (14²)": ((128, 32, 14, 14), lambda nn: nn.Conv2d(32, 64, 3, padding=1)),
    "conv 32→64 1×1 (14²)": ((128, 32, 14, 14), lambda nn: nn.Conv2d(32, 64, 1)),
    "depthwise 32 3×3 (28²)": ((128, 32, 28, 28),
                               lambda nn: nn.Conv2d(32, 32, 3, padding=1, groups=32)),
    "depthwise 64 3×3 (14²)": ((128, 64, 14, 14),
                               lambda nn: nn.Conv2d(64, 64, 3, padding=1, groups=64)),
    # a MobileNet-style block: 1×1 expansion, depthwise 3×3, 1×1 projection, BN + ReLU between
    "separable block 16 (28²)": ((128, 16, 28, 28), lambda nn: separable_block(nn, 16)),
    "separable block 32 (14²)": ((128, 32, 14, 14), lambda nn: separable_block(nn, 32)),
    "batchnorm2d 32 (28²)": ((128, 32, 28, 28), lambda nn: nn.BatchNorm2d(32)),
    "batchnorm2d 64 (14²)": ((128, 64, 14, 14), lambda nn: nn.BatchNorm2d(64)),
    "relu (32×28²)": ((128, 32, 28, 28), lambda nn: nn.ReLU()),
    "maxpool 2 (32×28²)": ((128, 32, 28, 28), lambda nn: nn.MaxPool2d(2)),
}


def separable_block(nn, c):
    return nn.Sequential(nn.Conv2d(c, 2 * c, 1), nn.BatchNorm2d(2 * c), nn.ReLU(),
                         nn.Conv2d(2 * c, 2 * c, 3, padding=1, groups=2 * c),
                         nn.BatchNorm2d(2 * c), nn.ReLU(), nn.Conv2d(2 * c, c, 1))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--blas-threads", type=int, default=None,
                        help="NumPy's BLAS threads (default: --threads)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--reps", type=int, default=5, help="repetitions per round")
    parser.add_argument("--only", nargs="*", help="substrings of the layer names to run")
    return parser.parse_args(argv)


def chainrule_case(shape, build, x, g):
    import chainrule as cr
    from chainrule import nn

    cr.manual_seed(0)
    layer = build(nn)

    def run():
        xt = cr.from_numpy(x).requires_grad_()  # shares x, as torch.from_numpy does
        layer(xt).backward(cr.from_numpy(g))
        for p in layer.parameters():
            p.grad = None
    return layer, run


def torch_case(build, source, x, g):
    import torch

    layer = build(torch.nn)
    layer.load_state_dict({k: torch.from_numpy(v.data.copy())
                           for k, v in source.state_dict().items()})
    gt = torch.from_numpy(g)

    def run():
        xt = torch.from_numpy(x).requires_grad_()
        layer(xt).backward(gt)
        for p in layer.parameters():
            p.grad = None
    return run


def median_ms(run, rounds, reps, other):
    """Median (wall ms, CPU ms) per repetition of ``run`` and of ``other``, rounds alternating.
    CPU time (the process's) is the steadier figure on a loaded machine when both frameworks
    run one thread."""
    times = {0: [], 1: []}
    for _ in range(rounds):
        for key, fn in ((0, run), (1, other)):
            start, cpu = time.perf_counter(), time.process_time()
            for _ in range(reps):
                fn()
            times[key].append(((time.perf_counter() - start) / reps * 1e3,
                               (time.process_time() - cpu) / reps * 1e3))
    return [tuple(statistics.median(t[i] for t in times[key]) for i in (0, 1))
            for key in (0, 1)]


def main(argv=None) -> None:
    args = parse_args(argv)
    blas = args.threads if args.blas_threads is None else args.blas_threads
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    for name in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = str(blas)
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    import numpy as np
    import torch

    import chainrule

    chainrule.set_num_threads(args.threads)  # splits batches only when the BLAS has one thread
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    print(f"forward + backward, float32, {args.threads} threads, median of {args.rounds} "
          f"rounds × {args.reps}")
    print(f"{'layer':<26}{'chainrule ms':>13}{'pytorch ms':>12}{'ratio':>7}"
          f"{'chainrule CPU':>15}{'pytorch CPU':>13}{'ratio':>7}")
    for name, (shape, build) in LAYERS.items():
        if args.only and not any(part in name for part in args.only):
            continue
        x = rng.standard_normal(shape, dtype=np.float32)
        layer, run = chainrule_case(shape, build, x, None)
        g = rng.standard_normal(tuple(layer(__import__("chainrule").tensor(x)).shape),
                                dtype=np.float32)
        layer, run = chainrule_case(shape, build, x, g)
        other = torch_case(build, layer, x, g)
        run(), other()  # warm-up
        ours, theirs = median_ms(run, args.rounds, args.reps, other)
        print(f"{name:<26}{ours[0]:>13.2f}{theirs[0]:>12.2f}{theirs[0] / ours[0]:>6.2f}×"
              f"{ours[1]:>15.2f}{theirs[1]:>13.2f}{theirs[1] / ours[1]:>6.2f}×")


if __name__ == "__main__":
    main()
