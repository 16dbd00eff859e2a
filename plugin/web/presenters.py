"""Turning rows and worklist entries into the API's Public schemas."""

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
        "suspicious": entry.suspicious,
        "needs_attention": entry.needs_attention,
        "max_score": entry.max_score,
        "slides": [_slide_fields(slide, threshold) for slide in case.slides],
        "reviews": case.reviews,
    }
    return CasePublic.model_validate(fields)


def worklist_public(page: WorklistPage) -> WorklistPublic:
    """A worklist page."""
    items = [worklist_case(entry) for entry in page.entries]
    return WorklistPublic(total=page.total, offset=page.offset, limit=page.limit, items=items)


def worklist_case(entry: WorklistEntry) -> WorklistCasePublic:
    """One worklist entry."""
    fields = {
        **{name: getattr(entry, name) for name in WorklistCasePublic.model_fields},
        "priority": entry.priority.label,
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
