"""The job queue: idempotent enqueue, atomic claims, bounded attempts, cancellation, recovery."""

import threading
from datetime import timedelta

import pytest

from db import jobs
from db.errors import InvalidTransitionError, LeaseLostError
from db.models import Export, Job, JobState, Result, utcnow
from db.session import Database
from tests.db.factories import add_case, add_slide, result_values


def _queued_slides(database: Database, count: int) -> list[int]:
    with database.session() as session:
        case = add_case(session)
        ids = [
            jobs.enqueue(session, add_slide(session, case).id, "k", max_attempts=2).id
            for _ in range(count)
        ]
        session.commit()
    return ids


def _job(database: Database, job_id: int) -> Job:
    with database.session() as session:
        return jobs.get_job(session, job_id)


def _claim(database: Database, worker: str = "w1") -> jobs.Lease:
    with database.session() as session:
        lease = jobs.claim(session, worker)
        session.commit()
    assert lease is not None
    return lease


def test_enqueue_is_idempotent_per_slide_and_content_key(database: Database) -> None:
    with database.session() as session:
        slide = add_slide(session, add_case(session))
        first = jobs.enqueue(session, slide.id, "digest-1/model-1", max_attempts=3)
        again = jobs.enqueue(session, slide.id, "digest-1/model-1", max_attempts=3)
        other = jobs.enqueue(session, slide.id, "digest-1/model-2", max_attempts=3)
        session.commit()
    assert again.id == first.id
    assert other.id != first.id
    assert first.state is JobState.QUEUED


def test_claim_takes_the_oldest_queued_job_and_counts_the_attempt(database: Database) -> None:
    first, second = _queued_slides(database, 2)
    lease = _claim(database)
    assert (lease.job_id, lease.attempt) == (first, 1)
    assert _claim(database, "w2").job_id == second
    with database.session() as session:
        assert jobs.claim(session, "w3") is None
        job = jobs.get_job(session, first)
        assert (job.state, job.worker, job.attempts) == (JobState.RUNNING, "w1", 1)


def test_claim_by_id_takes_only_that_job_and_only_when_it_is_queued_and_due(
    database: Database,
) -> None:
    first, second = _queued_slides(database, 2)
    with database.session() as session:
        lease = jobs.claim(session, "w1", job_id=second)
        session.commit()
    assert lease is not None and (lease.job_id, lease.attempt) == (second, 1)
    with database.session() as session:
        assert jobs.claim(session, "w2", job_id=second) is None  # taken: a duplicate delivery
        assert jobs.get_job(session, first).state is JobState.QUEUED
        assert jobs.fail(session, lease, "boom", retry_after=timedelta(hours=1)) is JobState.QUEUED
        session.commit()
    with database.session() as session:
        assert jobs.claim(session, "w2", job_id=second) is None  # queued, but not due yet
        assert jobs.claim(session, "w2", job_id=10_000) is None


