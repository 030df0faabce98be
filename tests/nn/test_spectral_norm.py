"""Spectral normalisation, both forms, against PyTorch's (float64): the parametrization
``nn.utils.parametrizations.spectral_norm`` (``original``, buffers ``_u``, ``_v``) and the
legacy hook ``nn.utils.spectral_norm`` (``weight_orig``, ``weight_u``, ``weight_v``).

u and v start from random vectors, drawn from each library's own generator, so every parity
test first copies torch's state (u and v included) into chainrule's module, through
``load_state_dict``. Then: outputs, gradients and the updated u, v after several training
forwards; eval mode, which leaves u, v alone; state dicts both ways; removal; the errors; and a
``chainrule run`` script training a spectrally normalised discriminator."""

from __future__ import annotations

import inspect
from collections import OrderedDict

import numpy as np
import pytest

import chainrule as cr
from chainrule import cli, nn
from chainrule.nn.utils import parametrize as P
from tests.optional import needs_torch, torch

pytestmark = needs_torch

LAYERS = {  # name: (chainrule factory, torch factory, input shape)
    "linear": (lambda: nn.Linear(5, 3), lambda: torch.nn.Linear(5, 3), (4, 5)),
    "conv2d": (lambda: nn.Conv2d(2, 3, 2), lambda: torch.nn.Conv2d(2, 3, 2), (2, 2, 4, 4)),
    "convt2d": (lambda: nn.ConvTranspose2d(3, 2, 2), lambda: torch.nn.ConvTranspose2d(3, 2, 2),
                (2, 3, 3, 3)),
}


def arr(t):
    """A tensor's values (chainrule's or torch's) as an array."""
    return t.detach().numpy()


def layers(layer, seed=0):
    """(chainrule layer, torch layer, rng), float64, torch's weights random."""
    make_ours, make_theirs, _ = LAYERS[layer]
    theirs = make_theirs().double()
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for p in theirs.parameters():
            p.copy_(torch.tensor(rng.normal(size=tuple(p.shape))))
    return make_ours().double(), theirs, rng


def copy_state(ours, theirs):
    """Load torch's whole state (weights and u, v) into chainrule's module."""
    ours.load_state_dict({k: arr(v) for k, v in theirs.state_dict().items()})


def step_both(ours, theirs, x):
    """One forward of both, and backward of sum(out²); compares the outputs."""
    out_ours, out_theirs = ours(cr.tensor(x)), theirs(torch.tensor(x))
    np.testing.assert_allclose(arr(out_ours), arr(out_theirs), rtol=1e-10)
    (out_ours * out_ours).sum().backward()
    (out_theirs * out_theirs).sum().backward()


def assert_same_state(ours, theirs, grads=True):
    """Equal state dicts (keys, parameters, u and v) and, with ``grads``, parameter grads."""
    mine = ours.state_dict()
    assert list(mine) == list(theirs.state_dict())
    for name, value in theirs.state_dict().items():
        np.testing.assert_allclose(arr(mine[name]), arr(value), rtol=1e-10, atol=1e-13,
                                   err_msg=name)
    if grads:
        own = dict(ours.named_parameters())
        assert list(own) == [name for name, _ in theirs.named_parameters()]
        for name, p in theirs.named_parameters():
            np.testing.assert_allclose(arr(own[name].grad), arr(p.grad), rtol=1e-9,
                                       atol=1e-12, err_msg=name)


# ---------------------------------------------------------------- the parametrization


@pytest.mark.parametrize("layer", list(LAYERS))
@pytest.mark.parametrize("n_power_iterations", [1, 3])
def test_parametrization_matches_torch_over_training_steps(layer, n_power_iterations):
    ours, theirs, rng = layers(layer)
    nn.utils.parametrizations.spectral_norm(ours, n_power_iterations=n_power_iterations)
    torch.nn.utils.parametrizations.spectral_norm(theirs, n_power_iterations=n_power_iterations)
    copy_state(ours, theirs)
    for _ in range(3):  # each forward reads the weight once: one round of power iteration
        step_both(ours, theirs, rng.normal(size=LAYERS[layer][2]))
        assert_same_state(ours, theirs)
    if layer == "convt2d":  # dim=1 by default for the transposed convolutions
        assert ours.parametrizations.weight[0].dim == 1
        assert ours.parametrizations.weight[0]._u.shape == (2,)


def test_eval_mode_uses_u_and_v_as_they_are():
    ours, theirs, rng = layers("linear")
    nn.utils.parametrizations.spectral_norm(ours)
    torch.nn.utils.parametrizations.spectral_norm(theirs)
    copy_state(ours, theirs)
    ours.eval()
    theirs.eval()
    u_before = arr(ours.parametrizations.weight[0]._u).copy()
    for _ in range(2):
        step_both(ours, theirs, rng.normal(size=(4, 5)))
    np.testing.assert_array_equal(arr(ours.parametrizations.weight[0]._u), u_before)
    assert_same_state(ours, theirs)
    ours.train()
    ours.weight
    assert not np.array_equal(arr(ours.parametrizations.weight[0]._u), u_before)


