"""Test results made in code: a small real slide (4 levels, tiles of 256), a probability map on
its level 2, and the SEG and SR written from them."""

import datetime
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset

from dicom.export.delivery import Delivery
from dicom.hot_regions import hottest_regions
from dicom.provenance import Algorithm, ResultIdentity
from dicom.seg import SegmentationOptions, write_segmentation
from dicom.source_levels import read_source_levels
from dicom.sr import SlideFindings, write_report
from dicom.written_file import WrittenFile
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
    regions = tuple(hottest_regions(probability, count=3, cell=32))
    findings = SlideFindings(top_k_score(probability), regions)
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
