"""The result of a slide the AI could not judge: the "not evaluable" or "failed" report, with the
reason in words, so that the PACS shows "no AI result" instead of nothing."""

import datetime
import logging
from collections.abc import Sequence
from pathlib import Path

from pydicom import Dataset, dcmread
from pydicom.errors import InvalidDicomError

from config import Settings
from config.output_settings import settings_digest
from db.models import ImageType
from db.results import UnjudgedValues
from dicom.results.errors import ResultWriteError
from dicom.results.provenance import Algorithm, ResultIdentity
from dicom.results.sr_unjudged import Unjudged, Verdict, write_unjudged_report
from inference.engine import Engine
from plugin.analysis.contract import NotEvaluable, StoredInstance

log = logging.getLogger(__name__)


def not_evaluable(
    folder: Path,
    levels: Sequence[Dataset],
    engine: Engine,
    content_key: str,
    reason: str,
    settings: Settings,
) -> NotEvaluable:
    """The outcome with the report that says why (written to `folder` like other results);
    without a report, and a log line saying why, when it cannot be written."""
    verdict = Verdict.NOT_EVALUABLE
    report = unjudged_report(folder, levels[0], engine, content_key, verdict, reason, settings)
    return NotEvaluable(reason, report)


def failed(
    folder: Path,
    instances: Sequence[StoredInstance],
    engine: Engine,
    content_key: str,
    reason: str,
    settings: Settings,
) -> UnjudgedValues | None:
    """The "failed" report of a slide whose analysis failed for good, perhaps before the slide
    could be opened: its header comes from the finest stored level that can be read. None, and
    a log line saying why, when no header can be read or the report cannot be written."""
    level = _finest_header(instances)
    if level is None:
        log.warning("no 'failed' report: none of the slide's files has a readable DICOM header")
        return None
    return unjudged_report(folder, level, engine, content_key, Verdict.FAILED, reason, settings)


def unjudged_report(
    folder: Path,
    level: Dataset,
    engine: Engine,
    content_key: str,
    verdict: Verdict,
    reason: str,
    settings: Settings,
) -> UnjudgedValues | None:
    """Write the report of `verdict` and `reason` for the slide of the header `level`, by the
    engine's model, with deterministic UIDs like the other outputs; None (logged) when it cannot
    be written."""
    model = engine.model
    if model.sha256 is None:
        log.warning("no '%s' report: the model has no weights digest", verdict.value)
        return None
    try:
        unjudged = Unjudged(verdict, reason)
        algorithm = Algorithm(
            name=model.config.name,
            version=model.config.version,
            weights_sha256=model.sha256,
            settings_digest=settings_digest(settings),
            top_k=settings.inference.top_k,
            threshold=settings.triage.threshold,
        )
        identity = ResultIdentity(str(level.SeriesInstanceUID), algorithm, content_key)
        now = datetime.datetime.now(datetime.UTC)
        out = output_folder(folder, algorithm, content_key)
        report = write_unjudged_report(out, level, unjudged, identity, now)
    except ResultWriteError as error:
        log.warning("no '%s' report: %s", verdict.value, error)
        return None
    return UnjudgedValues(
        threshold=algorithm.threshold,
        model_name=algorithm.name,
        model_version=algorithm.version,
        weights_sha256=algorithm.weights_sha256,
        report=report,
    )


def output_folder(root: Path, algorithm: Algorithm, content_key: str) -> Path:
    """Where one slide's outputs go: like the UIDs, fixed by its content, model and settings."""
    return root / f"{algorithm.short_weights_id}-{algorithm.settings_digest}-{content_key[:16]}"


def _finest_header(instances: Sequence[StoredInstance]) -> Dataset | None:
    """The header (without pixels) of the largest readable pyramid level; of any readable file
    of the slide (label, overview: the same series) when no level can be read."""
    levels = [i for i in instances if i.image_type is ImageType.VOLUME]
    others = [i for i in instances if i.image_type is not ImageType.VOLUME]
    for group in (levels, others):
        headers = [header for header in map(_header, group) if header is not None]
        if headers:
            return max(headers, key=_pixel_count)
    return None


def _header(instance: StoredInstance) -> Dataset | None:
    try:
        return dcmread(instance.path, stop_before_pixels=True)
    except (OSError, InvalidDicomError, EOFError) as error:
        log.info("the header of %s cannot be read: %s", instance.path.name, error)
        return None


def _pixel_count(header: Dataset) -> int:
    columns = int(header.get("TotalPixelMatrixColumns", header.get("Columns", 0)) or 0)
    rows = int(header.get("TotalPixelMatrixRows", header.get("Rows", 0)) or 0)
    return columns * rows
