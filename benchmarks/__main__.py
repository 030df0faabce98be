"""``python -m benchmarks``: every workload, chainrule against PyTorch (when installed) and a
hand-written NumPy loop where one exists, in one process, timed in turn (harness.py).

Prints one table (median seconds per unit with the quartiles of the rounds, the ratio of
PyTorch's time to chainrule's and of the NumPy loop's to chainrule's, above 1 when chainrule
is faster, and the fraction of the machine's GEMM rate reached), then peak memory and import
costs, and writes everything to a JSON file.

Options: --quick (fewer and shorter rounds, about a minute on a quiet 2-core machine),
--rounds N, --threads N (NumPy's BLAS and torch alike), --json PATH, --only NAME[,NAME],
--fast-paths (what each fast path earns on the MLP and CNN training steps and on
batch-1 inference).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from typing import Any

import numpy as np

from . import harness, processes, workloads
from .harness import Result

# name: (unit, steps or calls per round normally, with --quick)
PER_ROUND = {
    "mlp_b128_train": (20, 5), "mlp_b32_64-64_train": (100, 30), "cnn_b128_train": (3, 1),
    "cnn_b128_train_own_threads": (3, 1),
    "infer_b1": (300, 100), "infer_b1024": (10, 3), "op_expr": (1000, 300),
    "op_mlp_b32": (300, 100), "lstm_train": (5, 2), "gru_train": (5, 2),
    "transformer_train": (5, 2),
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a one-minute pass")
    parser.add_argument("--rounds", type=int, default=None, help="rounds in turn (≥ 5)")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--json", default=os.path.join("runs", "benchmark-results.json"),
                        help="results file (default runs/benchmark-results.json; runs/ is "
                             "ignored by git)")
    parser.add_argument("--only", default="", help="comma-separated workload names")
    parser.add_argument("--random-data", action="store_true", help="skip Fashion-MNIST")
    parser.add_argument("--fast-paths", action="store_true",
                        help="measure what each kernel fast path earns, instead")
    args = parser.parse_args(argv)
    args.rounds = args.rounds or 5 if args.quick else args.rounds or 7
    if args.rounds < 5:
        parser.error("--rounds must be at least 5")
    return args


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    torch = _torch()
    harness.set_threads(args.threads)
    gemm = harness.gemm_flops_per_s()
    print(_header(args, torch, gemm))
    if args.fast_paths:
        report = fast_path_gains(args, torch, gemm)
    else:
        results = run_workloads(args, torch)
        print_table(results, gemm)
        report = {"workloads": {r.name: r.as_json(gemm) for r in results}}
        report["memory"] = memory(args, torch)
        report["import"] = import_costs(args.rounds, torch is not None)
    report["machine"] = _machine(args, torch, gemm)
    os.makedirs(os.path.dirname(args.json) or ".", exist_ok=True)
    with open(args.json, "w") as out:
        json.dump(report, out, indent=1)
    print(f"\nresults written to {args.json}")
    return report


def _wanted(args: argparse.Namespace, name: str) -> bool:
    return not args.only or any(name.startswith(part) for part in args.only.split(","))


def _per_round(args: argparse.Namespace, name: str) -> int:
    normal, quick = PER_ROUND[name]
    return quick if args.quick else normal


def run_workloads(args: argparse.Namespace, torch: Any) -> list[Result]:
    data = None if args.random_data else _data()
    results = []

    def add(name: str, unit: str, build, flops: float | None = None, note: str = "") -> None:
        if not _wanted(args, name):
            return
        rounds = build(_per_round(args, name))
        if rounds is None:
            print(f"{name}: skipped ({note or 'not available'})")
            return
        print(f"{name} ...", flush=True)
        results.append(Result(name, unit, harness.in_turn(rounds, args.rounds), flops, note))

    data = data or _random_mnist()
    add("mlp_b128_train", "step",
        lambda n: workloads.mlp_training(torch, workloads.BIG, 128, n, data),
        workloads.mlp_training_flops(workloads.BIG, 128), "784-512-256-10, momentum SGD")
    add("mlp_b32_64-64_train", "step",
        lambda n: workloads.mlp_training(torch, workloads.SMALL, 32, n, data),
        workloads.mlp_training_flops(workloads.SMALL, 32), "784-64-64-10, momentum SGD")
    add("cnn_b128_train", "step",
        lambda n: workloads.cnn_training(torch, n, args.random_data),
        workloads.cnn_training_flops(), "cnn.py's model, Adam")
    if args.threads > 1 and _wanted(args, "cnn_b128_train_own_threads"):
        results += own_threads_result(args)
    for batch in (1, 1024):
        add(f"infer_b{batch}", "call",
            lambda n, b=batch: workloads.mlp_inference(torch, b, n, data),
            workloads.mlp_inference_flops(workloads.BIG, batch), "784-512-256-10, no grad")
    if _wanted(args, "op_"):
        counts = {"expr": _per_round(args, "op_expr"), "mlp": _per_round(args, "op_mlp_b32")}
        for name, rounds in workloads.per_op(torch, counts).items():
            label = "op_expr" if name == "expr" else "op_mlp_b32"
            print(f"{label} ...", flush=True)
            results.append(Result(label, "call", harness.in_turn(rounds, args.rounds), None,
                                  "8×8 (a*b+c).relu().sum() backward" if name == "expr"
                                  else "64-64 MLP forward+backward, batch 32"))
    for kind in ("LSTM", "GRU"):
        add(f"{kind.lower()}_train", "step",
            lambda n, k=kind: workloads.recurrent(torch, k, n),
            note=f"chainrule.nn.{kind} does not exist yet")
    add("transformer_train", "step", lambda n: workloads.transformer(torch, n),
        note="chainrule.nn.TransformerEncoderLayer does not exist yet")
    return results


def own_threads_result(args: argparse.Namespace) -> list[Result]:
    """The CNN step with NumPy's BLAS on one thread and chainrule's own threads splitting the
    batch, both frameworks in a fresh process started that way (processes.py)."""
    name = "cnn_b128_train_own_threads"
    print(f"{name} ...", flush=True)
    seconds = processes.own_threads_rounds(args.threads, _per_round(args, name), args.rounds,
                                           args.random_data)
    if seconds is None:
        print(f"{name}: skipped (the child process failed)")
        return []
    return [Result(name, "step", seconds, workloads.cnn_training_flops(),
                   "the same in a process started with OPENBLAS_NUM_THREADS=1, chainrule's "
                   "own threads over the batch")]


def print_table(results: list[Result], gemm: float) -> None:
    print(f"\n{'workload':26s} {'unit':5s} {'chainrule':>22s} {'pytorch':>22s} {'numpy loop':>22s}"
          f" {'vs pytorch':>10s} {'vs numpy':>9s} {'GEMM roofline cr / pt':>22s}")
    for r in results:
        cells = [_cell(r, f) for f in ("chainrule", "pytorch", "numpy")]
        ratios = [r.ratio("pytorch"), r.ratio("numpy")]
        roof = [r.roofline(f, gemm) for f in ("chainrule", "pytorch")]
        roof_text = " / ".join("—" if x is None else f"{x:.0%}" for x in roof)
        print(f"{r.name:26s} {r.unit:5s} {cells[0]:>22s} {cells[1]:>22s} {cells[2]:>22s} "
              + " ".join(f"{'—' if x is None else f'{x:.2f}×':>{w}s}"
                         for x, w in zip(ratios, (10, 9)))
              + f" {roof_text if r.flops else '':>22s}")
    print("median over rounds (quartiles); ratios: the other's time / chainrule's, "
          "round by round (> 1: chainrule faster)")


def _cell(result: Result, framework: str) -> str:
    if framework not in result.seconds:
        return "—"
    low, high = result.spread(framework)
    return f"{_time(result.median(framework))} ({_time(low, False)}–{_time(high)})"


def _time(seconds: float, unit: bool = True) -> str:
    value, name = ((seconds, "s") if seconds >= 1 else (seconds * 1e3, "ms")
                   if seconds >= 1e-3 else (seconds * 1e6, "µs"))
    return f"{value:.3g} {name}" if unit else f"{value:.3g}"


def memory(args: argparse.Namespace, torch: Any) -> dict[str, Any]:
    """Peak memory of one training step: chainrule's NumPy allocations (tracemalloc, this
    process), and the growth of peak RSS over three steps in fresh processes, both sides."""
    out: dict[str, Any] = {}
    chosen = [w for w in ("mlp", "cnn") if _wanted(args, f"{w}_b128_train")]
    if chosen:
        print(f"\n{'peak memory of a training step':34s} {'chainrule':>10s} {'pytorch':>10s}")
    for workload in chosen:
        traced = _traced_step(workload)
        rss = {f: processes.training_rss_growth(f, workload, args.threads)
               for f in ("chainrule", "pytorch") if f == "chainrule" or torch is not None}
        out[workload] = {"tracemalloc_mb": {"chainrule": traced}, "rss_growth_mb": rss}
        print(f"{workload + ' b128, NumPy arrays (tracemalloc)':34s} {traced:8.1f} MB")
        print(f"{workload + ' b128, peak RSS growth, 3 steps':34s} "
              + " ".join(f"{'n/a' if v is None else f'{v:.1f} MB':>10s}" for v in rss.values()))
    return out


def _traced_step(workload: str) -> float:
    from . import cnn, mlp

    if workload == "cnn":
        batches, _ = cnn.load_batches(2, random_data=True)
        step = cnn.chainrule_trainer(cnn.chainrule_model())
        step(*batches[0])
        return processes.tracemalloc_peak_mb(lambda b: step(*b), batches[1])
    rng = np.random.default_rng(0)
    x, y = rng.random((256, 784), dtype=np.float32), rng.integers(0, 10, 256)
    step = mlp.chainrule_step(x, y, workloads.BIG)
    step(np.arange(128))
    return processes.tracemalloc_peak_mb(step, np.arange(128, 256))


def import_costs(rounds: int, with_torch: bool) -> dict[str, Any]:
    """``import`` time and resident memory in fresh processes, the packages in turn."""
    names = ["numpy", "chainrule"] + (["torch"] if with_torch else [])
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in names}
    for name in names:
        processes.warm_bytecode(name)
    for r in range(rounds):
        for name in names if r % 2 == 0 else names[::-1]:
            costs = processes.import_costs(name)
            if costs is not None:
                runs[name].append(costs)
    print(f"\n{'import (fresh process)':34s} {'seconds':>10s} {'RSS MB':>8s}")
    out = {}
    for name, costs in runs.items():
        if not costs:
            continue
        seconds = float(np.median([c["numpy_s"] + c["package_s"] for c in costs]))
        beyond = float(np.median([c["package_s"] for c in costs]))
        rss = float(np.median([c["rss_mb"] for c in costs]))
        out[name] = {"seconds": seconds, "seconds_after_numpy": beyond, "rss_mb": rss,
                     "runs": costs}
        label = name if name == "numpy" else f"{name} (numpy + {beyond:.3f} s)"
        print(f"{label:34s} {seconds:10.3f} {rss:8.1f}")
    return out


def fast_path_gains(args: argparse.Namespace, torch: Any, gemm: float) -> dict[str, Any]:
    """For each kernel with a fast path, on the MLP and CNN training steps: the gain measured
    in turn (all fast paths on, and that one off) and the time its calls save, as a fraction
    of the best step and of the step's GEMM-only time (fastpaths.py)."""
    from chainrule import kernels

    from . import fastpaths

    names = list(kernels.fast_paths())
    if not names:
        print("no kernel has a fast path today (decisions: benchmarks/README.md)")
        return {"fast_paths": {}}
    data = None if args.random_data else _data()
    data = data or _random_mnist()
    builders = {
        "mlp_b128_train": (lambda n: workloads.mlp_training(
            None, workloads.BIG, 128, n, data)["chainrule"],
            workloads.mlp_training_flops(workloads.BIG, 128)),
        "mlp_b32_64-64_train": (lambda n: workloads.mlp_training(
            None, workloads.SMALL, 32, n, data)["chainrule"],
            workloads.mlp_training_flops(workloads.SMALL, 32)),
        "infer_b1": (lambda n: workloads.mlp_inference(None, 1, n, data)["chainrule"],
                     workloads.mlp_inference_flops(workloads.BIG, 1)),
        "cnn_b128_train": (lambda n: workloads.cnn_training(
            None, n, args.random_data)["chainrule"], workloads.cnn_training_flops()),
    }
    report: dict[str, Any] = {}
    print(f"\n{'fast path':18s} {'workload':16s} {'in turn (quartiles)':>26s} {'best round':>10s} "
          f"{'saved/step':>11s} {'of best step':>13s} {'of GEMM time':>13s}")
    for workload, (build, flops) in builders.items():
        if not _wanted(args, workload):
            continue
        per_round = _per_round(args, workload)
        rounds = {"all fast": _switched(build(per_round), kernels, ())}
        rounds.update({f"{name} off": _switched(build(per_round), kernels, (name,))
                       for name in names})
        seconds = harness.in_turn(rounds, args.rounds)
        base = np.array(seconds["all fast"])
        one_step = build(1)
        for name in names:
            gain = np.array(seconds[f"{name} off"]) / base - 1
            q1, med, q3 = (float(v) for v in np.percentile(gain, [25, 50, 75]))
            best = float(np.min(seconds[f"{name} off"]) / base.min() - 1)
            # the calls of a kernel function can be timed one by one; a fast path that is not
            # a kernel function (nn.fusion's) is measured in turn only
            saved = fastpaths.saved_per_step(name, one_step) if hasattr(kernels, name) \
                else float("nan")
            entry = {"in_turn_median": med, "in_turn_quartiles": [q1, q3], "best_round": best,
                     "saved_s_per_step": saved, "best_step_s": float(base.min()),
                     "of_best_step": saved / float(base.min()),
                     "of_gemm_time": saved / (flops / gemm)}
            report.setdefault(name, {})[workload] = entry
            print(f"{name:18s} {workload:16s} {med:+9.1%} ({q1:+.1%} to {q3:+.1%}) {best:+9.1%} "
                  f"{saved * 1e6:8.1f} µs {entry['of_best_step']:13.2%} "
                  f"{entry['of_gemm_time']:13.2%}")
    return {"fast_paths": report}


