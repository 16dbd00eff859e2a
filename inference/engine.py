"""The slide engine: tissue, tiles, the model on every device, one score and one map.

The score is the mean of the k highest full-resolution pixel probabilities over the kept
areas of all analysed tiles (those touching tissue), as in Song et al.: pixels on glass
inside those tiles count too, which keeps the thumbnail's coarse mask from hiding tumour
at the tissue's edge; pixels beyond the slide's edge never count.

The quality gate (when enabled) runs after the tissue: tiles go only to evaluable tissue,
pixels of excluded tissue inside them count neither in the score nor on the map, and a slide
with too little evaluable tissue is not evaluable (PoorQualityError, saying why).
"""

import dataclasses
import itertools
import logging
import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from config.settings import InferenceSettings
from inference.batches import ReadPlan
from inference.devices import (
    allow_tf32,
    device_name,
    precision_name,
    resolve_devices,
    resolve_precision,
)
from inference.errors import InferenceError, NoTissueError
from inference.exclusion import ExcludedArea
from inference.folding import SlideGeometry
from inference.gate import check_evaluable
from inference.model import LoadedModel, ModelConfig, load_model, resolve_weights
from inference.quality import QualityMap, QualityParameters, assess_quality
from inference.reading import announce_reads
from inference.replica import Replica
from inference.results import ProbabilityMap, SlideInference, SlideStatistics, StageTimings
from inference.source import ReducingSource, RegionSource
from inference.stitching import StitchedSlide, merge
from inference.tiling import (
    Tile,
    TileLayout,
    choose_analysis_grid,
    choose_map_level,
    reduce_in_decoder,
    tile_grid,
    tiles_on_tissue,
)
from inference.tissue import TissueMask, TissueParameters, detect_tissue, read_thumbnail
from inference.workers import DeviceReaders, DeviceRun, DeviceWorker

log = logging.getLogger(__name__)

ProgressCallback = Callable[[float], None]
# Share of the progress bar that inference covers; the rest is planning and merging.
_INFERENCE_SHARE = 0.98
_POLL_S = 0.1


@dataclass(frozen=True)
class EngineOptions:
    """How slides are tiled and run; `from_settings` maps the `inference` settings section."""

    tile_size: int = 2200
    tile_keep: int = 2000
    batch_size: int = 4
    top_k: int = 1000
    device: str = "auto"
    precision: str = "auto"
    compile: bool = False
    reader_threads: int = 4
    allow_cpu_fallback: bool = False
    spacing_tolerance: float = 0.1
    map_spacing_um: float = 8.0
    tissue: TissueParameters = dataclasses.field(default_factory=TissueParameters)
    quality: QualityParameters = dataclasses.field(default_factory=QualityParameters)

    @classmethod
    def from_settings(cls, settings: InferenceSettings, **overrides: object) -> "EngineOptions":
        """Options from the settings section, with keyword overrides (command-line flags; the
        quality gate's parameters come from the `quality` section as `quality=`)."""
        fields = {field.name for field in dataclasses.fields(cls)} - {"tissue", "quality"}
        values = {name: getattr(settings, name) for name in fields}
        return dataclasses.replace(cls(**values), **overrides)  # type: ignore[arg-type]


@dataclass(frozen=True)
class SlidePlan:
    """What `Engine.prepare` decided for one slide before the model runs."""

    geometry: SlideGeometry
    tissue: TissueMask
    tiles: tuple[Tile, ...]
    tiles_total: int
    planning_s: float
    tissue_s: float
    # The quality gate's map of the tissue (None when the gate is off), and its time.
    quality: QualityMap | None = None
    quality_s: float = 0.0


