"""What a user does through the API or the dashboard alike: each action with its audit record,
committed together, so that the two front doors can never audit differently."""

from fastapi.responses import FileResponse
from sqlalchemy.orm import Session

from config import Settings
from db import audit, exports
from db.models import Export, Review, ReviewDecision
from db.results import get_result
from db.reviews import add_review
from plugin.web.files import OutputKind, output_file


def review_case(
    session: Session,
    settings: Settings,
    actor: str,
    case_id: int,
    decision: ReviewDecision,
    comment: str | None,
) -> Review:
    """Record a pathologist's decision on a case (with the AI's call at this moment)."""
    threshold = settings.triage.threshold
    review = add_review(session, case_id, actor, decision, threshold=threshold, comment=comment)
    audit.record(session, actor, audit.Action.REVIEW, case_id=case_id, detail=decision)
    session.commit()
    return review


def retry_export(session: Session, actor: str, export_id: int) -> Export:
    """Send an export again now, with a fresh budget of attempts."""
    export = exports.retry_export(session, export_id)
    slide = export.result.job.slide
    audit.record(
        session,
        actor,
        audit.Action.EXPORT_RETRY,
        case_id=slide.case_id,
        slide_id=slide.id,
        detail=export.destination,
    )
    session.commit()
    return export


def result_output(
    session: Session, settings: Settings, actor: str, result_id: int, kind: OutputKind
) -> FileResponse:
    """A result's picture, or its SEG or SR (a download of patient data, so audited)."""
    result = get_result(session, result_id)
    response = output_file(settings, result, kind)
    if kind.is_dicom:
        slide = result.job.slide
        audit.record(
            session,
            actor,
            audit.Action.OUTPUT_VIEW,
            case_id=slide.case_id,
            slide_id=slide.id,
            detail=str(kind),
        )
        session.commit()
    return response
