"""Turning rows and worklist entries into the API's Public schemas."""

from datetime import datetime
from typing import Any

from db.cases import current_job, current_result
from db.models import Case, Slide
from db.slide_completion import missing_images
from db.worklist import WorklistEntry, WorklistPage, slide_status
from plugin.web.schemas import (
    CasePublic,
    SlideDetailPublic,
    WorklistCasePublic,
    WorklistPublic,
)


def slide_detail(slide: Slide, threshold: float) -> SlideDetailPublic:
    """A slide with its files and all its jobs."""
    fields = {**_slide_fields(slide, threshold), "instances": slide.instances, "jobs": slide.jobs}
    return SlideDetailPublic.model_validate(fields)


def case_public(case: Case, entry: WorklistEntry, threshold: float) -> CasePublic:
    """A case, its priority (from its worklist entry), slides and reviews."""
    fields = {
        **_columns(case),
        "priority": entry.priority.label,
        "status": entry.status,
        "suspicious": entry.suspicious,
        "needs_attention": entry.needs_attention,
        "max_score": entry.max_score,
        "slides": [_slide_fields(slide, threshold) for slide in case.slides],
        "reviews": case.reviews,
    }
    return CasePublic.model_validate(fields)


def worklist_public(page: WorklistPage, now: datetime) -> WorklistPublic:
    """A worklist page, its waiting times as of `now`."""
    items = [worklist_case(entry, now) for entry in page.entries]
    return WorklistPublic(total=page.total, offset=page.offset, limit=page.limit, items=items)


def worklist_case(entry: WorklistEntry, now: datetime) -> WorklistCasePublic:
    """One worklist entry, its waiting time as of `now`."""
    waited = entry.waiting(now)
    copied = WorklistCasePublic.model_fields.keys() - {"priority", "waiting_seconds"}
    fields = {
        **{name: getattr(entry, name) for name in copied},
        "priority": entry.priority.label,
        "waiting_seconds": None if waited is None else int(waited.total_seconds()),
    }
    return WorklistCasePublic.model_validate(fields)


def _slide_fields(slide: Slide, threshold: float) -> dict[str, Any]:
    job, result = current_job(slide), current_result(slide)
    missing = missing_images(instance.image_type for instance in slide.instances)
    job_state = None if job is None else job.state
    status = slide_status(slide.state, job_state, analysable=missing is None)
    score = None if result is None else result.score
    return {
        **_columns(slide),
        "status": status,
        "missing": missing,
        "needs_attention": status.needs_attention,
        "score": score,
        "suspicious": score is not None and score >= threshold,
        "job": job,
        "result": result,
    }


def _columns(row: Case | Slide) -> dict[str, Any]:
    return {column.key: getattr(row, column.key) for column in row.__table__.columns}
