"""Worklist priority: suspicious first (highest first), flagged failures, in analysis, the rest."""

from sqlalchemy.orm import Session

from db import exports
from db.models import Case, ExportState, JobState, ReviewDecision, SlideState
from db.reviews import add_review
from db.session import Database
from db.worklist import Priority, SlideStatus, WorklistFilter, worklist
from tests.db.factories import add_analysed_slide, add_case, add_job, add_slide


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
