"""chainrule: a deep-learning framework written from scratch on NumPy.

Tensors with reverse-mode automatic differentiation, a PyTorch-compatible API, and every
backward pass derived in its docstring.
"""

from __future__ import annotations

from . import (
    autograd,
    data,
    functional,
    nn,
    ops,
    optim,
    utils,
)
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
    asarray,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    logspace,
    normal,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randint_like,
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
    can_cast,
    double,
    dtype,
    finfo,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    iinfo,
    int8,
    int16,
    int32,
    int64,
    long,
    promote_types,
    result_type,
    set_default_dtype,
    uint8,
)
from .gradcheck import GradcheckError, gradcheck, numerical_grad  # eager: also a submodule
from .kernels.parallel import get_num_threads, set_num_threads
from .layout import (  # eager: device.py uses them
    Size,
    channels_last,
    channels_last_3d,
    contiguous_format,
    memory_format,
    preserve_format,
)
from .lazy import lazy_names
from .methods.convenience import movedim
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
from .methods.shape import cat, pad, stack
from .random import get_rng_state, initial_seed, manual_seed, seed, set_rng_state
from .tensor import Tensor

bool = bool_  # noqa: A001 - chainrule.bool, as torch.bool
float = float32  # noqa: A001 - chainrule.float, as torch.float
int = int32  # noqa: A001 - chainrule.int, as torch.int
short = int16
round = rounded  # noqa: A001 - chainrule.round, as torch.round

__version__ = "0.1.0"

