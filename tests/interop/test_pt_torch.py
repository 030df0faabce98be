"""Files written by the pinned torch, read by chainrule without torch's help: state dicts,
optimizer checkpoints, every dtype torch writes, views and shared storages."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule
from chainrule.interop.torch import load_pt
from chainrule.io import ModelFileError
from tests.optional import needs_torch, torch

pytestmark = needs_torch


def as_numpy(value):
    """torch tensors and chainrule Tensors alike, as NumPy arrays (bfloat16/float8: float32)."""
    if isinstance(value, chainrule.Tensor):
        return value.detach().numpy()
    if value.dtype in (torch.bfloat16, torch.float8_e4m3fn, torch.float8_e5m2):
        value = value.float()
    return value.detach().numpy()


def assert_same(ours, theirs, where="obj"):
    """ours (chainrule.load) matches theirs (torch.load(weights_only=True)), recursively."""
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, chainrule.Tensor), where
        assert ours.shape == tuple(theirs.shape), where
        assert ours.requires_grad == theirs.requires_grad, where
        np.testing.assert_array_equal(as_numpy(ours), as_numpy(theirs), err_msg=where)
    elif isinstance(theirs, torch.Size):  # documented: a tuple
        assert type(ours) is tuple and ours == tuple(theirs), where
    elif isinstance(theirs, dict):
        assert type(ours) is dict and list(ours) == list(theirs), where
        for key in theirs:
            assert_same(ours[key], theirs[key], f"{where}[{key!r}]")
    elif isinstance(theirs, (list, tuple)):
        assert type(ours) is type(theirs) and len(ours) == len(theirs), where
        for i, (a, b) in enumerate(zip(ours, theirs)):
            assert_same(a, b, f"{where}[{i}]")
    elif isinstance(theirs, torch.device):
        assert str(ours) == str(theirs), where
    else:
        assert type(ours) is type(theirs) and ours == theirs, where


def check_file(path, weights_only=True):
    """weights_only=False only for files these tests wrote themselves, which torch's restricted
    loader refuses (protocols 3+ write bytes and frames it does not read)."""
    ours = chainrule.load(path)
    assert_same(ours, torch.load(path, weights_only=weights_only))
    return ours


def test_a_state_dict(tmp_path):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.BatchNorm2d(4),
                                torch.nn.Flatten(), torch.nn.Linear(4 * 26 * 26, 10))
    torch.save(model.state_dict(), tmp_path / "model.pt")
    loaded = check_file(tmp_path / "model.pt")
    assert "1.num_batches_tracked" in loaded and loaded["1.num_batches_tracked"].dtype == np.int64


def test_an_optimizer_checkpoint_dict(tmp_path):
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 2)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2)
    for _ in range(3):
        optimizer.zero_grad()
        model(torch.randn(4, 3)).pow(2).sum().backward()
        optimizer.step()
        scheduler.step()
    checkpoint = {"epoch": 3, "model_state_dict": model.state_dict(),
                  "optimizer_state_dict": optimizer.state_dict(),
                  "scheduler_state_dict": scheduler.state_dict(), "loss": 0.25,
                  "history": [1.5, 0.5], "note": "adam", "best": None, "big": 2**70,
                  "device": torch.device("cpu"), "shape": torch.Size([2, 3]), "raw": b"\x00\xff"}
    torch.save(checkpoint, tmp_path / "ckpt.pth")
    loaded = check_file(tmp_path / "ckpt.pth")
    assert loaded["optimizer_state_dict"]["param_groups"][0]["params"] == [0, 1]


FLOATS_AND_INTS = ["float16", "float32", "float64", "bfloat16", "int8", "int16", "int32",
                   "int64", "uint8", "bool", "uint16", "uint32", "uint64", "float8_e4m3fn",
                   "float8_e5m2"]
EXPECTED = {"bfloat16": np.float32, "float8_e4m3fn": np.float32, "float8_e5m2": np.float32,
            "uint16": np.int32, "uint32": np.int64, "uint64": np.int64}


@pytest.mark.parametrize("name", FLOATS_AND_INTS)
def test_every_float_int_and_bool_dtype(tmp_path, name):
    dtype = getattr(torch, name)
    values = torch.tensor([[0.0, 1.0, 2.5, 100.0], [-3.0, 0.125, 7.0, 448.0]])
    if not dtype.is_floating_point:
        values = values.abs().round()
    tensor = values.to(dtype)
    if name in ("float8_e4m3fn", "float8_e5m2"):  # every bit pattern, NaNs and infinities too
        tensor = torch.arange(256, dtype=torch.uint8).view(dtype).reshape(16, 16)
    torch.save({"t": tensor}, tmp_path / "t.pt")
    loaded = chainrule.load(tmp_path / "t.pt")["t"]
    assert loaded.dtype == np.dtype(EXPECTED.get(name, name if name != "bool" else np.bool_))
    reference = as_numpy(tensor) if name not in ("uint32", "uint64") else \
        tensor.to(torch.int64).numpy()
    np.testing.assert_array_equal(loaded.numpy(), reference)


def test_uint64_past_int64_is_refused(tmp_path):
    torch.save({"t": torch.tensor([2**63], dtype=torch.uint64)}, tmp_path / "u.pt")
    with pytest.raises(ModelFileError, match="uint64 values past int64's range"):
        chainrule.load(tmp_path / "u.pt")


@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
def test_complex_tensors_are_refused_by_dtype(tmp_path, dtype):
    torch.save({"z": torch.ones(2, dtype=getattr(torch, dtype))}, tmp_path / "z.pt")
    with pytest.raises(ModelFileError, match=f"z.pt: .*{dtype} tensors are not supported"):
        chainrule.load(tmp_path / "z.pt")


def test_non_contiguous_and_shared_storage_tensors(tmp_path):
    base = torch.arange(60, dtype=torch.float32).reshape(3, 4, 5)
    views = {"base": base, "t": base.transpose(0, 2), "slice": base[1:, ::2, 1::3],
             "row": base[2, 1], "expanded": base[0, 0, :1].expand(4, 6), "permuted":
             base.permute(2, 0, 1), "diagonal": base[0].diagonal(), "empty": base[:, :0]}
    torch.save(views, tmp_path / "views.pt")
    loaded = check_file(tmp_path / "views.pt")
    assert set(loaded) == set(views)


def test_parameters_keep_requires_grad_as_saved(tmp_path):
    trainable = torch.nn.Parameter(torch.randn(3))
    frozen = torch.nn.Parameter(torch.randn(2), requires_grad=False)
    torch.save({"trainable": trainable, "frozen": frozen, "plain": torch.ones(2)},
               tmp_path / "p.pt")
    loaded = check_file(tmp_path / "p.pt")
    assert loaded["trainable"].requires_grad and not loaded["frozen"].requires_grad


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_every_pickle_protocol_torch_can_write(tmp_path, protocol):
    state = {"w": torch.randn(2, 3), "n": [1, (2, "x")], "b": b"bytes"}
    torch.save(state, tmp_path / "p.pt", pickle_protocol=protocol)
    check_file(tmp_path / "p.pt", weights_only=False)


def test_a_torch_file_loads_whatever_its_name(tmp_path):
    torch.save({"w": torch.arange(3.0)}, tmp_path / "weights.bin")
    np.testing.assert_array_equal(chainrule.load(tmp_path / "weights.bin")["w"].numpy(),
                                  [0, 1, 2])


def test_a_legacy_torch_file_is_refused(tmp_path):
    torch.save({"w": torch.ones(2)}, tmp_path / "old.pt", _use_new_zipfile_serialization=False)
    with pytest.raises(ModelFileError, match="old.pt: .*legacy PyTorch file"):
        chainrule.load(tmp_path / "old.pt")
    with pytest.raises(ModelFileError, match="old.pt: a legacy PyTorch file .*re-save it"):
        load_pt(tmp_path / "old.pt")


def test_a_whole_pickled_module_is_refused_by_its_first_foreign_global(tmp_path):
    torch.save(torch.nn.Linear(2, 2), tmp_path / "module.pt")
    with pytest.raises(ModelFileError, match="global torch.nn.modules.linear.Linear is not "
                       "allowed"):
        load_pt(tmp_path / "module.pt")