def test_concurrent_workers_never_claim_the_same_job(database: Database) -> None:
    ids = _queued_slides(database, 24)
    claimed: list[int] = []
    lock = threading.Lock()

    def work(name: str) -> None:
        while True:
            with database.session() as session:
                lease = jobs.claim(session, name)
                session.commit()
            if lease is None:
                return
            with lock:
                claimed.append(lease.job_id)

    threads = [threading.Thread(target=work, args=(f"w{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(claimed) == sorted(ids)


def test_progress_is_recorded_and_reports_a_cancel_request(database: Database) -> None:
    (job_id,) = _queued_slides(database, 1)
    lease = _claim(database)
    with database.session() as session:
        assert jobs.report_progress(session, lease, 0.25, "inferring") is False
        assert jobs.cancel(session, job_id) is JobState.RUNNING
        assert jobs.report_progress(session, lease, 1.7, "inferring") is True
        jobs.acknowledge_cancel(session, lease)
        session.commit()
        job = jobs.get_job(session, job_id)
    assert (job.state, job.progress) == (JobState.CANCELLED, 1.0)


def test_complete_records_one_result_with_an_export_per_destination(database: Database) -> None:
    (job_id,) = _queued_slides(database, 1)
    lease = _claim(database)
    with database.session() as session:
        result = jobs.complete(session, lease, result_values(0.9), ["pacs", "archive", "pacs"])
        session.commit()
        assert [export.destination for export in result.exports] == ["pacs", "archive"]
        with pytest.raises(LeaseLostError):
            jobs.complete(session, lease, result_values(0.9), [])
        session.rollback()
        assert session.query(Result).count() == 1
        assert session.query(Export).count() == 2
        assert jobs.get_job(session, job_id).state is JobState.DONE


def test_failed_attempts_are_retried_later_until_the_bound(database: Database) -> None:
    (job_id,) = _queued_slides(database, 1)  # max_attempts=2
    now = utcnow()
    with database.session() as session:
        lease = jobs.claim(session, "w1", now=now)
        assert lease is not None
        state = jobs.fail(
            session, lease, "out of memory", retry_after=timedelta(seconds=30), now=now
        )
        session.commit()
        assert state is JobState.QUEUED
        assert jobs.claim(session, "w1", now=now + timedelta(seconds=10)) is None
        lease = jobs.claim(session, "w1", now=now + timedelta(seconds=31))
        assert lease is not None and lease.attempt == 2
        state = jobs.fail(session, lease, "out of memory", retry_after=timedelta(seconds=30))
        session.commit()
        job = jobs.get_job(session, job_id)
    assert state is JobState.FAILED
    assert (job.state, job.reason, job.attempts) == (JobState.FAILED, "out of memory", 2)


def test_a_permanent_failure_is_not_retried(database: Database) -> None:
    (job_id,) = _queued_slides(database, 1)
    lease = _claim(database)
    with database.session() as session:
        assert jobs.fail(session, lease, "not a slide", retry_after=None) is JobState.FAILED
        session.commit()
        assert jobs.get_job(session, job_id).attempts == 1


def test_not_evaluable_keeps_the_reason(database: Database) -> None:
    (job_id,) = _queued_slides(database, 1)
    lease = _claim(database)
    with database.session() as session:
        jobs.mark_not_evaluable(session, lease, "no tissue found")
        session.commit()
        job = jobs.get_job(session, job_id)
    assert (job.state, job.reason) == (JobState.NOT_EVALUABLE, "no tissue found")


def test_cancel_a_queued_job_and_refuse_to_cancel_a_finished_one(database: Database) -> None:
    (job_id,) = _queued_slides(database, 1)
    with database.session() as session:
        assert jobs.cancel(session, job_id) is JobState.CANCELLED
        session.commit()
        assert jobs.claim(session, "w1") is None
        with pytest.raises(InvalidTransitionError, match="cancelled"):
            jobs.cancel(session, job_id)


def test_retry_queues_a_finished_job_with_fresh_attempts(database: Database) -> None:
    (job_id,) = _queued_slides(database, 1)
    lease = _claim(database)
    with database.session() as session:
        jobs.fail(session, lease, "broken", retry_after=None)
        job = jobs.retry(session, job_id)
        session.commit()
    assert (job.state, job.attempts, job.reason) == (JobState.QUEUED, 0, None)
    with database.session() as session, pytest.raises(InvalidTransitionError):
        jobs.retry(session, job_id)


def test_release_gives_the_job_back_without_spending_an_attempt(database: Database) -> None:
    (job_id,) = _queued_slides(database, 1)
    lease = _claim(database)
    with database.session() as session:
        jobs.release(session, lease)
        session.commit()
        job = jobs.get_job(session, job_id)
        assert (job.state, job.attempts) == (JobState.QUEUED, 0)
        with pytest.raises(LeaseLostError):
            jobs.report_progress(session, lease, 0.5, "late report")


def test_requeue_stale_recovers_jobs_of_a_dead_worker(database: Database) -> None:
    crashed, last_attempt, cancelled, alive = _queued_slides(database, 4)
    leases = {job_id: _claim(database) for job_id in (crashed, last_attempt, cancelled)}
    with database.session() as session:
        jobs.fail(session, leases[last_attempt], "x", retry_after=timedelta(0))
        session.commit()
        second = jobs.claim(session, "w1")  # its second and last attempt
        assert second is not None
        leases[last_attempt] = second
        jobs.cancel(session, cancelled)
        live = jobs.claim(session, "w2")
        session.commit()
        assert live is not None and live.job_id == alive
        before = utcnow()
        jobs.report_progress(session, live, 0.5, "inferring", now=before + timedelta(seconds=1))
        recovered = jobs.requeue_stale(session, heartbeat_before=before, max_crashes=5)
        session.commit()
        found = {
            job_id: jobs.get_job(session, job_id)
            for job_id in (crashed, last_attempt, cancelled, alive)
        }
    assert recovered == jobs.Recovered(
        requeued=(crashed, last_attempt), failed=(), cancelled=(cancelled,)
    )
    assert recovered and not jobs.Recovered((), (), ())
    assert recovered.summary() == (
        "2 queued again, 0 queued to fail with their report (they stopped the service "
        "jobs.max_crashes times), 0 failed (they stopped it even then), 1 cancelled"
    )
    states = {job_id: (job.state, job.attempts, job.crashes) for job_id, job in found.items()}
    assert states == {
        crashed: (JobState.QUEUED, 0, 1),
        last_attempt: (JobState.QUEUED, 1, 1),  # the crash did not spend its last attempt
        cancelled: (JobState.CANCELLED, 1, 0),
        alive: (JobState.RUNNING, 1, 0),
    }
    assert found[crashed].reason == (
        "the service stopped while analysing this slide (crash 1 of at most 5); queued again"
    )
    with database.session() as session, pytest.raises(LeaseLostError):
        jobs.report_progress(session, leases[crashed], 0.9, "still going?")


def test_crashes_fail_a_job_only_after_max_crashes(database: Database) -> None:
    (job_id,) = _queued_slides(database, 1)  # max_attempts=2: fewer than the crashes allowed
    outcomes = []
    leases = []
    for _ in range(5):
        leases.append(_claim(database))
        with database.session() as session:
            outcomes.append(jobs.requeue_stale(session, heartbeat_before=utcnow(), max_crashes=4))
            session.commit()
        if len(outcomes) == 4:  # queued once more, for a worker to fail with its report
            job = _job(database, job_id)
            assert (job.state, job.crashes, job.reason) == (
                JobState.QUEUED,
                4,
                jobs.crash_reason(4),
            )
    assert [o.requeued for o in outcomes[:3]] == [(job_id,)] * 3
    assert [jobs.crashed_out(lease, 4) for lease in leases] == [False] * 4 + [True]
    assert (outcomes[3].failing, outcomes[3].requeued) == ((job_id,), ())
    assert outcomes[4].failed == (job_id,)  # it stopped the service even while failing
    job = _job(database, job_id)
    assert (job.state, job.attempts, job.crashes) == (JobState.FAILED, 0, 5)
    assert "4 times (jobs.max_crashes = 4)" in (job.reason or "")
    with database.session() as session:
        retried = jobs.retry(session, job_id)
        session.commit()
    assert (retried.attempts, retried.crashes) == (0, 0)


def test_release_after_an_outage_waits_and_keeps_the_reason(database: Database) -> None:
    (job_id,) = _queued_slides(database, 1)
    lease = _claim(database)
    now = utcnow()
    with database.session() as session:
        jobs.release(
            session, lease, reason="the database failed", retry_after=timedelta(minutes=1), now=now
        )
        session.commit()
        assert jobs.claim(session, "w2", now=now) is None
        job = jobs.get_job(session, job_id)
        assert (job.state, job.attempts, job.reason) == (
            JobState.QUEUED,
            0,
            "the database failed",
        )
        assert jobs.claim(session, "w2", now=now + timedelta(minutes=1)) is not None


def test_count_by_state_lists_every_state(database: Database) -> None:
    _queued_slides(database, 2)
    _claim(database)
    with database.session() as session:
        counts = jobs.count_by_state(session)
    assert counts[JobState.QUEUED] == 1
    assert counts[JobState.RUNNING] == 1
    assert counts[JobState.DONE] == 0
