"""The triage worklist: cases in priority order, computed in SQL so paging stays cheap.

Order: suspicious cases (a slide's probability at or above the threshold), highest first;
then cases that need a person because a slide failed, was not evaluable, was cancelled or is
incomplete, its volume images never came (flagged, never buried); then cases still being
received or analysed; then the rest.
Within a group, the earliest arrival comes first: among suspicious cases of equal probability,
the one that has waited longest.
"""

import enum
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from db.errors import NotFoundError
from db.exports import summarise
from db.models import (
    Case,
    Export,
    ExportState,
    Job,
    JobState,
    Result,
    Review,
    ReviewDecision,
    Slide,
    SlideState,
)
from db.results import current_job_ids
from db.slide_completion import missing_images_of


class Priority(enum.IntEnum):
    """The worklist groups, most urgent first."""

    SUSPICIOUS = 0
    ATTENTION = 1
    ANALYSING = 2
    ROUTINE = 3

    @property
    def label(self) -> str:
        """The lower-case name used in the API and on the dashboard."""
        return self.name.lower()


class SlideStatus(enum.StrEnum):
    """Where a slide stands, from its state and its current job."""

    RECEIVING = "receiving"
    WAITING = "waiting"
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    NOT_EVALUABLE = "not_evaluable"
    CANCELLED = "cancelled"
    INCOMPLETE = "incomplete"

    @property
    def needs_attention(self) -> bool:
        """The slide has no AI result and none is coming: a person must look at it."""
        return self in (
            SlideStatus.FAILED,
            SlideStatus.NOT_EVALUABLE,
            SlideStatus.CANCELLED,
            SlideStatus.INCOMPLETE,
        )


class CaseStatus(enum.StrEnum):
    """Where a case stands, from its slides' statuses (the case's badge)."""

    ATTENTION = "attention"
    ANALYSING = "analysing"
    ANALYSED = "analysed"


def case_status(statuses: Iterable[SlideStatus]) -> CaseStatus:
    """The one rule for a case: a slide that needs a person flags it; else any slide still
    received or analysed (or none yet) keeps it analysing; only all slides done is analysed."""
    seen = set(statuses)
    if any(status.needs_attention for status in seen):
        return CaseStatus.ATTENTION
    if seen and seen <= {SlideStatus.DONE}:
        return CaseStatus.ANALYSED
    return CaseStatus.ANALYSING


def priority_of(suspicious: bool, status: CaseStatus) -> Priority:
    """The worklist group of a case: suspicious first, whatever its status; then by status.

    The worklist query computes the same in SQL (to page cheaply); a test holds them equal.
    """
    if suspicious:
        return Priority.SUSPICIOUS
    return {
        CaseStatus.ATTENTION: Priority.ATTENTION,
        CaseStatus.ANALYSING: Priority.ANALYSING,
        CaseStatus.ANALYSED: Priority.ROUTINE,
    }[status]


def slide_status(
    state: SlideState, job_state: JobState | None, *, analysable: bool = True
) -> SlideStatus:
    """The status of a slide in `state` whose current job is in `job_state` (None: no job).

    `analysable`: the slide has images to analyse (a complete slide without is incomplete).
    """
    if state is SlideState.RECEIVING:
        return SlideStatus.RECEIVING
    if job_state is None:
        return SlideStatus.WAITING if analysable else SlideStatus.INCOMPLETE
    return SlideStatus(job_state.value)


@dataclass(frozen=True)
class WorklistFilter:
    """Which cases to list; empty fields do not filter."""

    priorities: frozenset[Priority] = frozenset()
    reviewed: bool | None = None
    search: str | None = None
    received_after: datetime | None = None
    received_before: datetime | None = None
    case_id: int | None = None


@dataclass(frozen=True)
class WorklistSlide:
    """One slide of a worklist entry."""

    slide_id: int
    series_instance_uid: str
    container_identifier: str | None
    specimen_description: str | None
    status: SlideStatus
    progress: float | None
    stage: str | None
    reason: str | None
    job_id: int | None
    result_id: int | None
    score: float | None
    suspicious: bool
    export_state: ExportState | None

    @property
    def needs_attention(self) -> bool:
        """Whether this slide is flagged for a person."""
        return self.status.needs_attention


@dataclass(frozen=True)
class LatestReview:
    """A case's most recent review: what was decided, by whom."""

    decision: ReviewDecision
    reviewer: str