class Engine:
    """Runs one model, replicated on each device, over whole slides."""

    def __init__(self, model: LoadedModel, options: EngineOptions) -> None:
        if model.config.num_classes != 1:
            raise InferenceError(
                f"the model has {model.config.num_classes} output classes; PathSentry needs "
                "one malignancy logit per pixel (fine-tune with load_for_finetuning)"
            )
        self.model = model
        self.options = options
        self.layout = TileLayout(options.tile_size, options.tile_keep)
        self.devices = resolve_devices(options.device, options.allow_cpu_fallback)
        if any(device.type == "cuda" for device in self.devices):
            # Every batch has the same shape: let cuDNN pick its fastest kernels once.
            torch.backends.cudnn.benchmark = True
        self.precision = resolve_precision(options.precision, self.devices[0])
        allow_tf32(self.precision)  # process-wide in torch: the last engine built decides
        self.replicas = [
            Replica(model, device, self.precision, options.compile) for device in self.devices
        ]
        self._warm = not (options.compile or self.devices[0].type == "cuda")

    @classmethod
    def from_settings(cls, settings: InferenceSettings, **overrides: object) -> "Engine":
        """An engine with the configured weights (or the bundled demo model) and options."""
        default = ModelConfig(analysis_spacing_um=settings.analysis_spacing_um)
        path = resolve_weights(settings.weights)
        options = EngineOptions.from_settings(settings, **overrides)
        model = load_model(path, default_config=default)
        if not math.isclose(model.config.analysis_spacing_um, settings.analysis_spacing_um):
            log.warning(
                "the model was trained at %.3f um/px; analysing at that spacing, not at the "
                "configured %.3f",
                model.config.analysis_spacing_um,
                settings.analysis_spacing_um,
            )
        return cls(model, options)

    @property
    def fixed_shapes(self) -> bool:
        """Whether every batch is padded to one shape (cuDNN autotuning, compiled models)."""
        return self.options.compile or any(device.type == "cuda" for device in self.devices)

    def prepare(self, source: RegionSource) -> SlidePlan:
        """Everything before the model: the grids, the tissue and the tiles to analyse.

        Cheap next to `run`; a worker can prepare the next slide while a device runs this one.
        Raises NotEvaluableError (NoTissueError, PoorQualityError) when the slide is not
        evaluable; tiles go only to the tissue the quality gate kept.
        """
        clock = [time.perf_counter()]
        geometry = self._plan(source)
        clock.append(time.perf_counter())
        tissue = self._tissue(source)
        clock.append(time.perf_counter())
        quality = self._quality(source, tissue)
        clock.append(time.perf_counter())
        usable = tissue.mask if quality is None else quality.evaluable
        all_tiles = tile_grid(geometry.grid.size, self.layout)
        tiles = tiles_on_tissue(all_tiles, usable, tissue.spacing_um, geometry.grid.spacing_um)
        if not tiles:
            raise NoTissueError("the slide is not evaluable: its tissue lies outside the image")
        clock.append(time.perf_counter())
        planning_s, tissue_s, quality_s, tiling_s = (b - a for a, b in itertools.pairwise(clock))
        return SlidePlan(
            geometry,
            tissue,
            tuple(tiles),
            len(all_tiles),
            planning_s + tiling_s,
            tissue_s,
            quality,
            quality_s,
        )

    def reading_plan(self, source: RegionSource) -> ReadPlan:
        """What `run` would read of a slide: its grid and the tiles on tissue (benchmarks)."""
        plan = self.prepare(source)
        batch = self.options.batch_size
        grid = plan.geometry.grid
        return ReadPlan(source, grid, self.layout, plan.tiles, batch, self.fixed_shapes)

    @property
    def warm(self) -> bool:
        """Whether the next run pays no warm-up: done already, or none needed (eager on a CPU)."""
        return self._warm

    def warm_up(self) -> None:
        """Run one batch on every replica (compilation, cuDNN's kernel choice) before timing."""
        with torch.inference_mode():
            for replica in self.replicas:
                replica.forward(replica.sample_input(self.options.batch_size, self.layout.size))
                if replica.device.type == "cuda":
                    torch.cuda.synchronize(replica.device)
        self._warm = True

    def run(
        self,
        source: RegionSource,
        progress: ProgressCallback | None = None,
        plan: SlidePlan | None = None,
    ) -> SlideInference:
        """Analyse a slide (with its `plan` when `prepare` made it already); raises
        NoTissueError when it is not evaluable."""
        report = progress or (lambda _fraction: None)
        if not self._warm:
            self.warm_up()
        if plan is None:
            plan = self.prepare(source)
        geometry, tissue, tiles = _with_exclusion(plan), plan.tissue, plan.tiles
        report(0.0)
        clock = [time.perf_counter()]
        parts, reading_s, starved_s = self._infer(source, geometry, tiles, report)
        clock.append(time.perf_counter())
        stitched = merge(parts, self.options.top_k)
        probability_map = _probability_map(geometry, stitched)
        clock.append(time.perf_counter())
        timings = _timings(plan, clock, reading_s, starved_s)
        statistics = self._statistics(geometry, tissue, tiles, plan.tiles_total, stitched, timings)
        result = SlideInference(
            score=_mean(stitched.top_values),
            top_values=stitched.top_values,
            probability_map=probability_map,
            tissue=tissue,
            quality=plan.quality,
            tile_origins=_origins(tiles),
            statistics=statistics,
            model_name=self.model.config.name,
            model_version=self.model.config.version,
            model_sha256=self.model.sha256,
        )
        report(1.0)
        return result

    def _quality(self, source: RegionSource, tissue: TissueMask) -> QualityMap | None:
        """The quality gate: a map of the defects on the tissue, or PoorQualityError."""
        parameters = self.options.quality
        if not parameters.enabled:
            return None
        quality = assess_quality(source, tissue, parameters)
        check_evaluable(quality, parameters)
        return quality

    def _tissue(self, source: RegionSource) -> TissueMask:
        parameters = self.options.tissue
        thumbnail = read_thumbnail(
            source, parameters.thumbnail_spacing_um, parameters.min_thumbnail_side
        )
        ink = self.options.quality.ink
        return detect_tissue(thumbnail, dataclasses.replace(parameters, ink=ink))

    def _plan(self, source: RegionSource) -> SlideGeometry:
        levels = source.levels
        spacing, tolerance = self.model.config.analysis_spacing_um, self.options.spacing_tolerance
        grid = choose_analysis_grid(levels, spacing, tolerance)
        if isinstance(source, ReducingSource):
            reductions = source.decode_reductions(grid.level)
            grid = reduce_in_decoder(grid, levels[grid.level], reductions, spacing, tolerance)
        map_grid = choose_map_level(levels, grid.spacing_um, self.options.map_spacing_um)
        log.debug("analysis grid %s, map %s", grid, map_grid)
        return SlideGeometry(grid, map_grid, self.layout, self.options.top_k)

    def _infer(
        self,
        source: RegionSource,
        geometry: SlideGeometry,
        tiles: Sequence[Tile],
        report: ProgressCallback,
    ) -> tuple[list[StitchedSlide], float, float]:
        plan = ReadPlan(
            source, geometry.grid, self.layout, tiles, self.options.batch_size, self.fixed_shapes
        )
        pin = self.devices[0].type == "cuda"
        progress = _Progress(len(tiles), report)
        announce_reads(source, geometry.grid, self.layout, tiles)
        threads = self.options.reader_threads
        with DeviceReaders(plan, len(self.replicas), threads, pin) as readers:
            first = DeviceRun(self.replicas[0], readers.source(0), geometry, progress.advance)
            others = [
                DeviceWorker(DeviceRun(replica, readers.source(index), geometry, progress.count))
                for index, replica in enumerate(self.replicas[1:], start=1)
            ]
            for worker in others:
                worker.start()
            try:
                first.run()
                progress.follow(others)
            finally:
                # Also when the progress callback raised (a cancelled job): stop everything.
                readers.close()
                for worker in others:
                    worker.join()
                announce_reads(source, geometry.grid, self.layout, [])
        shares = [first, *(worker.share for worker in others)]
        failed = [share for share in shares if share.error is not None]
        if failed:
            earliest = min(failed, key=lambda share: share.failed_at)
            raise earliest.error or InferenceError("a device failed")
        parts = [share.part for share in shares if share.part is not None]
        starved = max(share.starved_s for share in shares)
        return parts, readers.reading_s, starved

    def _statistics(
        self,
        geometry: SlideGeometry,
        tissue: TissueMask,
        tiles: Sequence[Tile],
        tiles_total: int,
        stitched: StitchedSlide,
        timings: StageTimings,
    ) -> SlideStatistics:
        grid = geometry.grid
        return SlideStatistics(
            tissue_area_mm2=tissue.area_mm2,
            tissue_pixels=round(tissue.area_mm2 * 1e6 / grid.spacing_um**2),
            tiles=len(tiles),
            tiles_total=tiles_total,
            analysed_pixels=sum(tile.kept.size.area for tile in tiles),
            analysis_level=grid.level,
            analysis_spacing_um=grid.spacing_um,
            resampled=grid.resampled,
            decode_reduction=grid.reduction,
            top_k_pixels=len(stitched.top_values),
            devices=tuple(device_name(device) for device in self.devices),
            precision=precision_name(self.precision),
            timings=timings,
        )


