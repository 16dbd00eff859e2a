"""Training the segmentation network on annotated slides, as Song et al. did (torch only)."""

from inference.training.augment import Augmentation, augment
from inference.training.checkpoint import Checkpoint, TrainingHistory, load_checkpoint
from inference.training.geojson import polygons_from_geojson
from inference.training.labels import ClassMapping, PixelLabel, Unannotated
from inference.training.options import TrainingOptions
from inference.training.patches import PatchSpec, draw_patches, read_patch
from inference.training.regions import (
    LabelledMask,
    LabelledPolygon,
    RasterGrid,
    SlideAnnotations,
    label_raster,
)
from inference.training.slides import PreparedSlide, TrainingSlide, prepare_slide
from inference.training.split import Split, split_slides
from inference.training.trainer import (
    CHECKPOINT_NAME,
    WEIGHTS_NAME,
    SilentReporter,
    Trainer,
    TrainingReporter,
    TrainingResult,
    learning_rate,
)

__all__ = [
    "CHECKPOINT_NAME",
    "WEIGHTS_NAME",
    "Augmentation",
    "Checkpoint",
    "ClassMapping",
    "LabelledMask",
    "LabelledPolygon",
    "PatchSpec",
    "PixelLabel",
    "PreparedSlide",
    "RasterGrid",
    "SilentReporter",
    "SlideAnnotations",
    "Split",
    "Trainer",
    "TrainingHistory",
    "TrainingOptions",
    "TrainingReporter",
    "TrainingResult",
    "TrainingSlide",
    "Unannotated",
    "augment",
    "draw_patches",
    "label_raster",
    "learning_rate",
    "load_checkpoint",
    "polygons_from_geojson",
    "prepare_slide",
    "read_patch",
    "split_slides",
]
