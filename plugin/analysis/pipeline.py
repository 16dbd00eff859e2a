"""The analysis of one slide: open it, infer, write SEG and SR and the dashboard pictures
(thumbnail, heatmap and the quality gate's QC picture).

`SlidePipeline` is the plain function the worker (or a Celery task) calls per job; it keeps one
engine per device so that the model is loaded once, not per slide. Jobs on one device may run
at once (`inference.slides_in_flight` workers per device): each opens its slide and finds its
tissue freely, takes turns for the device, and writes its outputs after its turn, so the device
goes from one slide to the next without waiting for either.
"""

import contextlib
import dataclasses
import datetime
import logging
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
from PIL import Image
from pydicom import Dataset

from config import Settings
from config.output_settings import settings_digest
from db.results import ResultValues, UnjudgedValues
from dicom.results.display_orientation import DisplayTransform, display_transform
from dicom.results.foci import find_foci
from dicom.results.focus_annotations import write_focus_annotations
from dicom.results.provenance import Algorithm, ResultIdentity
from dicom.results.seg import SegmentationOptions, write_binary_segmentation, write_segmentation
from dicom.results.source_levels import level_index_of_map
from dicom.results.sr import SlideFindings, write_report
from dicom.slide import SlideError, WholeSlideImage
from inference.engine import Engine
from inference.errors import NotEvaluableError, PoorQualityError
from inference.quality import QualityParameters
from inference.results import SlideInference
from plugin.analysis.contract import (
    JobContext,
    JobFailedError,
    JobOutcome,
    NotEvaluable,
    SlideFiles,
)
from plugin.analysis.overlay import render_heatmap
from plugin.analysis.quality_outputs import report_words, scored_quality, unjudged_quality
from plugin.analysis.unjudged import failed, not_evaluable, output_folder

log = logging.getLogger(__name__)

# Share of the progress bar for each stage (inference dominates).
_OPENED, _INFERRED, _WRITTEN = 0.02, 0.9, 0.97
_TURN_POLL_S = 0.5


class SlidePipeline:
    """Analyse one slide per call; engines (and their models) are made once per device."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._engines: dict[str, Engine] = {}
        self._turns: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def __call__(self, context: JobContext) -> JobOutcome:
        context.progress(0.0, "opening")
        engine = self.engine(context.device)
        folder = self._settings.storage.results_dir / context.slide.series_instance_uid
        try:
            with _open(context.slide) as slide:
                context.progress(_OPENED, "analysing")
                levels, repairs = slide.level_headers, slide.repairs
                plan = engine.prepare(slide)
                with self._turn(context):
                    progress = _Scaled(context, _OPENED, _INFERRED)
                    inference = engine.run(slide, progress=progress, plan=plan)
        except NotEvaluableError as error:
            log.info("job %d: not evaluable (%s)", context.job_id, error)
            outcome = not_evaluable(
                folder, levels, engine, context.content_key, str(error), self._settings
            )
            return _with_quality(outcome, error, display_transform(levels[0]))
        except SlideError as error:
            raise JobFailedError(str(error)) from error
        context.progress(_INFERRED, "writing results")
        values = write_outputs(
            folder,
            levels,
            inference,
            context.content_key,
            self._settings,
        )
        values = dataclasses.replace(values, stats={**values.stats, "repairs": list(repairs)})
        context.progress(_WRITTEN, "recording")
        log.info(
            "job %d: slide %s scored %.3f (%s)",
            context.job_id,
            context.slide.series_instance_uid,
            values.score,
            "suspicious" if values.suspicious else "not suspicious",
        )
        return values

    @contextlib.contextmanager
    def _turn(self, context: JobContext) -> Iterator[None]:
        """This job's turn on its device; waiting, it still notices a cancel or a stop."""
        with self._lock:
            turn = self._turns.setdefault(context.device, threading.Lock())
        while not turn.acquire(timeout=_TURN_POLL_S):
            context.progress(_OPENED, "waiting for the device")
        try:
            yield
        finally:
            turn.release()

    def warm_up(self, device: str) -> bool:
        """Warm the device's engine up now rather than in its first job; False: none needed."""
        engine = self.engine(device)
        if engine.warm:
            return False
        engine.warm_up()
        return True

    def engine(self, device: str) -> Engine:
        """The engine for `device`, loading the model the first time."""
        with self._lock:
            if device not in self._engines:
                self._engines[device] = Engine.from_settings(
                    self._settings.inference,
                    device=device,
                    quality=QualityParameters.from_settings(self._settings.quality),
                )
            return self._engines[device]

    def failure_report(self, context: JobContext, reason: str) -> UnjudgedValues | None:
        """The "failed" SR of the job of `context` (contract.FailureReporter)."""
        folder = self._settings.storage.results_dir / context.slide.series_instance_uid
        engine = self.engine(context.device)
        instances = context.slide.instances
        return failed(folder, instances, engine, context.content_key, reason, self._settings)


