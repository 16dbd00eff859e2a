"""Export by STOW-RS (PS3.18 10.5): one instance per request, multipart/related with one
application/dicom part streamed from the file."""

import logging
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx

from config.settings import DicomwebDestination
from dicom.export.delivery import Delivery
from dicom.export.outcome import ExportOutcome, combine
from dicom.export.stow_response import stow_outcome
from dicom.results.written_file import WrittenFile

log = logging.getLogger(__name__)

_CHUNK = 1 << 20
# The statuses with which a STOW-RS server answers for the instances themselves (PS3.18 10.5.3).
_STORE_RESPONSES = (200, 202, 409)


class DicomwebSender:
    """Stores a result's files at `<url>/studies`, one request each; thread-safe, stateless.

    `url` is the DICOMweb root (for Orthanc http://host:8042/dicom-web); a URL that already ends
    in /studies is used as it is. `transport` replaces the network (tests).
    """

    def __init__(
        self, destination: DicomwebDestination, *, transport: httpx.BaseTransport | None = None
    ) -> None:
        self.name = destination.name
        root = destination.url.rstrip("/")
        self.studies_url = root if root.endswith("/studies") else f"{root}/studies"
        self.timeout_s = destination.timeout_s
        self._token = destination.token
        self._transport = transport

    def send(self, delivery: Delivery) -> ExportOutcome:
        outcomes: list[ExportOutcome] = []
        with self._client() as client:
            for file in delivery.files:
                outcome, endpoint_failed = self._store(client, file)
                outcomes.append(outcome)
                if endpoint_failed:
                    # Unreachable, overloaded, wrong URL or token: the other files would fail
                    # the same way. A refusal of one instance does not stop the others.
                    break
        return combine(outcomes)

    def _client(self) -> httpx.Client:
        headers = {"Accept": "application/dicom+json"}
        if self._token is not None:
            headers["Authorization"] = f"Bearer {self._token.get_secret_value()}"
        return httpx.Client(headers=headers, timeout=self.timeout_s, transport=self._transport)

    def _store(self, client: httpx.Client, file: WrittenFile) -> tuple[ExportOutcome, bool]:
        """The outcome for one file, and whether the endpoint itself failed."""
        path, uid = file.path, file.sop_instance_uid
        try:
            size = path.stat().st_size
        except OSError as error:
            return ExportOutcome.permanent(f"cannot read the result file {path}: {error}"), False
        boundary = uuid.uuid4().hex
        head, tail = _part_delimiters(boundary)
        headers = {
            "Content-Type": f'multipart/related; type="application/dicom"; boundary={boundary}',
            "Content-Length": str(len(head) + size + len(tail)),
        }
        try:
            response = client.post(
                self.studies_url, content=_body(path, head, tail), headers=headers
            )
        except httpx.TimeoutException:
            timeout = f"no answer from {self.studies_url} within {self.timeout_s:g} s"
            return ExportOutcome.retry(timeout), True
        except httpx.TransportError as error:
            return ExportOutcome.retry(f"cannot reach {self.studies_url}: {error}"), True
        outcome = stow_outcome(response.status_code, response.content, uid)
        if not outcome.delivered:
            log.warning("export to %s: %s", self.name, outcome.reason)
        return outcome, response.status_code not in _STORE_RESPONSES


def _part_delimiters(boundary: str) -> tuple[bytes, bytes]:
    head = f"--{boundary}\r\nContent-Type: application/dicom\r\n\r\n".encode("ascii")
    tail = f"\r\n--{boundary}--\r\n".encode("ascii")
    return head, tail


def _body(path: Path, head: bytes, tail: bytes) -> Iterator[bytes]:
    """The request body, read from the file as it is sent (memory stays flat)."""
    yield head
    with path.open("rb") as source:
        while chunk := source.read(_CHUNK):
            yield chunk
    yield tail
