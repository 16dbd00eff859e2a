"""Slide scores other than the engine's: top-k for other k, maximum, tissue-weighted mean."""

import dataclasses

import numpy as np
import pytest

from inference.aggregation import aggregator, maximum, tissue_weighted_mean, top_k_mean
from inference.errors import InferenceError
from inference.results import SlideInference
from tests.inference.fixtures import LocalModel, engine, loaded, slide


@pytest.fixture(scope="module")
def result() -> SlideInference:
    return engine(loaded(LocalModel()), top_k=200).run(slide())


def test_top_k_for_smaller_k_uses_the_highest_values(result: SlideInference) -> None:
    assert top_k_mean(200)(result) == pytest.approx(result.score)
    assert top_k_mean(10)(result) == pytest.approx(result.top_values[:10].mean())
    assert top_k_mean(10)(result) >= top_k_mean(200)(result)
    assert aggregator("top-10")(result) == top_k_mean(10)(result)
    assert aggregator("top10")(result) == top_k_mean(10)(result)


def test_top_k_beyond_what_was_kept_says_what_to_do(result: SlideInference) -> None:
    with pytest.raises(InferenceError, match=r"inference\.top_k of at least 500"):
        top_k_mean(500)(result)


def test_maximum_is_the_highest_pixel(result: SlideInference) -> None:
    assert maximum(result) == result.top_values[0] == aggregator("max")(result)


def test_tissue_mean_weights_the_map_by_tissue(result: SlideInference) -> None:
    probability_map = result.probability_map
    uniform = dataclasses.replace(
        result,
        probability_map=dataclasses.replace(
            probability_map, probabilities=np.full_like(probability_map.probabilities, 0.25)
        ),
    )
    assert tissue_weighted_mean(uniform) == pytest.approx(0.25)
    value = aggregator("tissue-mean")(result)
    covered = probability_map.coverage > 0
    low, high = probability_map.probabilities[covered].min(), probability_map.probabilities.max()
    assert low <= value <= high


def test_unknown_scores_list_the_known_ones() -> None:
    with pytest.raises(InferenceError, match="tissue-mean"):
        aggregator("median")
