"""Conv2d, MaxPool2d, BatchNorm, ReLU, Linear and the layout copies with the batch split over
several threads (``kernels.over_batch``), and the depthwise direct path with its channels
split, against the same Functions run on the whole batch (the kernel's reference body).

Per-image work gives the same bits however the batch is split: the convolution's output and
dL/dX when each column block is one image (a GEMM over the same rows; with larger blocks a
chunk boundary can change a block's rows, which BLAS may round differently), max pooling
and ReLU both ways, batch norm's elementwise passes. Linear's chunks are rows of Y and
dL/dX and output features of dL/dW and dL/db, each a whole sum: the same bits where BLAS
runs the same kernel for fewer rows (the sizes the real threshold splits), within rounding
where it switches to its small-matrix kernel. Sums across the batch (dL/dW, dL/db,
batch norm's statistics and dL/dγ, dL/dβ, and through them its output and dL/dX) add the
chunks' partial sums in chunk order: the same bits on every run at a given thread count,
and within rounding of the reference: 1e-5 (float32) / 1e-12 (float64) relative to
the largest entry of each result.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

import chainrule as cr
from chainrule import kernels
from chainrule.kernels import parallel
from chainrule.ops import conv as ops_conv
from chainrule.ops import depthwise as ops_depthwise
from chainrule.ops import linalg as ops_linalg
from chainrule.ops.conv import Conv2d
from chainrule.ops.im2col import in_layout_of, is_channels_last, pad_images, to_channels_last
from chainrule.ops.linalg import Linear
from chainrule.ops.norm import BatchNorm
from chainrule.ops.pool import MaxPool2d
from chainrule.ops.unary import Relu
from tests.layouts import channels_last

from .test_conv_blocks import CASES
from .test_depthwise_direct import CASES as DEPTHWISE_CASES
from .test_depthwise_direct import case_arrays as depthwise_case
from .test_depthwise_direct import run as depthwise_run

TOLERANCE = {np.float32: 1e-5, np.float64: 1e-12}


@pytest.fixture(params=[2, 3], ids=["2 threads", "3 threads"])
def threads(request, monkeypatch):
    """Split every call (the size threshold off) over 2 or 3 threads."""
    before = cr.get_num_threads()
    monkeypatch.setattr(parallel, "MIN_PARALLEL_BYTES", 0)
    monkeypatch.setattr(parallel, "BLAS_SINGLE_THREADED", True)
    cr.set_num_threads(request.param)
    yield request.param
    cr.set_num_threads(before)


def whole_batch(run, *args):
    """``run(*args)`` with ``over_batch`` on its reference body (one call, whole batch)."""
    kernels.use_fast(False, "over_batch")
    try:
        return run(*args)
    finally:
        kernels.use_fast(True, "over_batch")


def strided(x: np.ndarray) -> np.ndarray:
    return np.repeat(x, 2, axis=-1)[..., ::2]


LAYOUTS = {"nchw": lambda x: x, "channels_last": channels_last, "strided": strided}


def assert_same_bits(got: np.ndarray, want: np.ndarray) -> None:
    assert got.dtype == want.dtype and got.shape == want.shape
    assert np.ascontiguousarray(got).tobytes() == np.ascontiguousarray(want).tobytes()


def assert_close(got: np.ndarray, want: np.ndarray) -> None:
    """Entries agree to ``TOLERANCE`` relative to the array's largest magnitude (sums over
    the batch cancel: a small entry can carry the rounding of large terms)."""
    assert got.dtype == want.dtype and got.shape == want.shape
    tol = TOLERANCE[got.dtype.type]
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol * max(1.0, np.abs(want).max()))


def backward_of(function, inputs, seed=9, **params):
    """(output, gradient of every input) of ``function`` for a random upstream gradient."""
    tensors = [cr.from_numpy(a).requires_grad_() for a in inputs]
    y = function.apply(*tensors, **params)
    g = np.random.default_rng(seed).standard_normal(y.shape).astype(y.data.dtype)
    y.backward(cr.from_numpy(g))
    return [y.data] + [t.grad.numpy() for t in tensors]


# ------------------------------------------------------------------------------ convolution


def conv_run(case, dtype, batch, layout):
    _, c, h, w, o, kernel, stride, padding, dilation, groups = case
    rng = np.random.default_rng(sum(case[:5]) + batch)
    x = LAYOUTS[layout](rng.standard_normal((batch, c, h, w)).astype(dtype))
    weight = rng.standard_normal((o, c // groups, *kernel)).astype(dtype)
    bias = rng.standard_normal(o).astype(dtype)
    return backward_of(Conv2d, [x, weight, bias], stride=stride, padding=padding,
                       dilation=dilation, groups=groups)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("batch", [1, 3, 7])
def test_conv_split_over_images_matches_the_whole_batch(threads, monkeypatch, case, dtype,
                                                        batch):
    monkeypatch.setattr(ops_conv, "COLUMN_BLOCK_BYTES", 1)  # one image per column block
    y, gx, gw, gb = conv_run(case, dtype, batch, "nchw")
    want = whole_batch(conv_run, case, dtype, batch, "nchw")
    assert_same_bits(y, want[0])  # per-image GEMMs: the same bits
    assert_same_bits(gx, want[1])
    assert_close(gw, want[2])  # sums over the batch, in chunk order
    assert_close(gb, want[3])
    again = conv_run(case, dtype, batch, "nchw")
    for a, b in zip(again, (y, gx, gw, gb)):
        assert_same_bits(a, b)  # deterministic at this thread count


@pytest.mark.parametrize("layout", ["channels_last", "strided"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conv_split_with_default_blocks_and_other_layouts(threads, layout, dtype):
    case = CASES[0]
    got = conv_run(case, dtype, 127, layout)
    want = whole_batch(conv_run, case, dtype, 127, layout)
    for a, b in zip(got, want):
        assert_close(a, b)
    for a, b in zip(conv_run(case, dtype, 127, layout), got):
        assert_same_bits(a, b)


@pytest.mark.parametrize("case", DEPTHWISE_CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("bias", [True, False])
def test_depthwise_split_over_channels_is_bitwise_the_whole_batch(threads, case, dtype, bias):
    arrays = depthwise_case(case, dtype, bias)
    got = depthwise_run(*arrays)
    want = whole_batch(depthwise_run, *arrays)
    for a, b in zip(got, want):
        assert_same_bits(a, b)  # each channel's GEMMs are the same calls in either block


def test_depthwise_split_runs_the_channels_on_several_threads(threads, monkeypatch):
    seen = set()
    matmul = np.matmul

    def recording(*args, **kwargs):
        seen.add(threading.get_ident())
        return matmul(*args, **kwargs)

    monkeypatch.setattr(ops_depthwise.np, "matmul", recording)
    depthwise_run(*depthwise_case(DEPTHWISE_CASES[0], np.float32, True))
    assert len(seen) >= 2  # the caller and a worker (the pool may reuse one worker)


def test_conv_gradcheck_split_float64(threads):
    rng = np.random.default_rng(1)
    inputs = [cr.tensor(rng.standard_normal(s), requires_grad=True)
              for s in ((3, 4, 5, 5), (4, 2, 3, 3), (4,))]
    assert cr.gradcheck(lambda x, w, b: Conv2d.apply(
        x, w, b, stride=(1, 1), padding=(1, 1, 1, 1), dilation=(1, 1), groups=2), inputs)


# ------------------------------------------------------------------------------ max pooling

POOLS = [  # kernel, stride, padding, dilation, ceil_mode
    ((2, 2), (2, 2), (0, 0), (1, 1), False),  # tiles the input: no zero fill
    ((3, 3), (2, 2), (1, 1), (1, 1), True),  # overlapping windows, padding, ceil overhang
    ((2, 3), (1, 2), (0, 1), (2, 1), False),
]


def pool_run(x, pool):
    kernel, stride, padding, dilation, ceil_mode = pool
    return backward_of(MaxPool2d, [x], kernel=kernel, stride=stride, padding=padding,
                       dilation=dilation, ceil_mode=ceil_mode)


@pytest.mark.parametrize("pool", POOLS)
@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("batch", [1, 3, 127])
def test_max_pool_split_is_bitwise_the_whole_batch(threads, pool, layout, dtype, batch):
    x = np.random.default_rng(batch).standard_normal((batch, 3, 6, 8)).astype(dtype)
    x[0, 0, 0, :3] = [np.nan, np.inf, -np.inf]
    x[-1, -1, :2, :2] = 1.0  # ties: the first maximum wins
    x = LAYOUTS[layout](x)
    got, want = pool_run(x, pool), whole_batch(pool_run, x, pool)
    for a, b in zip(got, want):
        assert_same_bits(a, b)
    assert is_channels_last(got[0]) == (layout == "channels_last")  # the layout is kept


def test_max_pool_gradcheck_split_float64(threads):
    x = cr.tensor(np.random.default_rng(2).permutation(3 * 2 * 5 * 5).reshape(3, 2, 5, 5)
                  / 10.0, requires_grad=True)  # distinct values: no ties at the kinks
    assert cr.gradcheck(lambda t: MaxPool2d.apply(t, kernel=(3, 3), stride=(2, 2),
                                                  padding=(1, 1), dilation=(1, 1),
                                                  ceil_mode=False), [x])


# ------------------------------------------------------------------------------ batch norm


def batch_norm_run(x, g_layout):
    rng = np.random.default_rng(5)
    c = x.shape[1]
    weight, bias = rng.standard_normal(c).astype(x.dtype), rng.standard_normal(c).astype(x.dtype)
    tensors = [cr.from_numpy(a).requires_grad_() for a in (x, weight, bias)]
    y = BatchNorm.apply(*tensors, eps=1e-5)
    g = LAYOUTS[g_layout](rng.standard_normal(x.shape).astype(x.dtype))
    y.backward(cr.from_numpy(g))
    return [y.data] + [t.grad.numpy() for t in tensors]


@pytest.mark.parametrize("x_layout", sorted(LAYOUTS))
@pytest.mark.parametrize("g_layout", ["nchw", "channels_last"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("batch", [1, 3, 127])
def test_batch_norm_split_matches_the_whole_batch(threads, x_layout, g_layout, dtype, batch):
    x = np.random.default_rng(batch).standard_normal((batch, 4, 5, 3)).astype(dtype) * 2 + 1
    x = LAYOUTS[x_layout](x)
    got, want = batch_norm_run(x, g_layout), whole_batch(batch_norm_run, x, g_layout)
    for a, b in zip(got, want):
        assert_close(a, b)
    for a, b in zip(batch_norm_run(x, g_layout), got):
        assert_same_bits(a, b)  # deterministic at this thread count
    assert is_channels_last(got[0]) == (x_layout == "channels_last")


def test_batch_norm_gradcheck_split_float64(threads):
    rng = np.random.default_rng(3)
    inputs = [cr.tensor(channels_last(rng.standard_normal((5, 2, 3, 4))), requires_grad=True),
              cr.tensor(rng.standard_normal(2), requires_grad=True),
              cr.tensor(rng.standard_normal(2), requires_grad=True)]
    assert cr.gradcheck(lambda x, w, b: BatchNorm.apply(x, w, b, eps=1e-5), inputs)


# ------------------------------------------------------------------------- ReLU and layouts


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_split_is_bitwise_the_whole_batch_and_passes_gradcheck(threads, layout, dtype):
    x = LAYOUTS[layout](np.random.default_rng(4).standard_normal((127, 3, 4, 5)).astype(dtype))
    got, want = backward_of(Relu, [x]), whole_batch(backward_of, Relu, [x])
    for a, b in zip(got, want):
        assert_same_bits(a, b)
    t = cr.tensor(np.random.default_rng(6).standard_normal((3, 2, 4)) + 0.05,
                  requires_grad=True)
    assert cr.gradcheck(Relu.apply, [t])


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("batch", [1, 3, 127])
def test_layout_copies_split_are_bitwise_the_whole_batch(threads, layout, batch):
    x = LAYOUTS[layout](np.random.default_rng(batch).standard_normal((batch, 3, 4, 5)))
    for like in (np.zeros((1, 3, 4, 5)), channels_last(np.zeros((1, 3, 4, 5)))):
        got, want = in_layout_of(like, x), whole_batch(in_layout_of, like, x)
        assert_same_bits(got, want)
        assert got.strides == want.strides
    for pads in ((0, 0, 0, 0), (1, 2, 0, 1)):
        assert_same_bits(to_channels_last(x, pads), whole_batch(to_channels_last, x, pads))


@pytest.mark.parametrize("pads", [(1, 1, 1, 1), (0, 2, 3, 0), (2, 0, 0, 1)])
def test_each_chunk_zeroes_its_own_border_of_an_uninitialised_canvas(pads):
    """``pad_images`` writes every element of its canvas: a canvas full of NaN comes out as
    ``np.pad`` with zeros (to_channels_last allocates it uninitialised)."""
    top, bottom, left, right = pads
    images = np.random.default_rng(7).standard_normal((3, 4, 5, 2)).astype(np.float32)
    canvas = np.full((3, 4 + top + bottom, 5 + left + right, 2), np.nan, np.float32)
    pad_images(canvas[1:], images[1:], top, left)  # one chunk of the batch
    want = np.pad(images, ((0, 0), (top, bottom), (left, right), (0, 0)))
    assert_same_bits(canvas[1:], want[1:])
    assert np.isnan(canvas[0]).all()  # the other chunk's images untouched


# ------------------------------------------------------------------------------ dense layers


def linear_run(x, weight, bias, needs=(True, True, True), seed=8):
    """(Y, then the gradients asked for by ``needs``) of ``Linear`` for a random G."""
    inputs = [a for a in (x, weight, bias) if a is not None]
    tensors = [cr.from_numpy(a).requires_grad_(need) for a, need in zip(inputs, needs)]
    y = Linear.apply(*tensors)
    g = np.random.default_rng(seed).standard_normal(y.shape).astype(y.data.dtype)
    y.backward(cr.from_numpy(g))
    return [y.data] + [t.grad.numpy() for t in tensors if t.requires_grad]


def linear_inputs(shape, features, dtype, bias=True, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(dtype)
    weight = rng.standard_normal((features, shape[-1])).astype(dtype)
    return x, weight, rng.standard_normal(features).astype(dtype) if bias else None


@pytest.fixture
def split_calls(monkeypatch):
    """The number of chunks of every ``over_batch`` call that ops.linalg makes."""
    calls = []

    def counting(fn, count, nbytes=1 << 62):
        calls.append(len(parallel.chunks_for(count, nbytes)))
        return kernels.over_batch(fn, count, nbytes)

    monkeypatch.setattr(ops_linalg, "over_batch", counting)
    return calls


@pytest.mark.parametrize("shape", [(127, 33), (5, 7), (3, 4, 9), (300, 64)])
@pytest.mark.parametrize("features", [1, 17, 129])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_linear_split_matches_the_whole_batch(threads, split_calls, shape, features, dtype):
    inputs = linear_inputs(shape, features, dtype)
    got = linear_run(*inputs)
    assert split_calls == [threads, threads]  # forward and backward both split
    want = whole_batch(linear_run, *inputs)
    for a, b in zip(got, want):  # the same sums; BLAS may round fewer rows differently
        assert_close(a, b)
    for a, b in zip(linear_run(*inputs), got):
        assert_same_bits(a, b)  # deterministic at this thread count


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_linear_split_of_the_cnn_dense_layer_is_bitwise_the_whole_batch(monkeypatch, dtype,
                                                                        split_calls):
    """At the size the real threshold splits (the CNN's 3136 → 128 layer, batch 128), every
    row is the same GEMM work as in the whole product: the same bits, also for dL/dW."""
    monkeypatch.setattr(parallel, "BLAS_SINGLE_THREADED", True)
    before = cr.get_num_threads()
    cr.set_num_threads(2)
    try:
        inputs = linear_inputs((128, 3136), 128, dtype)
        got = linear_run(*inputs)
        assert split_calls == [2, 2]
        for a, b in zip(got, whole_batch(linear_run, *inputs)):
            assert_same_bits(a, b)
    finally:
        cr.set_num_threads(before)


@pytest.mark.parametrize("needs", [(True, False, True), (False, True, False),
                                   (True, True, False), (False, False, True)])
def test_linear_split_computes_only_the_gradients_asked_for(threads, needs):
    inputs = linear_inputs((31, 6), 5, np.float64)
    got = linear_run(*inputs, needs=needs)
    want = whole_batch(lambda: linear_run(*inputs, needs=needs))
    assert len(got) == len(want) == 1 + sum(needs)
    for a, b in zip(got, want):
        assert_close(a, b)


@pytest.mark.parametrize("layout", ["strided", "transposed"])
def test_linear_split_without_bias_on_non_contiguous_input(threads, layout):
    x, weight, _ = linear_inputs((40, 12), 9, np.float32, bias=False)
    x = strided(x) if layout == "strided" else np.asfortranarray(x)
    got = linear_run(x, weight, None)
    for a, b in zip(got, whole_batch(linear_run, x, weight, None)):
        assert_close(a, b)


def test_linear_special_values_stay_in_their_rows_when_split(threads):
    x, weight, bias = linear_inputs((9, 4), 3, np.float32)
    x[2, 1], x[7, 0] = np.nan, np.inf
    with np.errstate(invalid="ignore"):  # the chunks run under the caller's error state
        got, want = linear_run(x, weight, bias), whole_batch(linear_run, x, weight, bias)
    for a, b in zip(got, want):
        np.testing.assert_array_equal(np.isfinite(a), np.isfinite(b))
        assert_close(np.nan_to_num(a), np.nan_to_num(b))
    assert np.isnan(got[0][2]).all() and np.isfinite(np.delete(got[0], [2, 7], axis=0)).all()


def test_linear_gradcheck_split_float64(threads):
    inputs = [cr.tensor(a, requires_grad=True) for a in linear_inputs((7, 5), 4, np.float64)]
    assert cr.gradcheck(Linear.apply, inputs)


def test_small_linear_products_are_not_split(monkeypatch, split_calls):
    """Below the threshold (an MLP's 64 → 64 layer at batch 32) nothing is handed over."""
    monkeypatch.setattr(parallel, "BLAS_SINGLE_THREADED", True)
    before = cr.get_num_threads()
    cr.set_num_threads(2)
    try:
        linear_run(*linear_inputs((32, 64), 64, np.float32))
    finally:
        cr.set_num_threads(before)
    assert split_calls == []
