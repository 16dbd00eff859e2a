"""Pathologists' reviews, each kept with what the AI said when it was made."""

import sqlalchemy as sa
from sqlalchemy.orm import Session

from db.errors import NotFoundError
from db.models import Case, Review, ReviewDecision
from db.results import current_results


def add_review(
    session: Session,
    case_id: int,
    reviewer: str,
    decision: ReviewDecision,
    *,
    threshold: float,
    comment: str | None = None,
) -> Review:
    """Record a decision on a case, and whether it agrees with the AI's call at `threshold`."""
    if session.get(Case, case_id) is None:
        raise NotFoundError("case", case_id)
    results = current_results(session, case_id)
    scores = [result.score for result in results if result.score is not None]
    ai_score = max(scores, default=None)
    ai_suspicious = None if ai_score is None else ai_score >= threshold
    review = Review(
        case_id=case_id,
        reviewer=reviewer,
        decision=decision,
        ai_score=ai_score,
        ai_suspicious=ai_suspicious,
        agrees_with_ai=agreement(decision, ai_suspicious),
        comment=comment,
    )
    session.add(review)
    session.flush()
    return review


def agreement(decision: ReviewDecision, ai_suspicious: bool | None) -> bool | None:
    """Malignant agrees with suspicious and benign with not; IHC or no AI call: None."""
    if ai_suspicious is None or decision is ReviewDecision.NEEDS_IHC:
        return None
    return (decision is ReviewDecision.MALIGNANT) == ai_suspicious


def case_reviews(session: Session, case_id: int) -> list[Review]:
    """The reviews of a case, oldest first."""
    query = sa.select(Review).where(Review.case_id == case_id).order_by(Review.id)
    return list(session.scalars(query))
