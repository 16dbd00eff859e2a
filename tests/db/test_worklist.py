"""Worklist priority: suspicious first (highest first), flagged failures, in analysis, the rest."""

import itertools
from datetime import timedelta

from sqlalchemy.orm import Session

from db import exports
from db.models import Case, ExportState, ImageType, JobState, ReviewDecision, SlideState
from db.reviews import add_review
from db.session import Database
from db.worklist import (
    CaseStatus,
    Priority,
    SlideStatus,
    WorklistFilter,
    case_status,
    priority_of,
    worklist,
)
from tests.db.factories import T0, add_analysed_slide, add_case, add_job, add_slide


def _scored(session: Session, name: str, minutes: float, *scores: float) -> Case:
    case = add_case(session, accession=name, received_minutes=minutes)
    for score in scores:
        add_analysed_slide(session, case, score, destinations=("pacs",))
    return case


def _with_job(session: Session, name: str, minutes: float, state: JobState) -> Case:
    case = add_case(session, accession=name, received_minutes=minutes)
    add_job(session, add_slide(session, case), state, progress=0.4, reason="no tissue found")
    return case


def _cases(session: Session) -> None:
    _scored(session, "benign-old", 0, 0.1)
    _with_job(session, "running", 1, JobState.RUNNING)
    add_slide(
        session,
        add_case(session, accession="receiving", received_minutes=2),
        state=SlideState.RECEIVING,
    )
    _with_job(session, "not-evaluable", 3, JobState.NOT_EVALUABLE)
    _scored(session, "suspicious-low", 5, 0.6, 0.2)
    _scored(session, "suspicious-high", 10, 0.95)
    _with_job(session, "failed", 20, JobState.FAILED)
    _scored(session, "at-threshold", 25, 0.5)
    _scored(session, "benign-new", 30, 0.3)
    mixed = _scored(session, "mixed", 40, 0.8)
    add_job(session, add_slide(session, mixed), JobState.FAILED, reason="unreadable frame")
    session.commit()


def _order(database: Database, threshold: float = 0.5, **filters: object) -> list[str | None]:
    with database.session() as session:
        page = worklist(session, threshold, WorklistFilter(**filters))  # type: ignore[arg-type]
    return [entry.accession_number for entry in page.entries]


def test_priority_order(database: Database) -> None:
    with database.session() as session:
        _cases(session)
    assert _order(database) == [
        "suspicious-high",
        "mixed",
        "suspicious-low",
        "at-threshold",
        "not-evaluable",
        "failed",
        "running",
        "receiving",
        "benign-old",
        "benign-new",
    ]


def test_the_threshold_decides_what_is_suspicious(database: Database) -> None:
    with database.session() as session:
        _cases(session)
    assert _order(database, threshold=0.9) == [
        "suspicious-high",
        "not-evaluable",
        "failed",
        "mixed",
        "running",
        "receiving",
        "benign-old",
        "suspicious-low",
        "at-threshold",
        "benign-new",
    ]


def test_entries_carry_status_progress_score_and_flags(database: Database) -> None:
    with database.session() as session:
        _cases(session)
        page = worklist(session, 0.5)
    entries = {entry.accession_number: entry for entry in page.entries}
    mixed = entries["mixed"]
    assert (mixed.priority, mixed.suspicious, mixed.needs_attention) == (
        Priority.SUSPICIOUS,
        True,
        True,
    )
    assert [slide.status for slide in mixed.slides] == [SlideStatus.DONE, SlideStatus.FAILED]
    assert mixed.slides[0].export_state is ExportState.PENDING
    assert mixed.slides[1].reason == "unreadable frame"
    running = entries["running"].slides[0]
    assert (running.status, running.progress, running.score) == (SlideStatus.RUNNING, 0.4, None)
    assert entries["receiving"].slides[0].status is SlideStatus.RECEIVING
    low = entries["suspicious-low"]
    assert (low.max_score, [s.suspicious for s in low.slides]) == (0.6, [True, False])
    assert entries["benign-old"].priority is Priority.ROUTINE


def test_filters_and_paging(database: Database) -> None:
    with database.session() as session:
        _cases(session)
        case_id = session.query(Case.id).filter(Case.accession_number == "suspicious-high").scalar()
        add_review(session, case_id, "dr", ReviewDecision.MALIGNANT, threshold=0.5)
        session.commit()
        flagged = worklist(session, 0.5, WorklistFilter(priorities=frozenset({Priority.ATTENTION})))
        page = worklist(session, 0.5, limit=3, offset=3)
    assert [e.accession_number for e in flagged.entries] == ["not-evaluable", "failed"]
    assert (page.total, [e.accession_number for e in page.entries]) == (
        10,
        ["at-threshold", "not-evaluable", "failed"],
    )
    assert _order(database, reviewed=True) == ["suspicious-high"]
    assert "suspicious-high" not in _order(database, reviewed=False)
    assert _order(database, search="BENIGN") == ["benign-old", "benign-new"]
    assert _order(database, search="100%") == []


