"""A pathologist's decision on a case, with what the AI said at that moment."""

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.models.base import Base, UtcDateTime, enum_type, utcnow
from db.models.enums import ReviewDecision

if TYPE_CHECKING:
    from db.models.cases import Case


class Review(Base):
    """One review; `agrees_with_ai` is None when the decision (needs IHC) or the AI gave no call."""

    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    reviewer: Mapped[str] = mapped_column(sa.String)
    decision: Mapped[ReviewDecision] = mapped_column(enum_type(ReviewDecision))
    ai_score: Mapped[float | None] = mapped_column(sa.Float)
    ai_suspicious: Mapped[bool | None] = mapped_column(sa.Boolean)
    agrees_with_ai: Mapped[bool | None] = mapped_column(sa.Boolean)
    comment: Mapped[str | None] = mapped_column(sa.String)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    case: Mapped["Case"] = relationship(back_populates="reviews")
