"""Reading STOW-RS responses: delivery counts only when confirmed."""

import json

import pytest
from pydicom.dataset import Dataset

from dicom.export import Verdict, parse_stow_response, stow_outcome

UID = "1.2.3.4.5"
OTHER = "1.2.3.4.6"
WARNING_REASON = 0x00081196
FAILURE_REASON = 0x00081197


def response_body(
    referenced: dict[str, int | None] | None = None, failed: dict[str, int | None] | None = None
) -> bytes:
    """A Store Instances Response in the DICOM JSON model (PS3.18 10.5.3.2)."""
    dataset = Dataset()
    dataset.RetrieveURL = "http://pacs/dicom-web/studies/1.2.3"
    if referenced is not None:
        dataset.ReferencedSOPSequence = [
            _item(uid, 0x00081196, reason) for uid, reason in referenced.items()
        ]
    if failed is not None:
        dataset.FailedSOPSequence = [
            _item(uid, 0x00081197, reason) for uid, reason in failed.items()
        ]
    return json.dumps(dataset.to_json_dict()).encode()


def _item(uid: str, reason_tag: int, reason: int | None) -> Dataset:
    item = Dataset()
    item.ReferencedSOPClassUID = "1.2.840.10008.5.1.4.1.1.66.4"
    item.ReferencedSOPInstanceUID = uid
    if reason is not None:
        item.add_new(reason_tag, "US", reason)
    return item


def test_parses_both_sequences_with_their_reasons() -> None:
    parsed = parse_stow_response(response_body({UID: None, OTHER: 0xB000}, {"9.9": 0xA700}))
    assert parsed is not None
    assert parsed.referenced == {UID: None, OTHER: 0xB000}
    assert parsed.failed == {"9.9": 0xA700}


@pytest.mark.parametrize("body", [b"", b"<xml/>", b"[1, 2]", b"{not json"])
def test_unreadable_bodies_parse_to_nothing(body: bytes) -> None:
    assert parse_stow_response(body) is None


def test_200_with_the_instance_referenced_is_delivered() -> None:
    outcome = stow_outcome(200, response_body({UID: None}), UID)
    assert outcome.delivered and outcome.confirmed == (UID,)


def test_200_is_success_by_itself_even_without_a_body() -> None:
    assert stow_outcome(200, b"", UID).delivered


def test_202_with_a_warning_is_delivered() -> None:
    assert stow_outcome(202, response_body({UID: 0xB000}), UID).delivered


def test_202_without_confirmation_is_not_delivered() -> None:
    outcome = stow_outcome(202, response_body({OTHER: None}), UID)
    assert outcome.verdict is Verdict.RETRY and "without confirmation" in outcome.reason


def test_failed_instance_is_a_failure_even_under_200() -> None:
    outcome = stow_outcome(200, response_body({}, {UID: 0xC000}), UID)
    assert outcome.verdict is Verdict.PERMANENT
    assert "0xC000 (cannot understand)" in outcome.reason


def test_out_of_resources_is_retried() -> None:
    outcome = stow_outcome(409, response_body(None, {UID: 0xA700}), UID)
    assert outcome.verdict is Verdict.RETRY and "out of resources" in outcome.reason


def test_conflict_without_a_reason_is_permanent() -> None:
    assert stow_outcome(409, b"", UID).verdict is Verdict.PERMANENT


@pytest.mark.parametrize(
    ("status_code", "verdict", "hint"),
    [
        (400, Verdict.PERMANENT, ""),
        (401, Verdict.PERMANENT, "token"),
        (403, Verdict.PERMANENT, "token"),
        (404, Verdict.PERMANENT, "URL"),
        (415, Verdict.PERMANENT, ""),
        (408, Verdict.RETRY, ""),
        (429, Verdict.RETRY, ""),
        (500, Verdict.RETRY, ""),
        (503, Verdict.RETRY, ""),
    ],
)
def test_http_errors(status_code: int, verdict: Verdict, hint: str) -> None:
    outcome = stow_outcome(status_code, b"", UID)
    assert outcome.verdict is verdict
    assert f"HTTP {status_code}" in outcome.reason and hint in outcome.reason
