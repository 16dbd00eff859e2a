"""Other slide scores than the engine's top-k mean, selectable by name for evaluation.

Song et al. compared the mean of the top 100 to 2000 pixel probabilities; these read an
analysis' result, so every score of a slide comes from one run of the model.
"""

import re
from collections.abc import Callable

import numpy as np

from inference.errors import InferenceError
from inference.results import SlideInference

SlideScore = Callable[[SlideInference], float]
NAMES = ("top-<k> (for example top-1000)", "max", "tissue-mean")
_TOP = re.compile(r"^top-?([1-9][0-9]*)$")


def top_k_mean(k: int) -> SlideScore:
    """The mean of the k highest pixel probabilities (k at most the engine's top_k)."""

    def score(result: SlideInference) -> float:
        values = result.top_values
        if k > len(values) and result.statistics.analysed_pixels > len(values):
            raise InferenceError(
                f"the top-{k} mean needs the {k} highest probabilities but the analysis kept "
                f"{len(values)}; run it with inference.top_k of at least {k}"
            )
        return float(values[:k].astype(np.float64).mean()) if len(values) else 0.0

    return score


def maximum(result: SlideInference) -> float:
    """The highest pixel probability of the slide."""
    return float(result.top_values[0]) if len(result.top_values) else 0.0


def tissue_weighted_mean(result: SlideInference) -> float:
    """The mean probability over the tissue (the map weighted by analysed tissue area)."""
    probability_map = result.probability_map
    tissue = _tissue_on_map(result)
    weights = probability_map.coverage.astype(np.float64) * tissue
    if weights.sum() == 0:
        weights = probability_map.coverage.astype(np.float64)
    total = weights.sum()
    return float((probability_map.probabilities * weights).sum() / total) if total else 0.0


def aggregator(name: str) -> SlideScore:
    """The slide score called `name`: top-<k>, max or tissue-mean."""
    if name == "max":
        return maximum
    if name == "tissue-mean":
        return tissue_weighted_mean
    match = _TOP.match(name)
    if match:
        return top_k_mean(int(match.group(1)))
    raise InferenceError(f"unknown slide score {name!r}; use one of {', '.join(NAMES)}")


def _tissue_on_map(result: SlideInference) -> np.ndarray:
    """The tissue mask sampled at the centres of the map's pixels (0 beyond the thumbnail)."""
    probability_map, tissue = result.probability_map, result.tissue
    ratio = probability_map.pixel_spacing_um / tissue.spacing_um
    rows = np.floor((np.arange(probability_map.height) + 0.5) * ratio).astype(np.int64)
    cols = np.floor((np.arange(probability_map.width) + 0.5) * ratio).astype(np.int64)
    inside_rows, inside_cols = rows < tissue.mask.shape[0], cols < tissue.mask.shape[1]
    sampled = np.zeros((len(rows), len(cols)), dtype=np.float64)
    sampled[np.ix_(inside_rows, inside_cols)] = tissue.mask[
        np.ix_(rows[inside_rows], cols[inside_cols])
    ]
    return sampled
