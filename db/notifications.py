"""LISTEN for the work other processes make ready (PostgreSQL's NOTIFY; see db.signals).

One connection of its own (never a pooled one: it stays in LISTEN mode), in autocommit so
that notifications arrive as their transactions commit. TCP keepalives make a silently
vanished server an error within about a minute instead of never.
"""

from typing import Any

import psycopg

from db.errors import ListenError
from db.session import Database
from db.signals import Ready

_KEEPALIVES = {"keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10}
_BY_CHANNEL = {ready.channel: ready for ready in Ready}


class Notifications:
    """A connection LISTENing on the channel of every kind of work; close it when done."""

    def __init__(self, database: Database) -> None:
        if database.dialect != "postgresql":
            raise ListenError(f"LISTEN needs PostgreSQL, not {database.dialect}")
        cargs, cparams = database.engine.dialect.create_connect_args(database.engine.url)
        try:
            self._connection: psycopg.Connection[Any] = psycopg.connect(
                *cargs, **{**_KEEPALIVES, **cparams}, autocommit=True
            )
            for channel in _BY_CHANNEL:
                self._connection.execute(f"LISTEN {channel}")
        except psycopg.Error as error:
            self.close()
            raise ListenError(f"cannot LISTEN: {error}") from error

    def wait(self, timeout_s: float) -> frozenset[Ready]:
        """The kinds of work notified within `timeout_s` (empty when none): returns at the
        first notification, with those that arrived with it."""
        try:
            notified = {
                _BY_CHANNEL[notify.channel]
                for notify in self._connection.notifies(timeout=timeout_s, stop_after=1)
                if notify.channel in _BY_CHANNEL
            }
        except psycopg.Error as error:
            raise ListenError(f"the LISTEN connection was lost: {error}") from error
        return frozenset(notified)

    @property
    def backend_pid(self) -> int:
        """The server process of the connection (what pg_terminate_backend takes)."""
        return int(self._connection.info.backend_pid)

    def close(self) -> None:
        """Close the connection (also when it was never opened or is already lost)."""
        connection = getattr(self, "_connection", None)
        if connection is not None:
            connection.close()
