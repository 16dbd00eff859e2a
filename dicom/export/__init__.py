"""Sending results to their destinations (C-STORE, STOW-RS, folder) with explicit outcomes, and
the back-off between attempts."""

from dicom.export.backoff import next_delay, retry_delay
from dicom.export.dicomweb import DicomwebSender
from dicom.export.dimse import DimseSender, ExportSetupError, enable_streamed_c_store
from dicom.export.folder import FolderSender
from dicom.export.outcome import ExportOutcome, Verdict
from dicom.export.senders import Sender, make_sender, send_result
from dicom.export.stow_response import StowResponse, parse_stow_response, stow_outcome

__all__ = [
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
    "next_delay",
    "parse_stow_response",
    "retry_delay",
    "send_result",
    "stow_outcome",
]
