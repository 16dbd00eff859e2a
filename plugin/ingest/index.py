"""The SCP's index: each received instance recorded in one transaction, its file placed inside
it; when the sending association ends, each slide it delivered is completed (and its job
queued) if its pyramid is whole."""

import logging
from collections.abc import Callable, Collection
from pathlib import Path

from sqlalchemy.orm import Session

from db import slide_completion
from db.ingest import Recorded, RecordOutcome, record_instance, restore_path
from db.models import utcnow
from db.session import Database
from dicom.scp import IndexOutcome, IndexResult, Placement, ReceivedInstance, is_pyramid_complete

log = logging.getLogger(__name__)

_REFUSED = {Recorded.CHANGED: IndexOutcome.CONFLICT, Recorded.MISFILED: IndexOutcome.INCONSISTENT}


class DatabaseIndex:
    """Implements dicom.scp.InstanceIndex on the database; thread-safe (a session per call)."""

    def __init__(
        self,
        database: Database,
        *,
        max_attempts: int,
        on_job_queued: Callable[[int], None] | None = None,
    ) -> None:
        """`on_job_queued(job_id)` is called after the commit that queued a job (a
        distributed installation publishes its message then)."""
        self._database = database
        self._max_attempts = max_attempts
        self._on_job_queued = on_job_queued

    def index(self, instance: ReceivedInstance, placement: Placement) -> IndexResult:
        with self._database.session() as session:
            outcome = record_instance(
                session,
                instance,
                storage_dir=str(placement.target.parent),
                path=str(placement.target),
            )
            if outcome.recorded is Recorded.NEW:
                placement.place()
                session.commit()
                return IndexResult(IndexOutcome.STORED)
            session.rollback()
        if outcome.recorded is Recorded.IDENTICAL:
            self._restore_if_missing(instance, placement, outcome)
            return IndexResult(IndexOutcome.DUPLICATE)
        return IndexResult(_REFUSED[outcome.recorded], outcome.reason)

    def sender_finished(self, series_instance_uids: Collection[str]) -> None:
        """Complete the slides whose pyramid is whole now that their sender is done."""
        for series in sorted(series_instance_uids):
            with self._database.session() as session:
                job_id = self._complete_if_whole(session, series)
                session.commit()
            if job_id is not None and self._on_job_queued is not None:
                self._on_job_queued(job_id)

    def _complete_if_whole(self, session: Session, series_instance_uid: str) -> int | None:
        slide_id = slide_completion.receiving_slide(session, series_instance_uid)
        if slide_id is None:
            return None
        rows = slide_completion.slide_instances(session, slide_id)
        if not is_pyramid_complete(rows):
            return None
        if not slide_completion.complete_slide(session, slide_id, now=utcnow()):
            return None
        job = slide_completion.ensure_job(session, slide_id, max_attempts=self._max_attempts)
        log.info(
            "slide %s complete (its pyramid is whole): %s",
            series_instance_uid,
            "no job now (nothing to analyse, or a job on earlier content runs)"
            if job is None
            else f"job {job.id}",
        )
        return None if job is None else job.id

    def _restore_if_missing(
        self, instance: ReceivedInstance, placement: Placement, outcome: RecordOutcome
    ) -> None:
        """An identical copy of an instance whose stored file is gone takes its place."""
        if outcome.stored_path is None or Path(outcome.stored_path).exists():
            return
        with self._database.session() as session:
            restore_path(session, instance.sop_instance_uid, str(placement.target))
            placement.place()
            session.commit()
        log.warning(
            "the stored file of SOP Instance %s was missing; restored it from the copy received",
            instance.sop_instance_uid,
        )
