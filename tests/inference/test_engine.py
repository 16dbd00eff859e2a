"""The engine end to end on small in-memory slides, against whole-image computations."""

import numpy as np
import pytest
import torch

from inference.engine import Engine
from inference.errors import InferenceError, NoTissueError, TileReadError
from inference.memory_source import ArraySource
from inference.replica import Replica
from tests.inference.fixtures import (
    SPACING,
    ConstantModel,
    LocalModel,
    analysed_mask,
    engine,
    loaded,
    normalise,
    options,
    slide,
    tiny_deeplab,
)

KEEP, MARGIN = 64, 16


def whole_image_probabilities(model: torch.nn.Module, image: np.ndarray) -> np.ndarray:
    """One pass over the whole image, padded white by the tile margin like the slide's edges."""
    padded = np.pad(image, ((MARGIN, MARGIN), (MARGIN, MARGIN), (0, 0)), constant_values=255)
    with torch.no_grad():
        logits = model(normalise(padded))[0, 0, MARGIN:-MARGIN, MARGIN:-MARGIN]
    return torch.sigmoid(logits).numpy()


def test_constant_model_gives_a_constant_map_without_seams() -> None:
    result = engine(loaded(ConstantModel(0.3))).run(slide())
    expected = 1 / (1 + np.exp(-0.3))
    probability_map = result.probability_map
    analysed = probability_map.coverage > 0
    assert analysed.mean() > 0.5
    assert np.allclose(probability_map.probabilities[analysed], expected, atol=1e-6)
    assert (probability_map.probabilities[~analysed] == 0).all()
    assert result.score == pytest.approx(expected, abs=1e-6)
    assert len(result.top_values) == 50


def test_map_lies_on_the_grid_of_a_source_level() -> None:
    source = slide()
    result = engine(loaded(ConstantModel(0.0))).run(source)
    probability_map = result.probability_map
    level = source.levels[probability_map.level]
    assert probability_map.level == 2
    assert (probability_map.width, probability_map.height) == (level.width, level.height)
    assert probability_map.pixel_spacing_um == level.pixel_spacing_um


def test_stitched_map_and_top_k_equal_a_whole_image_pass() -> None:
    model = LocalModel()
    source = slide()
    image = source.read_region(0, 0, 0, 400, 300)
    result = engine(loaded(model)).run(source)
    probabilities = whole_image_probabilities(model, image)
    analysed = analysed_mask(probabilities.shape, result.tile_origins, KEEP)
    expected_top = np.sort(probabilities[analysed])[::-1][:50]
    assert np.allclose(result.top_values, expected_top, atol=1e-5)
    assert result.score == pytest.approx(expected_top.mean(), abs=1e-5)
    # The map at level 2 averages 4 x 4 blocks of analysed pixels.
    height, width = result.probability_map.height, result.probability_map.width

    def blocks(a: np.ndarray) -> np.ndarray:
        return a[: height * 4, : width * 4].reshape(height, 4, width, 4).sum((1, 3))

    weights = blocks(analysed.astype(float))
    with np.errstate(invalid="ignore"):
        expected_map = np.where(weights > 0, blocks(probabilities * analysed) / weights, 0)
    assert np.allclose(result.probability_map.probabilities, expected_map, atol=1e-5)
    assert np.allclose(result.probability_map.coverage, weights / 16, atol=1e-6)


def test_top_k_is_exact_against_brute_force_per_tile() -> None:
    model = tiny_deeplab()
    source = slide(200, 260)
    result = engine(model, top_k=300).run(source)
    image = source.read_region(0, 0, 0, 260, 200)
    padded = np.pad(image, ((MARGIN, 96), (MARGIN, 96), (0, 0)), constant_values=255)
    values = []
    for x, y in result.tile_origins:
        tile = padded[y : y + 96, x : x + 96]
        with torch.no_grad():
            kept = torch.sigmoid(model.module(normalise(tile)))[
                0, 0, MARGIN:-MARGIN, MARGIN:-MARGIN
            ]
        values.append(kept[: 200 - y, : 260 - x].numpy().ravel())
    expected = np.sort(np.concatenate(values))[::-1][:300]
    assert np.allclose(result.top_values, expected, atol=1e-5)
    assert result.score == pytest.approx(float(expected.mean()), abs=1e-5)


def test_slide_smaller_than_one_tile() -> None:
    source = slide(40, 50, levels=2)
    result = engine(loaded(ConstantModel(-1.0)), top_k=5000).run(source)
    assert result.statistics.tiles == result.statistics.tiles_total == 1
    assert result.statistics.analysed_pixels == 40 * 50
    assert result.statistics.top_k_pixels == 40 * 50  # fewer pixels than k: all of them
    assert result.score == pytest.approx(1 / (1 + np.exp(1.0)), abs=1e-6)


