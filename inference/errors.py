"""Errors of the inference package; each message tells the user what to do next."""

from typing import TYPE_CHECKING

from config.errors import PathSentryError

if TYPE_CHECKING:
    from inference.quality import QualityMap


class InferenceError(PathSentryError):
    """Something in the inference package cannot go on."""


class WeightsError(InferenceError):
    """A weights file cannot be found, read or used."""


class WeightsMismatchError(WeightsError):
    """A weights file does not fit the model architecture it is loaded into."""


class NoWeightsError(WeightsError):
    """No weights were configured and no bundled demo model exists."""


class SlideGeometryError(InferenceError):
    """A slide has no usable levels or pixel spacing."""


class NotEvaluableError(InferenceError):
    """The slide is not evaluable (the message says why): a person must look at it."""


class NoTissueError(NotEvaluableError):
    """The slide is not evaluable: no tissue was found on its thumbnail."""


class PoorQualityError(NotEvaluableError):
    """The slide is not evaluable: too little of its tissue passed the quality gate; `quality`
    is the gate's map (where the defects are), for the QC picture."""

    def __init__(self, message: str, quality: "QualityMap") -> None:
        super().__init__(message)
        self.quality = quality


class TileReadError(InferenceError):
    """A region of the slide could not be read or has the wrong shape."""


class AnnotationError(InferenceError):
    """Annotations cannot be read or mapped onto training labels."""


class TrainingError(InferenceError):
    """Training cannot start or go on."""


class EvaluationError(InferenceError):
    """A labelled set cannot be evaluated."""
