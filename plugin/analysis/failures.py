"""What kind of failure an attempt ended in, which decides whether it costs the slide an attempt.

- the slide's analysis failed in a way that may pass (an I/O error, memory): an attempt is
  spent and the job retried later, until `jobs.max_attempts`;
- it failed in a way that repeats every time (a frame that cannot be decoded, a damaged or
  unusable slide): the job fails at once, with the reason;
- the service's own database failed (an outage): not the slide's fault, so the job goes back
  to the queue without spending an attempt;
- the device failed in a way that breaks its CUDA context (an illegal memory access, a launch
  failure): not the slide's fault either, and this process cannot use the device again, so the
  job goes back to the queue at once for another worker, and the worker takes no more jobs.
"""

import enum
import threading
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError

from db.models import JobState
from db.results import UnjudgedValues
from dicom.slide import SlideError
from inference.device_failure import breaks_device
from inference.errors import SlideGeometryError
from plugin.analysis.contract import JobFailedError

# Errors of the slide's content: reading it again gives the same error.
_DETERMINISTIC = (JobFailedError, SlideError, SlideGeometryError)


class FailureKind(enum.Enum):
    """Whose failure it was, and so what it costs."""

    TRANSIENT = "transient"
    DETERMINISTIC = "deterministic"
    OUTAGE = "outage"
    DEVICE_LOST = "device lost"


@dataclass(frozen=True)
class Failure:
    """An attempt that raised: the reason to record and show, and its kind; `report` is the
    "failed" SR to deliver when the job fails for good (see `fails_for_good`)."""

    reason: str
    kind: FailureKind
    report: UnjudgedValues | None = None

    def fails_for_good(self, last_attempt: bool) -> bool:
        """Whether the job fails with this attempt: a failure that repeats every time, or any
        failure of the slide's analysis on its last attempt (an outage never fails it)."""
        if self.kind is FailureKind.DETERMINISTIC:
            return True
        return self.kind is FailureKind.TRANSIENT and last_attempt


def classify(error: BaseException) -> Failure:
    """The failure that `error` (and the errors it was raised from) stands for."""
    chain = list(_causes(error))
    if isinstance(error, JobFailedError):
        return Failure(str(error), FailureKind.DETERMINISTIC)
    reason = f"{type(error).__name__}: {error}"
    if any(breaks_device(cause) for cause in chain):
        return Failure(f"the device failed ({reason})", FailureKind.DEVICE_LOST)
    if any(isinstance(cause, SQLAlchemyError) for cause in chain):
        return Failure(f"the database failed ({reason})", FailureKind.OUTAGE)
    if any(isinstance(cause, _DETERMINISTIC) for cause in chain) and not _io_error(chain[-1]):
        return Failure(reason, FailureKind.DETERMINISTIC)
    return Failure(reason, FailureKind.TRANSIENT)


class DeviceLoss:
    """Whether a worker's device broke (then it takes no more jobs), and why."""

    def __init__(self) -> None:
        self._reason: str | None = None
        self._lock = threading.Lock()

    @property
    def reason(self) -> str | None:
        """Why the device cannot be used any more; None while it works."""
        return self._reason

    def mark(self, reason: str) -> None:
        """Record the first failure that broke the device."""
        with self._lock:
            self._reason = self._reason or reason


def attempt_label(state: JobState, failure: Failure | None) -> str:
    """The `outcome` label of an attempt for metrics: the job's state, except that an attempt
    that failed and will be retried is `retried`, and one given back is `released`."""
    if state is not JobState.QUEUED:
        return state.value
    retried = failure is not None and failure.kind is FailureKind.TRANSIENT
    return "retried" if retried else "released"


def _causes(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        # As a traceback shows it: the explicit cause, else the implicit context.
        implicit = None if current.__suppress_context__ else current.__context__
        current = current.__cause__ if current.__cause__ is not None else implicit


def _io_error(error: BaseException) -> bool:
    """An operating-system I/O error (it has an errno): the storage, not the slide's bytes.

    Image decoders raise OSError without an errno for data they cannot decode."""
    return isinstance(error, OSError) and error.errno is not None