def test_slide_without_tissue_is_not_evaluable() -> None:
    glass = np.full((200, 200, 3), 236, dtype=np.uint8)
    with pytest.raises(NoTissueError, match="not evaluable"):
        engine(loaded(ConstantModel(0.0))).run(ArraySource.pyramid(glass, SPACING, 3))


def test_progress_is_monotonic_and_ends_at_one() -> None:
    reports: list[float] = []
    result = engine(loaded(ConstantModel(0.0)), batch_size=2).run(slide(), reports.append)
    assert reports == sorted(reports)
    assert reports[0] == 0.0
    assert reports[-1] == 1.0
    assert len(reports) >= result.statistics.tiles // 2


def test_statistics_describe_the_run() -> None:
    result = engine(loaded(ConstantModel(0.0))).run(slide())
    statistics = result.statistics
    assert statistics.tiles == len(result.tile_origins) < statistics.tiles_total == 35
    assert statistics.tissue_area_mm2 == pytest.approx(
        np.pi * 120 * 160 * (SPACING / 1000) ** 2, rel=0.1
    )
    assert statistics.tissue_pixels == pytest.approx(np.pi * 120 * 160, rel=0.1)
    assert (statistics.analysis_level, statistics.resampled) == (0, False)
    assert statistics.devices == ("cpu",) and statistics.precision == "float32"
    assert statistics.timings.total_s >= statistics.timings.inference_s > 0
    assert result.tissue.mask.any()


def test_resampled_slide_is_analysed_at_the_analysis_spacing() -> None:
    model = LocalModel()
    source = ArraySource.pyramid(slide(380, 500).read_region(0, 0, 0, 500, 380), 0.3, levels=4)
    result = engine(loaded(model), spacing_tolerance=0.05).run(source)
    statistics = result.statistics
    assert statistics.resampled and statistics.analysis_spacing_um == 0.476
    assert (statistics.analysis_level, result.probability_map.level) == (0, 3)
    assert result.probability_map.coverage.max() == pytest.approx(1.0)
    assert 0 < result.score < 1


class FailingSource:
    """A slide whose full-resolution reads fail after a few tiles."""

    def __init__(self, source: ArraySource, fail_after: int) -> None:
        self._source = source
        self._reads = 0
        self._fail_after = fail_after

    @property
    def levels(self):  # type: ignore[no-untyped-def]
        return self._source.levels

    def read_region(self, level: int, x: int, y: int, width: int, height: int) -> np.ndarray:
        if level == 0:
            self._reads += 1
            if self._reads > self._fail_after:
                raise OSError("disk unplugged")
        return self._source.read_region(level, x, y, width, height)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("fail_after", [1, 8])  # the first read is the thumbnail's
def test_reader_errors_end_the_run_with_a_clear_error(fail_after: int) -> None:
    model_engine = engine(loaded(ConstantModel(0.0)), batch_size=2)
    with pytest.raises(TileReadError, match=r"cannot read tile .* disk unplugged"):
        model_engine.run(FailingSource(slide(), fail_after))
    # The engine is still usable afterwards.
    assert model_engine.run(slide()).statistics.tiles > 0


def test_thumbnail_read_errors_are_clear() -> None:
    with pytest.raises(TileReadError, match=r"cannot read the thumbnail .* disk unplugged"):
        engine(loaded(ConstantModel(0.0))).run(FailingSource(slide(), 0))


class ExplodingModel(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise RuntimeError("out of memory, pretend")


@pytest.mark.timeout(60)
def test_model_errors_end_the_run() -> None:
    with pytest.raises(RuntimeError, match="pretend"):
        engine(loaded(ExplodingModel())).run(slide())


def test_two_replicas_share_the_tiles_and_merge_exactly() -> None:
    model = loaded(LocalModel())
    single = engine(model).run(slide())
    double = engine(model)
    double.replicas.append(Replica(model, torch.device("cpu"), torch.float32, False))
    merged = double.run(slide())
    assert np.allclose(merged.top_values, single.top_values, atol=1e-6)
    assert np.allclose(
        merged.probability_map.probabilities, single.probability_map.probabilities, atol=1e-6
    )


def test_models_with_several_classes_are_refused() -> None:
    from inference.model import ModelConfig

    config = ModelConfig(num_classes=2)
    with pytest.raises(InferenceError, match="one malignancy logit"):
        Engine(loaded(ConstantModel(0.0), config), options())
