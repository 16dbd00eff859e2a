"""The result of a slide the AI could not judge: the "not evaluable" report, with the reason in
words, so that the PACS shows "no AI result" instead of nothing."""

import datetime
import logging
from collections.abc import Sequence
from pathlib import Path

from pydicom import Dataset

from config import Settings
from config.output_settings import settings_digest
from db.results import UnjudgedValues
from dicom.results.errors import ResultWriteError
from dicom.results.provenance import Algorithm, ResultIdentity
from dicom.results.sr_unjudged import Unjudged, Verdict, write_unjudged_report
from inference.engine import Engine
from plugin.analysis.contract import NotEvaluable

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
    model = engine.model
    if model.sha256 is None:
        log.warning("no 'not evaluable' report: the model has no weights digest")
        return NotEvaluable(reason)
    try:
        algorithm = Algorithm(
            name=model.config.name,
            version=model.config.version,
            weights_sha256=model.sha256,
            settings_digest=settings_digest(settings),
            top_k=settings.inference.top_k,
            threshold=settings.triage.threshold,
        )
        identity = ResultIdentity(str(levels[0].SeriesInstanceUID), algorithm, content_key)
        now = datetime.datetime.now(datetime.UTC)
        unjudged = Unjudged(Verdict.NOT_EVALUABLE, reason)
        out = output_folder(folder, algorithm, content_key)
        report = write_unjudged_report(out, levels[0], unjudged, identity, now)
    except ResultWriteError as error:
        log.warning("no 'not evaluable' report: %s", error)
        return NotEvaluable(reason)
    values = UnjudgedValues(
        threshold=algorithm.threshold,
        model_name=algorithm.name,
        model_version=algorithm.version,
        weights_sha256=algorithm.weights_sha256,
        report=report,
    )
    return NotEvaluable(reason, values)


def output_folder(root: Path, algorithm: Algorithm, content_key: str) -> Path:
    """Where one slide's outputs go: like the UIDs, fixed by its content, model and settings."""
    return root / f"{algorithm.short_weights_id}-{algorithm.settings_digest}-{content_key[:16]}"
