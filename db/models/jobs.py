"""The durable analysis job of a slide: the queue is this table."""

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.models.base import Base, UtcDateTime, enum_type, utcnow
from db.models.enums import JobState

if TYPE_CHECKING:
    from db.models.cases import Slide
    from db.models.results import Result


class Job(Base):
    """One analysis of one slide; unique per (slide, content key), so enqueueing is idempotent."""

    __tablename__ = "jobs"
    __table_args__ = (
        sa.UniqueConstraint("slide_id", "content_key"),
        sa.Index("ix_jobs_state_not_before", "state", "not_before"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slide_id: Mapped[int] = mapped_column(
        sa.ForeignKey("slides.id", ondelete="CASCADE"), index=True
    )
    content_key: Mapped[str] = mapped_column(sa.String)
    state: Mapped[JobState] = mapped_column(enum_type(JobState), default=JobState.QUEUED)
    progress: Mapped[float] = mapped_column(sa.Float, default=0.0)
    stage: Mapped[str] = mapped_column(sa.String, default="")
    # Attempts count failures of the slide's own analysis; a stop of the whole service while the
    # job ran (kill, out of memory, power) counts as a crash instead, with a bound of its own.
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    crashes: Mapped[int] = mapped_column(sa.Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(sa.Integer)
    reason: Mapped[str | None] = mapped_column(sa.String)
    worker: Mapped[str | None] = mapped_column(sa.String)
    cancel_requested: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    queued_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    not_before: Mapped[datetime | None] = mapped_column(UtcDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    slide: Mapped["Slide"] = relationship(back_populates="jobs")
    result: Mapped["Result | None"] = relationship(back_populates="job")
