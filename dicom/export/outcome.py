"""What one attempt to send a result to a destination achieved, stated explicitly."""

import enum
from dataclasses import dataclass


class Verdict(enum.Enum):
    """Delivered, or failed; a failure says whether trying again later can help."""

    DELIVERED = "delivered"
    # The destination could not be reached or was busy: back off and try again.
    RETRY = "retry"
    # The destination refused what we sent: unchanged retries fail the same way until an
    # administrator changes its configuration (or ours), then retries it by hand.
    PERMANENT = "permanent"


@dataclass(frozen=True)
class ExportOutcome:
    """The verdict of one send of one result's files, why (empty when delivered), and the SOP
    Instance UIDs the destination confirmed having stored."""

    verdict: Verdict
    reason: str = ""
    confirmed: tuple[str, ...] = ()

    @property
    def delivered(self) -> bool:
        return self.verdict is Verdict.DELIVERED

    @property
    def retryable(self) -> bool:
        return self.verdict is Verdict.RETRY

    @classmethod
    def success(cls, confirmed: tuple[str, ...]) -> "ExportOutcome":
        return cls(Verdict.DELIVERED, "", confirmed)

    @classmethod
    def retry(cls, reason: str, confirmed: tuple[str, ...] = ()) -> "ExportOutcome":
        return cls(Verdict.RETRY, reason, confirmed)

    @classmethod
    def permanent(cls, reason: str, confirmed: tuple[str, ...] = ()) -> "ExportOutcome":
        return cls(Verdict.PERMANENT, reason, confirmed)


def combine(outcomes: list[ExportOutcome]) -> ExportOutcome:
    """One outcome for several files: delivered when all are; otherwise the first permanent
    failure (it needs a person), else the first retryable one. Confirmations add up."""
    confirmed = tuple(uid for outcome in outcomes for uid in outcome.confirmed)
    failures = [outcome for outcome in outcomes if not outcome.delivered]
    if not failures:
        return ExportOutcome.success(confirmed)
    permanent = [outcome for outcome in failures if outcome.verdict is Verdict.PERMANENT]
    worst = (permanent or failures)[0]
    return ExportOutcome(worst.verdict, worst.reason, confirmed)
