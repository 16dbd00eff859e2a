"""Test results made in code: a small real slide (4 levels, tiles of 256), a probability map on
its level 2, and the SEG and SR written from them."""

import datetime
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset

from dicom.foci import find_foci
from dicom.provenance import Algorithm, ResultIdentity
from dicom.seg import SegmentationOptions, write_segmentation
from dicom.source_levels import read_source_levels
from dicom.sr import SlideFindings, write_report
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
    seg_paths: list[Path]
    sr_path: Path

    @property
    def paths(self) -> list[Path]:
        return [*self.seg_paths, self.sr_path]


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
    seg_paths = write_segmentation(
        folder, probability, source.levels, identity, ANALYSIS_TIME, options
    )
    sr_path = write_report(folder, source.map_level, seg_paths, findings, identity, ANALYSIS_TIME)
    return WrittenResult(folder, probability, identity, findings, seg_paths, sr_path)


def _shape(level: Dataset) -> tuple[int, int]:
    return int(level.TotalPixelMatrixRows), int(level.TotalPixelMatrixColumns)


def write_source(folder: Path, seed: int = 11, case: str = "R-1") -> SourceSlide:
    spec = PyramidSpec(2048, 1536, tile_size=256)
    identity = synthetic_identity(seed, case=case, kind="results")
    paths = write_pyramid(folder, ShapesRenderer(spec.width, spec.height), spec, identity)
    return SourceSlide(folder, paths, read_source_levels(paths))
