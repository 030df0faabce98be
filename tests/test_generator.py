"""``chainrule.Generator`` (PyTorch's ``torch.Generator``): seeding, state, pickling, and its
use wherever a function takes ``generator=``."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import chainrule as cr
from chainrule.device import DeviceError


def draws(generator) -> list[float]:
    return cr.randn(4, generator=generator).tolist()


def test_a_seeded_generator_draws_what_manual_seed_draws():
    ours = draws(cr.Generator().manual_seed(7))
    cr.manual_seed(7)
    assert ours == cr.randn(4).tolist()
    assert draws(cr.Generator().manual_seed(8)) != ours


def test_a_fresh_generator_starts_from_torchs_default_seed_on_every_run():
    assert cr.Generator().initial_seed() == 67280421310721
    assert draws(cr.Generator()) == draws(cr.Generator())


def test_the_default_seed_is_torchs():
    torch = pytest.importorskip("torch")
    assert cr.Generator().initial_seed() == torch.Generator().initial_seed()


def test_seed_picks_a_fresh_seed_that_replays():
    generator = cr.Generator()
    seed = generator.seed()
    assert generator.initial_seed() == seed and seed != cr.Generator().seed()
    first = draws(generator)
    assert draws(cr.Generator().manual_seed(seed)) == first


def test_state_round_trips_and_pickling_keeps_the_class_and_position():
    generator = cr.Generator().manual_seed(3)
    draws(generator)
    state = generator.get_state()
    expected = draws(generator)
    assert draws(generator.set_state(state)) == expected
    copy = pickle.loads(pickle.dumps(generator))
    assert isinstance(copy, cr.Generator) and copy.initial_seed() == 3
    assert draws(copy) == draws(generator)


def test_generator_feeds_the_data_pipeline_and_initialisers():
    data = cr.data.TensorDataset(cr.arange(12))

    def order(seed):
        loader = cr.data.DataLoader(data, batch_size=4, shuffle=True,
                                    generator=cr.Generator().manual_seed(seed))
        return [batch[0].tolist() for batch in loader]

    assert order(0) == order(0) and order(0) != order(1)
    assert sorted(sum(order(0), [])) == list(range(12))
    split = cr.data.random_split(data, [6, 6], generator=cr.Generator().manual_seed(0))
    again = cr.data.random_split(data, [6, 6], generator=cr.Generator().manual_seed(0))
    assert split[0].indices == again[0].indices
    w1, w2 = cr.empty(3, 3), cr.empty(3, 3)
    cr.nn.init.normal_(w1, generator=cr.Generator().manual_seed(5))
    cr.nn.init.normal_(w2, generator=cr.Generator().manual_seed(5))
    np.testing.assert_array_equal(w1.numpy(), w2.numpy())


@pytest.mark.parametrize("seed", [-1, 1.5, "3", True, None])
def test_a_bad_seed_is_refused_by_name(seed):
    with pytest.raises(ValueError, match="manual_seed expects a non-negative integer"):
        cr.Generator().manual_seed(seed)


def test_bad_state_and_other_devices_are_refused():
    with pytest.raises(ValueError, match="set_state expects a state returned by"):
        cr.Generator().set_state([1, 2])
    with pytest.raises(DeviceError, match="Generator"):
        cr.Generator(device="cuda")
    assert cr.Generator("cpu").device == cr.device("cpu")