def test_export_state_summarises_destinations(database: Database) -> None:
    with database.session() as session:
        case = add_case(session, accession="two-destinations")
        slide = add_analysed_slide(session, case, 0.7, destinations=("pacs", "archive"))
        result = slide.jobs[0].result
        assert result is not None
        backoff = exports.Backoff(1.0, 10.0, max_attempts=1)
        first, second = result.exports
        exports.record_attempt(
            session, first.id, started_at=case.received_at, error=None, backoff=backoff
        )
        session.commit()
        assert worklist(session, 0.5).entries[0].slides[0].export_state is ExportState.PENDING
        exports.record_attempt(
            session,
            second.id,
            started_at=case.received_at,
            error="refused",
            backoff=backoff,
            final=True,
        )
        session.commit()
        assert worklist(session, 0.5).entries[0].slides[0].export_state is ExportState.FAILED


def test_a_case_status_follows_its_slides() -> None:
    done, failed, running = SlideStatus.DONE, SlideStatus.FAILED, SlideStatus.RUNNING
    assert case_status([failed, done]) is CaseStatus.ATTENTION  # never "analysed"
    assert case_status([running, SlideStatus.INCOMPLETE]) is CaseStatus.ATTENTION
    assert case_status([done, running]) is CaseStatus.ANALYSING
    assert case_status([done, SlideStatus.RECEIVING]) is CaseStatus.ANALYSING
    assert case_status([]) is CaseStatus.ANALYSING  # nothing received yet: nothing to say
    assert case_status([done, done]) is CaseStatus.ANALYSED


def _slide_of_kind(session: Session, case: Case, kind: str) -> None:
    """A slide in one of the states a slide can be in."""
    if kind in ("suspicious", "benign"):
        add_analysed_slide(session, case, 0.9 if kind == "suspicious" else 0.2)
    elif kind == "receiving":
        add_slide(session, case, state=SlideState.RECEIVING)
    elif kind in ("waiting", "incomplete"):
        slide = add_slide(session, case)
        if kind == "waiting":
            slide.content_digest = "0" * 64
        else:
            slide.instances[0].image_type = ImageType.LABEL
    else:
        add_job(session, add_slide(session, case), JobState(kind), reason="no tissue found")


KINDS = ["suspicious", "benign", "receiving", "waiting", "incomplete", *JobState]


def test_the_worklist_group_and_the_case_status_follow_one_rule(database: Database) -> None:
    kinds = [str(kind) for kind in KINDS if kind != JobState.DONE]
    pairs = list(itertools.combinations_with_replacement(kinds, 2))
    with database.session() as session:
        for first, second in pairs:
            case = add_case(session, accession=f"{first}+{second}")
            _slide_of_kind(session, case, first)
            _slide_of_kind(session, case, second)
        add_case(session, accession="no slides")
        session.commit()
        entries = worklist(session, 0.5, limit=500).entries
    assert len(entries) == len(pairs) + 1
    for entry in entries:
        expected = priority_of(any(slide.suspicious for slide in entry.slides), entry.status)
        assert entry.priority is expected, entry.accession_number
    statuses = {entry.accession_number: entry.status for entry in entries}
    assert statuses["benign+failed"] is CaseStatus.ATTENTION
    assert statuses["suspicious+running"] is CaseStatus.ANALYSING
    assert statuses["benign+benign"] is CaseStatus.ANALYSED


def test_ties_among_suspicious_cases_go_to_the_one_waiting_longest(database: Database) -> None:
    with database.session() as session:
        _scored(session, "later", 30, 0.9)
        _scored(session, "higher", 40, 0.95)
        _scored(session, "earlier", 10, 0.9)
        session.commit()
        entries = worklist(session, 0.5).entries
    assert [entry.accession_number for entry in entries] == ["higher", "earlier", "later"]
    now = T0 + timedelta(hours=2, minutes=40)
    assert [entry.waiting(now) for entry in entries] == [
        timedelta(hours=2),
        timedelta(hours=2, minutes=30),
        timedelta(hours=2, minutes=10),
    ]


def test_a_slide_the_quality_gate_refused_puts_its_case_with_those_that_need_a_person() -> None:
    statuses = [SlideStatus.DONE, SlideStatus.NOT_EVALUABLE]
    assert case_status(statuses) is CaseStatus.ATTENTION
    assert priority_of(False, case_status(statuses)) is Priority.ATTENTION
