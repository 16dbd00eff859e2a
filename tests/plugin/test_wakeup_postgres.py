"""Across processes on PostgreSQL: another process's commit wakes an idle exporter or worker
long before its poll interval (60 s here), also after the LISTEN connection was killed."""

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from config import ExportSettings, JobSettings, Settings, StorageSettings
from config.settings import DbSettings, FolderDestination
from db import jobs
from db.models import Export, ExportState, JobState
from db.session import Database, connect
from db.signals import Ready
from plugin.roles import Role
from plugin.service import start_service
from plugin.wakeup import Listener, Wakeup
from tests.db.factories import add_case, add_job, add_slide
from tests.plugin.conftest import Analysed

POLL_S = 60.0
# Far below the poll interval: only a notification can bring the work about this soon.
PROMPTLY_S = 20.0

pytestmark = pytest.mark.parametrize(
    "database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)


def _wait_for(condition: Callable[[], bool], what: str) -> None:
    for _ in range(int(PROMPTLY_S / 0.05)):
        if condition():
            return
        threading.Event().wait(0.05)
    raise AssertionError(f"{what} did not happen within {PROMPTLY_S} s (the poll is {POLL_S} s)")


@pytest.fixture
def other(database_url: str) -> Iterator[Database]:
    """The database as another process sees it: its own engine, no bells of this process."""
    opened = connect(database_url)
    try:
        yield opened
    finally:
        opened.dispose()


@pytest.fixture
def wakeup(database: Database) -> Iterator[tuple[Wakeup, Listener]]:
    """This process's bells, rung by its commits and by other processes' notifications."""
    bells = Wakeup()
    bells.listen(database)
    listener = Listener(bells, database, retry_s=0.1)
    listener.start()
    _wait_for(lambda: listener.notifications is not None, "listening")
    try:
        yield bells, listener
    finally:
        listener.stop(10)
    assert not listener.alive


def _queue_job(database: Database, key: str) -> None:
    with database.session() as session:
        jobs.enqueue(session, add_slide(session, add_case(session)).id, key, max_attempts=1)
        session.commit()


def test_another_process_queueing_a_job_rings_the_job_bell(
    wakeup: tuple[Wakeup, Listener], other: Database
) -> None:
    job_bell, export_bell = wakeup[0].bell(Ready.JOB), wakeup[0].bell(Ready.EXPORT)
    _queue_job(other, "k")
    assert job_bell.wait(PROMPTLY_S)
    assert not export_bell.wait(0)


def test_the_listener_reconnects_after_its_connection_is_killed(
    wakeup: tuple[Wakeup, Listener], database: Database, other: Database
) -> None:
    bells, listener = wakeup
    job_bell = bells.bell(Ready.JOB)
    killed = listener.notifications
    assert killed is not None
    with database.engine.connect() as connection:
        terminate = sa.select(sa.func.pg_terminate_backend(killed.backend_pid))
        assert connection.execute(terminate).scalar_one()
    _wait_for(
        lambda: listener.connections == 2 and listener.notifications is not None, "a reconnect"
    )
    assert job_bell.wait(0)  # rung on reconnecting: work may have been queued meanwhile
    _queue_job(other, "after the outage")
    assert job_bell.wait(PROMPTLY_S)


def test_a_result_recorded_by_another_process_wakes_the_export_role(
    database: Database, database_url: str, other: Database, analysed: Analysed, tmp_path: Path
) -> None:
    share = tmp_path / "share"
    share.mkdir()
    settings = Settings(
        db=DbSettings(url=database_url),
        storage=StorageSettings(data_dir=tmp_path),
        export=ExportSettings(
            destinations=[FolderDestination(kind="folder", name="share", path=share)]
        ),
        jobs=JobSettings(poll_interval_s=POLL_S),
    )
    service = start_service(settings, roles=frozenset({Role.EXPORT}), database=database)
    try:
        listener = service.listener
        assert listener is not None
        _wait_for(lambda: listener.notifications is not None, "listening")
        threading.Event().wait(0.5)  # the exporter found nothing and waits for its poll
        with other.session() as session:  # as a Celery worker records its result
            job = add_job(session, add_slide(session, add_case(session)), JobState.RUNNING)
            session.commit()
            lease = jobs.Lease(job.id, "test", job.attempts)
            export_id = jobs.complete(session, lease, analysed[0], ["share"]).exports[0].id
            session.commit()

        def delivered() -> bool:
            with database.session() as session:
                export = session.get(Export, export_id)
                return export is not None and export.state is ExportState.DELIVERED

        _wait_for(delivered, "the delivery")
    finally:
        service.stop(10)
    assert not listener.alive
