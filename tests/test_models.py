"""models.py: a model plan gives the built model's parameter shapes by arithmetic alone, so a
model file's metadata can be checked against its tensors before anything is built."""

from __future__ import annotations

import tracemalloc

import pytest

from chainrule.models import build_model, model_plan, parameter_shapes


@pytest.mark.parametrize("spec, input_shape, classes", [
    ("mlp", (28, 28), 10), ("mlp:16-8", (2,), 3), ("linear", (5,), 2), ("cnn", (1, 28, 28), 10),
    ("cnn", (12, 12), 4), ("mlp:4", (3, 4, 4), 2), ("lstm", (23,), 27), ("gpt", (23,), 27),
])
def test_the_plan_names_every_parameter_of_the_built_model_with_its_shape(spec, input_shape,
                                                                          classes):
    built = build_model(spec, input_shape, classes).state_dict()
    assert parameter_shapes(model_plan(spec, input_shape, classes)) == \
        {name: tuple(value.shape) for name, value in built.items()}


def test_a_plan_for_a_huge_model_costs_no_memory():
    tracemalloc.start()
    shapes = parameter_shapes(model_plan("mlp:60000-60000", (60000,), 60000))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert shapes["3.weight"] == (60000, 60000) and peak < 2**20


@pytest.mark.parametrize("input_shape, classes", [((), 3), ((0, 2), 3), ((2,), 0),
                                                  ((-1,), 2), ((2.5,), 2)])
def test_impossible_sizes_are_refused(input_shape, classes):
    with pytest.raises(ValueError, match="input shape|classes"):
        model_plan("mlp:4", input_shape, classes)


def test_a_cnn_needs_images_of_at_least_4_pixels_a_side():
    with pytest.raises(ValueError, match="4×4"):
        model_plan("cnn", (1, 3, 3), 2)
