"""The JSON shapes of the web API: Create schemas for input, Public schemas for output."""

import enum
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from db.models import ExportState, ImageType, JobState, ReviewDecision, Role, SlideState
from db.worklist import CaseStatus, Priority, SlideStatus, WorklistFilter
from plugin.web.params import MAX_OFFSET

CASE_STATUS = (
    "from the slides: attention if one has no AI result and none is coming, analysing while "
    "one is received or analysed, analysed when all are done"
)


class Public(BaseModel):
    """Output read from ORM rows or dataclasses."""

    model_config = ConfigDict(from_attributes=True)


class WhoAmI(Public):
    """The caller, as its token says."""

    name: str
    role: Role


class ExportAttemptPublic(Public):
    """One try at delivering an export."""

    started_at: datetime
    finished_at: datetime
    success: bool
    error: str | None
    detail: str | None


class ExportPublic(Public):
    """Delivery of a result to one destination."""

    id: int
    result_id: int
    destination: str
    state: ExportState
    attempts: int
    next_attempt_at: datetime | None
    overdue_since: datetime | None = Field(
        description="when export.max_attempts were used up; it is still retried (an alert)"
    )
    last_error: str | None
    delivered_at: datetime | None
    attempt_log: list[ExportAttemptPublic]


class ResultPublic(Public):
    """What an analysis produced; files are fetched from /api/results/{id}/files/{kind}."""

    id: int
    job_id: int
    slide_id: int
    score: float | None = Field(
        description="slide probability of malignancy (mean of the top-k pixels); null when the "
        "AI could not judge the slide (the result is then its 'not evaluable' or 'failed' SR)"
    )
    suspicious: bool | None = Field(
        description="score at or above the threshold the SR was made with; null without score"
    )
    threshold: float
    model_name: str
    model_version: str
    weights_sha256: str
    seg_sop_instance_uid: str | None
    sr_sop_instance_uid: str
    tissue_area_mm2: float | None
    analysed_pixels: int | None
    inference_seconds: float | None
    stats: dict[str, Any]
    created_at: datetime
    has_thumbnail: bool
    has_heatmap: bool
    has_qc: bool = Field(
        description="the quality gate's picture of the defects exists (files/qc, over the "
        "thumbnail)"
    )
    quality_outcome: str | None = Field(
        description="the quality gate: clean (all tissue analysed), excluded (scored without "
        "the tissue it left out), not_evaluable (no score); null when the gate was off"
    )
    quality_reason: str | None = Field(
        description="the main defect in words ('out of focus', 'pen ink', 'no tissue')"
    )
    quality_findings: list[str] = Field(
        description="each defect the gate found, with its share of the tissue "
        "('12% of the tissue out of focus')"
    )
    quality_warning: str | None = Field(
        description="what the score leaves out ('12% of the tissue out of focus, not analysed')"
    )
    exports: list[ExportPublic]


class JobPublic(Public):
    """An analysis job and its progress."""

    id: int
    slide_id: int
    content_key: str
    state: JobState
    progress: float
    stage: str
    attempts: int = Field(description="attempts spent: failures of the slide's own analysis")
    max_attempts: int
    crashes: int = Field(description="times the service stopped (killed, out of memory) under it")
    reason: str | None
    worker: str | None
    cancel_requested: bool
    queued_at: datetime
    started_at: datetime | None
    heartbeat_at: datetime | None
    finished_at: datetime | None


class InstancePublic(Public):
    """One stored DICOM file of a slide."""

    sop_instance_uid: str
    sop_class_uid: str
    transfer_syntax_uid: str
    image_type: ImageType
    size_bytes: int
    received_at: datetime


class SlidePublic(Public):
    """A slide with its current job and result."""

    id: int
    case_id: int
    series_instance_uid: str
    container_identifier: str | None
    specimen_identifier: str | None
    specimen_description: str | None
    manufacturer: str | None
    manufacturer_model_name: str | None
    state: SlideState
    received_at: datetime
    last_received_at: datetime
    status: SlideStatus
    needs_attention: bool
    missing: str | None = Field(
        default=None, description="what the slide lacks for analysis (an incomplete slide)"
    )
    score: float | None = Field(description="the current result's probability")
    suspicious: bool = Field(description="score at or above the threshold now configured")
    job: JobPublic | None
    result: ResultPublic | None