# Names loaded on first use (PEP 562, chainrule.lazy): `import chainrule` runs only the core
# (tensors, their methods and the ops those use, creation, autograd); the functional API, the
# layers, optimizers and data loading load their parts when first named, and the subpackages
# below (`chainrule.viz`, `from chainrule.train import fit` ...) when first named. Optional-extra
# packages that are not installed in this checkout are simply absent (AttributeError, as for
# any unknown name).
__getattr__, __dir__ = lazy_names(__name__, globals(), {
    ".amp": "autocast",
    ".generator": "Generator",
    ".methods.display": "set_printoptions",
    ".settings": ("are_deterministic_algorithms_enabled get_float32_matmul_precision "
                  "get_num_interop_threads is_deterministic_algorithms_warn_only_enabled "
                  "set_float32_matmul_precision set_num_interop_threads "
                  "use_deterministic_algorithms"),
    ".functional": ("abs clamp clip cos exp log log1p log_softmax logsumexp matmul maximum mean "
                    "minimum pow relu rsqrt sigmoid sign sin softmax sqrt sum tanh"),
    ".io": "load save",
    ".functional.pairwise": "pdist",
    ".functional.shuffle": "channel_shuffle",
    ".functional.stochastic": "rrelu rrelu_",
    ".legacy": ("BoolTensor ByteTensor CharTensor DoubleTensor FloatTensor HalfTensor IntTensor "
                "LongTensor ShortTensor compile"),
    ".methods.einsum": "einsum",
    ".methods.pointwise_functions": (
        "absolute add addcdiv addcmul all any bitwise_and bitwise_not bitwise_or bitwise_xor "
        "clamp_max clamp_min clone copysign div divide erf erfc erfinv float_power floor_divide "
        "fmax fmin frac hypot isreal lerp logaddexp logical_and logical_not logical_or "
        "logical_xor logit mul multiply nan_to_num positive sgn signbit sub subtract "
        "true_divide xlogy"),
    ".methods.select_functions": ("argmax argmin argsort diag gather index_add index_fill "
                                  "index_select masked_fill max min narrow nonzero scatter "
                                  "scatter_add sort take_along_dim topk tril triu unbind unique"),
    ".methods.shape_functions": ("chunk flatten meshgrid permute ravel reshape split squeeze "
                                 "swapaxes swapdims transpose unflatten unsqueeze"),
    ".methods.structure_functions": ("atleast_1d atleast_2d atleast_3d block_diag "
                                     "broadcast_shapes broadcast_tensors broadcast_to "
                                     "column_stack concat concatenate diag_embed diagonal "
                                     "dsplit dstack flip fliplr flipud hsplit hstack rot90 "
                                     "row_stack select tensor_split trace vsplit vstack"),
    ".methods.statistics": ("amax amin aminmax count_nonzero cummax cummin diff logcumsumexp "
                            "median mode nanmean nanquantile nansum quantile std_mean "
                            "var_mean"),
    ".methods.special_functions": ("deg2rad digamma gcd heaviside i0 lcm lgamma mvlgamma "
                                   "polygamma rad2deg sinc"),
    ".methods.search": ("argwhere bincount bucketize histc isin masked_select searchsorted "
                        "take is_nonzero"),
    ".methods.misc_functions": ("addbmm addmv addr angle chain_matmul gradient index_copy "
                                "index_put index_put_ "
                                "inner kthvalue masked_scatter msort mv narrow_copy put "
                                "resize_as_ scatter_reduce tile unique_consecutive "
                                "unravel_index vander vdot"),
    ".index_creation": "tril_indices triu_indices",
    ".methods.misc_statistics": "corrcoef cov cumulative_trapezoid histogram trapezoid trapz",
    ".methods.products": ("baddbmm cartesian_prod cdist combinations cross det dist inverse kron "
                          "tensordot"),
    ".methods.decompositions": "logdet slogdet",
    ".methods.compat_functions": (  # torch-namespace aliases (arccos, exp_, view_copy ...)
        "abs_ acos_ acosh_ adjoint alias_copy arccos arccos_ arccosh arccosh_ arcsin arcsin_ "
        "arcsinh arcsinh_ arctan arctan2 arctan_ arctanh arctanh_ asin_ asinh_ atan_ atanh_ ceil_ "
        "clamp_ clamp_max_ clamp_min_ clip_ conj conj_physical conj_physical_ cos_ cosh_ deg2rad_ "
        "detach detach_ detach_copy diagonal_copy empty_strided erf_ erfc_ exp2_ exp_ expand_copy "
        "expm1_ fill fill_ fix fix_ floor_ frac_ frombuffer gcd_ get_device i0_ igamma igammac "
        "imag init_num_threads is_anomaly_enabled is_complex is_conj is_inference is_neg "
        "is_same_size is_signed is_storage is_warn_always_enabled isneginf isposinf lcm_ log10_ "
        "log1p_ log2_ log_ logit_ moveaxis nan_to_num_ neg_ negative_ permute_copy rad2deg_ range "
        "real reciprocal_ relu_ resolve_conj resolve_neg round_ rsqrt_ rsub scalar_tensor "
        "select_copy set_anomaly_enabled set_flush_denormal set_warn_always sigmoid_ sin_ sinc_ "
        "sinh_ slice_copy split_copy split_with_sizes split_with_sizes_copy sqrt_ square_ "
        "squeeze_copy strided t_copy tan_ tanh_ transpose_copy trunc_ typename unbind_copy "
        "unfold_copy unsafe_chunk unsafe_split unsafe_split_with_sizes unsqueeze_copy view_copy "
        "xlogy_ zero_"),
    ".functional.top_level": (  # torch.conv2d, torch.dropout ...: nn functions under torch
        "adaptive_avg_pool1d adaptive_max_pool1d alpha_dropout alpha_dropout_ avg_pool1d "
        "batch_norm bilinear binary_cross_entropy_with_logits celu celu_ constant_pad_nd "
        "conv1d conv2d conv3d conv_transpose1d conv_transpose2d conv_transpose3d convolution "
        "cosine_embedding_loss cosine_similarity ctc_loss dropout dropout_ embedding "
        "feature_alpha_dropout feature_alpha_dropout_ feature_dropout feature_dropout_ "
        "group_norm hardshrink hinge_embedding_loss instance_norm kl_div layer_norm "
        "margin_ranking_loss max_pool1d max_pool1d_with_indices max_pool2d max_pool3d "
        "native_channel_shuffle pairwise_distance pixel_shuffle pixel_unshuffle "
        "poisson_nll_loss prelu rms_norm selu selu_ threshold threshold_ triplet_margin_loss"),
    ".methods.extra_functions": ("bartlett_window bitwise_left_shift bitwise_right_shift "
                                 "blackman_window diagflat diagonal_scatter frexp "
                                 "hamming_window hann_window index_reduce kaiser_window "
                                 "ldexp logaddexp2 nanmedian nextafter renorm "
                                 "select_scatter slice_scatter"),
    ".methods.matrix_api": ("cholesky cholesky_inverse cholesky_solve matrix_exp matrix_power "
                            "pinverse qr svd triangular_solve"),
}, submodules=("accelerator", "amp", "backends", "cuda", "app", "distributed", "distributions",
               "func", "interop", "jit", "onnx", "sklearn", "testing", "train", "vision", "viz"))

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
__all__ += ["Generator"]
__all__ += ["Size", "channels_last", "channels_last_3d", "contiguous_format", "dtype",
            "memory_format", "preserve_format", "set_printoptions",
            "are_deterministic_algorithms_enabled", "get_float32_matmul_precision",
            "get_num_interop_threads", "is_deterministic_algorithms_warn_only_enabled",
            "set_float32_matmul_precision", "set_num_interop_threads",
            "use_deterministic_algorithms"]