def write_outputs(
    folder: Path,
    levels: Sequence[Dataset],
    inference: SlideInference,
    content_key: str,
    settings: Settings,
) -> ResultValues:
    """Write the SEG pyramid, the SR, the foci annotations, the BINARY SEG when asked for, and
    the dashboard pictures; return the result to record.

    `levels` are the slide's level headers (finest first). The output folder, like the UIDs,
    depends only on the slide, its content (`content_key`), the model and the settings, so a
    re-run of the same content replaces its own files and new content gets new ones.
    """
    algorithm = algorithm_of(inference, settings)
    out = output_folder(folder, algorithm, content_key)
    identity = ResultIdentity(str(levels[0].SeriesInstanceUID), algorithm, content_key)
    probabilities = inference.probability_map.probabilities
    now = datetime.datetime.now(datetime.UTC)
    options = SegmentationOptions(floor=settings.results.probability_floor)
    segmentations = write_segmentation(out, probabilities, levels, identity, now, options)
    binary = (
        write_binary_segmentation(out, probabilities, levels, identity, now, options)
        if settings.results.binary_segmentation
        else []
    )
    map_level = levels[level_index_of_map(levels, probabilities.shape)]
    foci = find_foci(probabilities, algorithm.threshold, settings.results.max_foci)
    turn = display_transform(levels[0])
    quality = scored_quality(inference.quality, out, turn)
    score = _probability(inference.score)
    findings = SlideFindings(score=score, foci=foci, quality=report_words(quality))
    report = write_report(out, map_level, segmentations, findings, identity, now)
    annotations = write_focus_annotations(out, map_level, foci, identity, now)
    thumbnail, heatmap = out / "thumbnail.png", out / "heatmap.png"
    _save_pictures(inference, thumbnail, heatmap, turn)
    statistics = inference.statistics
    return ResultValues(
        score=findings.score,
        suspicious=findings.is_malignant(algorithm),
        threshold=algorithm.threshold,
        model_name=algorithm.name,
        model_version=algorithm.version,
        weights_sha256=algorithm.weights_sha256,
        # Delivered in this order: SEG levels, BINARY SEG levels, annotations, the SR last.
        files=(*segmentations, *binary, *([annotations] if annotations else []), report),
        thumbnail_path=thumbnail,
        heatmap_path=heatmap,
        tissue_area_mm2=statistics.tissue_area_mm2,
        analysed_pixels=statistics.analysed_pixels,
        inference_seconds=statistics.timings.total_s,
        stats=dataclasses.asdict(statistics),
        quality=quality,
    )


def algorithm_of(inference: SlideInference, settings: Settings) -> Algorithm:
    """The model and the output-changing settings, which with the slide fix the output UIDs."""
    if inference.model_sha256 is None:
        raise JobFailedError("the model has no weights digest; load it from a weights file")
    return Algorithm(
        name=inference.model_name,
        version=inference.model_version,
        weights_sha256=inference.model_sha256,
        settings_digest=settings_digest(settings),
        top_k=settings.inference.top_k,
        threshold=settings.triage.threshold,
    )


def _with_quality(
    outcome: NotEvaluable, error: NotEvaluableError, turn: DisplayTransform
) -> NotEvaluable:
    """The not-evaluable outcome with the gate's verdict, and (when the gate found defects)
    the thumbnail and the QC picture next to its report, for the case page."""
    if outcome.report is None:
        return outcome
    folder = outcome.report.report.path.parent
    quality = unjudged_quality(error, folder, turn)
    thumbnail = None
    if isinstance(error, PoorQualityError):
        thumbnail = folder / "thumbnail.png"
        image = error.quality.tissue.thumbnail.image
        Image.fromarray(turn.apply(image)).save(thumbnail, optimize=True)
    report = dataclasses.replace(outcome.report, quality=quality, thumbnail_path=thumbnail)
    return dataclasses.replace(outcome, report=report)


def _save_pictures(
    inference: SlideInference, thumbnail: Path, heatmap: Path, turn: DisplayTransform
) -> None:
    """The pictures turned as viewers show the slide coordinate system (as the SEG and foci)."""
    Image.fromarray(turn.apply(inference.tissue.thumbnail.image)).save(thumbnail, optimize=True)
    picture = np.asarray(render_heatmap(inference))
    Image.fromarray(turn.apply(picture)).save(heatmap, optimize=True)


class _Scaled:
    """Maps the engine's 0..1 onto a stretch of the job's progress bar."""

    def __init__(self, context: JobContext, start: float, end: float) -> None:
        self._context, self._start, self._span = context, start, end - start

    def __call__(self, fraction: float) -> None:
        self._context.progress(self._start + self._span * fraction, "analysing")


def _probability(score: float) -> float:
    return min(1.0, max(0.0, float(score)))


def _open(slide: SlideFiles) -> WholeSlideImage:
    """The slide from exactly the instances the job names (never a rescan of its folder)."""
    return WholeSlideImage.open_files(
        [instance.path for instance in slide.instances],
        name=slide.series_instance_uid,
        series_uid=slide.series_instance_uid,
    )