@dataclass(frozen=True)
class WorklistEntry:
    """One case on the worklist, with its slides."""

    case_id: int
    study_instance_uid: str
    accession_number: str | None
    patient_id: str | None
    patient_name: str | None
    study_date: str | None
    study_description: str | None
    received_at: datetime
    priority: Priority
    max_score: float | None
    reviewed: bool
    slides: tuple[WorklistSlide, ...] = field(default=())
    latest_review: LatestReview | None = None

    @property
    def suspicious(self) -> bool:
        """Whether a slide is at or above the threshold."""
        return self.priority is Priority.SUSPICIOUS

    @property
    def status(self) -> CaseStatus:
        """Where the case stands, from its slides."""
        return case_status(slide.status for slide in self.slides)

    @property
    def needs_attention(self) -> bool:
        """Whether a slide has no AI result and none is coming."""
        return self.status is CaseStatus.ATTENTION

    def waiting(self, now: datetime) -> timedelta | None:
        """How long the case has waited for a pathologist since it was received; None once
        reviewed."""
        return None if self.reviewed else max(now - self.received_at, timedelta(0))


@dataclass(frozen=True)
class WorklistPage:
    """A page of the worklist and how many cases match in all."""

    total: int
    offset: int
    limit: int
    entries: tuple[WorklistEntry, ...]


def worklist(
    session: Session,
    threshold: float,
    filters: WorklistFilter = WorklistFilter(),
    *,
    limit: int = 50,
    offset: int = 0,
) -> WorklistPage:
    """One page of cases in priority order, with their slides."""
    ranked = _ranked_cases(threshold)
    query = sa.select(ranked).where(*_conditions(ranked, filters))
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    page = query.order_by(
        ranked.c.priority, ranked.c.suspicious_score.desc(), ranked.c.received_at, ranked.c.id
    )
    rows = session.execute(page.limit(limit).offset(offset)).all()
    case_ids = [row.id for row in rows]
    slides = _slides_of(session, case_ids, threshold)
    reviews = _latest_reviews(session, case_ids)
    entries = tuple(_entry(row, slides.get(row.id, ()), reviews.get(row.id)) for row in rows)
    return WorklistPage(total=total, offset=offset, limit=limit, entries=entries)


def worklist_entry(session: Session, threshold: float, case_id: int) -> WorklistEntry:
    """The worklist entry of one case (its priority, flags and slide states), or NotFoundError."""
    page = worklist(session, threshold, WorklistFilter(case_id=case_id), limit=1)
    if not page.entries:
        raise NotFoundError("case", case_id)
    return page.entries[0]


def _slide_rows() -> sa.Select[*tuple[Any, ...]]:
    """One row per slide: its state and its current job, with that job's result."""
    current = current_job_ids()
    return (
        sa.select(
            Slide.id.label("slide_id"),
            Slide.case_id,
            Slide.state.label("slide_state"),
            Slide.content_digest,
            Job.id.label("job_id"),
            Job.state.label("job_state"),
            Job.progress,
            Job.stage,
            Job.reason,
            Result.id.label("result_id"),
            Result.score,
        )
        .outerjoin(current, current.c.slide_id == Slide.id)
        .outerjoin(Job, Job.id == current.c.job_id)
        .outerjoin(Result, Result.job_id == Job.id)
    )


def _ranked_cases(threshold: float) -> sa.Subquery:
    """Every case with its priority group and the score that orders suspicious cases."""
    slide = _slide_rows().subquery("slide_row")
    attention_states = [JobState.FAILED, JobState.NOT_EVALUABLE, JobState.CANCELLED]
    complete = slide.c.slide_state == SlideState.COMPLETE
    incomplete = sa.and_(complete, slide.c.job_state.is_(None), slide.c.content_digest.is_(None))
    pending = sa.and_(
        sa.or_(
            slide.c.slide_state == SlideState.RECEIVING,
            slide.c.job_state.is_(None),
            slide.c.job_state.in_([JobState.QUEUED, JobState.RUNNING]),
        ),
        ~incomplete,
    )
    attention = sa.or_(sa.and_(complete, slide.c.job_state.in_(attention_states)), incomplete)
    per_case = (
        sa.select(
            slide.c.case_id,
            sa.func.max(slide.c.score).label("max_score"),
            sa.func.sum(sa.case((attention, 1), else_=0)).label("attention"),
            sa.func.sum(sa.case((pending, 1), else_=0)).label("pending"),
        )
        .group_by(slide.c.case_id)
        .subquery("per_case")
    )
    priority = sa.case(
        (per_case.c.max_score >= threshold, int(Priority.SUSPICIOUS)),
        (per_case.c.attention > 0, int(Priority.ATTENTION)),
        (sa.or_(per_case.c.case_id.is_(None), per_case.c.pending > 0), int(Priority.ANALYSING)),
        else_=int(Priority.ROUTINE),
    )
    reviewed = sa.exists().where(Review.case_id == Case.id)
    return (
        sa.select(
            Case,
            per_case.c.max_score,
            priority.label("priority"),
            sa.case((per_case.c.max_score >= threshold, per_case.c.max_score)).label(
                "suspicious_score"
            ),
            reviewed.label("reviewed"),
        )
        .outerjoin(per_case, per_case.c.case_id == Case.id)
        .subquery("ranked")
    )


