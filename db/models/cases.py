"""What arrives over DICOM: cases (studies), their slides (series) and instances (files)."""

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from config.kinds import ImageType
from db.models.base import Base, UtcDateTime, enum_type, utcnow
from db.models.enums import SlideState

if TYPE_CHECKING:
    from db.models.jobs import Job
    from db.models.reviews import Review


class Case(Base):
    """A study: the unit a pathologist reports on. Identifiers are kept exactly as received."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    study_instance_uid: Mapped[str] = mapped_column(sa.String, unique=True)
    accession_number: Mapped[str | None] = mapped_column(sa.String, index=True)
    patient_id: Mapped[str | None] = mapped_column(sa.String, index=True)
    issuer_of_patient_id: Mapped[str | None] = mapped_column(sa.String)
    patient_name: Mapped[str | None] = mapped_column(sa.String)
    patient_birth_date: Mapped[str | None] = mapped_column(sa.String)
    study_date: Mapped[str | None] = mapped_column(sa.String)
    study_description: Mapped[str | None] = mapped_column(sa.String)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)

    slides: Mapped[list["Slide"]] = relationship(
        back_populates="case", order_by="Slide.id", cascade="all, delete-orphan"
    )
    reviews: Mapped[list["Review"]] = relationship(
        back_populates="case", order_by="Review.id", cascade="all, delete-orphan"
    )


class Slide(Base):
    """A whole-slide image: one series, one glass slide, analysed as a unit."""

    __tablename__ = "slides"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    series_instance_uid: Mapped[str] = mapped_column(sa.String, unique=True)
    container_identifier: Mapped[str | None] = mapped_column(sa.String)
    specimen_identifier: Mapped[str | None] = mapped_column(sa.String)
    specimen_description: Mapped[str | None] = mapped_column(sa.String)
    manufacturer: Mapped[str | None] = mapped_column(sa.String)
    manufacturer_model_name: Mapped[str | None] = mapped_column(sa.String)
    device_serial_number: Mapped[str | None] = mapped_column(sa.String)
    frame_of_reference_uid: Mapped[str | None] = mapped_column(sa.String)
    state: Mapped[SlideState] = mapped_column(enum_type(SlideState), default=SlideState.RECEIVING)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The content key of the slide's analysed images (db.ingest.content_key), set on completion.
    content_digest: Mapped[str | None] = mapped_column(sa.String)
    storage_dir: Mapped[str] = mapped_column(sa.String)

    case: Mapped[Case] = relationship(back_populates="slides")
    instances: Mapped[list["Instance"]] = relationship(
        back_populates="slide", order_by="Instance.id", cascade="all, delete-orphan"
    )
    jobs: Mapped[list["Job"]] = relationship(
        back_populates="slide", order_by="Job.id", cascade="all, delete-orphan"
    )


class Instance(Base):
    """One DICOM file of a slide (a pyramid level, the label, the overview or a thumbnail)."""

    __tablename__ = "instances"

    id: Mapped[int] = mapped_column(primary_key=True)
    slide_id: Mapped[int] = mapped_column(
        sa.ForeignKey("slides.id", ondelete="CASCADE"), index=True
    )
    sop_instance_uid: Mapped[str] = mapped_column(sa.String, unique=True)
    sop_class_uid: Mapped[str] = mapped_column(sa.String)
    transfer_syntax_uid: Mapped[str] = mapped_column(sa.String)
    image_type: Mapped[ImageType] = mapped_column(enum_type(ImageType))
    path: Mapped[str] = mapped_column(sa.String)
    size_bytes: Mapped[int] = mapped_column(sa.BigInteger)
    digest: Mapped[str] = mapped_column(sa.String)
    total_pixel_matrix_columns: Mapped[int | None] = mapped_column(sa.Integer)
    total_pixel_matrix_rows: Mapped[int | None] = mapped_column(sa.Integer)
    number_of_frames: Mapped[int | None] = mapped_column(sa.Integer)
    # Image Type value 4: False for an original (base) level, True for RESAMPLED, None unknown.
    resampled: Mapped[bool | None] = mapped_column(sa.Boolean)
    concatenation_uid: Mapped[str | None] = mapped_column(sa.String)
    concatenation_number: Mapped[int | None] = mapped_column(sa.Integer)
    concatenation_total: Mapped[int | None] = mapped_column(sa.Integer)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    slide: Mapped[Slide] = relationship(back_populates="instances")
