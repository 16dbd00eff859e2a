"""Export bookkeeping: attempts logged, bounded exponential back-off, overdue exports still
retried, claims that no two exporters share, retry."""

import threading
from datetime import timedelta

import pytest

from db import exports
from db.errors import InvalidTransitionError, LeaseLostError
from db.models import ExportState, utcnow
from db.session import Database
from tests.db.factories import add_analysed_slide, add_case

BACKOFF = exports.Backoff(initial_s=5.0, max_s=60.0, max_attempts=4)


def _export_id(database: Database) -> int:
    return _export_ids(database, 1)[0]


def _export_ids(database: Database, count: int, destination: str = "pacs") -> list[int]:
    with database.session() as session:
        case = add_case(session)
        slides = [
            add_analysed_slide(session, case, 0.7, destinations=(destination,))
            for _ in range(count)
        ]
        session.commit()
        return [slide.jobs[0].result.exports[0].id for slide in slides]  # type: ignore[union-attr]


def _fail(database: Database, export_id: int, now: object, final: bool = False) -> None:
    with database.session() as session:
        exports.record_attempt(
            session,
            export_id,
            started_at=now,  # type: ignore[arg-type]
            error="association rejected",
            backoff=BACKOFF,
            final=final,
            now=now,  # type: ignore[arg-type]
        )
        session.commit()


def test_backoff_doubles_up_to_the_cap() -> None:
    delays = [BACKOFF.delay(failures).total_seconds() for failures in range(1, 7)]
    assert delays == [5.0, 10.0, 20.0, 60.0, 60.0, 60.0]  # the cap once attempts are used up
    assert exports.Backoff(1.0, 3600.0, 10).delay(10_000) == timedelta(hours=1)


def test_used_up_attempts_make_an_export_overdue_and_it_is_still_retried(
    database: Database,
) -> None:
    export_id = _export_id(database)
    now = utcnow()
    with database.session() as session:
        assert [e.id for e in exports.due_exports(session, now=now)] == [export_id]
    for tried in range(1, 6):
        _fail(database, export_id, now)
        with database.session() as session:
            export = exports.get_export(session, export_id)
            assert export.state is ExportState.PENDING
            assert export.next_attempt_at == now + BACKOFF.delay(tried)
            assert export.overdue_since == (now if tried >= 4 else None)
            assert exports.due_exports(session, now=now) == []
            overdue = exports.overdue_by_destination(session, ["pacs", "lis"])
            assert overdue == {"pacs": 1 if tried >= 4 else 0, "lis": 0}
    later = now + timedelta(seconds=BACKOFF.max_s)
    with database.session() as session:
        assert [e.id for e in exports.due_exports(session, now=later)] == [export_id]
        export = exports.record_attempt(
            session, export_id, started_at=later, error=None, backoff=BACKOFF, now=later
        )
        session.commit()
        assert (export.state, export.attempts, export.overdue_since) == (
            ExportState.DELIVERED,
            6,
            None,
        )
        assert [attempt.success for attempt in export.attempt_log] == [False] * 5 + [True]
        assert exports.failed_attempts(session) == 5
        assert exports.overdue_by_destination(session) == {}


def test_a_refusal_fails_at_once(database: Database) -> None:
    export_id = _export_id(database)
    _fail(database, export_id, utcnow(), final=True)
    with database.session() as session:
        export = exports.get_export(session, export_id)
        assert (export.state, export.next_attempt_at) == (ExportState.FAILED, None)
        assert exports.count_by_state(session)[ExportState.FAILED] == 1


def test_a_delivery_makes_the_destinations_waiting_exports_due(database: Database) -> None:
    waiting, answered = _export_ids(database, 2)
    (elsewhere,) = _export_ids(database, 1, destination="lis")
    now = utcnow()
    for export_id in (waiting, elsewhere):
        _fail(database, export_id, now)
    with database.session() as session:
        assert [e.id for e in exports.due_exports(session, now=now)] == [answered]
        exports.record_attempt(
            session, answered, started_at=now, error=None, backoff=BACKOFF, now=now
        )
        session.commit()
        assert [e.id for e in exports.due_exports(session, now=now)] == [waiting]


def test_a_claimed_export_is_held_from_other_exporters_until_recorded(
    database: Database,
) -> None:
    first, second = _export_ids(database, 2)
    now, hold = utcnow(), timedelta(minutes=10)
    with database.session() as session:
        a = exports.claim_export(session, "a", destination="pacs", hold=hold, now=now)
        b = exports.claim_export(session, "b", destination="pacs", hold=hold, now=now)
        c = exports.claim_export(session, "c", destination="pacs", hold=hold, now=now)
        other = exports.claim_export(session, "d", destination="lis", hold=hold, now=now)
        session.commit()
        assert (a and a.id, b and b.id, c, other) == (first, second, None, None)
        assert exports.due_exports(session, now=now) == []
        with pytest.raises(LeaseLostError, match="no longer held by b"):
            exports.record_attempt(
                session, first, started_at=now, error=None, backoff=BACKOFF, claimed_by="b"
            )
        export = exports.record_attempt(
            session, first, started_at=now, error="timeout", backoff=BACKOFF, claimed_by="a"
        )
        assert (export.claimed_by, export.claimed_until) == (None, None)
        session.commit()
        lapsed = exports.claim_export(session, "e", destination="pacs", hold=hold, now=now + hold)
        session.commit()
        assert lapsed is not None and lapsed.id == second  # b's hold lapsed (b died)
        assert exports.release_claims(session) == 1
        session.commit()
        assert [e.id for e in exports.due_exports(session, now=now)] == [second]


def test_concurrent_exporters_never_claim_the_same_export(database: Database) -> None:
    ids = _export_ids(database, 24)
    claimed: list[int] = []
    lock = threading.Lock()

    def work(name: str) -> None:
        while True:
            with database.session() as session:
                export = exports.claim_export(
                    session, name, destination="pacs", hold=timedelta(minutes=5)
                )
                session.commit()
            if export is None:
                return
            with lock:
                claimed.append(export.id)

    threads = [threading.Thread(target=work, args=(f"exporter-{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(claimed) == sorted(ids)


def test_retry_makes_a_failed_export_due_now_with_fresh_attempts(database: Database) -> None:
    export_id = _export_id(database)
    with database.session() as session:
        backoff = exports.Backoff(1.0, 1.0, max_attempts=1)
        exports.record_attempt(
            session, export_id, started_at=utcnow(), error="refused", backoff=backoff
        )
        export = exports.retry_export(session, export_id)
        session.commit()
        assert (export.state, export.attempts) == (ExportState.PENDING, 0)
        assert [e.id for e in exports.due_exports(session)] == [export_id]
        exports.record_attempt(
            session, export_id, started_at=utcnow(), error=None, backoff=backoff, detail="0x0000"
        )
        session.commit()
        export = exports.get_export(session, export_id)
        assert export.state is ExportState.DELIVERED and export.delivered_at is not None
        with pytest.raises(InvalidTransitionError, match="delivered"):
            exports.retry_export(session, export_id)


def test_summary_prefers_failed_then_pending() -> None:
    assert exports.summarise([ExportState.DELIVERED, ExportState.FAILED]) is ExportState.FAILED
    assert exports.summarise([ExportState.DELIVERED, ExportState.PENDING]) is ExportState.PENDING
    assert exports.summarise([ExportState.DELIVERED]) is ExportState.DELIVERED
    assert exports.summarise([]) is None
