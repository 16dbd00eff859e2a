"""Scores (and, where truth is known, map agreement) for every slide of a labelled set."""

import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from config import PathSentryError
from dicom.slide import SlideError, WholeSlideImage
from inference.aggregation import SlideScore
from inference.engine import Engine
from inference.errors import InferenceError, NotEvaluableError
from inference.evaluation import MapAgreement, map_agreement
from plugin.tools.evaluation_set import LabelledSlide

log = logging.getLogger(__name__)

TRUTH_FILE = Path("truth") / "truth.json"


@dataclass(frozen=True)
class SlideOutcome:
    """One slide's score (None when it was not evaluable, with the reason)."""

    row: LabelledSlide
    score: float | None
    reason: str | None = None
    agreement: MapAgreement | None = None
    seconds: float = 0.0


@dataclass(frozen=True)
class Truth:
    """A slide's truth label raster (0 glass, 1 benign, 2 malignant) and its spacing."""

    labels: np.ndarray
    spacing_um: float


def read_truth(folder: Path) -> Truth | None:
    """The truth of a synthetic slide (truth/truth.json and its labels PNG), if it has one."""
    path = folder / TRUTH_FILE
    if not path.is_file():
        return None
    try:
        description = json.loads(path.read_text())
        labels = np.asarray(Image.open(path.parent / description["labels"]["file"]))
        return Truth(labels, float(description["labels_spacing_um"]))
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise PathSentryError(f"cannot read the truth of {folder}: {error}") from None


def score_slides(
    rows: Sequence[LabelledSlide],
    engine: Engine | None,
    score: SlideScore | None,
    map_threshold: float,
    advance: Callable[[LabelledSlide], None],
) -> list[SlideOutcome]:
    """Every slide's outcome: the CSV's score where given, else the engine's run."""
    outcomes = []
    for row in rows:
        if row.score is not None:
            outcomes.append(SlideOutcome(row, row.score))
        elif engine is None or score is None:
            raise PathSentryError(
                f"slide {row.slide} has no score column value and no model to run"
            )
        else:
            outcomes.append(_run(row, engine, score, map_threshold))
        advance(row)
    return outcomes


def _run(
    row: LabelledSlide, engine: Engine, score: SlideScore, map_threshold: float
) -> SlideOutcome:
    started = time.perf_counter()
    try:
        with WholeSlideImage.open(row.slide) as slide:
            result = engine.run(slide)
    except NotEvaluableError as error:
        return SlideOutcome(row, None, str(error))
    except (SlideError, InferenceError) as error:
        log.warning("slide %s could not be analysed: %s", row.slide.name, error)
        return SlideOutcome(row, None, str(error))
    truth = read_truth(row.slide)
    agreement = (
        map_agreement(result.probability_map, truth.labels, truth.spacing_um, map_threshold)
        if truth is not None
        else None
    )
    return SlideOutcome(row, score(result), None, agreement, time.perf_counter() - started)
