"""One synthetic slide through the quality gate, compared region by region with its truth."""

import json
import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from config import PathSentryError
from dicom.slide import WholeSlideImage
from inference.errors import NoTissueError
from inference.quality import QualityMap, QualityParameters, assess_quality
from inference.synthetic import ArtefactKind
from inference.tissue import TissueParameters, detect_tissue, read_thumbnail
from plugin.tools.qc_metrics import (
    ANY,
    KIND_DEFECT,
    SlideDecision,
    SlideQC,
    cell_areas,
    count_cells,
    decide,
)
from plugin.tools.slide_scoring import TRUTH_FILE


@dataclass(frozen=True)
class ArtefactTruth:
    """A synthetic slide's tissue and artefact masks, at one spacing."""

    tissue: np.ndarray
    masks: dict[ArtefactKind, np.ndarray]
    spacing_um: float

    def on_tissue(self) -> dict[str, np.ndarray]:
        """Tissue under each kind (empty where not drawn), and under any (ANY)."""
        empty = np.zeros_like(self.tissue)
        found = {kind.value: self.masks.get(kind, empty) & self.tissue for kind in ArtefactKind}
        union = empty.copy()
        for mask in found.values():
            union |= mask
        return {**found, ANY: union}

    @property
    def tissue_pixels(self) -> int:
        return max(1, int(np.count_nonzero(self.tissue)))


@dataclass(frozen=True)
class QcRule:
    """How the evaluation judges: the gate's parameters, cell size, truth's own tolerance."""

    parameters: QualityParameters
    cell_um: float
    min_truth_fraction: float  # truth calls a slide clean below this share under artefacts


@dataclass(frozen=True)
class CellGrid:
    """The QC grid over a slide: cells of `cell_um` from the top-left corner."""

    cell_um: float
    cells: tuple[int, int]

    def areas(self, mask: np.ndarray | None, spacing_um: float) -> np.ndarray:
        """Area (um^2) of the mask per cell; zero everywhere for no mask."""
        if mask is None:
            return np.zeros(self.cells)
        return cell_areas(mask, spacing_um, self.cell_um, self.cells)


def read_artefact_truth(folder: Path) -> ArtefactTruth:
    """truth/labels.png and the artefacts-KIND.png that truth.json lists."""
    path = folder / TRUTH_FILE
    try:
        description = json.loads(path.read_text())
        truth_dir = path.parent
        labels = np.asarray(Image.open(truth_dir / description["labels"]["file"]))
        masks = {
            ArtefactKind(kind): np.asarray(Image.open(truth_dir / entry["file"])) > 0
            for kind, entry in description.get("artefacts", {}).items()
        }
        return ArtefactTruth(labels > 0, masks, float(description["labels_spacing_um"]))
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise PathSentryError(
            f"cannot read the artefact truth of {folder} (write it with pathsentry synth): {error}"
        ) from None


def assess_slide(folder: Path, rule: QcRule) -> SlideQC:
    """The gate's finding on the slide in `folder` against the truth beside it."""
    truth = read_artefact_truth(folder)
    started = time.perf_counter()
    quality = assess_folder(folder, rule.parameters)
    seconds = time.perf_counter() - started
    s = truth.spacing_um
    grid = CellGrid(
        rule.cell_um,
        (
            math.ceil(truth.tissue.shape[0] * s / rule.cell_um),
            math.ceil(truth.tissue.shape[1] * s / rule.cell_um),
        ),
    )
    tissue_area = grid.areas(truth.tissue, s)
    expected = truth.on_tissue()
    found = _found(quality)
    found_spacing = quality.tissue.spacing_um if quality else s
    counts = {
        name: count_cells(
            tissue_area,
            grid.areas(mask, s),
            grid.areas(found.get(name), found_spacing),
            rule.cell_um,
        )
        for name, mask in expected.items()
    }
    excluded = float(np.count_nonzero(expected[ANY]) / truth.tissue_pixels)
    return SlideQC(
        name=folder.name,
        drawn=tuple(kind.value for kind in truth.masks),
        counts=counts,
        truth_fractions={
            kind.value: float(np.count_nonzero(expected[kind.value]) / truth.tissue_pixels)
            for kind in ArtefactKind
        },
        found_fractions={
            kind.value: quality.fraction(defect) if quality else 0.0
            for kind, defect in KIND_DEFECT.items()
        },
        truth_decision=decide(1.0 - excluded, rule.parameters, excluded >= rule.min_truth_fraction),
        found_decision=(
            decide(quality.evaluable_fraction, rule.parameters, bool(quality.excluded.any()))
            if quality
            else SlideDecision.NOT_EVALUABLE
        ),
        findings=tuple(quality.findings()) if quality else ("no tissue found",),
        seconds=seconds,
    )


def assess_folder(folder: Path, parameters: QualityParameters) -> QualityMap | None:
    """The gate's map of a slide folder, its tissue found as the engine finds it (None: none)."""
    tissue_parameters = TissueParameters(ink=parameters.ink)
    with WholeSlideImage.open(folder) as slide:
        thumbnail = read_thumbnail(
            slide, tissue_parameters.thumbnail_spacing_um, tissue_parameters.min_thumbnail_side
        )
        try:
            tissue = detect_tissue(thumbnail, tissue_parameters)
        except NoTissueError:
            return None
        return assess_quality(slide, tissue, parameters)


def _found(quality: QualityMap | None) -> dict[str, np.ndarray]:
    """What the gate marked on tissue per kind it checks, and under any (ANY)."""
    if quality is None:
        return {}
    found = {
        kind.value: quality.defects[defect] & quality.tissue.mask
        for kind, defect in KIND_DEFECT.items()
        if defect in quality.defects
    }
    return {**found, ANY: quality.excluded}