__all__ += ["testing"]
__all__ += [
    "absolute", "add", "addcdiv", "addcmul", "all", "any", "bitwise_and", "bitwise_not",
    "bitwise_or", "bitwise_xor", "clamp_max", "clamp_min", "clone", "copysign", "div", "divide",
    "erf", "erfc", "erfinv", "float_power", "floor_divide", "fmax", "fmin", "frac", "hypot",
    "isreal", "lerp", "logaddexp", "logical_and", "logical_not", "logical_or", "logical_xor",
    "logit", "mul", "multiply", "nan_to_num", "positive", "sgn", "signbit", "sub", "subtract",
    "true_divide", "xlogy",
]
__all__ += [
    "atleast_1d", "atleast_2d", "atleast_3d", "block_diag", "broadcast_shapes",
    "broadcast_tensors", "broadcast_to", "column_stack", "concat", "concatenate", "diag_embed",
    "diagonal", "dsplit", "dstack", "flip", "fliplr", "flipud", "hsplit", "hstack", "rot90",
    "row_stack", "select", "tensor_split", "trace", "vsplit", "vstack",
]
__all__ += [
    "amax", "amin", "aminmax", "count_nonzero", "cummax", "cummin", "diff", "logcumsumexp",
    "median", "mode", "nanmean", "nanquantile", "nansum", "quantile", "std_mean", "var_mean",
]
__all__ += [
    "argwhere", "bincount", "bucketize", "histc", "isin", "masked_select", "searchsorted", "take",
]
__all__ += [
    "baddbmm", "cartesian_prod", "cdist", "combinations", "cross", "det", "dist", "inverse",
    "kron", "tensordot",
]
__all__ += [
    "asarray", "can_cast", "finfo", "iinfo", "initial_seed", "is_nonzero", "logspace",
    "promote_types", "randint_like", "result_type", "seed",
]
__all__ += [
    "addbmm", "addmv", "addr", "chain_matmul", "corrcoef", "cov", "cumulative_trapezoid",
    "histogram", "index_copy", "index_put", "index_put_", "inner", "kthvalue", "masked_scatter",
    "msort", "mv", "narrow_copy", "put", "resize_as_", "scatter_reduce", "tile", "trapezoid",
    "trapz", "tril_indices", "triu_indices", "unique_consecutive", "unravel_index", "vander",
    "vdot",
    "deg2rad", "digamma", "gcd", "heaviside", "i0", "lcm", "lgamma", "mvlgamma", "polygamma",
    "rad2deg", "sinc",
]
__all__ += ["channel_shuffle", "pdist", "rrelu", "rrelu_"]
__all__ += ["logdet", "slogdet"]
__all__ += ["cholesky", "cholesky_inverse", "cholesky_solve", "matrix_exp", "matrix_power",
            "pinverse", "qr", "svd", "triangular_solve"]
