"""The quality gate in the engine: excluded tissue counts neither in the score nor on the map,
and a slide with too little evaluable tissue is not evaluable, saying why in words."""

import dataclasses

import numpy as np
import pytest
import torch
from torch import nn

from inference.errors import NotEvaluableError, PoorQualityError
from inference.exclusion import ExcludedArea
from inference.gate import check_evaluable, defect_words, main_defect, warning
from inference.memory_source import ArraySource
from inference.quality import Defect, QualityMap, QualityParameters
from inference.synthetic import SlideKind
from tests.inference.fixtures import (
    MEAN,
    SPACING,
    STD,
    analysed_mask,
    engine,
    loaded,
    tissue_image,
)
from tests.inference.quality.slides import SPACING_UM, TISSUE, defocused, rendered, source

KEEP = 64
INK = (30, 60, 200)


class BlueModel(nn.Module):
    """High where a pixel is blue ink, low on pink tissue and on glass (pixel by pixel)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mean = torch.tensor(MEAN, device=x.device).view(1, 3, 1, 1)
        std = torch.tensor(STD, device=x.device).view(1, 3, 1, 1)
        rgb = (x * std + mean) * 255
        return 0.2 * (rgb[:, 2:3] - rgb[:, 0:1]) - 20


def inked_slide() -> tuple[ArraySource, np.ndarray]:
    """The fixture's tissue with a band of blue ink across it, and the ink's pixels."""
    image = tissue_image(300, 400)
    ink = np.zeros(image.shape[:2], dtype=bool)
    ink[130:170, 60:340] = True
    image[ink] = INK
    return ArraySource.pyramid(image, SPACING, 4), ink


def blue_probabilities(image: np.ndarray) -> np.ndarray:
    rgb = image.astype(np.float64)
    return 1 / (1 + np.exp(-(0.2 * (rgb[..., 2] - rgb[..., 0]) - 20)))


def test_the_score_and_the_map_ignore_excluded_tissue() -> None:
    source, ink = inked_slide()
    slide_engine = engine(loaded(BlueModel()))
    plan = slide_engine.prepare(source)
    assert plan.quality is None  # the gate is off in these options: the plan is the engine's
    ungated = slide_engine.run(source, plan=plan)
    assert ungated.score > 0.99  # the ink alone would make the slide "suspicious"
    tissue = plan.tissue
    assert tissue.mask.shape == ink.shape  # this small slide's thumbnail is its full level
    quality = QualityMap(tissue, {Defect.PEN: ink & tissue.mask})
    result = slide_engine.run(source, plan=dataclasses.replace(plan, quality=quality))

    image = source.read_region(0, 0, 0, 400, 300)
    probabilities = blue_probabilities(image)
    analysed = analysed_mask(probabilities.shape, result.tile_origins, KEEP) & ~quality.excluded
    expected = np.sort(probabilities[analysed])[::-1][:50]
    assert np.allclose(result.top_values, expected, atol=1e-5)
    assert result.score == pytest.approx(expected.mean(), abs=1e-5)
    assert result.score < 0.01
    assert result.quality is quality
    # On the map (4 x 4 blocks): no probability where the ink was left out, and its area
    # not counted as analysed.
    probability_map = result.probability_map
    inside = ink[130 + 4 : 170 - 4, 60 + 4 : 340 - 4]
    assert inside.all()
    rows, cols = slice((130 + 4) // 4, (170 - 4) // 4), slice((60 + 4) // 4, (340 - 4) // 4)
    assert (probability_map.probabilities[rows, cols] == 0).all()
    assert (probability_map.coverage[rows, cols] == 0).all()
    assert probability_map.probabilities.max() < 0.5


def test_tissue_partly_excluded_keeps_the_map_exact_elsewhere() -> None:
    source, ink = inked_slide()
    slide_engine = engine(loaded(BlueModel()))
    plan = slide_engine.prepare(source)
    quality = QualityMap(plan.tissue, {Defect.PEN: ink & plan.tissue.mask})
    result = slide_engine.run(source, plan=dataclasses.replace(plan, quality=quality))
    probabilities = blue_probabilities(source.read_region(0, 0, 0, 400, 300))
    analysed = analysed_mask(probabilities.shape, result.tile_origins, KEEP) & ~quality.excluded
    height, width = result.probability_map.height, result.probability_map.width

    def blocks(a: np.ndarray) -> np.ndarray:
        return a[: height * 4, : width * 4].reshape(height, 4, width, 4).sum((1, 3))

    weights = blocks(analysed.astype(float))
    with np.errstate(invalid="ignore"):
        expected = np.where(weights > 0, blocks(probabilities * analysed) / weights, 0)
    assert np.allclose(result.probability_map.probabilities, expected, atol=1e-5)
    assert np.allclose(result.probability_map.coverage, weights / 16, atol=1e-6)


def quality_of(shape: tuple[int, int], **defects: slice) -> QualityMap:
    """A map of `shape` all tissue, with each named defect over a band of rows."""
    plan = engine(loaded(BlueModel())).prepare(inked_slide()[0])
    tissue = dataclasses.replace(plan.tissue, mask=np.ones(shape, dtype=bool))
    masks = {}
    for name, rows in defects.items():
        mask = np.zeros(shape, dtype=bool)
        mask[rows] = True
        masks[Defect[name]] = mask
    return QualityMap(tissue, masks)


def test_a_slide_with_too_little_evaluable_tissue_is_not_evaluable_saying_why() -> None:
    quality = quality_of((100, 10), BLUR=slice(0, 64), PEN=slice(97, 100))
    parameters = QualityParameters(enabled=True, min_evaluable_fraction=0.5)
    with pytest.raises(PoorQualityError) as raised:
        check_evaluable(quality, parameters)
    assert isinstance(raised.value, NotEvaluableError)
    assert str(raised.value) == (
        "the slide is not evaluable: 64% of the tissue out of focus, 3% of the tissue under "
        "pen ink; 33% evaluable, at least 50% needed"
    )
    check_evaluable(quality, dataclasses.replace(parameters, min_evaluable_fraction=0.3))


def test_a_scored_slide_with_excluded_tissue_carries_a_warning() -> None:
    quality = quality_of((100, 10), BLUR=slice(0, 12))
    assert warning(quality) == "12% of the tissue out of focus, not analysed"
    assert main_defect(quality) is Defect.BLUR
    clean = quality_of((100, 10))
    assert warning(clean) is None and warning(None) is None
    assert main_defect(clean) is None and defect_words(clean) == ""
    speck = quality_of((1000, 1), FOLD=slice(0, 2))
    assert defect_words(speck) == "<1% of the tissue folded"


def test_tiles_go_only_to_the_tissue_the_gate_kept() -> None:
    image = rendered(SlideKind.BENIGN, 4)
    left = np.zeros(image.shape[:2], dtype=bool)
    left[:, : image.shape[1] // 2] = True
    slide = source(defocused(image, 1.5, left))
    gate = QualityParameters(min_evaluable_fraction=0.3)
    gated = engine(loaded(BlueModel()), tissue=TISSUE, quality=gate).prepare(slide)
    ungated = engine(loaded(BlueModel()), tissue=TISSUE).prepare(slide)
    assert gated.quality is not None and 0.3 < gated.quality.fraction(Defect.BLUR) < 0.7
    assert 0 < len(gated.tiles) < len(ungated.tiles)
    evaluable = ExcludedArea(gated.quality.evaluable, gated.tissue.spacing_um, SPACING_UM)
    assert all(evaluable.touches([tile]) for tile in gated.tiles)
    strict = dataclasses.replace(gate, min_evaluable_fraction=0.8)
    with pytest.raises(PoorQualityError, match=r"of the tissue out of focus; \d+% evaluable"):
        engine(loaded(BlueModel()), tissue=TISSUE, quality=strict).prepare(slide)
