"""``chainrule.utils.data`` offers every name of ``chainrule.data``, as the same objects, so a
script written against ``torch.utils.data`` finds what it imports."""

from __future__ import annotations

import chainrule.data as data
import chainrule.utils.data as utils_data


def test_every_name_of_data_is_the_same_object_under_utils_data():
    assert sorted(utils_data.__all__) == sorted(data.__all__)
    assert {name for name in data.__all__ if getattr(utils_data, name) is not getattr(data, name)} \
        == set()
    assert {"DataLoader", "BatchSampler", "WeightedRandomSampler"} <= set(utils_data.__all__)