__all__ += [  # methods.compat_functions
    "abs_", "acos_", "acosh_", "adjoint", "alias_copy", "arccos", "arccos_", "arccosh",
    "arccosh_", "arcsin", "arcsin_", "arcsinh", "arcsinh_", "arctan", "arctan2", "arctan_",
    "arctanh", "arctanh_", "asin_", "asinh_", "atan_", "atanh_", "ceil_", "clamp_", "clamp_max_",
    "clamp_min_", "clip_", "conj", "conj_physical", "conj_physical_", "cos_", "cosh_", "deg2rad_",
    "detach", "detach_", "detach_copy", "diagonal_copy", "empty_strided", "erf_", "erfc_",
    "exp2_", "exp_", "expand_copy", "expm1_", "fill", "fill_", "fix", "fix_", "floor_", "frac_",
    "frombuffer", "gcd_", "get_device", "i0_", "igamma", "igammac", "imag", "init_num_threads",
    "is_anomaly_enabled", "is_complex", "is_conj", "is_inference", "is_neg", "is_same_size",
    "is_signed", "is_storage", "is_warn_always_enabled", "isneginf", "isposinf", "lcm_", "log10_",
    "log1p_", "log2_", "log_", "logit_", "moveaxis", "nan_to_num_", "neg_", "negative_",
    "permute_copy", "rad2deg_", "range", "real", "reciprocal_", "relu_", "resolve_conj",
    "resolve_neg", "round_", "rsqrt_", "rsub", "scalar_tensor", "select_copy",
    "set_anomaly_enabled", "set_flush_denormal", "set_warn_always", "sigmoid_", "sin_", "sinc_",
    "sinh_", "slice_copy", "split_copy", "split_with_sizes", "split_with_sizes_copy", "sqrt_",
    "square_", "squeeze_copy", "strided", "t_copy", "tan_", "tanh_", "transpose_copy", "trunc_",
    "typename", "unbind_copy", "unfold_copy", "unsafe_chunk", "unsafe_split",
    "unsafe_split_with_sizes", "unsqueeze_copy", "view_copy", "xlogy_", "zero_",
]
__all__ += [  # functional.top_level
    "adaptive_avg_pool1d", "adaptive_max_pool1d", "alpha_dropout", "alpha_dropout_",
    "avg_pool1d", "batch_norm", "bilinear", "binary_cross_entropy_with_logits", "celu",
    "celu_", "constant_pad_nd", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
    "conv_transpose2d", "conv_transpose3d", "convolution", "cosine_embedding_loss",
    "cosine_similarity", "ctc_loss", "dropout", "dropout_", "embedding", "feature_alpha_dropout",
    "feature_alpha_dropout_", "feature_dropout", "feature_dropout_", "group_norm", "hardshrink",
    "hinge_embedding_loss", "instance_norm", "kl_div", "layer_norm", "margin_ranking_loss",
    "max_pool1d", "max_pool1d_with_indices", "max_pool2d", "max_pool3d",
    "native_channel_shuffle", "pairwise_distance", "pixel_shuffle", "pixel_unshuffle",
    "poisson_nll_loss", "prelu", "rms_norm", "selu", "selu_", "threshold", "threshold_",
    "triplet_margin_loss",
]
__all__ += [  # methods.extra_functions
    "bartlett_window", "bitwise_left_shift", "bitwise_right_shift", "blackman_window",
    "diagflat", "diagonal_scatter", "frexp", "hamming_window", "hann_window", "index_reduce",
    "kaiser_window", "ldexp", "logaddexp2", "nanmedian", "nextafter", "renorm",
    "select_scatter", "slice_scatter",
]
__all__ += ["func", "jit"]
__all__ += ["angle", "gradient"]
