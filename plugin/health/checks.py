"""The health checks of one process: each says "ok", or why not, when asked."""

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from db.session import Database

OK = "ok"
NOT_USED = "not-used"
# A role getting ready to work (the analysis role warming its devices up): healthy, not idle.
WARMING = "warming up"

Check = Callable[[], str]


class Probe(Protocol):
    """A running part (a worker, the exporters, the DICOM listener)."""

    @property
    def alive(self) -> bool: ...


class Broker(Protocol):
    """What publishes analysis messages (distributed mode)."""

    def reachable(self) -> bool: ...


@dataclass(frozen=True)
class HealthReport:
    """One answer: every role this process runs, and the database, storage and broker."""

    roles: dict[str, str]
    database: str
    storage: str
    broker: str

    @property
    def healthy(self) -> bool:
        parts = (*self.roles.values(), self.database, self.storage, self.broker)
        return all(part in (OK, NOT_USED, WARMING) for part in parts)

    @property
    def status(self) -> str:
        """ok; warming when healthy and a role is still warming up; else degraded."""
        if not self.healthy:
            return "degraded"
        return "warming" if WARMING in self.roles.values() else OK

    def as_json(self) -> dict[str, object]:
        """The body of /healthz."""
        return {
            "status": self.status,
            "roles": self.roles,
            "database": self.database,
            "storage": self.storage,
            "broker": self.broker,
        }


@dataclass(frozen=True)
class ProcessHealth:
    """The checks of one process; roles it does not run are not judged."""

    database: Database
    storage: Path | None
    roles: Mapping[str, Check]
    broker: Broker | None = None

    def report(self) -> HealthReport:
        return HealthReport(
            roles={name: check() for name, check in sorted(self.roles.items())},
            database=database_up(self.database),
            storage=NOT_USED if self.storage is None else storage_writable(self.storage),
            broker=NOT_USED if self.broker is None else broker_reachable(self.broker),
        )


def database_up(database: Database) -> str:
    try:
        with database.session() as session:
            session.execute(sa.text("SELECT 1"))
    except SQLAlchemyError as error:
        return f"unreachable ({type(error).__name__})"
    return OK


def storage_writable(folder: Path) -> str:
    if not folder.is_dir():
        return "missing"
    return OK if os.access(folder, os.W_OK) else "not writable"


def broker_reachable(broker: Broker) -> str:
    return OK if broker.reachable() else "unreachable"


def alive(*probes: Probe, stopped: str = "stopped") -> Check:
    """A check that every probe runs (at least one must exist)."""

    def check() -> str:
        return OK if probes and all(probe.alive for probe in probes) else stopped

    return check
