"""Database fixtures: every database test runs on SQLite and (marked postgres) on PostgreSQL.

SQLite: a migrated template file, copied for each test. PostgreSQL: one fresh database per
test session on the server of PATHSENTRY_TEST_POSTGRES_URL, migrated once, emptied before
each test and dropped at the end.
"""

import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

from db.migrate import upgrade
from db.models import Base
from db.session import Database, connect
from tests.conftest import POSTGRES_URL, require


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@contextmanager
def new_postgres_database(prefix: str = "pathsentry_test") -> Iterator[str]:
    """The URL of a new, empty database on the test server, dropped afterwards (the test is
    skipped when the server is not reachable)."""
    server = sa.create_engine(
        POSTGRES_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}
    )
    try:
        server.connect().close()
    except sa.exc.OperationalError as error:
        server.dispose()
        require(False, f"PostgreSQL at {POSTGRES_URL} is not reachable: {error.orig}")
    name = f"{prefix}_{secrets.token_hex(4)}"
    with server.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield sa.make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with server.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        server.dispose()


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    with new_postgres_database() as url:
        upgrade(url)
        yield url


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "pathsentry.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    url = str(request.getfixturevalue("postgres_database"))
    _empty(url)
    return url


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    opened = connect(database_url)
    try:
        yield opened
    finally:
        opened.dispose()


def _empty(url: str) -> None:
    # DELETE is much faster than TRUNCATE on a handful of tiny tables.
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            for table in reversed(Base.metadata.sorted_tables):
                connection.execute(table.delete())
    finally:
        engine.dispose()