def _conditions(ranked: sa.Subquery, filters: WorklistFilter) -> list[sa.ColumnElement[bool]]:
    """The WHERE conditions that `filters` asks for."""
    conditions: list[sa.ColumnElement[bool]] = []
    if filters.priorities:
        conditions.append(ranked.c.priority.in_(sorted(int(p) for p in filters.priorities)))
    if filters.reviewed is not None:
        conditions.append(ranked.c.reviewed == filters.reviewed)
    if filters.search:
        needle = filters.search.strip().lower()
        columns = (ranked.c.accession_number, ranked.c.patient_id, ranked.c.patient_name)
        conditions.append(
            sa.or_(*(sa.func.lower(column).contains(needle, autoescape=True) for column in columns))
        )
    if filters.case_id is not None:
        conditions.append(ranked.c.id == filters.case_id)
    if filters.received_after is not None:
        conditions.append(ranked.c.received_at >= filters.received_after)
    if filters.received_before is not None:
        conditions.append(ranked.c.received_at < filters.received_before)
    return conditions


def _slides_of(
    session: Session, case_ids: Sequence[int], threshold: float
) -> dict[int, list[WorklistSlide]]:
    """The slides of these cases, each with its current job, result and export state."""
    if not case_ids:
        return {}
    row = _slide_rows().subquery("slide_row")
    query = (
        sa.select(row, Slide.series_instance_uid, Slide.container_identifier)
        .add_columns(Slide.specimen_description)
        .join(Slide, Slide.id == row.c.slide_id)
        .where(row.c.case_id.in_(case_ids))
        .order_by(row.c.slide_id)
    )
    rows = session.execute(query).all()
    exports = _export_states(session, [r.result_id for r in rows if r.result_id is not None])
    unanalysable = [r.slide_id for r in rows if r.content_digest is None]
    missing = missing_images_of(session, unanalysable)
    slides: dict[int, list[WorklistSlide]] = defaultdict(list)
    for r in rows:
        slide = _slide(r, threshold, exports.get(r.result_id, []), missing.get(r.slide_id))
        slides[r.case_id].append(slide)
    return slides


def _export_states(session: Session, result_ids: Sequence[int]) -> dict[int, list[ExportState]]:
    if not result_ids:
        return {}
    query = sa.select(Export.result_id, Export.state).where(Export.result_id.in_(result_ids))
    states: dict[int, list[ExportState]] = defaultdict(list)
    for result_id, state in session.execute(query):
        states[result_id].append(ExportState(state))
    return states


def _slide(
    row: sa.Row[Any], threshold: float, exports: list[ExportState], missing: str | None
) -> WorklistSlide:
    status = slide_status(
        SlideState(row.slide_state), _job_state(row.job_state), analysable=missing is None
    )
    return WorklistSlide(
        slide_id=row.slide_id,
        series_instance_uid=row.series_instance_uid,
        container_identifier=row.container_identifier,
        specimen_description=row.specimen_description,
        status=status,
        progress=row.progress if row.job_id is not None else None,
        stage=row.stage,
        reason=missing if status is SlideStatus.INCOMPLETE else _attention_reason(row, status),
        job_id=row.job_id,
        result_id=row.result_id,
        score=row.score,
        suspicious=row.score is not None and row.score >= threshold,
        export_state=summarise(exports),
    )


def _latest_reviews(session: Session, case_ids: Sequence[int]) -> dict[int, LatestReview]:
    """Per case, its newest review (the decision that stands)."""
    if not case_ids:
        return {}
    newest = (
        sa.select(sa.func.max(Review.id))
        .where(Review.case_id.in_(case_ids))
        .group_by(Review.case_id)
        .scalar_subquery()
    )
    query = sa.select(Review.case_id, Review.decision, Review.reviewer).where(Review.id.in_(newest))
    return {
        case_id: LatestReview(ReviewDecision(decision), reviewer)
        for case_id, decision, reviewer in session.execute(query)
    }


def _entry(
    row: sa.Row[Any], slides: Sequence[WorklistSlide], review: LatestReview | None = None
) -> WorklistEntry:
    return WorklistEntry(
        case_id=row.id,
        study_instance_uid=row.study_instance_uid,
        accession_number=row.accession_number,
        patient_id=row.patient_id,
        patient_name=row.patient_name,
        study_date=row.study_date,
        study_description=row.study_description,
        received_at=row.received_at,
        priority=Priority(row.priority),
        max_score=row.max_score,
        reviewed=bool(row.reviewed),
        slides=tuple(slides),
        latest_review=review,
    )


def _attention_reason(row: sa.Row[Any], status: SlideStatus) -> str | None:
    return str(row.reason) if status.needs_attention and row.reason is not None else None


def _job_state(value: JobState | str | None) -> JobState | None:
    return None if value is None else JobState(value)