def test_the_weight_is_scaled_to_spectral_norm_one():
    cr.manual_seed(0)
    m = nn.utils.parametrizations.spectral_norm(nn.Linear(6, 4).double(), n_power_iterations=5)
    for _ in range(20):
        m.weight
    assert np.linalg.svd(arr(m.weight), compute_uv=False)[0] == pytest.approx(1.0, abs=1e-6)
    u = arr(m.parametrizations.weight[0]._u)
    assert np.linalg.norm(u) == pytest.approx(1.0)


def test_u_and_v_are_drawn_from_chainrules_generator():
    def initial_u(seed):
        cr.manual_seed(seed)
        m = nn.utils.parametrizations.spectral_norm(nn.Linear(6, 4).double())
        return arr(m.parametrizations.weight[0]._u)

    cr.manual_seed(1)
    weight = nn.Linear(6, 4).double()
    np.testing.assert_array_equal(initial_u(3), initial_u(3))
    assert weight is not None and not np.array_equal(initial_u(3), initial_u(4))


def test_a_vector_is_divided_by_its_norm():
    ours, theirs, _ = layers("linear")
    nn.utils.parametrizations.spectral_norm(ours, "bias")
    torch.nn.utils.parametrizations.spectral_norm(theirs, "bias")
    copy_state(ours, theirs)
    assert list(ours.state_dict()) == ["weight", "parametrizations.bias.original"]
    np.testing.assert_allclose(arr(ours.bias), arr(theirs.bias), rtol=1e-12)


def test_a_torch_state_dict_loads_and_goes_back():
    ours, theirs, rng = layers("conv2d")
    nn.utils.parametrizations.spectral_norm(ours)
    torch.nn.utils.parametrizations.spectral_norm(theirs)
    copy_state(ours, theirs)
    step_both(ours, theirs, rng.normal(size=(2, 2, 4, 4)))
    back = torch.nn.utils.parametrizations.spectral_norm(torch.nn.Conv2d(2, 3, 2).double())
    back.load_state_dict({k: torch.tensor(arr(v)) for k, v in ours.state_dict().items()})
    back.eval()
    theirs.eval()
    np.testing.assert_allclose(arr(back.weight), arr(theirs.weight), rtol=1e-12)


def test_removing_leaves_the_normalised_weight():
    ours, theirs, rng = layers("linear")
    nn.utils.parametrizations.spectral_norm(ours)
    torch.nn.utils.parametrizations.spectral_norm(theirs)
    copy_state(ours, theirs)
    ours.eval()
    theirs.eval()
    P.remove_parametrizations(ours, "weight")
    torch.nn.utils.parametrize.remove_parametrizations(theirs, "weight")
    assert type(ours) is nn.Linear and isinstance(ours.weight, nn.Parameter)
    assert_same_state(ours, theirs, grads=False)


def test_parametrization_errors_name_the_problem():
    with pytest.raises(ValueError, match="has no parameter or buffer with name 'nope'"):
        nn.utils.parametrizations.spectral_norm(nn.Linear(2, 2), "nope")
    with pytest.raises(ValueError, match="n_power_iterations to be positive, but got "
                                         "n_power_iterations=0"):
        nn.utils.parametrizations.spectral_norm(nn.Linear(2, 2), n_power_iterations=0)
    with pytest.raises(IndexError, match=r"range of \[-2, 1\] but got 2"):
        nn.utils.parametrizations.spectral_norm(nn.Linear(2, 2), dim=2)


# ---------------------------------------------------------------- the legacy hook


@pytest.mark.parametrize("layer", list(LAYERS))
def test_legacy_hook_matches_torch_over_training_steps(layer):
    ours, theirs, rng = layers(layer)
    assert nn.utils.spectral_norm(ours, n_power_iterations=2) is ours
    torch.nn.utils.spectral_norm(theirs, n_power_iterations=2)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    copy_state(ours, theirs)
    for _ in range(3):
        step_both(ours, theirs, rng.normal(size=LAYERS[layer][2]))
        assert_same_state(ours, theirs)
    np.testing.assert_allclose(arr(ours.weight), arr(theirs.weight), rtol=1e-10)


def test_legacy_eval_mode_does_not_iterate():
    ours, theirs, rng = layers("linear")
    nn.utils.spectral_norm(ours)
    torch.nn.utils.spectral_norm(theirs)
    copy_state(ours, theirs)
    ours.eval()
    theirs.eval()
    v_before = arr(ours.weight_v).copy()
    step_both(ours, theirs, rng.normal(size=(4, 5)))
    np.testing.assert_array_equal(arr(ours.weight_v), v_before)
    assert_same_state(ours, theirs)


