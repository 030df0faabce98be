"""DataParallel (the CPU pass-through wrapper) and SyncBatchNorm (batch norm over any rank,
convert_sync_batchnorm), against PyTorch with the same weights."""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
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


def test_sync_batch_norm_refuses_to_train_unsynchronised_in_a_multi_process_job(monkeypatch):
    job = types.SimpleNamespace(is_initialized=lambda: True, get_world_size=lambda: 2)
    monkeypatch.setitem(sys.modules, "chainrule.distributed", job)
    layer = nn.SyncBatchNorm(3)
    with pytest.raises(NotImplementedError, match="across the 2 processes"):
        layer(cr.randn(4, 3))
    assert layer.eval()(cr.randn(4, 3)).shape == (4, 3)  # running statistics: no reduction


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
