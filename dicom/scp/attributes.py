"""Reading single attributes of an untrusted header: a value, None, or a refusal that names it.

pydicom converts values lazily, so a malformed value raises only when it is read; these readers
turn that into a precise reason (for what we need) or into None (for what we only record).
"""

import logging
import struct
from collections.abc import Iterable
from typing import Any

from pydicom.datadict import tag_for_keyword
from pydicom.dataset import Dataset
from pydicom.errors import BytesLengthException

from dicom.scp.status import InstanceRefusedError, StoreStatus
from dicom.uids import is_valid_uid

log = logging.getLogger(__name__)

# What pydicom raises for values it cannot convert (an unknown VR such as "ZZ" is a
# NotImplementedError; a value whose length does not fit its VR a BytesLengthException).
UNREADABLE = (
    ValueError,
    TypeError,
    LookupError,
    OverflowError,
    struct.error,
    NotImplementedError,
    BytesLengthException,
)
MAX_SHOWN = 64


def named(keyword: str) -> str:
    """A keyword with its tag, as a DICOM administrator looks it up: "Rows (0028,0010)"."""
    tag = tag_for_keyword(keyword)
    return keyword if tag is None else f"{keyword} ({tag >> 16:04X},{tag & 0xFFFF:04X})"


def raw_value(dataset: Dataset, keyword: str) -> Any:
    """The value, or None when absent or empty; a refusal when it cannot be decoded."""
    try:
        value = dataset.get(keyword)
    except UNREADABLE as error:
        raise _refuse(f"{named(keyword)} cannot be read: {error}") from None
    if value is None or value == "" or (isinstance(value, list | tuple) and not value):
        return None
    return value


def optional_text(dataset: Dataset, keyword: str) -> str | None:
    """A value we only record: its text, or None when absent or unreadable."""
    try:
        value = raw_value(dataset, keyword)
    except InstanceRefusedError:
        log.debug("ignoring an unreadable %s", named(keyword))
        return None
    return None if value is None else str(value).strip() or None


def required_uid(dataset: Dataset, keyword: str) -> str:
    """A UID we index and use in paths: present and valid, or a refusal that says which."""
    value = raw_value(dataset, keyword)
    if value is None:
        raise _refuse(f"{named(keyword)} is missing")
    return checked_uid(str(value), named(keyword))


def checked_uid(value: str, what: str) -> str:
    """`value` if it is a valid UID (PS3.5 9.1), else a refusal naming `what`."""
    text = value.strip().rstrip("\0")
    if not is_valid_uid(text):
        raise _refuse(f"{what} is not a valid UID: {shown(text)}")
    return text


def optional_int(dataset: Dataset, keyword: str, *, minimum: int = 1) -> int | None:
    """An integer attribute, None when absent; a refusal when it is not an integer >= minimum."""
    value = raw_value(dataset, keyword)
    if value is None:
        return None
    try:
        number = int(value)
    except UNREADABLE:
        raise _refuse(f"{named(keyword)} {shown(str(value))} is not an integer") from None
    if number < minimum:
        raise _refuse(f"{named(keyword)} is {number}, less than {minimum}")
    return number


def required_int(dataset: Dataset, keyword: str) -> int:
    """A positive integer attribute that must be there."""
    number = optional_int(dataset, keyword)
    if number is None:
        raise _refuse(f"{named(keyword)} is missing")
    return number


def values(dataset: Dataset, keyword: str) -> list[str]:
    """A multi-valued text attribute as upper-case strings (empty when absent or unreadable)."""
    try:
        value = raw_value(dataset, keyword)
    except InstanceRefusedError:
        return []
    if value is None:
        return []
    items = list(value) if isinstance(value, Iterable) and not isinstance(value, str) else [value]
    return [str(item).strip().upper() for item in items]


def shown(text: str) -> str:
    """A received value quoted for a log line or an Error Comment, cut to a sane length."""
    return repr(text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN] + "...")


def _refuse(reason: str) -> InstanceRefusedError:
    return InstanceRefusedError(StoreStatus.DATA_SET_DOES_NOT_MATCH, reason)