class SlideDetailPublic(SlidePublic):
    """A slide with its files and every job it had."""

    instances: list[InstancePublic]
    jobs: list[JobPublic]


class ReviewCreate(BaseModel):
    """A pathologist's decision on a case."""

    decision: ReviewDecision
    comment: str | None = Field(default=None, max_length=2000)


class ReviewPublic(Public):
    """A recorded review and what the AI said when it was made."""

    id: int
    case_id: int
    reviewer: str
    decision: ReviewDecision
    ai_score: float | None
    ai_suspicious: bool | None
    agrees_with_ai: bool | None = Field(description="None for needs-IHC, or without an AI call")
    comment: str | None
    created_at: datetime


class CaseIdentifiers(Public):
    """A case's identifiers, exactly as received over DICOM."""

    study_instance_uid: str
    accession_number: str | None
    patient_id: str | None
    patient_name: str | None
    study_date: str | None
    study_description: str | None
    received_at: datetime


class CasePublic(CaseIdentifiers):
    """A case with its priority, slides and reviews."""

    id: int
    issuer_of_patient_id: str | None
    patient_birth_date: str | None
    priority: str = Field(description="suspicious, attention, analysing or routine")
    status: CaseStatus = Field(description=CASE_STATUS)
    suspicious: bool
    needs_attention: bool
    max_score: float | None
    slides: list[SlidePublic]
    reviews: list[ReviewPublic]


class WorklistSlidePublic(Public):
    """A slide on the worklist."""

    slide_id: int
    series_instance_uid: str
    container_identifier: str | None
    status: SlideStatus
    progress: float | None
    stage: str | None
    reason: str | None
    job_id: int | None
    result_id: int | None
    score: float | None
    suspicious: bool
    needs_attention: bool
    export_state: ExportState | None


class WorklistCasePublic(CaseIdentifiers):
    """A case on the worklist."""

    case_id: int
    priority: str = Field(description="suspicious, attention, analysing or routine")
    status: CaseStatus = Field(description=CASE_STATUS)
    suspicious: bool
    needs_attention: bool
    max_score: float | None
    reviewed: bool
    waiting_seconds: int | None = Field(
        description="seconds since the case was received, while it awaits review (None after)"
    )
    slides: list[WorklistSlidePublic]


class WorklistPublic(BaseModel):
    """A page of the worklist, in priority order."""

    total: int
    offset: int
    limit: int
    items: list[WorklistCasePublic]


class AuditEventPublic(Public):
    """Who did what to which case, and when."""

    id: int
    at: datetime
    actor: str
    action: str
    case_id: int | None
    slide_id: int | None
    detail: str | None


class HealthPublic(BaseModel):
    """Whether the service can do its work."""

    status: str = Field(
        description="ok; warming while the analysis role warms its devices up (healthy); "
        "or degraded when a part below is not ok"
    )
    roles: dict[str, str] = Field(description="each role this process runs: ok, or why not")
    database: str
    storage: str
    broker: str = Field(description="ok, unreachable, or not-used (no broker publisher here)")
    workers: str = Field(
        description="the analysis role: ok, warming up, stopped, why its device failed, or "
        "not-in-this-process"
    )


class PriorityName(enum.StrEnum):
    """The worklist groups, most urgent first."""

    SUSPICIOUS = "suspicious"
    ATTENTION = "attention"
    ANALYSING = "analysing"
    ROUTINE = "routine"

    @property
    def priority(self) -> Priority:
        """The database layer's rank for this group."""
        return Priority[self.name]


class WorklistQuery(BaseModel):
    """Filters and paging of the worklist (query parameters)."""

    model_config = ConfigDict(extra="forbid")

    priority: list[PriorityName] = Field(default_factory=list, description="only these groups")
    reviewed: bool | None = Field(default=None, description="only (un)reviewed cases")
    search: str | None = Field(default=None, max_length=200, description="accession, patient")
    received_after: datetime | None = None
    received_before: datetime | None = None
    limit: int = Field(default=50, ge=1, le=500)
    offset: int = Field(default=0, ge=0, le=MAX_OFFSET)

    def to_filter(self) -> WorklistFilter:
        """The database layer's filter."""
        return WorklistFilter(
            priorities=frozenset(name.priority for name in self.priority),
            reviewed=self.reviewed,
            search=self.search or None,
            received_after=self.received_after,
            received_before=self.received_before,
        )
