"""Errors the database layer raises on purpose."""

from config.errors import PathSentryError


class DatabaseError(PathSentryError):
    """Base of the database layer's errors."""


class SchemaNotCurrentError(DatabaseError):
    """The database schema is older (or newer) than this version of PathSentry expects."""


class NotFoundError(DatabaseError):
    """A row that a caller named by id does not exist."""

    def __init__(self, kind: str, key: object) -> None:
        super().__init__(f"no {kind} {key}")
        self.kind = kind
        self.key = key


class InvalidTransitionError(DatabaseError):
    """An action that the current state of a row does not allow (e.g. cancelling a done job)."""


class LeaseLostError(DatabaseError):
    """A worker reported on a job (or an exporter on an export) that is no longer its own
    (requeued, or cancelled and reset; or its hold lapsed)."""


class TokenError(DatabaseError):
    """A token cannot be created as asked (name taken, secret too short)."""


class ListenError(DatabaseError):
    """The connection that LISTENs for other processes' notifications failed (or was lost)."""
