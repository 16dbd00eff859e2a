"""Export bookkeeping: attempts logged, bounded exponential back-off, give up, retry."""

from datetime import timedelta

import pytest

from db import exports
from db.errors import InvalidTransitionError
from db.models import ExportState, utcnow
from db.session import Database
from tests.db.factories import add_analysed_slide, add_case

BACKOFF = exports.Backoff(initial_s=5.0, max_s=60.0, max_attempts=4)


def _export_id(database: Database) -> int:
    with database.session() as session:
        slide = add_analysed_slide(session, add_case(session), 0.7, destinations=("pacs",))
        result = slide.jobs[0].result
        assert result is not None
        session.commit()
        return result.exports[0].id


def test_backoff_doubles_up_to_the_cap() -> None:
    delays = [BACKOFF.delay(failures).total_seconds() for failures in range(1, 7)]
    assert delays == [5.0, 10.0, 20.0, 40.0, 60.0, 60.0]
    assert exports.Backoff(1.0, 3600.0, 10).delay(10_000) == timedelta(hours=1)


def test_failures_are_logged_and_retried_later_until_the_bound(database: Database) -> None:
    export_id = _export_id(database)
    now = utcnow()
    with database.session() as session:
        assert [e.id for e in exports.due_exports(session, now=now)] == [export_id]
        for tried in range(1, 5):
            export = exports.record_attempt(
                session,
                export_id,
                started_at=now,
                error="association rejected",
                backoff=BACKOFF,
                now=now,
            )
            if tried < 4:
                assert export.next_attempt_at == now + BACKOFF.delay(tried)
                assert exports.due_exports(session, now=now) == []
        session.commit()
        export = exports.get_export(session, export_id)
        assert (export.state, export.attempts, export.next_attempt_at) == (
            ExportState.FAILED,
            4,
            None,
        )
        assert [attempt.success for attempt in export.attempt_log] == [False] * 4
        assert exports.failed_attempts(session) == 4
        assert exports.count_by_state(session)[ExportState.FAILED] == 1


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
