"""chainrule: a deep-learning framework written from scratch on NumPy.

Tensors with reverse-mode automatic differentiation, a PyTorch-compatible API, and every
backward pass derived in its docstring.
"""

from __future__ import annotations

from . import (
    accelerator,
    amp,
    autograd,
    backends,
    cuda,
    data,
    functional,
    nn,
    ops,
    optim,
    utils,
)
from .amp import autocast
from .autograd import (
    detect_anomaly,
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .creation import (
    arange,
    as_tensor,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    normal,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    tensor,
    zeros,
    zeros_like,
)
from .device import device, get_default_device, set_default_device  # the class: torch.device
from .dtypes import (
    bool_,
    double,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    int8,
    int16,
    int32,
    int64,
    long,
    set_default_dtype,
    uint8,
)
from .functional import (
    abs,
    clamp,
    clip,
    cos,
    exp,
    log,
    log1p,
    log_softmax,
    logsumexp,
    matmul,
    maximum,
    mean,
    minimum,
    pow,
    relu,
    rsqrt,
    sigmoid,
    sign,
    sin,
    softmax,
    sqrt,
    sum,
    tanh,
)
from .gradcheck import GradcheckError, gradcheck, numerical_grad
from .io import load, save
from .kernels.parallel import get_num_threads, set_num_threads
from .legacy import (
    BoolTensor,
    ByteTensor,
    CharTensor,
    DoubleTensor,
    FloatTensor,
    HalfTensor,
    IntTensor,
    LongTensor,
    ShortTensor,
    compile,
)
from .methods.convenience import movedim
from .methods.einsum import einsum
from .methods.elementwise import (
    acos,
    acosh,
    allclose,
    asin,
    asinh,
    atan,
    atan2,
    atanh,
    ceil,
    cosh,
    eq,
    equal,
    exp2,
    expm1,
    floor,
    fmod,
    ge,
    greater,
    greater_equal,
    gt,
    is_floating_point,
    is_tensor,
    isclose,
    isfinite,
    isinf,
    isnan,
    le,
    less,
    less_equal,
    log2,
    log10,
    lt,
    ne,
    neg,
    negative,
    not_equal,
    numel,
    reciprocal,
    remainder,
    rounded,
    sinh,
    square,
    tan,
    trunc,
)
from .methods.linalg import addmm, bmm, dot, ger, mm, outer, t
from .methods.math import where
from .methods.reduce import norm, prod, std, var
from .methods.sampling import bernoulli, multinomial
from .methods.scan import cumprod, cumsum, repeat_interleave, roll
from .methods.select_functions import (
    argmax,
    argmin,
    argsort,
    diag,
    gather,
    index_add,
    index_fill,
    index_select,
    masked_fill,
    max,
    min,
    narrow,
    nonzero,
    scatter,
    scatter_add,
    sort,
    take_along_dim,
    topk,
    tril,
    triu,
    unbind,
    unique,
)
from .methods.shape import cat, pad, stack
from .methods.shape_functions import (
    chunk,
    flatten,
    meshgrid,
    permute,
    ravel,
    reshape,
    split,
    squeeze,
    swapaxes,
    swapdims,
    transpose,
    unflatten,
    unsqueeze,
)
from .random import get_rng_state, manual_seed, set_rng_state
from .tensor import Tensor

bool = bool_  # noqa: A001 - chainrule.bool, as torch.bool
float = float32  # noqa: A001 - chainrule.float, as torch.float
int = int32  # noqa: A001 - chainrule.int, as torch.int
short = int16
round = rounded  # noqa: A001 - chainrule.round, as torch.round

__version__ = "0.1.0"

# Subpackages loaded on first use (PEP 562): `import chainrule` loads only the core (tensors,
# ops, nn, optim, data loading); `chainrule.viz`, `from chainrule.train import fit` and the like
# import these when first named. Optional-extra packages that are not installed in this
# checkout are simply absent (AttributeError, as for any unknown name).
_LAZY_SUBPACKAGES = ("app", "distributed", "distributions", "interop", "onnx", "sklearn",
                     "train", "vision", "viz")


def __getattr__(name: str):
    if name in _LAZY_SUBPACKAGES:
        import importlib

        try:
            return importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as error:
            if error.name != f"{__name__}.{name}":
                raise
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    import importlib.util

    lazy = [name for name in _LAZY_SUBPACKAGES
            if importlib.util.find_spec(f"{__name__}.{name}") is not None]
    return sorted(set(globals()) | set(lazy))

__all__ = [
    "abs", "arange", "as_tensor", "autograd", "bool", "bool_", "cat", "clamp", "clip", "cos",
    "distributions", "distributed",
    "interop",
    "data", "detect_anomaly", "double", "empty", "enable_grad", "exp", "eye", "float16", "float32",
    "float64", "from_numpy", "full", "full_like", "functional", "get_rng_state", "gradcheck",
    "GradcheckError", "half", "inference_mode", "int16", "int32", "int64", "int8",
    "is_grad_enabled", "is_inference_mode_enabled", "linspace",
    "load", "log", "log1p", "log_softmax", "logsumexp", "long", "manual_seed", "matmul", "maximum",
    "mean", "minimum", "nn", "no_grad", "numerical_grad", "ones", "ones_like", "ops", "optim",
    "pad", "pow", "rand", "rand_like", "randint", "randn", "randn_like", "relu", "rsqrt", "save",
    "set_grad_enabled", "set_rng_state", "sigmoid", "sign", "sin", "softmax", "sqrt", "stack",
    "sum", "tanh", "Tensor", "tensor", "train", "uint8", "utils", "vision", "viz", "where", "zeros",
    "zeros_like",
    "argmax", "argmin", "argsort", "bernoulli", "cumprod", "cumsum", "diag", "gather",
    "index_select", "masked_fill", "max", "min", "multinomial", "narrow", "nonzero", "normal",
    "randperm", "repeat_interleave", "roll", "scatter", "scatter_add", "sort", "take_along_dim",
    "topk", "tril", "triu", "unbind", "unique", "index_add", "index_fill",
    "onnx",
]
__all__ += [
    "accelerator", "amp", "autocast", "backends", "BoolTensor", "ByteTensor", "CharTensor",
    "compile", "cuda", "device", "DoubleTensor", "empty_like", "FloatTensor", "get_default_device",
    "HalfTensor", "IntTensor", "LongTensor", "set_default_device", "ShortTensor",
    "acos", "acosh", "addmm", "allclose", "asin", "asinh", "atan", "atan2", "atanh", "bmm",
    "ceil", "chunk", "cosh", "dot", "einsum", "eq", "equal", "exp2", "expm1", "flatten", "float",
    "floor", "fmod", "ge", "ger", "get_default_dtype", "greater", "greater_equal", "gt", "int",
    "is_floating_point", "is_tensor", "isclose", "isfinite", "isinf", "isnan", "le", "less",
    "less_equal", "log10", "log2", "lt", "meshgrid", "mm", "movedim", "ne", "neg", "negative",
    "norm", "not_equal", "numel", "outer", "permute", "prod", "ravel", "reciprocal", "remainder",
    "reshape", "round", "set_default_dtype", "short", "sinh", "split", "square", "squeeze",
    "std", "swapaxes", "swapdims", "t", "tan", "transpose", "trunc", "unflatten", "unsqueeze",
    "var",
]
__all__ += ["get_num_threads", "set_num_threads"]
