"""The contract between the SCP and whatever indexes what it receives (the database, in the
service): the SCP answers success only after `InstanceIndex.index` returned STORED or DUPLICATE,
and tells it which series an association delivered once that association ends."""

import enum
from collections.abc import Collection
from dataclasses import dataclass
from typing import Protocol

from dicom.scp.received import ReceivedInstance
from dicom.scp.storage import Placement


class IndexOutcome(enum.Enum):
    """What the index made of a received instance."""

    STORED = "stored"  # new: placed and indexed
    DUPLICATE = "duplicate"  # the identical instance is already stored: nothing changed
    CONFLICT = "conflict"  # the SOP Instance UID is stored with other content: kept the first
    INCONSISTENT = "inconsistent"  # contradicts what is stored (a series under two studies)


@dataclass(frozen=True)
class IndexResult:
    """The outcome, and for CONFLICT and INCONSISTENT the reason told to the sender."""

    outcome: IndexOutcome
    reason: str | None = None


class InstanceIndex(Protocol):
    """Records received instances durably, and hears when their sender is done."""

    def index(self, instance: ReceivedInstance, placement: Placement) -> IndexResult:
        """Record one instance.

        For a new instance it calls `placement.place()` before it commits, and returns STORED
        only once committed; when it raises, the SCP withdraws the placed file and answers a
        failure.
        """
        ...

    def sender_finished(self, series_instance_uids: Collection[str]) -> None:
        """The association that stored instances of these series ended (released or not):
        the moment to judge whether their slides are complete."""
        ...
