"""Reviews record agreement with the AI; the audit trail records who did what to which case."""

import pytest

from db import audit
from db.errors import NotFoundError
from db.models import ReviewDecision
from db.reviews import add_review, agreement, case_reviews
from db.session import Database
from tests.db.factories import add_analysed_slide, add_case, add_slide


@pytest.mark.parametrize(
    ("decision", "ai_suspicious", "agrees"),
    [
        (ReviewDecision.MALIGNANT, True, True),
        (ReviewDecision.MALIGNANT, False, False),
        (ReviewDecision.BENIGN, False, True),
        (ReviewDecision.BENIGN, True, False),
        (ReviewDecision.NEEDS_IHC, True, None),
        (ReviewDecision.BENIGN, None, None),
    ],
)
def test_agreement(
    decision: ReviewDecision, ai_suspicious: bool | None, agrees: bool | None
) -> None:
    assert agreement(decision, ai_suspicious) is agrees


def test_review_keeps_the_ai_call_of_the_moment(database: Database) -> None:
    with database.session() as session:
        case = add_case(session)
        add_analysed_slide(session, case, 0.3)
        add_analysed_slide(session, case, 0.8)
        add_slide(session, case)
        review = add_review(
            session, case.id, "dr.house", ReviewDecision.BENIGN, threshold=0.5, comment="reactive"
        )
        session.commit()
        assert (review.ai_score, review.ai_suspicious, review.agrees_with_ai) == (0.8, True, False)
        assert [r.id for r in case_reviews(session, case.id)] == [review.id]
        with pytest.raises(NotFoundError):
            add_review(session, case.id + 1000, "dr", ReviewDecision.BENIGN, threshold=0.5)


def test_audit_events_by_case_and_actor(database: Database) -> None:
    with database.session() as session:
        first, second = add_case(session), add_case(session)
        audit.record(session, "dr.a", audit.Action.CASE_VIEW, case_id=first.id)
        audit.record(session, "dr.b", audit.Action.CASE_VIEW, case_id=second.id)
        audit.record(session, "dr.a", audit.Action.REVIEW, case_id=second.id, detail="benign")
        session.commit()
        of_second = audit.events(session, case_id=second.id)
        by_a = audit.events(session, actor="dr.a")
    assert [(e.actor, e.action) for e in of_second] == [
        ("dr.a", "review.create"),
        ("dr.b", "case.view"),
    ]
    assert [e.case_id for e in by_a] == [second.id, first.id]
