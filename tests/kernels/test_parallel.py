"""``kernels.over_batch`` (per-sample work split over chainrule's threads) against its reference
body (one call with the whole batch), ``set_num_threads`` / ``get_num_threads``, and the ReLU
kernels run split: the same bits as the whole-array NumPy expressions they stand for."""

from __future__ import annotations

import select
import signal
import threading
import time
import warnings

import numpy as np
import pytest

import chainrule as cr
from chainrule.kernels import over_batch, parallel, relu, relu_grad

from .helpers import DTYPES, reference, same_bits, special_values


@pytest.fixture
def split(monkeypatch):
    """Two threads, and every call split however small (the threshold off)."""
    before = cr.get_num_threads()
    monkeypatch.setattr(parallel, "MIN_PARALLEL_BYTES", 0)
    monkeypatch.setattr(parallel, "BLAS_SINGLE_THREADED", True)
    cr.set_num_threads(2)
    yield
    cr.set_num_threads(before)


@pytest.mark.parametrize("count", [0, 1, 2, 3, 127, 128])
@pytest.mark.parametrize("parts", [1, 2, 3, 7])
def test_batch_chunks_are_contiguous_nearly_equal_and_cover_the_batch(count, parts):
    chunks = parallel.batch_chunks(count, parts)
    assert chunks[0].start == 0 and chunks[-1].stop == count
    assert all(a.stop == b.start for a, b in zip(chunks, chunks[1:]))
    sizes = [c.stop - c.start for c in chunks]
    assert len(chunks) == max(1, min(parts, count))
    assert max(sizes) - min(sizes) <= 1 and sizes == sorted(sizes, reverse=True)
    assert count == 0 or min(sizes) >= 1


@pytest.mark.parametrize("threads", [2, 3])
@pytest.mark.parametrize("count", [1, 3, 127])
def test_the_chunks_run_on_several_threads_and_come_back_in_order(monkeypatch, threads, count):
    monkeypatch.setattr(parallel, "MIN_PARALLEL_BYTES", 0)
    monkeypatch.setattr(parallel, "BLAS_SINGLE_THREADED", True)
    before = cr.get_num_threads()
    cr.set_num_threads(threads)
    chunks = parallel.batch_chunks(count, threads)
    together = threading.Barrier(len(chunks), timeout=10)  # broken unless all run at once

    def work(s: slice):
        together.wait()
        return s.start, s.stop, threading.get_ident()

    try:
        results = over_batch(work, count)
    finally:
        cr.set_num_threads(before)
    assert [(a, b) for a, b, _ in results] == [(c.start, c.stop) for c in chunks]
    assert len({ident for *_, ident in results}) == len(results)  # each chunk its own thread
    assert results[0][2] == threading.get_ident()  # the caller runs the first chunk


def test_the_reference_body_is_one_call_with_the_whole_batch(split):
    with reference("over_batch"):
        assert over_batch(lambda s: (s.start, s.stop), 127) == [(0, 127)]
    assert len(over_batch(lambda s: s, 127)) == 2


def test_small_work_one_thread_and_a_threaded_blas_are_not_split(monkeypatch):
    monkeypatch.setattr(parallel, "BLAS_SINGLE_THREADED", True)
    before = cr.get_num_threads()
    cr.set_num_threads(2)
    try:
        assert over_batch(lambda s: s, 128, nbytes=parallel.MIN_PARALLEL_BYTES - 1) == \
            [slice(0, 128)]
        assert len(over_batch(lambda s: s, 128, nbytes=parallel.MIN_PARALLEL_BYTES)) == 2
        monkeypatch.setattr(parallel, "BLAS_SINGLE_THREADED", False)
        assert over_batch(lambda s: s, 128) == [slice(0, 128)]
        monkeypatch.setattr(parallel, "BLAS_SINGLE_THREADED", True)
        cr.set_num_threads(1)
        assert over_batch(lambda s: s, 128) == [slice(0, 128)]
    finally:
        cr.set_num_threads(before)


