"""Write README.md's table "What a PyTorch script may use" from the code.

The PyTorch names that training scripts commonly use are listed below, by group. Each is
looked up in chainrule by introspection: ``max`` in the group ``torch`` is available when
``chainrule.max`` exists, ``Tensor.mm`` when ``chainrule.Tensor.mm`` does, ``lr_scheduler.StepLR``
in ``torch.optim`` when ``chainrule.optim.lr_scheduler.StepLR`` does; a name written
``DataLoader(sampler=)`` asks whether ``DataLoader`` takes the argument ``sampler``. The table
says, per group, which names are available and which are not yet.

Usage (from the repository root)::

    python tools/api_table.py          # rewrite README.md between the markers
    python tools/api_table.py --check  # exit 1 when README.md differs from the code

tests/test_api_table.py fails when README.md's table is not what this script writes now.
"""

from __future__ import annotations

import importlib
import inspect
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
START = "<!-- api-table:start -->"
END = "<!-- api-table:end -->"

# (group title, the chainrule path its names are looked up under, the names)
GROUPS: list[tuple[str, str, list[str]]] = [
    ("torch", "chainrule", [
        # creation
        "tensor", "as_tensor", "from_numpy", "zeros", "ones", "empty", "full", "arange",
        "linspace", "eye", "zeros_like", "ones_like", "full_like", "empty_like", "rand",
        "randn", "randint", "rand_like", "randn_like", "randperm", "normal", "bernoulli",
        "multinomial", "tensor(device=)", "zeros(device=)", "randn(device=)", "Generator",
        "Size", "dtype", "channels_last", "use_deterministic_algorithms",
        "set_float32_matmul_precision", "set_printoptions", "get_num_interop_threads",
        "testing.assert_close",
        # shapes and indexing
        "cat", "stack", "split", "chunk", "flatten", "unsqueeze", "squeeze", "reshape",
        "transpose", "permute", "gather", "scatter", "masked_fill", "index_select",
        "repeat_interleave", "where", "tril", "triu", "diag", "meshgrid", "roll", "unique",
        # math
        "max", "min", "maximum", "minimum", "argmax", "argmin", "topk", "sort", "argsort",
        "cumsum", "sum", "mean", "std", "var", "prod", "norm", "abs", "exp", "log", "log1p",
        "sqrt", "rsqrt", "sin", "cos", "tanh", "sinh", "cosh", "sigmoid", "sign", "clamp",
        "clip", "pow", "matmul", "mm", "bmm", "addmm", "outer", "einsum", "softmax",
        "log_softmax", "logsumexp", "relu",
        # comparison and tests
        "allclose", "isnan", "isinf", "isfinite", "eq", "ne", "lt", "le", "gt", "ge", "numel",
        "is_tensor",
        # dtypes
        "float", "float32", "float64", "float16", "double", "half", "long", "int", "int64",
        "int32", "bool", "uint8", "get_default_dtype", "set_default_dtype",
        # autograd, randomness, files
        "no_grad", "enable_grad", "inference_mode", "set_grad_enabled", "is_grad_enabled",
        "autograd.grad", "autograd.backward", "autograd.Variable", "autograd.Function",
        "manual_seed",
        "get_rng_state", "set_rng_state", "save", "load", "load(map_location=)",
        "load(weights_only=)",
        # devices and legacy names
        "device", "Tensor", "cuda.is_available", "cuda.device_count", "cuda.manual_seed",
        "cuda.manual_seed_all", "cuda.synchronize", "cuda.empty_cache", "cuda.FloatTensor",
        "cuda.LongTensor", "cuda.amp.autocast", "cuda.amp.GradScaler",
        "accelerator.is_available", "accelerator.current_accelerator",
        "backends.cudnn.benchmark", "backends.cudnn.deterministic",
        "backends.mps.is_available", "FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor",
        "IntTensor", "ShortTensor", "ByteTensor", "CharTensor", "BoolTensor", "compile",
        "autocast", "amp.autocast", "amp.GradScaler",
        # pointwise
        "add", "add(alpha=)", "sub", "mul", "div", "div(rounding_mode=)", "floor_divide",
        "clone", "all", "any", "erf", "erfinv", "lerp", "addcmul", "addcdiv", "clamp_min",
        "clamp_max", "logit", "hypot", "xlogy", "logaddexp", "float_power", "nan_to_num",
        "fmax", "fmin", "logical_and", "logical_or", "logical_not", "bitwise_and", "signbit",
        # wider shapes and joins
        "flip", "fliplr", "flipud", "rot90", "concat", "concatenate", "hstack", "vstack",
        "dstack", "column_stack", "atleast_1d", "atleast_2d", "atleast_3d", "broadcast_to",
        "broadcast_tensors", "tensor_split", "hsplit", "vsplit", "select", "diagonal", "trace",
        "diag_embed", "block_diag",
        # reductions and statistics
        "amax", "amin", "aminmax", "count_nonzero", "nansum", "nanmean", "median", "mode",
        "quantile", "nanquantile", "cummax", "cummin", "logcumsumexp", "std_mean", "var_mean",
        "diff",
        # indexing and search
        "masked_select", "take", "argwhere", "isin", "bucketize", "searchsorted", "bincount",
        "histc",
        # products and linear algebra
        "tensordot", "kron", "cross", "cdist", "dist", "baddbmm", "cartesian_prod",
        "combinations", "det", "inverse", "linalg.det", "linalg.inv", "linalg.norm",
        "linalg.solve", "linalg.solve_ex", "linalg.cholesky", "linalg.qr", "linalg.eigh",
        "linalg.eigvalsh", "linalg.svd", "linalg.svdvals", "linalg.slogdet", "linalg.matrix_norm",
        "linalg.LinAlgError", "slogdet", "logdet", "linalg.cholesky_ex",
        "linalg.pinv", "linalg.lstsq", "linalg.matrix_power", "linalg.matrix_rank",
        "linalg.multi_dot", "linalg.matmul", "linalg.vecdot", "linalg.diagonal",
        "linalg.solve_triangular", "linalg.cond", "linalg.matrix_exp", "linalg.vander",
        "linalg.lu_factor", "linalg.lu_factor_ex", "linalg.lu", "linalg.lu_solve",
        "linalg.inv_ex", "linalg.tensorinv", "linalg.tensorsolve",
        "matrix_power", "matrix_exp", "cholesky", "qr", "svd", "pinverse", "cholesky_solve",
        "cholesky_inverse", "triangular_solve",
        # dtype information and utilities
        "finfo", "iinfo", "result_type", "promote_types", "can_cast", "is_nonzero", "asarray",
        "logspace", "randint_like", "seed", "initial_seed",
        # misc indexing, products and statistics
        "tile", "scatter_reduce", "index_put", "index_put_", "masked_scatter", "index_copy",
        "put", "kthvalue", "msort", "unique_consecutive", "narrow_copy", "resize_as_",
        "tril_indices", "triu_indices", "unravel_index", "mv", "inner", "vdot", "addmv", "addr",
        "addbmm", "chain_matmul", "vander", "cov", "corrcoef", "trapezoid", "trapz",
        "cumulative_trapezoid", "histogram",
        # special functions
        "lgamma", "digamma", "polygamma", "mvlgamma", "sinc", "deg2rad", "rad2deg",
        "heaviside", "gcd", "lcm", "i0", "special.gammaln", "special.digamma",
        "special.polygamma", "special.erfcx", "special.i0e", "special.i1", "special.i1e",
        "special.ndtr", "special.ndtri", "special.log_ndtr", "special.xlog1py",
        "special.entr", "special.zeta", "special.expit", "special.logsumexp",
        "special.gammainc", "special.gammaincc",
        # the functional transforms, checkpointing and TorchScript's names
        "func.functional_call", "func.grad", "func.vjp", "func.jacrev", "func.vmap",
        "utils.checkpoint.checkpoint", "utils.checkpoint.checkpoint_sequential", "jit.script",
        "jit.trace", "jit.is_scripting", "jit.ignore",
        # further functions and torch.* forms of nn functions
        "arctan2", "moveaxis", "conv2d", "dropout", "batch_norm", "layer_norm",
        "cosine_similarity", "slice_scatter", "diagflat", "logaddexp2", "nanmedian",
        "hann_window", "gradient",
    ]),
    ("Tensor methods", "chainrule.Tensor", [
        "backward", "detach", "detach_", "item", "numpy", "tolist", "data", "grad",
        "requires_grad_", "retain_grad", "register_hook", "clone", "clone(memory_format=)",
        "contiguous(memory_format=)", "to", "to(memory_format=)", "cpu", "cuda", "stride",
        "get_device", "byte", "short", "random_", "exponential_",
        "device", "is_cuda", "type", "type_as", "float", "double", "half", "long", "int",
        "bool", "size", "shape", "dim", "ndim", "numel", "view", "view_as", "reshape",
        "flatten", "squeeze", "unsqueeze", "permute", "transpose", "t", "T", "contiguous",
        "is_contiguous", "expand", "expand_as", "repeat", "repeat_interleave", "swapaxes",
        "ravel", "unbind", "split", "chunk", "gather", "scatter", "scatter_", "scatter_add",
        "scatter_add_", "index_select", "masked_fill", "masked_fill_", "nonzero", "unique",
        "sum", "mean", "std", "var", "prod", "max", "min", "argmax", "argmin", "topk", "sort",
        "cumsum", "norm", "abs", "exp", "log", "sqrt", "pow", "clamp", "sigmoid", "tanh",
        "relu", "softmax", "log_softmax", "mm", "matmul", "eq", "ne", "lt", "le", "gt", "ge",
        "all", "any", "new_zeros", "new_ones", "new_full", "new_tensor", "zero_", "fill_",
        "copy_", "add_", "sub_", "mul_", "div_", "clamp_", "uniform_", "normal_", "apply_",
        "resize_", "pin_memory", "share_memory_",
        "div(rounding_mode=)", "add(alpha=)", "erf", "erfinv", "lerp", "addcmul", "addcdiv",
        "clamp_min", "clamp_max", "logit", "nan_to_num", "logical_and", "logical_not",
        "floor_divide",
        "flip", "fliplr", "flipud", "rot90", "broadcast_to", "tensor_split", "hsplit", "vsplit",
        "select", "diagonal", "trace", "diag_embed",
        "amax", "amin", "aminmax", "count_nonzero", "nansum", "nanmean", "median", "mode",
        "quantile", "nanquantile", "cummax", "cummin", "logcumsumexp", "diff",
        "masked_select", "take", "argwhere", "bincount", "histc",
        "kron", "cross", "dist", "baddbmm", "det", "inverse", "is_nonzero",
        "tile", "unfold", "scatter_reduce", "scatter_reduce_", "index_put", "index_put_",
        "masked_scatter", "masked_scatter_", "index_copy", "index_copy_", "put", "put_",
        "fill_diagonal_", "kthvalue", "msort", "unique_consecutive", "sum_to_size",
        "narrow_copy", "resize_as_", "mv", "inner", "vdot", "addmv", "addr", "addbmm", "cov",
        "corrcoef", "histogram",
        "lgamma", "digamma", "polygamma", "mvlgamma", "sinc", "deg2rad", "rad2deg",
        "heaviside", "gcd", "lcm", "i0", "lgamma_", "digamma_", "polygamma_", "sinc_",
        "deg2rad_", "rad2deg_", "heaviside_", "gcd_", "lcm_", "i0_",
        "cholesky", "qr", "svd", "slogdet", "logdet", "pinverse", "matrix_power", "matrix_exp",
        "cholesky_solve", "cholesky_inverse", "triangular_solve",
        "is_cpu", "retains_grad", "layout", "arccos", "conj", "new",
        "register_post_accumulate_grad_hook",
        "prelu", "angle", "renorm", "index_reduce",
    ]),
    ("torch.nn", "chainrule.nn", [
        "Module", "Module.to", "Module.cpu", "Module.cuda", "Parameter", "Sequential",
        "Buffer", "ModuleList", "ModuleDict", "ParameterList",
        "ParameterDict", "Linear", "Linear(device=)", "Conv2d(device=)", "Bilinear", "Identity",
        "Flatten", "Unflatten", "Conv1d",
        "Conv2d", "ConvTranspose1d", "ConvTranspose2d", "MaxPool1d", "MaxPool2d", "AvgPool2d",
        "AdaptiveAvgPool2d", "BatchNorm1d", "BatchNorm2d", "LayerNorm", "RMSNorm", "GroupNorm",
        "InstanceNorm1d", "InstanceNorm2d", "Dropout", "Dropout2d", "Embedding",
        "Embedding.from_pretrained", "Upsample",
        "PixelShuffle", "ReflectionPad2d", "ReplicationPad2d", "ZeroPad2d", "ConstantPad1d",
        "ConstantPad2d", "ConstantPad3d", "ReLU", "LeakyReLU", "PReLU", "ELU", "GELU", "SiLU",
        "Mish", "Hardswish", "Hardsigmoid", "Sigmoid", "Tanh", "Softplus", "Softsign",
        "LogSigmoid", "Softmax", "LogSoftmax", "Softmin", "CosineSimilarity",
        "PairwiseDistance", "RNN", "LSTM", "GRU", "MultiheadAttention", "MSELoss", "L1Loss",
        "CrossEntropyLoss", "NLLLoss", "BCELoss", "BCEWithLogitsLoss", "SmoothL1Loss",
        "HuberLoss", "KLDivLoss", "MarginRankingLoss", "TripletMarginLoss",
        "CosineEmbeddingLoss", "PoissonNLLLoss", "GaussianNLLLoss", "init.xavier_uniform_",
        "init.kaiming_normal_", "init.normal_", "init.zeros_", "init.constant_",
        "utils.clip_grad_norm_", "utils.clip_grad_value_", "utils.parameters_to_vector",
        "Conv3d", "ConvTranspose3d", "MaxPool3d", "AvgPool3d", "AdaptiveAvgPool3d",
        "AdaptiveMaxPool3d", "BatchNorm3d", "EmbeddingBag",
        "DataParallel", "SyncBatchNorm", "LazyLinear", "LazyConv2d", "LazyBatchNorm2d",
        "UninitializedParameter", "RReLU",
        "Softmax2d", "ChannelShuffle", "AlphaDropout", "FeatureAlphaDropout", "Dropout3d",
        "AdaptiveMaxPool1d", "MaxUnpool1d", "MaxUnpool2d", "LPPool1d", "LPPool2d",
        "MultiLabelMarginLoss", "TripletMarginWithDistanceLoss", "CTCLoss", "MaxUnpool3d",
        "LPPool3d", "NLLLoss2d",
        "FractionalMaxPool2d", "AdaptiveLogSoftmaxWithLoss", "CrossMapLRN2d",
        "utils.parametrize.register_parametrization", "utils.parametrizations.weight_norm",
        "utils.parametrizations.spectral_norm", "utils.weight_norm", "utils.spectral_norm",
        "utils.stateless.functional_call",
    ]),
    ("torch.nn.functional", "chainrule.nn.functional", [
        "relu", "relu_", "leaky_relu", "gelu", "silu", "elu", "sigmoid", "tanh", "softmax",
        "log_softmax", "softmin", "softplus", "logsigmoid", "glu", "dropout", "linear",
        "conv1d", "conv2d", "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d", "batch_norm",
        "layer_norm", "rms_norm", "embedding", "one_hot", "normalize", "cosine_similarity", "pad",
        "unfold", "fold", "interpolate", "cross_entropy", "nll_loss", "mse_loss", "l1_loss",
        "binary_cross_entropy", "binary_cross_entropy_with_logits", "smooth_l1_loss",
        "kl_div",
        "conv3d", "conv_transpose3d", "max_pool3d", "avg_pool3d", "adaptive_avg_pool3d",
        "adaptive_max_pool3d", "affine_grid", "grid_sample", "embedding_bag",
        "rrelu", "rrelu_", "channel_shuffle", "alpha_dropout", "feature_alpha_dropout",
        "dropout3d", "gumbel_softmax", "adaptive_max_pool1d", "max_unpool1d", "max_unpool2d",
        "lp_pool1d", "lp_pool2d", "pdist", "multilabel_margin_loss",
        "triplet_margin_with_distance_loss", "ctc_loss", "upsample", "upsample_bilinear",
        "max_pool2d_with_indices", "max_unpool3d", "lp_pool3d", "multi_head_attention_forward",
        "fractional_max_pool2d", "fractional_max_pool3d",
    ]),
    ("torch.optim", "chainrule.optim", [
        "Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax",
        "Adafactor", "NAdam", "RAdam", "LBFGS", "ASGD", "Rprop", "Muon", "lr_scheduler.StepLR",
        "lr_scheduler.MultiStepLR",
        "lr_scheduler.ExponentialLR", "lr_scheduler.CosineAnnealingLR",
        "lr_scheduler.ReduceLROnPlateau", "lr_scheduler.OneCycleLR", "lr_scheduler.LinearLR",
        "lr_scheduler.LambdaLR", "lr_scheduler.MultiplicativeLR",
        "lr_scheduler.CosineAnnealingWarmRestarts", "lr_scheduler.CyclicLR",
        "lr_scheduler.PolynomialLR", "lr_scheduler.SequentialLR",
        "lr_scheduler.ChainedScheduler",
    ]),
    ("torch.utils.data", "chainrule.utils.data", [
        "Dataset", "TensorDataset", "DataLoader", "Subset", "ConcatDataset", "IterableDataset",
        "random_split", "Sampler", "RandomSampler", "SequentialSampler", "BatchSampler",
        "WeightedRandomSampler", "SubsetRandomSampler", "default_collate",
        "DataLoader(sampler=)", "DataLoader(batch_sampler=)", "DataLoader(collate_fn=)",
        "DataLoader(drop_last=)", "DataLoader(worker_init_fn=)", "DataLoader(generator=)",
        "DataLoader(num_workers=)", "DataLoader(pin_memory=)",
    ]),
    ("torch.distributions", "chainrule.distributions", [
        "Categorical", "Normal", "Bernoulli",
    ]),
    ("torchvision", "chainrule.vision", [
        "datasets.MNIST", "datasets.FashionMNIST", "transforms.Compose", "transforms.ToTensor",
        "transforms.Normalize", "transforms.Lambda", "transforms.Resize",
        "transforms.CenterCrop", "transforms.RandomCrop", "transforms.RandomHorizontalFlip",
        "transforms.RandomRotation", "transforms.Pad", "utils.make_grid", "utils.save_image",
    ]),
]


