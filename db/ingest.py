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
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from config.kinds import ImageHeader
from db.models import Case, Instance, Slide, SlideState, utcnow


class StudyHeader(Protocol):
    """What the case row records of a received study; the first instance sets it for good."""

    @property
    def study_instance_uid(self) -> str: ...
    @property
    def accession_number(self) -> str | None: ...
    @property
    def patient_id(self) -> str | None: ...
    @property
    def issuer_of_patient_id(self) -> str | None: ...
    @property
    def patient_name(self) -> str | None: ...
    @property
    def patient_birth_date(self) -> str | None: ...
    @property
    def study_date(self) -> str | None: ...
    @property
    def study_description(self) -> str | None: ...


class SeriesHeader(Protocol):
    """What the slide row records of a received series."""

    @property
    def series_instance_uid(self) -> str: ...
    @property
    def container_identifier(self) -> str | None: ...
    @property
    def specimen_identifier(self) -> str | None: ...
    @property
    def specimen_description(self) -> str | None: ...
    @property
    def manufacturer(self) -> str | None: ...
    @property
    def manufacturer_model_name(self) -> str | None: ...
    @property
    def device_serial_number(self) -> str | None: ...
    @property
    def frame_of_reference_uid(self) -> str | None: ...


class RequestHeader(Protocol):
    """What the instance row records of the C-STORE request."""

    @property
    def sop_instance_uid(self) -> str: ...
    @property
    def sop_class_uid(self) -> str: ...
    @property
    def transfer_syntax_uid(self) -> str: ...


class InstanceHeader(Protocol):
    """A received instance as the index reads it (dicom.scp.ReceivedInstance satisfies it)."""

    @property
    def request(self) -> RequestHeader: ...
    @property
    def study(self) -> StudyHeader: ...
    @property
    def slide(self) -> SeriesHeader: ...
    @property
    def image(self) -> ImageHeader: ...
    @property
    def size_bytes(self) -> int: ...
    @property
    def digest(self) -> str: ...


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
    received: InstanceHeader,
    *,
    storage_dir: str,
    path: str,
    now: datetime | None = None,
) -> RecordOutcome:
    """Index a received instance stored at `path` in its slide's `storage_dir` (creating its
    case and slide when new), by the duplicate policy.

    Its first statement writes, so that on SQLite the transaction holds the write lock from
    the start; on PostgreSQL the slide row is locked, so instances of one slide index in turn.
    On any outcome but NEW the caller should roll back (nothing of it is worth keeping).
    """
    now = now or utcnow()
    case = {**_read(received.study, StudyHeader), "received_at": now}
    case_id = _insert_once(session, Case, case, Case.study_instance_uid)
    slide_row = _slide_values(received.slide, storage_dir, case_id, now)
    slide_id = _insert_once(session, Slide, slide_row, Slide.series_instance_uid)
    locked_case = session.execute(
        sa.select(Slide.case_id).where(Slide.id == slide_id).with_for_update()
    ).scalar_one()
    if locked_case != case_id:
        return RecordOutcome(
            Recorded.MISFILED,
            slide_id,
            reason=f"series {received.slide.series_instance_uid} is already stored under "
            "another study",
        )
    return _record_in_slide(session, slide_id, received, path, now)


def _record_in_slide(
    session: Session, slide_id: int, received: InstanceHeader, path: str, now: datetime
) -> RecordOutcome:
    values = {
        **_read(received.request, RequestHeader),
        **_read(received.image, ImageHeader),
        "size_bytes": received.size_bytes,
        "digest": received.digest,
        "path": path,
        "slide_id": slide_id,
        "received_at": now,
    }
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
        sa.select(Instance).where(Instance.sop_instance_uid == values["sop_instance_uid"])
    ).one()
    return _compare(stored, received, slide_id)


def _compare(stored: Instance, received: InstanceHeader, slide_id: int) -> RecordOutcome:
    same = (
        stored.digest == received.digest
        and stored.transfer_syntax_uid == received.request.transfer_syntax_uid
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


def _read(header: object, protocol: type) -> dict[str, Any]:
    """The values of every member `protocol` declares, read from `header` (the protocol's
    members are named as the columns they fill)."""
    members = [name for name, member in vars(protocol).items() if isinstance(member, property)]
    return {name: getattr(header, name) for name in members}


def _slide_values(
    slide: SeriesHeader, storage_dir: str, case_id: int, now: datetime
) -> dict[str, Any]:
    return {
        **_read(slide, SeriesHeader),
        "storage_dir": storage_dir,
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
