"""The CUDA tests' model and tolerances catch the faults of a broken device path (on the CPU)."""

import dataclasses

import numpy as np

from inference.memory_source import ArraySource
from tests.inference.fixtures import (
    BFLOAT16_ATOL,
    SPACING,
    engine,
    map_difference,
    slide,
    strong_model,
    tissue_image,
)


def _image_slide(image: np.ndarray) -> ArraySource:
    return ArraySource.pyramid(np.ascontiguousarray(image), SPACING, 4)


def test_strong_model_spreads_probabilities_over_the_tissue() -> None:
    probabilities = engine(strong_model()).run(slide()).probability_map.probabilities
    tissue = probabilities[probabilities > 0]
    assert np.percentile(tissue, 5) < 0.1 and np.percentile(tissue, 95) > 0.5


def test_swapped_channels_differ_beyond_the_tolerance() -> None:
    model = strong_model()
    reference = engine(model).run(slide())
    swapped = engine(model).run(_image_slide(tissue_image(300, 400)[..., ::-1]))
    assert map_difference(reference, swapped) > 10 * BFLOAT16_ATOL


def test_dropped_normalisation_differs_beyond_the_tolerance() -> None:
    model = strong_model()
    bare = dataclasses.replace(model.config, mean=(0.0, 0.0, 0.0), std=(1.0, 1.0, 1.0))
    reference = engine(model).run(slide())
    unnormalised = engine(dataclasses.replace(model, config=bare)).run(slide())
    assert map_difference(reference, unnormalised) > 10 * BFLOAT16_ATOL


def test_bfloat16_stays_within_its_tolerance_on_the_cpu() -> None:
    model = strong_model()
    reference = engine(model).run(slide())
    result = engine(model, precision="bfloat16").run(slide())
    assert 0 < map_difference(reference, result) < BFLOAT16_ATOL
