"""The STOW-RS sender against a stand-in server: the request it makes and what it concludes."""

import dataclasses
import email.parser
import email.policy
import io
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr
from pydicom import dcmread

from config.settings import DicomwebDestination
from dicom.export import DicomwebSender, Verdict
from tests.dicom.export.test_stow_response import response_body
from tests.dicom.results.writing import WrittenResult

URL = "http://pacs.example/dicom-web"


def sender(
    handler: Callable[[httpx.Request], httpx.Response], token: str | None = None
) -> DicomwebSender:
    destination = DicomwebDestination(
        kind="dicomweb",
        name="web",
        url=URL,
        token=SecretStr(token) if token else None,
        timeout_s=5.0,
    )
    return DicomwebSender(destination, transport=httpx.MockTransport(handler))


def uid_of(path: Path) -> str:
    return str(dcmread(path, stop_before_pixels=True).SOPInstanceUID)


def confirm_all(request: httpx.Request) -> httpx.Response:
    part = only_part(request)
    uid = str(dcmread(io.BytesIO(part)).SOPInstanceUID)
    return httpx.Response(200, content=response_body({uid: None}))


def only_part(request: httpx.Request) -> bytes:
    """The single application/dicom part of a multipart/related request body."""
    raw = b"Content-Type: " + request.headers["content-type"].encode() + b"\r\n\r\n"
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(raw + request.read())
    parts = list(message.iter_parts())
    assert len(parts) == 1 and parts[0].get_content_type() == "application/dicom"
    payload = parts[0].get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload


def test_one_request_per_instance_with_the_file_as_its_only_part(result: WrittenResult) -> None:
    requests: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return confirm_all(request)

    outcome = sender(record, token="s3cret").send(result.delivery)
    assert outcome.delivered
    assert outcome.confirmed == tuple(uid_of(path) for path in result.paths)
    assert len(requests) == len(result.paths)
    for request, path in zip(requests, result.paths, strict=True):
        assert request.method == "POST" and str(request.url) == f"{URL}/studies"
        content_type = request.headers["content-type"]
        assert content_type.startswith("multipart/related;")
        assert 'type="application/dicom"' in content_type
        assert request.headers["accept"] == "application/dicom+json"
        assert request.headers["authorization"] == "Bearer s3cret"
        assert int(request.headers["content-length"]) == len(request.content)
        assert only_part(request) == path.read_bytes()


def test_a_url_ending_in_studies_is_kept() -> None:
    destination = DicomwebDestination(kind="dicomweb", name="w", url=f"{URL}/studies/")
    assert DicomwebSender(destination).studies_url == f"{URL}/studies"


def test_a_refused_instance_does_not_stop_the_others(result: WrittenResult) -> None:
    refused = uid_of(result.seg_paths[0])

    def refuse_first(request: httpx.Request) -> httpx.Response:
        uid = str(dcmread(io.BytesIO(only_part(request))).SOPInstanceUID)
        if uid == refused:
            return httpx.Response(409, content=response_body(None, {uid: 0x0122}))
        return httpx.Response(200, content=response_body({uid: None}))

    outcome = sender(refuse_first).send(result.delivery)
    assert outcome.verdict is Verdict.PERMANENT
    assert "0x0122 (SOP class not supported)" in outcome.reason
    assert outcome.confirmed == tuple(uid_of(path) for path in result.paths[1:])


def test_an_endpoint_failure_stops_at_the_first_file(result: WrittenResult) -> None:
    calls: list[httpx.Request] = []

    def unauthorised(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(401)

    outcome = sender(unauthorised).send(result.delivery)
    assert outcome.verdict is Verdict.PERMANENT and "token" in outcome.reason
    assert len(calls) == 1


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (httpx.ConnectError("Connection refused"), "cannot reach"),
        (httpx.ReadTimeout("timed out"), "no answer"),
    ],
)
def test_network_trouble_is_retried(
    result: WrittenResult, error: httpx.TransportError, words: str
) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise error

    outcome = sender(fail).send(result.delivery)
    assert outcome.verdict is Verdict.RETRY and words in outcome.reason
    assert outcome.confirmed == ()


def test_an_unreadable_result_file_is_permanent(tmp_path: Path, result: WrittenResult) -> None:
    missing = dataclasses.replace(result.report, path=tmp_path / "gone.dcm")
    outcome = sender(confirm_all).send(result.delivery_of([missing]))
    assert outcome.verdict is Verdict.PERMANENT and "gone.dcm" in outcome.reason