def _with_exclusion(plan: SlidePlan) -> SlideGeometry:
    """The plan's geometry, with the tissue the gate left out when there is any."""
    quality = plan.quality
    if quality is None or not quality.excluded.any():
        return plan.geometry
    spacing = plan.geometry.grid.spacing_um
    excluded = ExcludedArea(quality.excluded, quality.tissue.spacing_um, spacing)
    return dataclasses.replace(plan.geometry, excluded=excluded)


def _probability_map(geometry: SlideGeometry, stitched: StitchedSlide) -> ProbabilityMap:
    """Mean probability per map pixel, and the analysed fraction of its area."""
    map_grid = geometry.map_grid
    ratio = map_grid.spacing_um / geometry.grid.spacing_um
    weights = stitched.weights
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(weights > 0, stitched.sums / weights, 0.0)
    return ProbabilityMap(
        probabilities=np.clip(mean, 0, 1).astype(np.float32),
        coverage=np.clip(weights / ratio**2, 0, 1).astype(np.float32),
        level=map_grid.level,
        pixel_spacing_um=map_grid.spacing_um,
    )


def _mean(values: np.ndarray) -> float:
    return float(values.astype(np.float64).mean()) if len(values) else 0.0


def _origins(tiles: Sequence[Tile]) -> np.ndarray:
    origins = [(tile.kept.origin.x, tile.kept.origin.y) for tile in tiles]
    return np.array(origins, dtype=np.int64).reshape(-1, 2)


