"""Test results made in code: a small real slide (4 levels, tiles of 256), probability maps on
its level 2 (a blob and ramp; three separate lesions), and the SEG, SR and ANN written from them."""

import datetime
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset

from dicom.export.delivery import Delivery
from dicom.results.foci import find_foci
from dicom.results.focus_annotations import write_focus_annotations
from dicom.results.provenance import Algorithm, ResultIdentity
from dicom.results.seg import SegmentationOptions, write_segmentation
from dicom.results.source_levels import read_source_levels
from dicom.results.sr import SlideFindings, write_report
from dicom.results.written_file import WrittenFile
from dicom.wsi import PyramidSpec, synthetic_identity, write_pyramid
from tests.dicom.wsi.renderers import ShapesRenderer

MAP_LEVEL = 2
SEG_TILE = 128
ANALYSIS_TIME = datetime.datetime(2024, 5, 6, 7, 8, 9, 123456)


def algorithm(weights: str = "ab" * 32, threshold: float = 0.5) -> Algorithm:
    return Algorithm(
        name="PathSentry DeepLab v3 R50",
        version="1.2.3",
        weights_sha256=weights,
        settings_digest="settings-0001",
        top_k=1000,
        threshold=threshold,
    )


def probability_map(rows: int, columns: int) -> np.ndarray:
    """A hot blob, a gentle ramp and an empty band on the right: every fractional value occurs,
    and some tiles are entirely zero."""
    row, column = np.mgrid[0:rows, 0:columns].astype(np.float64)
    blob = np.exp(-((column - 0.3 * columns) ** 2 + (row - 0.4 * rows) ** 2) / (0.02 * rows**2))
    ramp = 0.3 * column / columns
    probability = np.clip(blob + ramp, 0.0, 1.0)
    probability[:, int(0.75 * columns) :] = 0.0
    return probability.astype(np.float32)


def top_k_score(probability: np.ndarray, k: int = 1000) -> float:
    return float(np.sort(probability, axis=None)[-k:].mean())


@dataclass(frozen=True)
class SourceSlide:
    folder: Path
    paths: list[Path]
    levels: tuple[Dataset, ...]

    @property
    def map_level(self) -> Dataset:
        return self.levels[MAP_LEVEL]


@dataclass(frozen=True)
class WrittenResult:
    folder: Path
    probability: np.ndarray
    identity: ResultIdentity
    findings: SlideFindings
    segmentations: list[WrittenFile]
    report: WrittenFile
    study_instance_uid: str

    @property
    def files(self) -> list[WrittenFile]:
        return [*self.segmentations, self.report]

    @property
    def seg_paths(self) -> list[Path]:
        return [file.path for file in self.segmentations]

    @property
    def sr_path(self) -> Path:
        return self.report.path

    @property
    def paths(self) -> list[Path]:
        return [file.path for file in self.files]

    @property
    def delivery(self) -> Delivery:
        """The delivery an export of this result sends."""
        return self.delivery_of(self.files)

    def delivery_of(self, files: list[WrittenFile]) -> Delivery:
        """A delivery of some of its files."""
        return Delivery(
            files=tuple(files),
            study_instance_uid=self.study_instance_uid,
            accession_number="A-1",
            score=self.findings.score,
            suspicious=self.findings.score >= self.identity.algorithm.threshold,
        )


def write_result(
    folder: Path,
    source: SourceSlide,
    identity: ResultIdentity,
    options: SegmentationOptions | None = None,
) -> WrittenResult:
    probability = probability_map(*_shape(source.map_level))
    foci = tuple(find_foci(probability, threshold=0.5, count=3))
    findings = SlideFindings(top_k_score(probability), foci)
    options = options or SegmentationOptions(tile_size=SEG_TILE)
    segmentations = write_segmentation(
        folder, probability, source.levels, identity, ANALYSIS_TIME, options
    )
    report = write_report(
        folder, source.map_level, segmentations, findings, identity, ANALYSIS_TIME
    )
    study = str(source.map_level.StudyInstanceUID)
    return WrittenResult(folder, probability, identity, findings, segmentations, report, study)


def _shape(level: Dataset) -> tuple[int, int]:
    return int(level.TotalPixelMatrixRows), int(level.TotalPixelMatrixColumns)


def write_source(folder: Path, seed: int = 11, case: str = "R-1") -> SourceSlide:
    spec = PyramidSpec(2048, 1536, tile_size=256)
    identity = synthetic_identity(seed, case=case, kind="results")
    paths = write_pyramid(folder, ShapesRenderer(spec.width, spec.height), spec, identity)
    return SourceSlide(folder, paths, read_source_levels(paths))


@dataclass(frozen=True)
class Lesion:
    """A disc of malignancy on the map: centre (column, row) and radius in map pixels."""

    column: float
    row: float
    radius: float

    def mask(self, rows: int, columns: int) -> np.ndarray:
        row, column = np.mgrid[0:rows, 0:columns]
        inside: np.ndarray = (column + 0.5 - self.column) ** 2 + (
            row + 0.5 - self.row
        ) ** 2 <= self.radius**2
        return inside


# Three separate lesions of different size on the 512 x 384 map of `write_source`'s level 2.
LESIONS = (Lesion(100, 90, 30), Lesion(380, 120, 18), Lesion(250, 300, 12))


def lesion_map(rows: int, columns: int, peak: float = 0.97) -> np.ndarray:
    """Each lesion at `peak` inside, falling off smoothly outside (a halo of small values),
    on a background of low noise."""
    rng = np.random.default_rng(5)
    probability = rng.uniform(0.0, 0.04, (rows, columns))
    row, column = np.mgrid[0:rows, 0:columns]
    for lesion in LESIONS:
        distance = np.hypot(column + 0.5 - lesion.column, row + 0.5 - lesion.row) - lesion.radius
        falloff = peak * np.exp(-np.maximum(distance, 0.0) / 4.0)
        probability = np.maximum(probability, falloff)
    return probability.astype(np.float32)


@dataclass(frozen=True)
class LesionResult:
    """Everything written for the three-lesion map: SEG (with a floor), SR, foci annotations."""

    probability: np.ndarray
    findings: SlideFindings
    segmentations: list[WrittenFile]
    report: WrittenFile
    annotations: WrittenFile

    @property
    def seg_paths(self) -> list[Path]:
        return [file.path for file in self.segmentations]

    @property
    def sr_path(self) -> Path:
        return self.report.path

    @property
    def ann_path(self) -> Path:
        return self.annotations.path


def write_lesion_result(
    folder: Path, source: SourceSlide, identity: ResultIdentity, floor: float = 0.1
) -> LesionResult:
    probability = lesion_map(*_shape(source.map_level))
    foci = tuple(find_foci(probability, identity.algorithm.threshold, count=5))
    findings = SlideFindings(top_k_score(probability), foci)
    options = SegmentationOptions(tile_size=SEG_TILE, floor=floor)
    segmentations = write_segmentation(
        folder, probability, source.levels, identity, ANALYSIS_TIME, options
    )
    report = write_report(
        folder, source.map_level, segmentations, findings, identity, ANALYSIS_TIME
    )
    annotations = write_focus_annotations(folder, source.map_level, foci, identity, ANALYSIS_TIME)
    assert annotations is not None
    return LesionResult(probability, findings, segmentations, report, annotations)
