"""Start-up cleaning: files no association or index row owns any more.

The incoming folder holds only partial files (whatever was there when the service stopped);
the slides folder may hold an instance placed by a service that crashed before committing its
row (its sender got no success and sends it again). A file whose SOP Instance UID is indexed
is never removed, wherever the index says it lies.
"""

import logging
from dataclasses import dataclass

import sqlalchemy as sa

from db.models import Instance
from db.session import Database
from dicom.scp import StorageScp

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Orphans:
    """How many files the cleaning removed."""

    incoming: int
    unindexed: int


def remove_orphans(scp: StorageScp, database: Database) -> Orphans:
    """Remove partial incoming files and unindexed instance files (before the SCP starts)."""
    incoming = scp.spool.clear()
    with database.session() as session:
        indexed = set(session.scalars(sa.select(Instance.sop_instance_uid)))
    unindexed = [path for path in scp.store.stored_files() if path.stem not in indexed]
    for path in unindexed:
        log.warning("removing %s: an instance file that was never indexed", path)
        path.unlink(missing_ok=True)
    if incoming:
        log.warning("removed %d partly received file(s) left in the incoming folder", incoming)
    return Orphans(incoming, len(unindexed))
