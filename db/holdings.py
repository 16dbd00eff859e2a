"""What PathSentry holds, searched as DICOMweb asks: cases (studies) with slides and results.

Matching follows PS3.4 C.2.2.2: UID lists, single values with `*`/`?` wildcards, date ranges.
"""

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from db.models import Case, Job, Slide


@dataclass(frozen=True)
class HoldingsFilter:
    """The matching keys of a search; empty or None keys match everything.

    Cases are matched here on their keys; series and instance UIDs (which result objects carry
    in their files, not in rows) are matched by the caller on what it reads.
    """

    study_uids: tuple[str, ...] = ()
    series_uids: tuple[str, ...] = ()
    sop_instance_uids: tuple[str, ...] = ()
    patient_id: str | None = None
    accession_number: str | None = None
    study_date: str | None = None  # YYYYMMDD, YYYYMMDD-, -YYYYMMDD or YYYYMMDD-YYYYMMDD


def find_cases(
    session: Session, keys: HoldingsFilter, *, limit: int | None = None, offset: int = 0
) -> list[Case]:
    """Matching cases with their slides, instances and results, in the order they were received;
    `limit` and `offset` page them in the database."""
    slides = selectinload(Case.slides)
    results = slides.selectinload(Slide.jobs).selectinload(Job.result)
    query = (
        sa.select(Case)
        .options(slides.selectinload(Slide.instances), results)
        .where(*_case_conditions(keys))
        .order_by(Case.received_at, Case.id)
        .limit(limit)
        .offset(offset)
    )
    return list(session.scalars(query))


def case_of_study(session: Session, study_uid: str) -> Case | None:
    """The case of a Study Instance UID, with its slides, their instances, jobs and results."""
    found = find_cases(session, HoldingsFilter(study_uids=(study_uid,)))
    return found[0] if found else None


def _case_conditions(keys: HoldingsFilter) -> list[sa.ColumnElement[bool]]:
    conditions: list[sa.ColumnElement[bool]] = []
    if keys.study_uids:
        conditions.append(Case.study_instance_uid.in_(keys.study_uids))
    if keys.patient_id is not None:
        conditions.append(_matches(Case.patient_id, keys.patient_id))
    if keys.accession_number is not None:
        conditions.append(_matches(Case.accession_number, keys.accession_number))
    if keys.study_date is not None:
        conditions.append(_date_in(Case.study_date, keys.study_date))
    return conditions


def _matches(
    column: sa.orm.InstrumentedAttribute[str | None], value: str
) -> sa.ColumnElement[bool]:
    """Single value matching, with `*` and `?` wildcards (PS3.4 C.2.2.2.4)."""
    if "*" not in value and "?" not in value:
        return column == value
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.like(escaped.replace("*", "%").replace("?", "_"), escape="\\")


def _date_in(
    column: sa.orm.InstrumentedAttribute[str | None], value: str
) -> sa.ColumnElement[bool]:
    """Date or date range matching; YYYYMMDD text compares in date order."""
    if "-" not in value:
        return column == value
    start, _, end = value.partition("-")
    conditions: list[sa.ColumnElement[bool]] = [column.is_not(None)]
    if start:
        conditions.append(column >= start)
    if end:
        conditions.append(column <= end)
    return sa.and_(*conditions)
