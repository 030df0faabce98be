"""DataParallel (the CPU pass-through wrapper) and SyncBatchNorm (batch norm over any rank,
convert_sync_batchnorm), against PyTorch with the same weights."""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from tests.distributed.mpi import launch, needs_mpi
from tests.optional import needs_torch, torch

pytestmark = needs_torch


class Scale(nn.Module):
    def forward(self, x, factor=1.0):
        return x * factor


def test_data_parallel_wraps_and_passes_through():
    inner = nn.Linear(2, 3)
    net = nn.DataParallel(inner, device_ids=[0], output_device=0, dim=0)
    assert net.module is inner and net.device_ids == []
    x = cr.randn(4, 2)
    np.testing.assert_array_equal(net(x).detach().numpy(), inner(x).detach().numpy())
    scaled = nn.DataParallel(Scale())
    np.testing.assert_array_equal(scaled(x, factor=3.0).numpy(), 3.0 * x.numpy())
    reference = torch.nn.DataParallel(torch.nn.Linear(2, 3))
    assert list(net.state_dict()) == list(reference.state_dict())
    assert repr(net) == repr(reference)
    assert [n for n, _ in net.named_parameters()] == ["module.weight", "module.bias"]
    assert nn.parallel.DataParallel is nn.DataParallel


def test_data_parallel_loads_a_torch_state_dict_and_refuses_a_non_module():
    reference = torch.nn.DataParallel(torch.nn.Linear(2, 3))
    net = nn.DataParallel(nn.Linear(2, 3))
    net.load_state_dict({k: cr.tensor(v.numpy()) for k, v in reference.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((5, 2)).astype(np.float32)
    np.testing.assert_allclose(net(cr.tensor(x)).detach().numpy(),
                               reference(torch.tensor(x)).detach().numpy(), rtol=1e-6,
                               atol=1e-6)  # float32 rounding, the same weights
    with pytest.raises(TypeError, match="DataParallel wraps a chainrule.nn.Module"):
        nn.DataParallel(lambda x: x)


def copy_into(layer, reference):
    with torch.no_grad():
        reference.weight.copy_(torch.tensor(layer.weight.data))
        reference.bias.copy_(torch.tensor(layer.bias.data))


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (2, 3, 4, 5), (2, 3, 2, 3, 4)])
def test_sync_batch_norm_matches_torch_in_training_and_eval(shape):
    rng = np.random.default_rng(1)
    layer = nn.SyncBatchNorm(3, momentum=0.3, dtype=cr.float64)
    reference = torch.nn.SyncBatchNorm(3, momentum=0.3, dtype=torch.float64)
    layer.weight.data[:] = rng.uniform(0.5, 1.5, 3)
    layer.bias.data[:] = rng.standard_normal(3)
    copy_into(layer, reference)
    x, upstream = rng.standard_normal(shape), rng.standard_normal(shape)
    xc, xt = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yc, yt = layer(xc), reference(xt)
    np.testing.assert_allclose(yc.detach().numpy(), yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    yc.backward(cr.tensor(upstream))
    yt.backward(torch.tensor(upstream))
    np.testing.assert_allclose(xc.grad.numpy(), xt.grad.numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(layer.weight.grad.numpy(), reference.weight.grad.numpy(),
                               rtol=1e-9)
    for name in ("running_mean", "running_var", "num_batches_tracked"):
        np.testing.assert_allclose(getattr(layer, name).numpy(),
                                   getattr(reference, name).numpy(), rtol=1e-12)
    layer.eval(), reference.eval()
    np.testing.assert_allclose(layer(cr.tensor(x)).detach().numpy(),
                               reference(torch.tensor(x)).detach().numpy(), rtol=1e-10)


def test_sync_batch_norm_repr_state_dict_and_errors():
    layer, reference = nn.SyncBatchNorm(4, affine=False), torch.nn.SyncBatchNorm(4, affine=False)
    assert repr(layer) == repr(reference)
    assert list(nn.SyncBatchNorm(4).state_dict()) == list(torch.nn.SyncBatchNorm(4).state_dict())
    with pytest.raises(ValueError, match="at least 2 dims"):
        layer(cr.randn(4))
    with pytest.raises(ValueError, match="C=4 channels"):
        layer(cr.randn(2, 3, 5))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        layer(cr.randn(1, 4))


def fake_job(ranks):
    """A stand-in for chainrule.distributed in a job of ``ranks`` processes that all hold the
    same batch: all_reduce multiplies by the number of processes."""
    def all_reduce(tensor, group=None):
        tensor.data[...] *= ranks

    return types.SimpleNamespace(is_initialized=lambda: True, get_world_size=lambda: ranks,
                                 all_reduce=all_reduce)


@pytest.mark.parametrize("shape,momentum", [((4, 3), 0.1), ((3, 3, 2, 2), None)])
def test_sync_batch_norm_in_a_job_normalises_over_every_process_batch(monkeypatch, shape,
                                                                      momentum):
    """Three processes with the same batch x are one batch [x; x; x]: the output, the
    gradient of the summed loss with respect to this process's x, and the running statistics
    are those of torch's BatchNorm over the concatenated batch."""
    monkeypatch.setitem(sys.modules, "chainrule.distributed", fake_job(3))
    rng = np.random.default_rng(4)
    x, upstream = rng.standard_normal(shape), rng.standard_normal(shape)
    layer = nn.SyncBatchNorm(3, momentum=momentum, dtype=cr.float64)
    layer.weight.data[:] = rng.uniform(0.5, 1.5, 3)
    layer.bias.data[:] = rng.standard_normal(3)
    reference = torch.nn.BatchNorm1d(3, momentum=momentum, dtype=torch.float64)
    copy_into(layer, reference)
    xc = cr.tensor(x, requires_grad=True)
    whole = torch.tensor(np.concatenate([x] * 3), requires_grad=True)
    y = layer(xc)
    yt = reference(whole.reshape(len(whole), 3, -1)).reshape(whole.shape)
    np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy()[:shape[0]], rtol=1e-10,
                               atol=1e-12)
    y.backward(cr.tensor(upstream))
    yt.backward(torch.tensor(np.concatenate([upstream] * 3)))
    np.testing.assert_allclose(xc.grad.numpy(), whole.grad.numpy()[:shape[0]], rtol=1e-9,
                               atol=1e-12)
    for name in ("running_mean", "running_var", "num_batches_tracked"):
        np.testing.assert_allclose(getattr(layer, name).numpy(),
                                   getattr(reference, name).numpy(), rtol=1e-12)
    layer.eval()  # running statistics: no communication
    np.testing.assert_allclose(layer(cr.tensor(x)).detach().numpy(),
                               reference.eval()(torch.tensor(x).reshape(shape[0], 3, -1))
                               .detach().numpy().reshape(shape), rtol=1e-10)


def test_a_one_process_job_is_plain_batch_norm(monkeypatch):
    monkeypatch.setitem(sys.modules, "chainrule.distributed", fake_job(1))
    x = cr.randn(4, 3)
    layer, plain = nn.SyncBatchNorm(3), nn.BatchNorm1d(3)
    np.testing.assert_allclose(layer(x).detach().numpy(), plain(x).detach().numpy())


def test_sync_batch_norm_needs_more_than_one_value_per_channel_globally(monkeypatch):
    monkeypatch.setitem(sys.modules, "chainrule.distributed", fake_job(2))
    layer = nn.SyncBatchNorm(3)
    assert layer(cr.randn(1, 3)).shape == (1, 3)  # one value here, two in the job
    monkeypatch.setitem(sys.modules, "chainrule.distributed", fake_job(1))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        layer(cr.randn(1, 3))


def test_the_synchronised_normalisation_passes_gradcheck():
    from chainrule.functional.sync_norm import sync_batch_norm

    x = cr.tensor(np.random.default_rng(5).standard_normal((5, 3, 2)), requires_grad=True)
    w = cr.tensor(np.random.default_rng(6).uniform(0.5, 1.5, 3), requires_grad=True)
    assert cr.gradcheck(lambda x, w: sync_batch_norm(x, None, None, w, None, 0.1, 1e-5,
                                                     lambda a: a * 2), [x, w])


def test_convert_sync_batchnorm_replaces_every_batch_norm_keeping_state():
    net = nn.Sequential(nn.Conv2d(1, 3, 1), nn.BatchNorm2d(3),
                        nn.Sequential(nn.BatchNorm1d(3, affine=False, momentum=None)))
    net[1].running_mean.fill_(2.0)
    net[2][0].eval()
    weight, running_mean = net[1].weight, net[1].running_mean
    converted = nn.SyncBatchNorm.convert_sync_batchnorm(net)
    reference = torch.nn.SyncBatchNorm.convert_sync_batchnorm(torch.nn.Sequential(
        torch.nn.Conv2d(1, 3, 1), torch.nn.BatchNorm2d(3),
        torch.nn.Sequential(torch.nn.BatchNorm1d(3, affine=False, momentum=None))))
    assert converted is net and repr(converted) == repr(reference)
    assert converted[1].weight is weight and converted[1].running_mean is running_mean
    assert not converted[2][0].training and converted[1].training
    assert list(converted.state_dict()) == list(reference.state_dict())
    single = nn.SyncBatchNorm.convert_sync_batchnorm(nn.BatchNorm1d(5, eps=1e-3))
    assert type(single) is nn.SyncBatchNorm and single.eps == 1e-3
    plain = nn.Linear(2, 2)
    assert nn.SyncBatchNorm.convert_sync_batchnorm(plain) is plain


@needs_mpi
def test_sync_batch_norm_over_two_mpi_processes_is_batch_norm_over_the_whole_batch(tmp_path):
    from tests.nn.sync_batch_norm_worker import global_data

    result, _ = launch(["-m", "tests.nn.sync_batch_norm_worker", str(tmp_path)], n=2,
                       timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    ranks = [np.load(tmp_path / f"rank{r}.npz") for r in range(2)]
    x, upstream, weight, bias = global_data()
    reference = torch.nn.BatchNorm1d(3, momentum=0.2, dtype=torch.float64)
    with torch.no_grad():
        reference.weight.copy_(torch.tensor(weight)), reference.bias.copy_(torch.tensor(bias))
    whole = torch.tensor(x, requires_grad=True)
    y = reference(whole)
    y.backward(torch.tensor(upstream))
    np.testing.assert_allclose(np.concatenate([r["y"] for r in ranks]), y.detach().numpy(),
                               rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(np.concatenate([r["grad"] for r in ranks]), whole.grad.numpy(),
                               rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(sum(r["weight_grad"] for r in ranks),
                               reference.weight.grad.numpy(), rtol=1e-10)
    for r in ranks:
        np.testing.assert_allclose(r["running_mean"], reference.running_mean.numpy(),
                                   rtol=1e-12)
        np.testing.assert_allclose(r["running_var"], reference.running_var.numpy(), rtol=1e-12)
