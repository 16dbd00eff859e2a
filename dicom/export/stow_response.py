"""Reads a STOW-RS response (PS3.18 10.5.3) for one stored instance: confirmed, or failed and
why. Delivery counts only when the server confirms it."""

import json
from dataclasses import dataclass

from pydicom.dataset import Dataset

from dicom.export import status as storage_status
from dicom.export.outcome import ExportOutcome, Verdict

_FAILURE_REASON = 0x00081197
_WARNING_REASON = 0x00081196


@dataclass(frozen=True)
class StowResponse:
    """The parts of a Store Instances Response that concern the export."""

    referenced: dict[str, int | None]  # SOP Instance UID -> Warning Reason (None: none)
    failed: dict[str, int | None]  # SOP Instance UID -> Failure Reason (None: not given)


def parse_stow_response(body: bytes) -> StowResponse | None:
    """The ReferencedSOPSequence and FailedSOPSequence of a DICOM JSON response body, or None
    when the body is empty or not DICOM JSON."""
    try:
        model = json.loads(body)
        dataset = Dataset.from_json(model) if isinstance(model, dict) else None
    except (ValueError, TypeError, KeyError):
        return None
    if dataset is None:
        return None
    return StowResponse(
        referenced=_by_instance(dataset, "ReferencedSOPSequence", _WARNING_REASON),
        failed=_by_instance(dataset, "FailedSOPSequence", _FAILURE_REASON),
    )


def _by_instance(dataset: Dataset, keyword: str, reason_tag: int) -> dict[str, int | None]:
    items: dict[str, int | None] = {}
    for item in dataset.get(keyword, []):
        uid = str(item.get("ReferencedSOPInstanceUID", ""))
        reason = item.get(reason_tag)
        items[uid] = None if reason is None or reason.value is None else int(reason.value)
    return items


def stow_outcome(status_code: int, body: bytes, sop_instance_uid: str) -> ExportOutcome:
    """The outcome of storing one instance, from the HTTP status and the response body."""
    response = parse_stow_response(body) if body else None
    if response is not None and sop_instance_uid in response.failed:
        return _failed(response.failed[sop_instance_uid], status_code)
    if status_code == 200 or (200 <= status_code < 300 and _confirmed(response, sop_instance_uid)):
        return ExportOutcome.success((sop_instance_uid,))
    if 200 <= status_code < 300:
        return ExportOutcome.retry(
            f"HTTP {status_code} without confirmation that instance {sop_instance_uid} was stored"
        )
    return _http_failure(status_code)


def _confirmed(response: StowResponse | None, sop_instance_uid: str) -> bool:
    return response is not None and sop_instance_uid in response.referenced


def _failed(reason: int | None, status_code: int) -> ExportOutcome:
    if reason is None:
        return _http_failure(status_code)
    text = f"the server refused the instance: failure reason {storage_status.describe(reason)}"
    if storage_status.failure_verdict(reason) is Verdict.RETRY:
        return ExportOutcome.retry(text)
    return ExportOutcome.permanent(text)


def _http_failure(status_code: int) -> ExportOutcome:
    """HTTP errors: timeouts, rate limits and server errors pass; other client errors
    (bad request, authentication, wrong URL, unsupported media type) need a person."""
    text = f"HTTP {status_code} from the STOW-RS endpoint"
    if status_code in (408, 429) or status_code >= 500:
        return ExportOutcome.retry(text)
    if status_code in (401, 403):
        return ExportOutcome.permanent(f"{text}: check the destination's token")
    if status_code == 404:
        return ExportOutcome.permanent(f"{text}: check the destination's URL (DICOMweb root)")
    return ExportOutcome.permanent(text)