def resolve(path: str) -> Any:
    """The object at dotted ``path`` (``chainrule.optim.lr_scheduler.StepLR``), importing
    submodules on the way; None when there is none."""
    head, *rest = path.split(".")
    obj: Any = importlib.import_module(head)
    where = head
    for part in rest:
        where = f"{where}.{part}"
        try:
            obj = getattr(obj, part)
            continue
        except AttributeError:
            pass
        if not inspect.ismodule(obj):
            return None
        try:
            obj = importlib.import_module(where)
        except ImportError:
            return None
    return obj


def available(base: str, name: str) -> bool:
    """Whether PyTorch's ``name`` (maybe ``f(arg=)``) exists in chainrule under ``base``."""
    name, _, argument = name.partition("(")
    obj = resolve(f"{base}.{name}")
    if obj is None:
        return False
    if not argument:
        return True
    argument = argument.rstrip("=)")
    try:
        parameters = inspect.signature(obj).parameters
    except (TypeError, ValueError):
        return False
    return argument in parameters or any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())


def table() -> str:
    """The markdown table, one row per group."""
    lines = ["| PyTorch | available in chainrule | not yet |", "|---|---|---|"]
    for title, base, names in GROUPS:
        found = [n for n in names if available(base, n)]
        missing = [n for n in names if n not in found]
        lines.append(f"| `{title}` ({len(found)} of {len(names)}) | {_names(found)} | "
                     f"{_names(missing)} |")
    return "\n".join(lines)


def _names(names: list[str]) -> str:
    return ", ".join(f"`{n}`" for n in names) if names else "—"


def rewritten(readme: str) -> str:
    """``readme`` with the text between the markers replaced by the table of the code now."""
    if readme.count(START) != 1 or readme.count(END) != 1:
        raise ValueError(f"README.md must hold {START} and {END} once each")
    head, rest = readme.split(START)
    _, tail = rest.split(END)
    return f"{head}{START}\n{table()}\n{END}{tail}"


def main(argv: list[str]) -> int:
    readme = README.read_text()
    new = rewritten(readme)
    if "--check" in argv:
        if new != readme:
            print("README.md's API table is out of date: run python tools/api_table.py")
            return 1
        return 0
    README.write_text(new)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main(sys.argv[1:]))
