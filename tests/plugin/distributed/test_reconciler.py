"""The reconciler against a real broker (a private redis-server) and a real database: every
due queued job gets a message, once; a broker outage loses nothing; dead workers' jobs return."""

import base64
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import redis

from config import JobSettings, Settings
from db import jobs
from db.models import JobState, utcnow
from db.session import Database
from plugin.distributed import JobPublisher, Reconciler, create_celery_app
from tests.db.factories import add_case, add_job, add_slide
from tests.redis_server import RedisServer

QUEUE = "pathsentry.test"


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[RedisServer]:
    with RedisServer(tmp_path / "redis") as server:
        yield server


def _reconciler(database: Database, broker: RedisServer) -> Reconciler:
    settings = Settings(jobs=JobSettings(broker_url=broker.url, queue=QUEUE))
    publisher = JobPublisher(create_celery_app(settings), QUEUE)
    return Reconciler(
        database,
        publisher.publish,
        stale_after=timedelta(minutes=10),
        republish_after=timedelta(minutes=30),
        interval_s=1.0,
    )


def _messages(broker: RedisServer) -> list[int]:
    """The job ids of the analysis messages waiting in the broker's queue, oldest first."""
    client = redis.Redis(host="127.0.0.1", port=broker.port)
    try:
        raw = client.lrange(QUEUE, 0, -1)
    finally:
        client.close()
    ids = []
    for item in reversed(raw):  # kombu pushes to the head of the list
        message = json.loads(item)
        assert message["headers"]["task"] == "pathsentry.analyse_job"
        args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        ids.extend(args)
    return ids


def _queued(database: Database, count: int) -> list[int]:
    with database.session() as session:
        case = add_case(session)
        ids = [add_job(session, add_slide(session, case), JobState.QUEUED).id for _ in range(count)]
        session.commit()
    return ids


def test_each_due_queued_job_is_published_once(database: Database, broker: RedisServer) -> None:
    ids = _queued(database, 3)
    reconciler = _reconciler(database, broker)
    assert reconciler.reconcile().published == tuple(ids)
    assert reconciler.reconcile().published == ()
    assert _messages(broker) == ids


def test_jobs_queued_while_the_broker_is_down_are_published_when_it_returns(
    database: Database, broker: RedisServer
) -> None:
    reconciler = _reconciler(database, broker)
    broker.stop()
    ids = _queued(database, 2)
    down = reconciler.reconcile()
    assert (down.published, down.unpublished) == ((), tuple(ids))
    broker.start()
    assert reconciler.reconcile().published == tuple(ids)
    assert _messages(broker) == ids


def test_a_job_queued_again_after_it_ran_gets_a_new_message_when_it_is_due(
    database: Database, broker: RedisServer
) -> None:
    (job_id,) = _queued(database, 1)
    reconciler = _reconciler(database, broker)
    assert reconciler.reconcile().published == (job_id,)
    with database.session() as session:
        lease = jobs.claim(session, "w1", job_id=job_id)
        assert lease is not None
        jobs.fail(session, lease, "OSError: gone", retry_after=timedelta(hours=1))
        session.commit()
    assert reconciler.reconcile(utcnow()).published == ()  # not due for an hour
    assert reconciler.reconcile(utcnow() + timedelta(hours=2)).published == (job_id,)
    assert _messages(broker) == [job_id, job_id]


def test_only_jobs_without_a_recent_heartbeat_are_recovered_and_published(
    database: Database, broker: RedisServer
) -> None:
    with database.session() as session:
        case = add_case(session)
        alive = add_job(session, add_slide(session, case), JobState.RUNNING)
        dead = add_job(session, add_slide(session, case), JobState.RUNNING)
        dead.heartbeat_at = utcnow() - timedelta(hours=1)
        session.commit()
        alive_id, dead_id = alive.id, dead.id
    done = _reconciler(database, broker).reconcile()
    assert (done.recovered.requeued, done.published) == ((dead_id,), (dead_id,))
    with database.session() as session:
        assert jobs.get_job(session, alive_id).state is JobState.RUNNING
    assert _messages(broker) == [dead_id]
