"""A case's reviews: pathologists record decisions; each is audited."""

from fastapi import APIRouter, status

from db.cases import load_case
from db.reviews import case_reviews
from plugin.web import actions
from plugin.web.deps import CurrentUser, PathologistUser, SessionDep, SettingsDep
from plugin.web.params import RowId
from plugin.web.schemas import ReviewCreate, ReviewPublic

router = APIRouter(tags=["reviews"])


@router.get("/cases/{case_id}/reviews")
def read_reviews(case_id: RowId, session: SessionDep, user: CurrentUser) -> list[ReviewPublic]:
    """The reviews of a case, oldest first."""
    load_case(session, case_id)
    return [ReviewPublic.model_validate(review) for review in case_reviews(session, case_id)]


@router.post("/cases/{case_id}/reviews", status_code=status.HTTP_201_CREATED)
def create_review(
    case_id: RowId,
    review: ReviewCreate,
    session: SessionDep,
    user: PathologistUser,
    settings: SettingsDep,
) -> ReviewPublic:
    """Record a pathologist's decision (malignant, benign, needs IHC) on a case."""
    recorded = actions.review_case(
        session, settings, user.name, case_id, review.decision, review.comment
    )
    return ReviewPublic.model_validate(recorded)
