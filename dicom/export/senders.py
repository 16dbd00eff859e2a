"""The one registry from destination kind to sender; sending one delivery.

A new kind of destination (for example `hl7`) is a settings model with `kind: Literal["hl7"]`
in config.settings, a sender module here, and one line in SENDERS.
"""

from collections.abc import Callable
from typing import Any, Protocol

from config.settings import ExportDestination
from dicom.export.delivery import Delivery
from dicom.export.dicomweb import DicomwebSender
from dicom.export.dimse import DimseSender, ExportSetupError
from dicom.export.folder import FolderSender
from dicom.export.outcome import ExportOutcome


class Sender(Protocol):
    """Sends a delivery to one destination and says what came of it; never raises for a failed
    delivery (that is an outcome)."""

    name: str

    def send(self, delivery: Delivery) -> ExportOutcome: ...


# Each factory takes the destination settings of its kind.
SENDERS: dict[str, Callable[[Any], Sender]] = {
    "dimse": DimseSender,
    "dicomweb": DicomwebSender,
    "folder": FolderSender,
}


def make_sender(destination: ExportDestination) -> Sender:
    """The sender for a destination from the settings."""
    factory = SENDERS.get(destination.kind)
    if factory is None:
        raise ExportSetupError(
            f"destination {destination.name!r} has kind {destination.kind!r}, for which no "
            f"sender is registered (known: {', '.join(sorted(SENDERS))})"
        )
    return factory(destination)


def send_result(destination: ExportDestination, delivery: Delivery) -> ExportOutcome:
    """Sends one result (SEG levels, SR) to one destination, once."""
    return make_sender(destination).send(delivery)
