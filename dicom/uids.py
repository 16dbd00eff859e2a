"""UIDs: deterministic ones for what PathSentry writes, and the syntax check for received ones."""

import re
import uuid

# Name-based (version 5) UUIDs under this namespace become 2.25 UIDs (PS3.5 B.2): the same
# names always give the same UID, and no organisation root is needed.
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://pathsentry.invalid/dicom/uid")
_UID = re.compile(r"^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))+$")
MAX_UID_LENGTH = 64


def derived_uid(*names: str | int) -> str:
    """A 2.25 UID determined by `names` alone, so rewriting the same thing gives the same UID."""
    # The unit separator keeps ("ab", "c") and ("a", "bc") apart.
    name = "\x1f".join(str(part) for part in names)
    return f"2.25.{uuid.uuid5(_NAMESPACE, name).int}"


def is_valid_uid(value: str) -> bool:
    """Whether `value` is a UID by PS3.5 9.1: at most 64 characters, digits in dotted components,
    no leading zeros."""
    return len(value) <= MAX_UID_LENGTH and _UID.match(value) is not None
