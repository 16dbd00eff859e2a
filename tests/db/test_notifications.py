"""A commit that makes work ready NOTIFYs its kind's channel; a rollback notifies nobody."""

import pytest

from db import jobs
from db.errors import ListenError
from db.notifications import Notifications
from db.session import Database, connect
from db.signals import Ready
from tests.db.factories import add_case, add_slide

# Far beyond any wait below: a wait that returns early was ended by a notification.
LONG_S = 30.0

postgres_only = pytest.mark.parametrize(
    "database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)


@postgres_only
def test_a_queued_job_notifies_another_connection_at_commit(
    database: Database, database_url: str
) -> None:
    other = connect(database_url)  # as another process would: an engine of its own
    notifications = Notifications(database)
    try:
        with other.session() as session:
            jobs.enqueue(session, add_slide(session, add_case(session)).id, "k", max_attempts=1)
            assert notifications.wait(0.2) == frozenset()  # not before the commit
            session.commit()
        assert notifications.wait(LONG_S) == {Ready.JOB}
    finally:
        notifications.close()
        other.dispose()


@postgres_only
def test_a_rolled_back_job_notifies_nobody(database: Database, database_url: str) -> None:
    other = connect(database_url)
    notifications = Notifications(database)
    try:
        with other.session() as session:
            jobs.enqueue(session, add_slide(session, add_case(session)).id, "k", max_attempts=1)
            session.rollback()
        assert notifications.wait(1.0) == frozenset()
    finally:
        notifications.close()
        other.dispose()


@postgres_only
def test_a_second_transaction_of_one_session_notifies_again(
    database: Database, database_url: str
) -> None:
    notifications = Notifications(database)
    try:
        with database.session() as session:
            for key in ("first", "second"):
                slide = add_slide(session, add_case(session))
                jobs.enqueue(session, slide.id, key, max_attempts=1)
                session.commit()
                assert notifications.wait(LONG_S) == {Ready.JOB}
    finally:
        notifications.close()


def test_sqlite_cannot_listen(sqlite_url: str) -> None:
    database = connect(sqlite_url)
    try:
        with pytest.raises(ListenError, match="PostgreSQL"):
            Notifications(database)
    finally:
        database.dispose()
