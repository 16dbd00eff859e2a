"""What the storage SCP reports as it works; the service counts it (plugin.metrics)."""

from typing import Protocol


class IngestObserver(Protocol):
    """Told of every association and instance the SCP handles."""

    def association_accepted(self) -> None:
        """An association was accepted."""

    def association_refused(self, reason: str) -> None:
        """A connection or association was refused; `reason` is a short label."""

    def instance_received(self, size_bytes: int) -> None:
        """A C-STORE data set arrived whole (`size_bytes` of it written to the spool)."""

    def store_answered(self, status: int) -> None:
        """A C-STORE was answered with `status`."""
