"""Indexing what the DICOM listener receives: case, slide and instance rows, with the duplicate
policy. Works inside the caller's transaction and never commits.

Duplicate policy, for an instance whose SOP Instance UID is already indexed:

- identical (same digest of the data set as sent, same transfer syntax): nothing changes, and
  the sender hears success; sending a slide again therefore creates no work;
- different content: the first instance stays, nothing changes, and the sender hears a
  failure (0x0111 duplicate SOP instance) with the reason; a UID names one object, so a
  changed object needs a new UID (a rescan normally gets new UIDs).

A series already indexed under another study is refused the same way (the slide keeps its case).
"""

import enum
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from db.models import Case, ImageType, Instance, Slide, SlideState, utcnow


@dataclass(frozen=True)
class CaseValues:
    """A study as received; the first instance of a study sets these for good."""

    study_instance_uid: str
    accession_number: str | None = None
    patient_id: str | None = None
    issuer_of_patient_id: str | None = None
    patient_name: str | None = None
    patient_birth_date: str | None = None
    study_date: str | None = None
    study_description: str | None = None


@dataclass(frozen=True)
class SlideValues:
    """A series as received, and the folder its instances are stored in."""

    series_instance_uid: str
    storage_dir: str
    container_identifier: str | None = None
    specimen_identifier: str | None = None
    specimen_description: str | None = None
    manufacturer: str | None = None
    manufacturer_model_name: str | None = None
    device_serial_number: str | None = None
    frame_of_reference_uid: str | None = None


@dataclass(frozen=True)
class InstanceValues:
    """One stored file and what the pyramid rule needs from its header."""

    sop_instance_uid: str
    sop_class_uid: str
    transfer_syntax_uid: str
    image_type: ImageType
    path: str
    size_bytes: int
    digest: str
    total_pixel_matrix_columns: int | None = None
    total_pixel_matrix_rows: int | None = None
    number_of_frames: int | None = None
    resampled: bool | None = None
    concatenation_uid: str | None = None
    concatenation_number: int | None = None
    concatenation_total: int | None = None


class Recorded(enum.Enum):
    """What `record_instance` did."""

    NEW = "new"  # inserted; the slide is receiving again
    IDENTICAL = "identical"  # already indexed with the same content: nothing changed
    CHANGED = "changed"  # already indexed with other content: the first stays
    MISFILED = "misfiled"  # its series belongs to another study: refused


@dataclass(frozen=True)
class RecordOutcome:
    """The outcome, the slide involved, and for duplicates where the stored copy lies."""

    recorded: Recorded
    slide_id: int
    stored_path: str | None = None
    reason: str | None = None


def record_instance(
    session: Session,
    case: CaseValues,
    slide: SlideValues,
    instance: InstanceValues,
    *,
    now: datetime | None = None,
) -> RecordOutcome:
    """Index an instance (creating its case and slide when new), by the duplicate policy.

    Its first statement writes, so that on SQLite the transaction holds the write lock from
    the start; on PostgreSQL the slide row is locked, so instances of one slide index in turn.
    On any outcome but NEW the caller should roll back (nothing of it is worth keeping).
    """
    now = now or utcnow()
    case_id = _insert_once(
        session, Case, {**asdict(case), "received_at": now}, Case.study_instance_uid
    )
    slide_row = _slide_values(slide, case_id, now)
    slide_id = _insert_once(session, Slide, slide_row, Slide.series_instance_uid)
    locked_case = session.execute(
        sa.select(Slide.case_id).where(Slide.id == slide_id).with_for_update()
    ).scalar_one()
    if locked_case != case_id:
        return RecordOutcome(
            Recorded.MISFILED,
            slide_id,
            reason=f"series {slide.series_instance_uid} is already stored under another study",
        )
    return _record_in_slide(session, slide_id, instance, now)


def _record_in_slide(
    session: Session, slide_id: int, instance: InstanceValues, now: datetime
) -> RecordOutcome:
    values = {**asdict(instance), "slide_id": slide_id, "received_at": now}
    statement = (
        _insert(session, Instance)
        .values(values)
        .on_conflict_do_nothing(index_elements=[Instance.sop_instance_uid])
        .returning(Instance.id)
    )
    if session.execute(statement).first() is not None:
        receiving = {"state": SlideState.RECEIVING, "last_received_at": now, "completed_at": None}
        session.execute(sa.update(Slide).where(Slide.id == slide_id).values(receiving))
        return RecordOutcome(Recorded.NEW, slide_id)
    stored = session.scalars(
        sa.select(Instance).where(Instance.sop_instance_uid == instance.sop_instance_uid)
    ).one()
    return _compare(stored, instance, slide_id)


def _compare(stored: Instance, received: InstanceValues, slide_id: int) -> RecordOutcome:
    same = (
        stored.digest == received.digest
        and stored.transfer_syntax_uid == received.transfer_syntax_uid
        and stored.slide_id == slide_id
    )
    if same:
        return RecordOutcome(Recorded.IDENTICAL, slide_id, stored_path=stored.path)
    return RecordOutcome(
        Recorded.CHANGED,
        slide_id,
        stored_path=stored.path,
        reason="stored before with other content; kept the first",
    )


def restore_path(session: Session, sop_instance_uid: str, path: str) -> None:
    """Point an indexed instance at a new copy of its (identical) file."""
    session.execute(
        sa.update(Instance).where(Instance.sop_instance_uid == sop_instance_uid).values(path=path)
    )


def indexed_paths(session: Session) -> set[str]:
    """The path of every indexed instance (files under the slides folder that are not in this
    set are orphans of a crash between placing a file and committing its row)."""
    return set(session.scalars(sa.select(Instance.path)))


def _slide_values(slide: SlideValues, case_id: int, now: datetime) -> dict[str, Any]:
    return {
        **asdict(slide),
        "case_id": case_id,
        "state": SlideState.RECEIVING,
        "received_at": now,
        "last_received_at": now,
    }


def _insert_once(
    session: Session, model: type[Case] | type[Slide], values: dict[str, Any], key: Any
) -> int:
    """The id of the row with this unique key, inserting `values` if there is none."""
    statement = _insert(session, model).values(values).on_conflict_do_nothing(index_elements=[key])
    session.execute(statement)
    found: int = session.execute(sa.select(model.id).where(key == values[key.key])).scalar_one()
    return found


def _insert(session: Session, model: Any) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)
