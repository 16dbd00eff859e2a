"""One sender per destination kind, built from the settings; sending one result's files."""

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from config.settings import (
    DicomwebDestination,
    DimseDestination,
    ExportDestination,
    FolderDestination,
)
from dicom.export.dicomweb import DicomwebSender
from dicom.export.dimse import DimseSender
from dicom.export.folder import FolderSender
from dicom.export.outcome import ExportOutcome


class Sender(Protocol):
    """Sends files to one destination and says what came of it; never raises for a failed
    delivery (that is an outcome)."""

    name: str

    def send(self, paths: Sequence[Path]) -> ExportOutcome: ...


def make_sender(destination: ExportDestination) -> Sender:
    """The sender for a destination from the settings."""
    if isinstance(destination, DimseDestination):
        return DimseSender(destination)
    if isinstance(destination, DicomwebDestination):
        return DicomwebSender(destination)
    if isinstance(destination, FolderDestination):
        return FolderSender(destination)
    raise TypeError(f"unknown destination kind: {type(destination).__name__}")


def send_result(destination: ExportDestination, paths: Sequence[Path]) -> ExportOutcome:
    """Sends one result's files (SEG levels, SR) to one destination, once."""
    return make_sender(destination).send(paths)