def test_legacy_state_dict_with_torchs_metadata_loads():
    ours, theirs, _ = layers("linear")
    nn.utils.spectral_norm(ours)
    torch.nn.utils.spectral_norm(theirs)
    state = OrderedDict((k, arr(v)) for k, v in theirs.state_dict().items())
    state._metadata = theirs.state_dict()._metadata
    ours.load_state_dict(state)
    assert_same_state(ours, theirs, grads=False)


def test_an_old_legacy_state_dict_gets_its_v_solved_as_torch_does():
    """Before version 1, torch saved ``weight`` (W / σ) and no ``weight_v``."""
    _, theirs, rng = layers("linear")
    torch.nn.utils.spectral_norm(theirs)
    for _ in range(3):
        theirs(torch.tensor(rng.normal(size=(4, 5))))
    old = OrderedDict((k, arr(v)) for k, v in theirs.state_dict().items() if k != "weight_v")
    old["weight"] = arr(theirs.weight)
    ours = nn.utils.spectral_norm(nn.Linear(5, 3).double())
    ours.load_state_dict(old)
    again = torch.nn.utils.spectral_norm(torch.nn.Linear(5, 3).double())
    again.load_state_dict(OrderedDict((k, torch.tensor(v)) for k, v in old.items()))
    np.testing.assert_allclose(arr(ours.weight_v), arr(again.weight_v), rtol=1e-8)
    ours.eval()
    ours(cr.zeros(1, 5, dtype=cr.float64))
    np.testing.assert_allclose(arr(ours.weight), old["weight"], rtol=1e-8)


def test_remove_spectral_norm_leaves_a_plain_parameter():
    ours, theirs, rng = layers("conv2d")
    nn.utils.spectral_norm(ours)
    torch.nn.utils.spectral_norm(theirs)
    copy_state(ours, theirs)
    step_both(ours, theirs, rng.normal(size=(2, 2, 4, 4)))
    assert nn.utils.remove_spectral_norm(ours) is ours
    torch.nn.utils.remove_spectral_norm(theirs)
    assert isinstance(ours.weight, nn.Parameter)
    assert not (ours._forward_pre_hooks or ours._state_dict_hooks
                or ours._load_state_dict_pre_hooks)
    assert_same_state(ours, theirs, grads=False)


def test_legacy_errors_name_the_problem():
    m = nn.utils.spectral_norm(nn.Linear(2, 2))
    with pytest.raises(RuntimeError, match="Cannot register two spectral_norm hooks on the "
                                           "same parameter weight"):
        nn.utils.spectral_norm(m)
    with pytest.raises(ValueError, match="spectral_norm of 'bias' not found"):
        nn.utils.remove_spectral_norm(m, "bias")
    with pytest.raises(KeyError, match="'nope' is not a parameter of Linear"):
        nn.utils.spectral_norm(nn.Linear(2, 2), "nope")
    with pytest.raises(ValueError, match="n_power_iterations to be positive"):
        nn.utils.spectral_norm(nn.Linear(2, 2), n_power_iterations=0)


@pytest.mark.parametrize("name", ["spectral_norm", "remove_spectral_norm"])
def test_signatures_match_torch(name):
    for ours, theirs in ((getattr(nn.utils, name), getattr(torch.nn.utils, name)),
                         (nn.utils.parametrizations.spectral_norm,
                          torch.nn.utils.parametrizations.spectral_norm)):
        assert [(p.name, p.kind, p.default) for p in inspect.signature(ours).parameters.values()]\
            == [(p.name, p.kind, p.default) for p in inspect.signature(theirs).parameters.values()]


# ---------------------------------------------------------------- a PyTorch script


def test_a_pytorch_gan_discriminator_script_runs(tmp_path, capsys):
    path = tmp_path / "discriminator.py"
    path.write_text(
        "import torch\n"
        "import torch.nn as nn\n"
        "from torch.nn.utils.parametrizations import spectral_norm\n"
        "torch.manual_seed(0)\n"
        "D = nn.Sequential(spectral_norm(nn.Linear(4, 16)), nn.LeakyReLU(0.2),\n"
        "                  spectral_norm(nn.Linear(16, 1)))\n"
        "opt = torch.optim.Adam(D.parameters(), lr=1e-2)\n"
        "real, fake = torch.randn(32, 4) + 2.0, torch.randn(32, 4) - 2.0\n"
        "losses = []\n"
        "for step in range(30):\n"
        "    opt.zero_grad()\n"
        "    loss = (nn.functional.softplus(-D(real)).mean()\n"
        "            + nn.functional.softplus(D(fake)).mean())\n"
        "    loss.backward()\n"
        "    opt.step()\n"
        "    losses.append(loss.item())\n"
        "D.eval()\n"
        "sigma = torch.linalg.matrix_norm(D[0].weight.detach(), ord=2).item()\n"
        "print(sorted(D.state_dict())[:2], losses[-1] < losses[0], round(sigma, 2))\n")
    status = cli.main(["run", str(path)])
    out, err = capsys.readouterr()
    assert (status, err) == (0, "")
    assert out.strip() == ("['0.bias', '0.parametrizations.weight.0._u'] True 1.0")
