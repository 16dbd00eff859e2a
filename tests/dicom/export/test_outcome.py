"""Outcomes and what storage statuses mean for them."""

import pytest

from dicom.export import ExportOutcome, Verdict
from dicom.export.outcome import combine
from dicom.export.status import describe, failure_verdict, is_stored


def test_all_delivered_is_delivered_with_every_confirmation() -> None:
    outcome = combine([ExportOutcome.success(("1",)), ExportOutcome.success(("2",))])
    assert outcome.delivered and outcome.confirmed == ("1", "2") and outcome.reason == ""


def test_a_permanent_failure_outweighs_a_retryable_one() -> None:
    outcome = combine(
        [
            ExportOutcome.success(("1",)),
            ExportOutcome.retry("busy"),
            ExportOutcome.permanent("refused"),
        ]
    )
    assert outcome.verdict is Verdict.PERMANENT and outcome.reason == "refused"
    assert outcome.confirmed == ("1",) and not outcome.retryable


def test_retryable_when_nothing_is_permanent() -> None:
    outcome = combine([ExportOutcome.retry("busy"), ExportOutcome.success(("2",))])
    assert outcome.retryable and not outcome.delivered


@pytest.mark.parametrize(
    ("status", "stored", "verdict", "meaning"),
    [
        (0x0000, True, None, "success"),
        (0xB000, True, None, "stored with a warning"),
        (0xA700, False, Verdict.RETRY, "out of resources"),
        (0x0110, False, Verdict.RETRY, "processing failure"),
        (0xA900, False, Verdict.PERMANENT, "data set does not match SOP class"),
        (0xC000, False, Verdict.PERMANENT, "cannot understand"),
        (0xC122, False, Verdict.PERMANENT, "transfer syntax not supported"),
        (0x0122, False, Verdict.PERMANENT, "SOP class not supported"),
        (0x0124, False, Verdict.PERMANENT, "not authorised"),
        (0xF123, False, Verdict.PERMANENT, "unknown failure"),
    ],
)
def test_storage_status_mapping(
    status: int, stored: bool, verdict: Verdict | None, meaning: str
) -> None:
    assert is_stored(status) is stored
    if verdict is not None:
        assert failure_verdict(status) is verdict
    assert describe(status) == f"0x{status:04X} ({meaning})"
