"""What an analysis returns: plain dataclasses of numpy arrays (no tensors leave inference)."""

from dataclasses import dataclass

import numpy as np

from inference.quality import QualityMap
from inference.tissue import TissueMask


@dataclass(frozen=True)
class ProbabilityMap:
    """Malignancy probability on the pixel grid of one source level (same origin and spacing).

    `probabilities` (float32, rows x columns of that level) is the mean probability of the
    analysed pixels inside each map pixel, 0 where nothing was analysed; `coverage` is the
    analysed fraction of each map pixel's area (0 off tissue tiles, 1 inside them).
    """

    probabilities: np.ndarray
    coverage: np.ndarray
    level: int
    pixel_spacing_um: float

    @property
    def width(self) -> int:
        return int(self.probabilities.shape[1])

    @property
    def height(self) -> int:
        return int(self.probabilities.shape[0])


@dataclass(frozen=True)
class StageTimings:
    """Wall-clock seconds of each stage of one analysis, and how long the model waited."""

    planning_s: float
    tissue_s: float
    inference_s: float
    merge_s: float
    total_s: float
    reading_s: float
    starved_s: float
    # The quality gate's checks (0 when it is off).
    quality_s: float = 0.0


@dataclass(frozen=True)
class SlideStatistics:
    """Sizes and choices of one analysis, for the worklist, logs and benchmarks."""

    tissue_area_mm2: float
    tissue_pixels: int
    tiles: int
    tiles_total: int
    analysed_pixels: int
    analysis_level: int
    analysis_spacing_um: float
    resampled: bool
    top_k_pixels: int
    devices: tuple[str, ...]
    precision: str
    timings: StageTimings
    # The analysis level was decoded at 1/decode_reduction of its size (1: as stored).
    decode_reduction: int = 1


@dataclass(frozen=True)
class SlideInference:
    """One slide's analysis: the score, the map, the tissue and how it went.

    `score` is the mean of the `top_values` (the k highest full-resolution pixel
    probabilities of the analysed area, highest first). `tile_origins` (n x 2, x and y
    in analysis pixels) are the kept areas' top-left corners of the analysed tiles.
    `quality` is the quality gate's map of the tissue (None when the gate is off): the
    defects found, their shares of the tissue and the tissue left out of the score.
    """

    score: float
    top_values: np.ndarray
    probability_map: ProbabilityMap
    tissue: TissueMask
    tile_origins: np.ndarray
    statistics: SlideStatistics
    model_name: str
    model_version: str
    model_sha256: str | None
    quality: QualityMap | None = None
