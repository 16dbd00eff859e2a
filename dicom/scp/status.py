"""The C-STORE statuses the SCP answers with (PS3.4 B.2.3, PS3.7 C), and refusals that carry one.

| status | when                                                                     |
|--------|--------------------------------------------------------------------------|
| 0x0000 | stored and indexed, or the identical instance was already stored         |
| 0x0111 | the SOP Instance UID is already stored with different content (kept)     |
| 0x0110 | we failed (database unreachable, unexpected error): sending again may work|
| 0x0122 | the SOP class is not one we store                                        |
| 0xA700 | out of resources: disk full or below the free-space floor                |
| 0xA900 | the data set cannot be indexed: a required attribute missing or invalid  |
| 0xC000 | the data set cannot be parsed, or it is truncated                        |

Every failure carries an Error Comment (0000,0902) that says why, for the sender's log.
"""

import enum

from pydicom.dataset import Dataset

from config.errors import PathSentryError

# Error Comment is LO: at most 64 characters.
MAX_ERROR_COMMENT = 64


class StoreStatus(enum.IntEnum):
    """The statuses our storage SCP returns."""

    SUCCESS = 0x0000
    PROCESSING_FAILURE = 0x0110
    DUPLICATE_SOP_INSTANCE = 0x0111
    SOP_CLASS_NOT_SUPPORTED = 0x0122
    OUT_OF_RESOURCES = 0xA700
    DATA_SET_DOES_NOT_MATCH = 0xA900
    CANNOT_UNDERSTAND = 0xC000


class InstanceRefusedError(PathSentryError):
    """An instance we do not store: the status to answer and the reason (logged and sent)."""

    def __init__(self, status: StoreStatus, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def response(status: StoreStatus, comment: str | None = None) -> Dataset:
    """The status data set a pynetdicom handler returns, with the reason as Error Comment."""
    answer = Dataset()
    answer.Status = int(status)
    if comment and status is not StoreStatus.SUCCESS:
        answer.ErrorComment = _error_comment(comment)
    return answer


def _error_comment(text: str) -> str:
    # LO allows no backslash or control characters; the full reason is in our log.
    cleaned = "".join(ch if ch.isprintable() and ch != "\\" else " " for ch in text)
    if len(cleaned) <= MAX_ERROR_COMMENT:
        return cleaned
    return cleaned[: MAX_ERROR_COMMENT - 3] + "..."
