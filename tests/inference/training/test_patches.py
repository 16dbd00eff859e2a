"""Patches: drawn on tissue, balanced between classes, read like the engine's tiles."""

import numpy as np
import pytest

from inference.errors import TrainingError
from inference.memory_source import ArraySource
from inference.tiling import TileLayout, choose_analysis_grid
from inference.training import (
    PatchSpec,
    PixelLabel,
    TrainingSlide,
    Unannotated,
    draw_patches,
    read_patch,
)
from inference.training.loader import BatchPlan, PatchLoader, step_specs
from inference.training.slides import SAMPLING_SPACING_UM
from tests.inference.fixtures import SPACING
from tests.inference.training.fixtures import LESION_UM, annotated_slide, prepared, slide_image


def test_a_patch_holds_the_slide_pixels_and_the_outline_labels() -> None:
    slide = prepared(annotated_slide(0, malignant=True))
    patch = read_patch(slide, PatchSpec(0, 200, 130), 96)
    image = slide_image(0, True)
    assert np.array_equal(patch.pixels, image[130:226, 200:296])
    columns = (np.arange(200, 296) + 0.5) * SPACING
    rows = (np.arange(130, 226) + 0.5) * SPACING
    inside = (
        (rows[:, None] >= LESION_UM[0, 1])
        & (rows[:, None] < LESION_UM[2, 1])
        & (columns[None, :] >= LESION_UM[0, 0])
        & (columns[None, :] < LESION_UM[2, 0])
    )
    assert np.array_equal(patch.labels == PixelLabel.MALIGNANT, inside)


def test_patches_beyond_the_slide_are_white_glass() -> None:
    slide = prepared(annotated_slide(0, malignant=False))
    patch = read_patch(slide, PatchSpec(0, -40, -40), 64)
    assert (patch.pixels[:40, :40] == 255).all()
    assert (patch.labels[:40, :40] == PixelLabel.BENIGN).all()


def test_a_40x_slide_is_read_at_20x_through_the_engine_level_choice() -> None:
    fine = np.kron(slide_image(1, True), np.ones((2, 2, 1), dtype=np.uint8))
    base = annotated_slide(1, malignant=True)
    slide = prepared(TrainingSlide("fine", ArraySource([fine], [SPACING / 2]), base.annotations))
    grid = choose_analysis_grid(slide.slide.source.levels, SPACING, 0.1)
    assert grid.resampled and slide.grid == grid
    patch = read_patch(slide, PatchSpec(0, 200, 130), 64)
    expected = read_patch(prepared(base), PatchSpec(0, 200, 130), 64)
    # Shrinking 2x2 copies of each pixel gives the pixel back (up to rounding).
    assert np.abs(patch.pixels.astype(int) - expected.pixels.astype(int)).max() <= 1
    assert np.array_equal(patch.labels, expected.labels)
    assert TileLayout(64, 64).margin == 0


def test_draws_are_balanced_and_centred_on_tissue_of_their_class() -> None:
    slides = [prepared(annotated_slide(seed, seed == 0)) for seed in range(2)]
    specs = draw_patches(slides, np.random.default_rng(0), 400, 64, 0.5)
    centre_labels = []
    for spec in specs:
        slide = slides[spec.slide]
        centre_x, centre_y = (spec.x + 32) * SPACING, (spec.y + 32) * SPACING
        row, col = int(centre_y // SAMPLING_SPACING_UM), int(centre_x // SAMPLING_SPACING_UM)
        labelled = {
            label: {tuple(p) for p in slide.centres[label].tolist()} for label in slide.centres
        }
        found = [label for label, cells in labelled.items() if (row, col) in cells]
        assert found, "every patch is centred on a sampling pixel of tissue"
        centre_labels.append(found[0])
    malignant = sum(label == PixelLabel.MALIGNANT for label in centre_labels)
    assert 160 <= malignant <= 240
    assert all(
        spec.slide == 0
        for spec, label in zip(specs, centre_labels, strict=True)
        if label == PixelLabel.MALIGNANT
    )


def test_without_malignant_tissue_every_patch_is_benign() -> None:
    slides = [prepared(annotated_slide(1, malignant=False))]
    specs = draw_patches(slides, np.random.default_rng(0), 20, 64, 0.5)
    assert len(specs) == 20 and {spec.slide for spec in specs} == {0}


def test_the_loader_yields_each_step_as_drawn_for_that_step() -> None:
    slides = [prepared(annotated_slide(seed, seed == 0)) for seed in range(2)]
    plan = BatchPlan(batch_size=3, patch_size=32, malignant_fraction=0.5, seed=5)
    with PatchLoader(slides, plan, workers=2) as loader:
        batches = list(loader.batches(4, 8))
    assert [batch.step for batch in batches] == [4, 5, 6, 7]
    for batch in batches:
        expected = [
            read_patch(slides[s.slide], s, 32) for s in step_specs(slides, plan, batch.step)
        ]
        assert np.array_equal(batch.pixels.numpy(), np.stack([p.pixels for p in expected]))
        assert np.array_equal(batch.labels.numpy(), np.stack([p.labels for p in expected]))
    assert step_specs(slides, plan, 4) != step_specs(slides, plan, 5)


def test_an_unannotated_slide_teaches_only_when_unannotated_tissue_is_benign() -> None:
    slide = annotated_slide(2, malignant=False)
    with pytest.raises(TrainingError, match="no labelled tissue"):
        prepared(slide, Unannotated.IGNORE)
    assert len(prepared(slide, Unannotated.BENIGN).centres[PixelLabel.BENIGN]) > 0
