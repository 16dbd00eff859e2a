"""Recording what an analysis produced, with one pending export per destination."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Session

from config.kinds import ResultFileKind
from db.errors import NotFoundError
from db.models import (
    Export,
    ExportState,
    Job,
    QualityOutcome,
    Result,
    ResultFile,
    Slide,
    utcnow,
)

# The columns of a result that `_store` sets itself (whose and when; stats default to {}); every
# other column holds the outcome, and one that the outcome leaves out is empty, also when the
# row replaces an earlier outcome.
_OWN_COLUMNS = frozenset({"id", "job_id", "slide_id", "created_at", "stats"})


class ResultFileValues(Protocol):
    """What db reads of a DICOM file an analysis wrote (dicom's result writers return it)."""

    @property
    def kind(self) -> ResultFileKind: ...
    @property
    def path(self) -> Path: ...
    @property
    def sop_class_uid(self) -> str: ...
    @property
    def sop_instance_uid(self) -> str: ...
    @property
    def series_instance_uid(self) -> str: ...


@dataclass(frozen=True)
class QualityValues:
    """What the quality gate decided about a slide: the outcome, the main defect in words
    ("out of focus"; "no tissue"), every defect found with its share of the tissue, the warning
    a scored slide carries, and the picture of the defects (the dashboard's QC layer)."""

    outcome: QualityOutcome
    reason: str | None = None
    findings: Sequence[str] = ()
    fractions: Mapping[str, float] = field(default_factory=dict)
    evaluable_fraction: float | None = None
    warning: str | None = None
    picture_path: Path | None = None

    def columns(self) -> dict[str, Any]:
        """The result's quality columns."""
        picture = None if self.picture_path is None else str(self.picture_path)
        return {
            "quality_outcome": self.outcome.value,
            "quality_reason": self.reason,
            "qc_path": picture,
        }

    def stats(self) -> dict[str, Any]:
        """What the result's stats keep under "quality" (the API and the case page show it)."""
        return {
            "outcome": self.outcome.value,
            "reason": self.reason,
            "findings": list(self.findings),
            "fractions": dict(self.fractions),
            "evaluable_fraction": self.evaluable_fraction,
            "warning": self.warning,
        }


@dataclass(frozen=True)
class ResultValues:
    """What the pipeline hands back for a slide it analysed; becomes one `Result` row and a
    `ResultFile` row per written file (in delivery order: SEG levels finest first, the SR)."""

    score: float
    suspicious: bool
    threshold: float
    model_name: str
    model_version: str
    weights_sha256: str
    files: Sequence[ResultFileValues]
    thumbnail_path: Path | None = None
    heatmap_path: Path | None = None
    tissue_area_mm2: float | None = None
    analysed_pixels: int | None = None
    inference_seconds: float | None = None
    stats: Mapping[str, Any] = field(default_factory=dict)
    quality: QualityValues | None = None

    def __post_init__(self) -> None:
        if not 0.0 <= self.score <= 1.0:
            raise ValueError(f"score must be a probability in [0, 1], got {self.score}")
        kinds = {file.kind for file in self.files}
        if not {ResultFileKind.SEGMENTATION, ResultFileKind.REPORT} <= kinds:
            raise ValueError("a result needs its segmentation and its report among its files")

    @property
    def segmentation(self) -> ResultFileValues:
        """The finest SEG level: the one the dashboard links and the report references."""
        return self._first(ResultFileKind.SEGMENTATION)

    @property
    def report(self) -> ResultFileValues:
        """The structured report."""
        return self._first(ResultFileKind.REPORT)

    @property
    def seg_path(self) -> Path:
        return self.segmentation.path

    @property
    def seg_sop_instance_uid(self) -> str:
        return self.segmentation.sop_instance_uid

    @property
    def sr_path(self) -> Path:
        return self.report.path

    @property
    def sr_sop_instance_uid(self) -> str:
        return self.report.sop_instance_uid

    def _first(self, kind: ResultFileKind) -> ResultFileValues:
        return next(file for file in self.files if file.kind is kind)


@dataclass(frozen=True)
class UnjudgedValues:
    """What the pipeline hands back for a slide the AI could not judge: the report that says so
    (and why), and the model that tried; becomes a `Result` row without score or segmentation."""

    threshold: float
    model_name: str
    model_version: str
    weights_sha256: str
    report: ResultFileValues
    quality: QualityValues | None = None
    thumbnail_path: Path | None = None

    def __post_init__(self) -> None:
        if self.report.kind is not ResultFileKind.REPORT:
            raise ValueError(f"an unjudged slide's result is its report; got a {self.report.kind}")


def add_unjudged_result(
    session: Session, job: Job, values: UnjudgedValues, destinations: Sequence[str]
) -> Result:
    """Record the report of `job` that says the AI could not judge the slide (not evaluable, or
    failed) and a pending export of it to each destination."""
    columns: dict[str, Any] = {
        "threshold": values.threshold,
        "model_name": values.model_name,
        "model_version": values.model_version,
        "weights_sha256": values.weights_sha256,
        "sr_sop_instance_uid": values.report.sop_instance_uid,
        "sr_path": str(values.report.path),
        "thumbnail_path": None if values.thumbnail_path is None else str(values.thumbnail_path),
        **_quality_columns(values.quality),
    }
    return _store(session, job, columns, [values.report], destinations)


def add_result(
    session: Session, job: Job, values: ResultValues, destinations: Sequence[str]
) -> Result:
    """Record the result of `job` and a pending export of it to each destination."""
    return _store(session, job, _columns(values), values.files, destinations)


def get_result(session: Session, result_id: int) -> Result:
    """The result with this id, or NotFoundError."""
    result = session.get(Result, result_id)
    if result is None:
        raise NotFoundError("result", result_id)
    return result


def count_quality_outcomes(session: Session) -> dict[tuple[str, str], int]:
    """How many results the quality gate judged, by (outcome, reason); reason "none" for a
    slide where it found nothing (results of slides analysed with the gate off are left out)."""
    rows = session.execute(
        sa.select(Result.quality_outcome, Result.quality_reason, sa.func.count())
        .where(Result.quality_outcome.is_not(None))
        .group_by(Result.quality_outcome, Result.quality_reason)
    )
    return {(str(outcome), reason or "none"): count for outcome, reason, count in rows}


def current_job_ids() -> sa.Subquery:
    """Per slide, the id of its newest job: the one whose state and result the worklist shows."""
    return (
        sa.select(Job.slide_id, sa.func.max(Job.id).label("job_id"))
        .group_by(Job.slide_id)
        .subquery("current_job")
    )


def current_results(session: Session, case_id: int) -> list[Result]:
    """The results of the current jobs of a case's slides (slides without one are left out)."""
    current = current_job_ids()
    query = (
        sa.select(Result)
        .join(current, current.c.job_id == Result.job_id)
        .join(Slide, Slide.id == Result.slide_id)
        .where(Slide.case_id == case_id)
        .order_by(Result.slide_id)
    )
    return list(session.scalars(query))


def _store(
    session: Session,
    job: Job,
    columns: Mapping[str, Any],
    files: Sequence[ResultFileValues],
    destinations: Sequence[str],
) -> Result:
    """The job's result row with `columns` and `files`, exported to each destination.

    A retried job (it failed, or was not evaluable) already has one: the report of its earlier
    run. That row is replaced, and its exports go pending again to deliver the new files. What
    was delivered stays in the PACS, its files stay on disk, and the export attempts stay logged.
    """
    result = job.result
    if result is None:
        result = Result(job_id=job.id, slide_id=job.slide_id)
        session.add(result)
    else:
        result.files.clear()
        session.flush()  # the earlier files' rows go before the new ones take their positions
    names = {column.key for column in Result.__table__.columns}
    if unknown := set(columns) - names:
        raise ValueError(f"not columns of a result: {sorted(unknown)}")
    for name in names - _OWN_COLUMNS:
        setattr(result, name, columns.get(name))
    result.stats = dict(columns.get("stats") or {})
    result.created_at = utcnow()
    result.files = [_file_row(position, file) for position, file in enumerate(files)]
    earlier = {export.destination: export for export in result.exports}
    for name in dict.fromkeys(destinations):
        if name in earlier:
            _deliver_again(earlier[name])
        else:
            result.exports.append(Export(destination=name))
    session.flush()
    return result


def _deliver_again(export: Export) -> None:
    """An export of replaced files: pending now with a fresh budget; an exporter's hold on it
    (sending the earlier files) is lost, so that its outcome is not recorded for the new ones."""
    export.state, export.attempts, export.next_attempt_at = ExportState.PENDING, 0, utcnow()
    export.last_error, export.overdue_since, export.delivered_at = None, None, None
    export.claimed_by, export.claimed_until = None, None


def _file_row(position: int, file: ResultFileValues) -> ResultFile:
    return ResultFile(
        position=position,
        kind=file.kind,
        path=str(file.path),
        sop_class_uid=file.sop_class_uid,
        sop_instance_uid=file.sop_instance_uid,
        series_instance_uid=file.series_instance_uid,
    )


def _quality_columns(quality: QualityValues | None) -> dict[str, Any]:
    """The quality columns, and the stats that keep the quality gate's findings."""
    if quality is None:
        return {"stats": {}}
    return {**quality.columns(), "stats": {"quality": quality.stats()}}


def _columns(values: ResultValues) -> dict[str, Any]:
    def text(path: Path | None) -> str | None:
        return None if path is None else str(path)

    quality = _quality_columns(values.quality)
    return {
        "score": values.score,
        "suspicious": values.suspicious,
        "threshold": values.threshold,
        "model_name": values.model_name,
        "model_version": values.model_version,
        "weights_sha256": values.weights_sha256,
        "seg_sop_instance_uid": values.seg_sop_instance_uid,
        "seg_path": str(values.seg_path),
        "sr_sop_instance_uid": values.sr_sop_instance_uid,
        "sr_path": str(values.sr_path),
        "thumbnail_path": text(values.thumbnail_path),
        "heatmap_path": text(values.heatmap_path),
        "tissue_area_mm2": values.tissue_area_mm2,
        "analysed_pixels": values.analysed_pixels,
        "inference_seconds": values.inference_seconds,
        **quality,
        "stats": {**quality["stats"], **values.stats},
    }