@pytest.mark.parametrize("environment, single", [
    ({}, False),  # each BLAS then uses every core
    ({"OPENBLAS_NUM_THREADS": "1"}, True),
    ({"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "2"}, True),  # the specific one counts
    ({"OPENBLAS_NUM_THREADS": "2", "OMP_NUM_THREADS": "1"}, False),
    ({"OMP_NUM_THREADS": "1"}, True),  # OpenBLAS's fallback
    ({"MKL_NUM_THREADS": "1"}, True),
    ({"OPENBLAS_NUM_THREADS": "x", "OMP_NUM_THREADS": "1"}, True),  # invalid values: ignored
])
def test_blas_single_threaded_reads_the_blas_variables(monkeypatch, environment, single):
    for name in parallel.BLAS_THREAD_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert parallel.blas_single_threaded() is single


def test_a_call_inside_a_chunk_runs_serially(split):
    inner = over_batch(lambda s: over_batch(lambda t: (t.start, t.stop), s.stop - s.start), 10)
    assert inner == [[(0, 5)], [(0, 5)]]


@pytest.mark.parametrize("failing", [0, 1])
def test_an_exception_in_any_chunk_reaches_the_caller_after_all_chunks_end(split, failing):
    finished = []

    def work(s: slice):
        if s.start == [0, 64][failing]:
            raise ZeroDivisionError(f"chunk at {s.start}")
        time.sleep(0.05)  # the other chunk is still running when the failing one raises
        finished.append(s.start)

    with pytest.raises(ZeroDivisionError, match=f"chunk at {[0, 64][failing]}"):
        over_batch(work, 128)
    assert finished == [[64, 0][failing]]
    assert len(over_batch(lambda s: s, 128)) == 2  # the pool still works


def test_set_num_threads_validates_like_torch():
    before = cr.get_num_threads()
    try:
        for bad in (0, -1):
            with pytest.raises(RuntimeError, match="expects a positive integer"):
                cr.set_num_threads(bad)
        for bad in (1.5, "2", True, None):
            with pytest.raises(RuntimeError, match="expects an int"):
                cr.set_num_threads(bad)
        assert cr.get_num_threads() == before  # a refused value changes nothing
        cr.set_num_threads(np.int64(3))
        assert cr.get_num_threads() == 3 and isinstance(cr.get_num_threads(), int)
    finally:
        cr.set_num_threads(before)


def test_the_default_is_omp_num_threads_else_the_cores_available(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert parallel.default_threads() == 3
    cores = len(parallel.os.sched_getaffinity(0)) if hasattr(parallel.os, "sched_getaffinity") \
        else parallel.os.cpu_count()
    for ignored in ("", "0", "-2", "many"):
        monkeypatch.setenv("OMP_NUM_THREADS", ignored)
        assert parallel.default_threads() == cores
    monkeypatch.delenv("OMP_NUM_THREADS")
    assert parallel.default_threads() == cores


# ------------------------------------------------------------------- ReLU and its gradient


def batch(count: int, layout: str, dtype, seed: int) -> np.ndarray:
    """(count, 4, 5, 6) values with special values in them, in ``layout``."""
    rng = np.random.default_rng(seed)
    flat = rng.standard_normal(count * 4 * 5 * 6 * 2).astype(dtype)
    special = special_values(dtype)
    flat[:len(special)] = special
    flat[-len(special):] = special[::-1]
    if layout == "strided":
        return flat.reshape(count, 4, 5, 12)[..., ::2]
    x = flat[: count * 120].reshape(count, 4, 5, 6)
    if layout == "channels_last":
        return np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    return x


LAYOUTS = ["contiguous", "channels_last", "strided"]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("count", [1, 3, 127])
def test_relu_split_is_bitwise_numpys_maximum(split, dtype, layout, count):
    x = batch(count, layout, dtype, 0)
    want = np.maximum(x, 0)
    got = relu(x)
    assert same_bits(got, want)
    assert got.strides == want.strides  # the memory order is kept
    with reference("over_batch"):
        assert same_bits(relu(x), want)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("fast", [True, False])
def test_relu_in_place_is_bitwise_numpys_maximum(split, dtype, layout, fast):
    """relu(x, out=x), as nn.Sequential's fused Linear + ReLU writes over the product."""
    x = batch(127, layout, dtype, 3)
    want = np.maximum(x, 0)
    if fast:
        got = relu(x, out=x)
    else:
        with reference("over_batch"):
            got = relu(x, out=x)
    assert got is x and same_bits(x, want)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("count", [1, 3, 127])
def test_relu_grad_split_is_bitwise_the_masked_product(split, monkeypatch, dtype, layout, count):
    y = np.maximum(batch(count, layout, dtype, 1), 0)
    y[0, 0, 0, :2] = [0.0, -0.0]
    grad = batch(count, LAYOUTS[::-1][LAYOUTS.index(layout)], dtype, 2)  # another layout
    monkeypatch.setattr("chainrule.kernels.elementwise.BLOCK_BYTES", 1)  # blocks of one row
    with np.errstate(invalid="ignore"):  # ±inf · 0 is NaN, as in the expression
        want = grad * (y > 0).astype(dtype)  # −0 and NaN products included
        assert same_bits(relu_grad(grad, y), want)
        with reference("over_batch"):
            assert same_bits(relu_grad(grad, y), want)
        assert relu_grad(grad, y).strides == np.empty_like(grad).strides


def test_relu_kernels_of_zero_dimensional_and_empty_arrays(split):
    assert same_bits(relu(np.array(-2.0)), np.maximum(np.array(-2.0), 0))
    assert same_bits(relu_grad(np.array(-3.0), np.array(0.0)), np.array(-0.0))
    assert relu(np.zeros((0, 3), np.float32)).shape == (0, 3)
    assert relu_grad(np.ones((0, 3)), np.ones((0, 3))).shape == (0, 3)


def test_the_callers_numpy_error_state_holds_in_every_chunk(split):
    x = np.zeros((128, 3))
    with np.errstate(divide="raise"):
        with pytest.raises(FloatingPointError):
            over_batch(lambda s: np.divide(1.0, x[s]), 128)
    with np.errstate(divide="ignore"):
        chunks = over_batch(lambda s: np.divide(1.0, x[s]), 128)
    assert len(chunks) == 2 and all(np.all(np.isinf(c)) for c in chunks)


@pytest.mark.skipif(not hasattr(parallel.os, "fork"), reason="needs os.fork")
def test_a_forked_child_gets_a_pool_of_its_own(split):
    over_batch(lambda s: s, 128)  # the parent's pool exists before the fork
    reader, writer = parallel.os.pipe()
    with warnings.catch_warnings():  # Python ≥ 3.12 warns about forking with threads
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = parallel.os.fork()
    if pid == 0:  # the child: the parent's worker threads do not exist here
        code = 1
        try:
            chunks = over_batch(lambda s: (s.start, s.stop), 128)
            code = 0 if chunks == [(0, 64), (64, 128)] else 2
        finally:
            parallel.os.write(writer, bytes([code]))
            parallel.os._exit(0)
    parallel.os.close(writer)
    ready, _, _ = select.select([reader], [], [], 30)  # a child stuck on dead workers: fail
    status = parallel.os.read(reader, 1) if ready else b"hung"
    if not ready:
        parallel.os.kill(pid, signal.SIGKILL)
    parallel.os.waitpid(pid, 0)
    assert status == bytes([0])
