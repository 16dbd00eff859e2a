"""Engines and sessions, built from the settings by a factory (never at import time)."""

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from config import Settings

SQLITE_BUSY_TIMEOUT_MS = 30_000


@dataclass(frozen=True)
class Database:
    """An engine and the session factory bound to it; `session()` opens one unit of work."""

    engine: Engine
    sessions: sessionmaker[Session]

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """A session that is closed (and rolled back if uncommitted) at the end of the block."""
        with self.sessions() as session:
            yield session

    @property
    def dialect(self) -> str:
        """ "sqlite" or "postgresql"."""
        return self.engine.dialect.name

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def open_database(settings: Settings) -> Database:
    """The database the settings name (SQLite in the data directory unless `db.url` is set)."""
    return connect(settings.database_url, echo=settings.db.echo)


def connect(url: str, *, echo: bool = False) -> Database:
    """A `Database` for a URL: SQLite gets WAL, foreign keys and a busy timeout."""
    engine = create_db_engine(url, echo=echo)
    return Database(engine, sessionmaker(engine, expire_on_commit=False))


def create_db_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine for a sqlite:/// or postgresql+psycopg:// URL, configured for concurrent use."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return sa.create_engine(parsed, echo=echo, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(
        parsed,
        echo=echo,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
    )
    event.listen(engine, "connect", _configure_sqlite)
    return engine


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    """Per connection: WAL (readers never block the writer), enforced foreign keys, patience."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    finally:
        cursor.close()


@contextlib.contextmanager
def migration_transaction(connection: sa.Connection) -> Iterator[sa.Connection]:
    """A transaction for schema migrations on `connection` (not yet in a transaction).

    SQLite changes a column by rebuilding its table, and dropping the old table would fire the
    ON DELETE CASCADE of every row that refers to it: foreign keys are off while migrating (they
    can only be switched outside a transaction), and checked before the transaction commits.
    """
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()
    try:
        with connection.begin():
            yield connection
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise sa.exc.IntegrityError(
                        "PRAGMA foreign_key_check", None, ValueError(f"dangling rows: {broken[:5]}")
                    )
    finally:
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()
