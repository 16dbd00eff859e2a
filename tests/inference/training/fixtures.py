"""Small annotated slides held in memory, and a tiny model, for the training tests."""

import functools

import numpy as np

from inference.memory_source import ArraySource
from inference.model import ModelConfig
from inference.tissue import TissueParameters
from inference.training import (
    LabelledPolygon,
    PixelLabel,
    PreparedSlide,
    SlideAnnotations,
    TrainingOptions,
    TrainingSlide,
    Unannotated,
    prepare_slide,
)
from tests.inference.fixtures import SPACING, tissue_image

TINY = ModelConfig.for_stride(16, depth=18, width=4, aspp_channels=8, name="tiny")
# These slides are a fraction of a millimetre: clean at the scale of their pixels.
SMALL_TISSUE = TissueParameters(opening_um=2.0, closing_um=4.0, min_area_mm2=1e-4)
HEIGHT, WIDTH = 480, 640
# The lesion: a square of dark purple in the upper left of the tissue, in micrometres.
LESION_UM = np.array([[120.0, 80.0], [200.0, 80.0], [200.0, 150.0], [120.0, 150.0]])


def slide_image(seed: int, malignant: bool) -> np.ndarray:
    image = tissue_image(HEIGHT, WIDTH, seed)
    if malignant:
        (left, top), (right, bottom) = (
            (LESION_UM[0] / SPACING).astype(int),
            (LESION_UM[2] / SPACING).astype(int),
        )
        image[top:bottom, left:right] = (80, 40, 120)
    return image


def annotated_slide(seed: int, malignant: bool) -> TrainingSlide:
    """A slide at the analysis spacing (three levels); malignant ones carry one outline."""
    source = ArraySource.pyramid(slide_image(seed, malignant), SPACING, 3)
    regions = (LabelledPolygon(PixelLabel.MALIGNANT, LESION_UM),) if malignant else ()
    kind = "malignant" if malignant else "benign"
    return TrainingSlide(f"{kind}-{seed}", source, SlideAnnotations(regions))


def prepared(slide: TrainingSlide, unannotated: Unannotated = Unannotated.BENIGN) -> PreparedSlide:
    return prepare_slide(slide, SPACING, 0.1, unannotated, SMALL_TISSUE)


@functools.cache
def _prepared_set() -> tuple[PreparedSlide, ...]:
    return tuple(prepared(annotated_slide(seed, seed < 2)) for seed in range(4))


def prepared_set() -> list[PreparedSlide]:
    """Two malignant and two benign slides (prepared once: preparing finds tissue)."""
    return list(_prepared_set())


def tiny_options(**overrides: object) -> TrainingOptions:
    values: dict[str, object] = {
        "patch_size": 64,
        "batch_size": 2,
        "steps": 6,
        "warmup_steps": 2,
        "validation_fraction": 0.5,
        "validation_patches": 4,
        "validate_every": 2,
        "checkpoint_every": 100,
        "workers": 2,
        "device": "cpu",
        "unannotated": Unannotated.BENIGN,
    }
    values.update(overrides)
    return TrainingOptions(**values)  # type: ignore[arg-type]
