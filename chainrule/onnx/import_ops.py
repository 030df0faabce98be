"""ONNX operators as chainrule ops: ``IMPORTS[op_type](attrs, *inputs)``.

Inputs are Tensors (computed values, parameters) or NumPy arrays (integer initializers,
Constant nodes, shape arithmetic); an operator whose inputs are all arrays is evaluated in
NumPy (``_folded``), so the shape subgraphs that ``torch.onnx.export`` writes
(Shape -> Gather -> Unsqueeze -> Concat -> Reshape) stay constant. Everything that touches a
Tensor goes through chainrule's differentiable ops, so an imported model trains.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .. import functional as F
from ..methods.shape import cat
from ..tensor import Tensor
from .builder import UnsupportedOperatorError
from .import_sequence import SEQUENCE_IMPORTS


def _arr(x: Any) -> np.ndarray:
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def _ints(x: Any) -> list[int]:
    return [int(v) for v in np.ravel(_arr(x))]


def _tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(np.asarray(x))


def _folded(numpy_fn: Callable, chainrule_fn: Callable) -> Callable:
    """NumPy when every input is an array (constant folding), chainrule otherwise."""
    def run(attrs: dict, *xs: Any) -> Any:
        if not any(isinstance(x, Tensor) for x in xs):
            return np.asarray(numpy_fn(attrs, *[None if x is None else np.asarray(x)
                                               for x in xs]))
        return chainrule_fn(attrs, *xs)
    return run


def _binary(numpy_fn: Callable, method: Callable) -> Callable:
    return _folded(lambda a, x, y: numpy_fn(x, y), lambda a, x, y: method(_tensor(x), y))


def gemm(a: dict, x: Tensor, w: Tensor, c: Any = None) -> Tensor:
    """Y = α·A'·B' + β·C (A' = Aᵀ with transA, B' = Bᵀ with transB)."""
    x = x.T if a.get("transA") else x
    w_t = w if a.get("transB") else w.T
    alpha, beta = a.get("alpha", 1.0), a.get("beta", 1.0)
    y = F.linear(x, w_t) if alpha == 1 else F.linear(x, w_t) * alpha
    if c is None:
        return y
    return y + (_tensor(c) if beta == 1 else _tensor(c) * beta)


def _spatial(a: dict, x: Any, dims: int) -> tuple[Any, list[int]]:
    """The input (padded by F.pad when ONNX's pads are uneven) and the symmetric padding."""
    if a.get("auto_pad", "NOTSET") not in ("NOTSET", "VALID"):
        raise UnsupportedOperatorError(f"auto_pad={a['auto_pad']!r} is not supported")
    pads = list(a.get("pads", [0] * 2 * dims))
    before, after = pads[:dims], pads[dims:]
    if before == after:
        return x, before
    widths = [v for lo, hi in zip(reversed(before), reversed(after)) for v in (lo, hi)]
    return F.pad(x, widths), [0] * dims


def conv(a: dict, x: Tensor, w: Tensor, b: Any = None) -> Tensor:
    dims = w.ndim - 2
    x, pads = _spatial(a, x, dims)
    fn = F.conv1d if dims == 1 else F.conv2d
    return fn(x, w, b, tuple(a.get("strides", [1] * dims)), tuple(pads),
              tuple(a.get("dilations", [1] * dims)), a.get("group", 1))


def conv_transpose(a: dict, x: Tensor, w: Tensor, b: Any = None) -> Tensor:
    dims = w.ndim - 2
    if "output_shape" in a or a.get("auto_pad", "NOTSET") != "NOTSET":
        raise UnsupportedOperatorError("ConvTranspose with output_shape or auto_pad is not "
                                       "supported")
    pads = list(a.get("pads", [0] * 2 * dims))
    if pads[:dims] != pads[dims:]:
        raise UnsupportedOperatorError(f"ConvTranspose with uneven pads {pads} is not "
                                       "supported")
    fn = F.conv_transpose1d if dims == 1 else F.conv_transpose2d
    return fn(x, w, b, tuple(a.get("strides", [1] * dims)), tuple(pads[:dims]),
              tuple(a.get("output_padding", [0] * dims)), a.get("group", 1),
              tuple(a.get("dilations", [1] * dims)))


def max_pool(a: dict, x: Tensor) -> Tensor:
    dims = x.ndim - 2
    if dims == 2 and a.get("pads") and any(a["pads"]) and a["pads"][:2] != a["pads"][2:]:
        raise UnsupportedOperatorError(f"MaxPool with uneven pads {a['pads']}")
    pads = list(a.get("pads", [0] * 2 * dims))[:dims]
    fn = F.max_pool1d if dims == 1 else F.max_pool2d
    return fn(x, tuple(a["kernel_shape"]), tuple(a.get("strides", [1] * dims)), tuple(pads),
              tuple(a.get("dilations", [1] * dims)), bool(a.get("ceil_mode", 0)))


def avg_pool(a: dict, x: Tensor) -> Tensor:
    dims = x.ndim - 2
    x, pads = _spatial(a, x, dims) if not a.get("count_include_pad") else \
        (x, list(a.get("pads", [0] * 2 * dims))[:dims])
    fn = F.avg_pool1d if dims == 1 else F.avg_pool2d
    return fn(x, tuple(a["kernel_shape"]), tuple(a.get("strides", [1] * dims)), tuple(pads),
              bool(a.get("ceil_mode", 0)), bool(a.get("count_include_pad", 0)))


def batch_norm(a: dict, x: Tensor, scale: Any, bias: Any, mean: Any, var: Any) -> Tensor:
    return F.batch_norm(x, _tensor(mean), _tensor(var), _tensor(scale), _tensor(bias), False, 0.1,
                        a.get("epsilon", 1e-5))


def layer_norm(a: dict, x: Tensor, scale: Any, bias: Any = None) -> Tensor:
    axis = a.get("axis", -1) % x.ndim
    bias = None if bias is None else _tensor(bias)
    return F.layer_norm(x, tuple(x.shape[axis:]), _tensor(scale), bias, a.get("epsilon", 1e-5))


def instance_norm(a: dict, x: Tensor, scale: Any, bias: Any) -> Tensor:
    return F.instance_norm(x, weight=_tensor(scale), bias=_tensor(bias),
                           eps=a.get("epsilon", 1e-5))


def reshape(a: dict, x: Any, shape: Any) -> Any:
    target = _ints(shape)
    if not a.get("allowzero"):
        target = [x.shape[i] if n == 0 else n for i, n in enumerate(target)]
    return x.reshape(tuple(target))


def flatten(a: dict, x: Any) -> Any:
    axis = a.get("axis", 1) % max(x.ndim, 1)
    return x.reshape((int(np.prod(x.shape[:axis])), -1))


def transpose(a: dict, x: Any) -> Any:
    perm = a.get("perm", list(reversed(range(x.ndim))))
    return x.permute(*perm) if isinstance(x, Tensor) else np.transpose(x, perm)


def gather(a: dict, data: Any, indices: Any) -> Any:
    axis = a.get("axis", 0)
    idx = _arr(indices).astype(np.int64)
    if not isinstance(data, Tensor):
        return np.take(data, idx, axis=axis)
    if axis == 0 and data.ndim == 2:
        return F.embedding(Tensor(idx), data)
    return data[(slice(None),) * (axis % data.ndim) + (idx,)]


def clip(a: dict, x: Tensor, low: Any = None, high: Any = None) -> Tensor:
    low = a.get("min") if low is None else float(_arr(low))
    high = a.get("max") if high is None else float(_arr(high))
    return x.clamp(low, high)


def _axes(a: dict, axes: Any, ndim: int) -> list[int] | None:
    if axes is None:
        axes = a.get("axes")
    return None if axes is None else [int(v) % ndim for v in np.ravel(_arr(axes))]


def unsqueeze(a: dict, x: Any, axes: Any = None) -> Any:
    chosen = _ints(axes) if axes is not None else list(a["axes"])
    for axis in sorted(v % (x.ndim + len(chosen)) for v in chosen):
        x = x.unsqueeze(axis) if isinstance(x, Tensor) else np.expand_dims(x, axis)
    return x


def squeeze(a: dict, x: Any, axes: Any = None) -> Any:
    chosen = _axes(a, axes, x.ndim)
    chosen = [i for i, n in enumerate(x.shape) if n == 1] if chosen is None else chosen
    shape = tuple(n for i, n in enumerate(x.shape) if i not in chosen)
    return x.reshape(shape)


def reduce(kind: str) -> Callable:
    def run(a: dict, x: Tensor, axes: Any = None) -> Tensor:
        chosen = _axes(a, axes, x.ndim)
        if chosen == [] and a.get("noop_with_empty_axes"):
            return x
        dim = tuple(chosen) if chosen else tuple(range(x.ndim))
        method = x.mean if kind == "mean" else x.sum
        return method(dim=dim, keepdim=bool(a.get("keepdims", 1)))
    return run


def hard_sigmoid(a: dict, x: Tensor) -> Tensor:
    return (x * a.get("alpha", 0.2) + a.get("beta", 0.5)).clamp(0.0, 1.0)


def prelu(a: dict, x: Tensor, slope: Any) -> Tensor:
    """max(0, x) + slope·min(0, x), the slope broadcast (trainable)."""
    return F.relu(x) - _tensor(slope) * F.relu(-x)


def selu(a: dict, x: Tensor) -> Tensor:
    return F.elu(x, a.get("alpha", 1.67326319217681884765625)) * a.get(
        "gamma", 1.05070102214813232421875)


def gelu(a: dict, x: Tensor) -> Tensor:
    return F.gelu(x, approximate=a.get("approximate", "none"))


def constant(a: dict) -> np.ndarray:
    for key in ("value", "value_float", "value_int", "value_floats", "value_ints"):
        if key in a:
            return np.asarray(a[key])
    raise UnsupportedOperatorError(f"Constant with attributes {sorted(a)}")


def cast(a: dict, x: Any) -> Any:
    from onnx import helper

    dtype = helper.tensor_dtype_to_np_dtype(a["to"])
    return x.to(dtype) if isinstance(x, Tensor) else np.asarray(x).astype(dtype)


def fuse_gelu(nodes: list[tuple]) -> list[tuple]:
    """Replace x·½(1 + erf(x/√2)) (Div, Erf, Add, Mul, Mul: what PyTorch and ``export``
    write for GELU at opset < 20) by one Gelu node, as chainrule has no differentiable erf."""
    producer = {out: i for i, node in enumerate(nodes) for out in node[2]}
    drop: set[int] = set()
    result = list(nodes)
    for i, (op, _, _, _, name) in enumerate(nodes):
        if op != "Erf":
            continue
        chain = _gelu_chain(nodes, producer, i)
        if chain is None:
            raise UnsupportedOperatorError(f"load: Erf node {name!r} is not part of a GELU "
                                           "(x·½(1 + erf(x/√2))); chainrule has no erf")
        x, members, last = chain
        drop.update(members)
        result[last] = ("Gelu", [x], nodes[last][2], {}, nodes[last][4])
    return [node for i, node in enumerate(result) if i not in drop]


def _gelu_chain(nodes: list[tuple], producer: dict, erf: int) -> tuple | None:
    consumers: dict[str, list[int]] = {}
    for i, node in enumerate(nodes):
        for name in node[1]:
            consumers.setdefault(name, []).append(i)

    def only_consumer(i: int, op: str) -> int | None:
        users = consumers.get(nodes[i][2][0], [])
        return users[0] if len(users) == 1 and nodes[users[0]][0] == op else None

    div = producer.get(nodes[erf][1][0])
    if div is None or nodes[div][0] != "Div":
        return None
    x = nodes[div][1][0]
    add = only_consumer(erf, "Add")
    mul = only_consumer(add, "Mul") if add is not None else None
    half = only_consumer(mul, "Mul") if mul is not None else None
    if half is None or x not in nodes[mul][1]:
        return None
    return x, {div, erf, add, mul}, half


def _unary(method: Callable) -> Callable:
    """``method`` on a Tensor; on an array (shape arithmetic such as PyTorch's √head_dim) the
    same method on a constant, giving an array back."""
    return lambda a, x: method(x) if isinstance(x, Tensor) else method(Tensor(np.asarray(x))).data


IMPORTS: dict[str, Callable] = {
    "Gemm": gemm, "MatMul": _binary(np.matmul, lambda x, y: x @ y),
    "Add": _binary(np.add, lambda x, y: x + y), "Sub": _binary(np.subtract, lambda x, y: x - y),
    "Mul": _binary(np.multiply, lambda x, y: x * y),
    "Div": _binary(lambda x, y: x // y if x.dtype.kind in "iu" else x / y,
                   lambda x, y: x / y),
    "Pow": _binary(np.power, lambda x, y: x ** _tensor(y)),
    "Max": _binary(np.maximum, lambda x, y: x.maximum(_tensor(y))),
    "Min": _binary(np.minimum, lambda x, y: x.minimum(_tensor(y))),
    "Neg": _unary(lambda x: -x), "Exp": _unary(lambda x: x.exp()),
    "Log": _unary(lambda x: x.log()), "Sqrt": _unary(lambda x: x.sqrt()),
    "Abs": _unary(lambda x: x.abs()), "Sin": _unary(lambda x: x.sin()),
    "Cos": _unary(lambda x: x.cos()), "Tanh": _unary(lambda x: x.tanh()),
    "Sigmoid": _unary(lambda x: x.sigmoid()), "Relu": _unary(F.relu),
    "LeakyRelu": lambda a, x: F.leaky_relu(x, a.get("alpha", 0.01)),
    "Elu": lambda a, x: F.elu(x, a.get("alpha", 1.0)),
    "Celu": lambda a, x: F.celu(x, a.get("alpha", 1.0)), "Selu": selu,
    "Softplus": _unary(F.softplus), "Softsign": _unary(F.softsign),
    "HardSigmoid": hard_sigmoid, "HardSwish": _unary(F.hardswish), "PRelu": prelu,
    "Gelu": gelu, "Clip": clip,
    "Softmax": lambda a, x: F.softmax(x, dim=a.get("axis", -1)),
    "LogSoftmax": lambda a, x: F.log_softmax(x, dim=a.get("axis", -1)),
    "Conv": conv, "ConvTranspose": conv_transpose, "MaxPool": max_pool,
    "AveragePool": avg_pool,
    "GlobalAveragePool": lambda a, x: x.mean(dim=tuple(range(2, x.ndim)), keepdim=True),
    "BatchNormalization": batch_norm, "LayerNormalization": layer_norm,
    "InstanceNormalization": instance_norm,
    "Dropout": lambda a, x, *rest: x, "Identity": lambda a, x: x,
    "Flatten": flatten, "Reshape": _folded(reshape, reshape), "Transpose": transpose,
    "Concat": _folded(lambda a, *xs: np.concatenate(xs, axis=a["axis"]),
                      lambda a, *xs: cat([_tensor(x) for x in xs], dim=a["axis"])),
    "Expand": lambda a, x, shape: x.broadcast_to(np.broadcast_shapes(x.shape, tuple(
        _ints(shape)))) if isinstance(x, Tensor) else
    np.broadcast_to(x, np.broadcast_shapes(x.shape, tuple(_ints(shape)))),
    "Gather": gather, "Shape": lambda a, x: np.asarray(x.shape[a.get("start", 0): a.get("end")],
                                      dtype=np.int64),
    "Unsqueeze": unsqueeze, "Squeeze": squeeze, "Constant": constant, "Cast": cast,
    "ReduceMean": reduce("mean"), "ReduceSum": reduce("sum"),
    "Pad": lambda a, x, pads, *rest: _pad(a, x, pads),
    **SEQUENCE_IMPORTS,
}

_PAD_MODES = {"constant": "constant", "reflect": "reflect", "edge": "replicate",
              "wrap": "circular"}


def _pad(a: dict, x: Tensor, pads: Any) -> Tensor:
    values = _ints(pads)
    dims = len(values) // 2
    before, after = values[:dims], values[dims:]
    widths = [v for lo, hi in zip(reversed(before), reversed(after)) for v in (lo, hi)]
    while widths[-2:] == [0, 0] and len(widths) > 2:
        widths = widths[:-2]
    return F.pad(x, widths, _PAD_MODES[a.get("mode", "constant")])

