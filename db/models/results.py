"""What an analysis produced, and its delivery to each export destination."""

from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from config.kinds import ResultFileKind
from db.models.base import Base, UtcDateTime, enum_type, utcnow
from db.models.enums import ExportState

if TYPE_CHECKING:
    from db.models.jobs import Job


class Result(Base):
    """What one job produced: the slide score, its outputs and the model that made them."""

    __tablename__ = "results"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(sa.ForeignKey("jobs.id", ondelete="CASCADE"), unique=True)
    slide_id: Mapped[int] = mapped_column(
        sa.ForeignKey("slides.id", ondelete="CASCADE"), index=True
    )
    # None for a slide the AI could not judge: its result is only the report that says so.
    score: Mapped[float | None] = mapped_column(sa.Float)
    suspicious: Mapped[bool | None] = mapped_column(sa.Boolean)
    threshold: Mapped[float] = mapped_column(sa.Float)
    model_name: Mapped[str] = mapped_column(sa.String)
    model_version: Mapped[str] = mapped_column(sa.String)
    weights_sha256: Mapped[str] = mapped_column(sa.String)
    seg_sop_instance_uid: Mapped[str | None] = mapped_column(sa.String)
    seg_path: Mapped[str | None] = mapped_column(sa.String)
    sr_sop_instance_uid: Mapped[str] = mapped_column(sa.String)
    sr_path: Mapped[str] = mapped_column(sa.String)
    thumbnail_path: Mapped[str | None] = mapped_column(sa.String)
    heatmap_path: Mapped[str | None] = mapped_column(sa.String)
    tissue_area_mm2: Mapped[float | None] = mapped_column(sa.Float)
    analysed_pixels: Mapped[int | None] = mapped_column(sa.BigInteger)
    inference_seconds: Mapped[float | None] = mapped_column(sa.Float)
    stats: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    # The quality gate: a QualityOutcome, the main defect in words ("out of focus", "no
    # tissue"), and the picture of the defects over the thumbnail (None: the gate was off).
    quality_outcome: Mapped[str | None] = mapped_column(sa.String)
    quality_reason: Mapped[str | None] = mapped_column(sa.String)
    qc_path: Mapped[str | None] = mapped_column(sa.String)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    job: Mapped["Job"] = relationship(back_populates="result")
    files: Mapped[list["ResultFile"]] = relationship(
        back_populates="result", order_by="ResultFile.position", cascade="all, delete-orphan"
    )
    exports: Mapped[list["Export"]] = relationship(
        back_populates="result", order_by="Export.id", cascade="all, delete-orphan"
    )

    @property
    def is_scored(self) -> bool:
        """Whether the AI judged the slide (else the result is its "not evaluable" report)."""
        return self.score is not None

    @property
    def has_thumbnail(self) -> bool:
        """Whether the pipeline wrote a thumbnail for the dashboard."""
        return self.thumbnail_path is not None

    @property
    def has_qc(self) -> bool:
        """Whether the pipeline wrote the quality gate's picture of the defects."""
        return self.qc_path is not None

    @property
    def quality_findings(self) -> list[str]:
        """The defects the quality gate found, in words ("12% of the tissue out of focus")."""
        return list((self.stats or {}).get("quality", {}).get("findings", []))

    @property
    def quality_warning(self) -> str | None:
        """What a scored slide's reader must know about tissue left out (None: nothing)."""
        warning = (self.stats or {}).get("quality", {}).get("warning")
        return str(warning) if warning else None

    @property
    def has_heatmap(self) -> bool:
        """Whether the pipeline wrote a probability heatmap for the dashboard."""
        return self.heatmap_path is not None


class ResultFile(Base):
    """One DICOM file of a result, as its writer returned it; `position` keeps the order in
    which they are delivered (SEG levels finest first, then the SR)."""

    __tablename__ = "result_files"
    __table_args__ = (sa.UniqueConstraint("result_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    result_id: Mapped[int] = mapped_column(sa.ForeignKey("results.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(sa.Integer)
    kind: Mapped[ResultFileKind] = mapped_column(enum_type(ResultFileKind))
    path: Mapped[str] = mapped_column(sa.String)
    sop_class_uid: Mapped[str] = mapped_column(sa.String)
    # Unknown (None) only for files that were gone when migration 0004 moved them here.
    sop_instance_uid: Mapped[str | None] = mapped_column(sa.String)
    series_instance_uid: Mapped[str | None] = mapped_column(sa.String)

    result: Mapped[Result] = relationship(back_populates="files")


class Export(Base):
    """Delivery of one result to one destination, retried with bounded back-off."""

    __tablename__ = "exports"
    __table_args__ = (
        sa.UniqueConstraint("result_id", "destination"),
        sa.Index("ix_exports_state_next_attempt_at", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    result_id: Mapped[int] = mapped_column(sa.ForeignKey("results.id", ondelete="CASCADE"))
    destination: Mapped[str] = mapped_column(sa.String)
    state: Mapped[ExportState] = mapped_column(enum_type(ExportState), default=ExportState.PENDING)
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(sa.String)
    # Set when the attempts were used up: still retried (at the longest back-off), but alerted.
    overdue_since: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # An exporter's hold while it sends: no other exporter takes the export until then.
    claimed_by: Mapped[str | None] = mapped_column(sa.String)
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)

    result: Mapped[Result] = relationship(back_populates="exports")
    attempt_log: Mapped[list["ExportAttempt"]] = relationship(
        back_populates="export", order_by="ExportAttempt.id", cascade="all, delete-orphan"
    )


class ExportAttempt(Base):
    """One try at delivering an export, kept so the dashboard can show what went wrong."""

    __tablename__ = "export_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    export_id: Mapped[int] = mapped_column(
        sa.ForeignKey("exports.id", ondelete="CASCADE"), index=True
    )
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    success: Mapped[bool] = mapped_column(sa.Boolean)
    error: Mapped[str | None] = mapped_column(sa.String)
    detail: Mapped[str | None] = mapped_column(sa.String)

    export: Mapped[Export] = relationship(back_populates="attempt_log")
