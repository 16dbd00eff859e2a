"""A slide to learn from, prepared once: its analysis grid, tissue and where each class lies."""

import logging
from dataclasses import dataclass

import numpy as np

from inference.errors import TrainingError
from inference.source import RegionSource
from inference.tiling import AnalysisGrid, choose_analysis_grid
from inference.tissue import TissueParameters, detect_tissue, read_thumbnail
from inference.training.labels import PixelLabel, Unannotated
from inference.training.regions import LabelledMask, RasterGrid, SlideAnnotations, label_raster

log = logging.getLogger(__name__)

# Patch centres are drawn from a label raster this coarse (micrometres per pixel): fine
# enough for small lesions, small enough to hold for a whole slide.
SAMPLING_SPACING_UM = 8.0
SAMPLED_LABELS = (PixelLabel.MALIGNANT, PixelLabel.BENIGN)


@dataclass(frozen=True)
class TrainingSlide:
    """A slide's pixels (any region source) and its annotations."""

    name: str
    source: RegionSource
    annotations: SlideAnnotations


@dataclass(frozen=True)
class PreparedSlide:
    """A training slide with its analysis grid, tissue mask and candidate patch centres.

    `centres[label]` holds (row, column) pixels of the sampling raster (SAMPLING_SPACING_UM)
    that are tissue and carry that label.
    """

    slide: TrainingSlide
    grid: AnalysisGrid
    tissue: LabelledMask
    unannotated: Unannotated
    centres: dict[PixelLabel, np.ndarray]

    @property
    def has_malignant(self) -> bool:
        return len(self.centres[PixelLabel.MALIGNANT]) > 0

    def labels(self, grid: RasterGrid) -> np.ndarray:
        """Training labels of a pixel grid of this slide."""
        return label_raster(self.slide.annotations, grid, self.tissue, self.unannotated)


def prepare_slide(
    slide: TrainingSlide,
    spacing_um: float,
    tolerance: float,
    unannotated: Unannotated,
    tissue: TissueParameters | None = None,
) -> PreparedSlide:
    """Find the slide's tissue and analysis grid (the engine's level choice) and its classes."""
    parameters = tissue or TissueParameters()
    grid = choose_analysis_grid(slide.source.levels, spacing_um, tolerance)
    thumbnail = read_thumbnail(
        slide.source, parameters.thumbnail_spacing_um, parameters.min_thumbnail_side
    )
    found = detect_tissue(thumbnail, parameters)
    mask = LabelledMask(PixelLabel.BENIGN, found.mask, found.spacing_um)
    extent = grid.size.width * grid.spacing_um, grid.size.height * grid.spacing_um
    sampling = RasterGrid(
        0.0,
        0.0,
        SAMPLING_SPACING_UM,
        max(1, int(extent[0] // SAMPLING_SPACING_UM)),
        max(1, int(extent[1] // SAMPLING_SPACING_UM)),
    )
    labels = label_raster(slide.annotations, sampling, mask, unannotated)
    on_tissue = mask.inside(sampling)
    centres = {
        label: np.argwhere(on_tissue & (labels == label.value)).astype(np.int32)
        for label in SAMPLED_LABELS
    }
    if not any(len(found) for found in centres.values()):
        raise TrainingError(
            f"slide {slide.name} has no labelled tissue to learn from: its tissue is all "
            "'ignore' (annotate it, or use --unannotated benign if every tumour is outlined)"
        )
    log.debug(
        "slide %s: %d malignant and %d benign sampling pixels",
        slide.name,
        len(centres[PixelLabel.MALIGNANT]),
        len(centres[PixelLabel.BENIGN]),
    )
    return PreparedSlide(slide, grid, mask, unannotated, centres)
