"""Sending results to their destinations (C-STORE, STOW-RS, folder) with explicit outcomes.

The back-off between attempts lives with the persisted export rows (db.exports.Backoff)."""

from dicom.export.delivery import Delivery
from dicom.export.dicomweb import DicomwebSender
from dicom.export.dimse import DimseSender, ExportSetupError, enable_streamed_c_store
from dicom.export.folder import FolderSender
from dicom.export.outcome import ExportOutcome, Verdict
from dicom.export.senders import SENDERS, Sender, make_sender, send_result
from dicom.export.stow_response import StowResponse, parse_stow_response, stow_outcome

__all__ = [
    "SENDERS",
    "Delivery",
    "DicomwebSender",
    "DimseSender",
    "ExportOutcome",
    "ExportSetupError",
    "FolderSender",
    "Sender",
    "StowResponse",
    "Verdict",
    "enable_streamed_c_store",
    "make_sender",
    "parse_stow_response",
    "send_result",
    "stow_outcome",
]
