"""README.md's table "What a PyTorch script may use" is what tools/api_table.py writes from the
code now, and the script asks about every name issue 12 lists."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _load_script():
    spec = importlib.util.spec_from_file_location("api_table", ROOT / "tools" / "api_table.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


api_table = _load_script()

# Every name of issue 12 ("PyTorch scripts run unchanged"), by the script's group titles.
ISSUE_NAMES = {
    "torch": [
        "max", "min", "flatten", "unsqueeze", "squeeze", "reshape", "transpose", "permute",
        "mm", "bmm", "addmm", "tril", "triu", "diag", "topk", "sort", "argsort", "argmax",
        "argmin", "cumsum", "roll", "multinomial", "randperm", "normal", "bernoulli",
        "randint", "randn_like", "rand_like", "full_like", "zeros_like", "ones_like", "empty",
        "eye", "linspace", "meshgrid", "split", "chunk", "gather", "scatter", "masked_fill",
        "index_select", "repeat_interleave", "outer", "einsum", "norm", "std", "var", "prod",
        "allclose", "isnan", "isinf", "isfinite", "eq", "ne", "lt", "le", "gt", "ge", "sinh",
        "cosh", "sign", "numel", "is_tensor", "unique", "from_numpy", "as_tensor",
        "inference_mode", "set_grad_enabled", "get_default_dtype", "set_default_dtype",
        "float", "long", "int", "double", "half", "bool", "uint8",
        # devices
        "device", "tensor(device=)", "zeros(device=)", "cuda.is_available", "cuda.device_count",
        "cuda.manual_seed", "cuda.manual_seed_all", "cuda.synchronize",
        "accelerator.is_available", "accelerator.current_accelerator",
        "backends.cudnn.benchmark", "backends.cudnn.deterministic",
        # legacy names
        "FloatTensor", "LongTensor", "IntTensor", "ByteTensor", "BoolTensor", "DoubleTensor",
        "cuda.FloatTensor", "cuda.LongTensor", "autograd.Variable", "compile", "amp.autocast",
        "amp.GradScaler", "no_grad",
        # checkpoints
        "save", "load", "load(map_location=)", "load(weights_only=)",
    ],
    "Tensor methods": [
        "t", "mm", "contiguous", "is_contiguous", "masked_fill", "masked_fill_", "new_zeros",
        "new_ones", "new_full", "new_tensor", "type_as", "topk", "sort", "unbind", "unique",
        "nonzero", "index_select", "scatter", "scatter_", "scatter_add", "scatter_add_",
        "cumsum", "repeat_interleave", "swapaxes", "ravel", "resize_", "register_hook",
        "detach_", "apply_", "clamp_", "pin_memory", "share_memory_",
        "to", "cpu", "device", "is_cuda", "type", "data",
    ],
    "torch.nn": [
        "InstanceNorm1d", "InstanceNorm2d", "ReflectionPad2d", "ReplicationPad2d", "ZeroPad2d",
        "ConstantPad1d", "ConstantPad2d", "ConstantPad3d", "PixelShuffle", "ConvTranspose1d",
        "ParameterList", "ParameterDict", "PReLU", "Mish", "Hardswish", "Hardsigmoid",
        "Softsign", "LogSigmoid", "Softmin", "Bilinear", "CosineSimilarity",
        "PairwiseDistance", "KLDivLoss", "MarginRankingLoss", "TripletMarginLoss",
        "CosineEmbeddingLoss", "SmoothL1Loss", "PoissonNLLLoss", "GaussianNLLLoss",
        "Module.to",
    ],
    "torch.nn.functional": [
        "one_hot", "normalize", "cosine_similarity", "pad", "unfold", "fold", "glu",
        "logsigmoid", "softmin", "interpolate",
    ],
    "torch.optim": [
        "Adadelta", "Adamax", "NAdam", "RAdam", "LBFGS", "ASGD",
        "lr_scheduler.CosineAnnealingWarmRestarts", "lr_scheduler.CyclicLR",
        "lr_scheduler.PolynomialLR", "lr_scheduler.LambdaLR", "lr_scheduler.MultiplicativeLR",
        "lr_scheduler.SequentialLR", "lr_scheduler.ChainedScheduler",
    ],
    "torch.utils.data": [
        "RandomSampler", "SequentialSampler", "BatchSampler", "WeightedRandomSampler",
        "SubsetRandomSampler", "Subset", "ConcatDataset", "IterableDataset",
        "default_collate", "DataLoader(sampler=)", "DataLoader(batch_sampler=)",
        "DataLoader(collate_fn=)", "DataLoader(drop_last=)", "DataLoader(worker_init_fn=)",
        "DataLoader(generator=)", "DataLoader(num_workers=)",
    ],
    "torch.distributions": ["Categorical", "Normal", "Bernoulli"],
    "torchvision": [
        "datasets.FashionMNIST", "datasets.MNIST", "transforms.Compose", "transforms.ToTensor",
        "transforms.Normalize", "transforms.Lambda", "transforms.Resize",
        "transforms.CenterCrop", "transforms.RandomCrop", "transforms.RandomHorizontalFlip",
        "transforms.RandomRotation", "transforms.Pad", "utils.make_grid", "utils.save_image",
    ],
}


def test_readme_table_is_what_the_script_writes_from_the_code_now():
    readme = (ROOT / "README.md").read_text()
    assert api_table.rewritten(readme) == readme, (
        "README.md's API table is out of date: run python tools/api_table.py")


def test_the_table_sits_under_its_heading():
    readme = (ROOT / "README.md").read_text()
    heading = readme.index("## What a PyTorch script may use")
    assert heading < readme.index(api_table.START) < readme.index(api_table.END)
    assert "## Porting a PyTorch script" in readme


@pytest.mark.parametrize("group", sorted(ISSUE_NAMES))
def test_the_script_asks_about_every_name_the_issue_lists(group):
    listed = {title: names for title, _, names in api_table.GROUPS}
    assert group in listed
    assert sorted(set(ISSUE_NAMES[group]) - set(listed[group])) == []


def test_no_group_lists_a_name_twice():
    for title, _, names in api_table.GROUPS:
        assert len(names) == len(set(names)), title


def test_lookup_finds_what_exists_and_only_that():
    assert api_table.available("chainrule", "tensor")
    assert api_table.available("chainrule", "backends.cudnn.benchmark")  # a module's attribute
    assert api_table.available("chainrule.optim", "lr_scheduler.StepLR")
    assert api_table.available("chainrule.Tensor", "to")
    assert not api_table.available("chainrule", "no_such_function")
    assert not api_table.available("chainrule.Tensor", "no_such_method")
    assert not api_table.available("chainrule", "no_such_module.thing")
    assert not api_table.available("chainrule.no_such_package", "Thing")
    assert api_table.available("chainrule.utils.data", "DataLoader(sampler=)")
    assert not api_table.available("chainrule.utils.data", "DataLoader(no_such_argument=)")


def test_the_table_lists_each_name_once_in_the_right_column():
    table = api_table.table()
    rows = table.splitlines()[2:]
    assert len(rows) == len(api_table.GROUPS)
    for row, (title, base, names) in zip(rows, api_table.GROUPS):
        head, found, missing = (cell.strip() for cell in row.strip("|").split("|"))
        assert head.startswith(f"`{title}`")
        for name in names:
            column = found if api_table.available(base, name) else missing
            assert f"`{name}`" in column.split(", "), (title, name)


def test_rewriting_needs_both_markers_once():
    with pytest.raises(ValueError, match="must hold"):
        api_table.rewritten("# no markers here\n")
    text = f"before\n{api_table.START}\nPLACEHOLDER\n{api_table.END}\nafter\n"
    new = api_table.rewritten(text)
    assert new.startswith("before\n") and new.endswith("after\n")
    assert "PLACEHOLDER" not in new and api_table.table() in new
    assert api_table.rewritten(new) == new
