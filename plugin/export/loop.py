"""Delivery of results to every destination, from the persisted export queue.

One thread per destination claims the `exports` rows due for it, one at a time, sends the
result's files and records the attempt; a PACS that is down (and its timeouts) therefore never
delays another. Claims hold the row for the exporter (`export.claim_timeout_s`), so any number
of exporters, in this process or others, share the work without sending one export twice at
the same time. Back-off and the attempt budget live in the database rows, so a restart loses
nothing. An exporter waits for a new result's bell (or its poll interval) when idle.
"""

import logging
import os
import socket
import threading
import uuid
from datetime import timedelta

from sqlalchemy.exc import SQLAlchemyError

from config import ExportDestination, Settings
from db import exports
from db.errors import LeaseLostError
from db.models import Export, utcnow
from db.session import Database
from db.signals import Ready
from dicom.export import Delivery, ExportOutcome, send_result
from plugin.export.delivery import UndeliverableError, delivery_of
from plugin.wakeup import Bell, Wakeup

log = logging.getLogger(__name__)


# At most this many exports per pass, so that a stop request is seen between passes too.
MAX_PER_PASS = 100


class DestinationExporter:
    """Sends due exports to one destination until stopped."""

    def __init__(
        self,
        database: Database,
        destination: ExportDestination,
        settings: Settings,
        *,
        bell: Bell | None = None,
    ) -> None:
        self.destination = destination
        self.claimant = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._database = database
        self._backoff = exports.Backoff.from_settings(settings.export)
        self._hold = timedelta(seconds=settings.export.claim_timeout_s)
        self._poll_s = settings.jobs.poll_interval_s
        self._bell = bell or Bell()  # rung when a result is recorded (and to stop)
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start polling in a thread of its own."""
        self._stopping.clear()
        self._thread = threading.Thread(
            target=self._loop, name=f"export-{self.destination.name}", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float | None = None) -> None:
        """Stop after the delivery in progress (if any)."""
        self._stopping.set()
        self._bell.ring()
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        """Whether the thread runs."""
        return self._thread is not None and self._thread.is_alive()

    def run_once(self) -> int:
        """Claim and try the exports due now, one at a time; return how many were tried."""
        tried = 0
        while tried < MAX_PER_PASS and not self._stopping.is_set():
            claimed = self._claim()
            if claimed is None:
                break
            self._deliver(*claimed)
            tried += 1
        return tried

    def _claim(self) -> tuple[int, Delivery | str] | None:
        with self._database.session() as session, session.begin():
            export = exports.claim_export(
                session, self.claimant, destination=self.destination.name, hold=self._hold
            )
            return None if export is None else (export.id, _delivery(export))

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                tried = self.run_once()
            except SQLAlchemyError:
                log.exception("export to %s: the database failed; trying again", self.name)
                tried = 0
            except Exception:  # a thread boundary: log it and keep the exporter alive
                log.exception("export to %s failed unexpectedly; trying again", self.name)
                tried = 0
            if not tried:
                self._bell.wait(self._poll_s)

    @property
    def name(self) -> str:
        return self.destination.name

    def _deliver(self, export_id: int, delivery: Delivery | str) -> None:
        started = utcnow()
        outcome = _send(self.destination, delivery)
        try:
            with self._database.session() as session, session.begin():
                export = exports.record_attempt(
                    session,
                    export_id,
                    started_at=started,
                    error=None if outcome.delivered else outcome.reason,
                    backoff=self._backoff,
                    detail=f"{outcome.verdict.value}: {outcome.reason}",
                    final=not outcome.delivered and not outcome.retryable,
                    claimed_by=self.claimant,
                )
                state, attempts, overdue = export.state.value, export.attempts, export.overdue_since
        except LeaseLostError as error:
            log.warning("export %d to %s: outcome not recorded: %s", export_id, self.name, error)
            return
        if outcome.delivered:
            log.info("export %d to %s: delivered (attempt %d)", export_id, self.name, attempts)
        elif overdue is not None:
            log.warning(
                "export %d to %s: overdue since %s (export.max_attempts used up), retrying every "
                "%.0f s; attempt %d: %s",
                export_id,
                self.name,
                overdue.isoformat(timespec="seconds"),
                self._backoff.max_s,
                attempts,
                outcome.reason,
            )
        else:
            log.warning(
                "export %d to %s: %s after attempt %d: %s",
                export_id,
                self.name,
                "will retry" if state == "pending" else state,
                attempts,
                outcome.reason,
            )


class ExportService:
    """One exporter per configured destination."""

    def __init__(
        self, database: Database, settings: Settings, *, wakeup: Wakeup | None = None
    ) -> None:
        self.exporters = tuple(
            DestinationExporter(
                database,
                destination,
                settings,
                bell=None if wakeup is None else wakeup.bell(Ready.EXPORT),
            )
            for destination in settings.export.destinations
        )
        self._database = database
        self._names = {destination.name for destination in settings.export.destinations}

    def start(self, *, take_over_claimed: bool = True) -> None:
        """Fail exports to destinations no longer configured, then start every exporter.

        `take_over_claimed`: every hold on an export was left by a process that is gone (true
        when this is the only process that exports); otherwise holds lapse after
        `export.claim_timeout_s`.
        """
        if take_over_claimed:
            with self._database.session() as session, session.begin():
                exports.release_claims(session)
        self.fail_unknown_destinations()
        for exporter in self.exporters:
            exporter.start()

    def stop(self, timeout: float | None = None) -> None:
        """Stop every exporter."""
        for exporter in self.exporters:
            exporter.stop(timeout)

    def fail_unknown_destinations(self) -> int:
        """Pending exports to a destination that was removed from the settings fail, visibly."""
        with self._database.session() as session, session.begin():
            orphans = [
                export
                for export in exports.due_exports(session, limit=10_000)
                if export.destination not in self._names
            ]
            for export in orphans:
                exports.record_attempt(
                    session,
                    export.id,
                    started_at=utcnow(),
                    error=f"destination {export.destination!r} is no longer configured",
                    backoff=exports.Backoff(1, 1, 1),
                    final=True,
                )
        return len(orphans)

    @property
    def alive(self) -> bool:
        """Whether every exporter runs."""
        return all(exporter.alive for exporter in self.exporters)


def _delivery(export: Export) -> Delivery | str:
    """What the export sends, or why nothing can be sent."""
    try:
        return delivery_of(export.result)
    except UndeliverableError as error:
        return str(error)


def _send(destination: ExportDestination, delivery: Delivery | str) -> ExportOutcome:
    if isinstance(delivery, str):
        return ExportOutcome.permanent(delivery)
    missing = [file.path.name for file in delivery.files if not file.path.is_file()]
    if missing:
        return ExportOutcome.permanent(f"result files are missing: {missing}")
    return send_result(destination, delivery)