def _switched(run, kernels: Any, off: tuple[str, ...]):
    def switched() -> float:
        kernels.use_fast(True)
        if off:
            kernels.use_fast(False, *off)
        try:
            return run()
        finally:
            kernels.use_fast(True)

    return switched


def _torch() -> Any:
    try:
        import torch
    except ImportError:
        print("PyTorch is not installed: chainrule and the NumPy loops only")
        return None
    return torch


def _data() -> tuple[np.ndarray, np.ndarray] | None:
    try:
        from chainrule.data.datasets import load_fashion_mnist

        (x, y), _ = load_fashion_mnist(flatten=True)
        return x, y
    except (ImportError, OSError, FileNotFoundError):
        return None


def _random_mnist() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.random((60000, 784), dtype=np.float32), rng.integers(0, 10, 60000)


def _machine(args: argparse.Namespace, torch: Any, gemm: float) -> dict[str, Any]:
    return {"python": sys.version.split()[0], "numpy": np.__version__,
            "torch": getattr(torch, "__version__", None), "platform": platform.platform(),
            "cpus": os.cpu_count(), "threads": args.threads, "rounds": args.rounds,
            "quick": args.quick, "gemm_float32_gflops": gemm / 1e9,
            "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None}


def _header(args: argparse.Namespace, torch: Any, gemm: float) -> str:
    load = f", load average {os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else ""
    return (f"threads {args.threads} (NumPy BLAS{' and torch' if torch else ''}), "
            f"{args.rounds} rounds in turn{', quick' if args.quick else ''}; NumPy "
            f"{np.__version__}, torch {getattr(torch, '__version__', '—')}; float32 GEMM "
            f"{gemm / 1e9:.0f} GFLOP/s{load}")


if __name__ == "__main__":
    main()