class _Progress:
    """Tiles done on every device; reported to the callback from the caller's thread only."""

    def __init__(self, total: int, report: ProgressCallback) -> None:
        self._total = total
        self._report = report
        self._done = 0
        self._lock = threading.Lock()

    def count(self, tiles: int) -> None:
        """Count tiles done on another thread's device (reported by the caller later)."""
        with self._lock:
            self._done += tiles

    def advance(self, tiles: int) -> None:
        """Count tiles done on the caller's device, and report."""
        self.count(tiles)
        self._publish()

    def follow(self, workers: Sequence[threading.Thread]) -> None:
        """Keep reporting until the other devices' threads have finished."""
        while any(worker.is_alive() for worker in workers):
            for worker in workers:
                worker.join(_POLL_S)
            self._publish()

    def _publish(self) -> None:
        with self._lock:
            done = min(self._done, self._total)
        self._report(_INFERENCE_SHARE * done / self._total)


def _timings(
    plan: SlidePlan, clock: list[float], reading_s: float, starved_s: float
) -> StageTimings:
    inferred, merged = (b - a for a, b in itertools.pairwise(clock))
    return StageTimings(
        planning_s=plan.planning_s,
        tissue_s=plan.tissue_s,
        inference_s=inferred,
        merge_s=merged,
        total_s=plan.planning_s + plan.tissue_s + plan.quality_s + clock[-1] - clock[0],
        reading_s=reading_s,
        starved_s=starved_s,
        quality_s=plan.quality_s,
    )
