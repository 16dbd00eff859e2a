"""What a storage status (DIMSE C-STORE or STOW-RS Failure Reason) means for the export.

The mapping, as a PACS administrator would expect it:

| status                         | meaning                          | verdict    |
|--------------------------------|----------------------------------|------------|
| 0x0000                         | success                          | delivered  |
| 0x0001, 0xB000-0xBFFF          | stored with a warning (coercion) | delivered  |
| 0xA700-0xA7FF                  | refused: out of resources        | retry      |
| 0x0110                         | processing failure (server side) | retry      |
| 0xA900-0xA9FF                  | data set does not match SOP class| permanent  |
| 0xC000-0xCFFF (incl. 0xC122)   | cannot understand / transfer syntax not supported | permanent |
| 0x0122                         | SOP class not supported          | permanent  |
| 0x0124                         | not authorised                   | permanent  |
| anything else                  | unknown failure                  | permanent  |

A permanent failure repeats identically until someone changes the destination's configuration
(or ours); retries only wait for the destination to recover.
"""

from dicom.export.outcome import Verdict

_MEANINGS = {
    0x0110: "processing failure",
    0x0122: "SOP class not supported",
    0x0124: "not authorised",
    0xC122: "transfer syntax not supported",
}


def is_stored(status: int) -> bool:
    """Success, or success with a warning (the instance is stored, perhaps coerced)."""
    return status in (0x0000, 0x0001) or 0xB000 <= status <= 0xBFFF


def failure_verdict(status: int) -> Verdict:
    """Whether retrying can help after this failure status."""
    if 0xA700 <= status <= 0xA7FF or status == 0x0110:
        return Verdict.RETRY
    return Verdict.PERMANENT


def describe(status: int) -> str:
    """The status as the destination's administrator will look it up: hex and meaning."""
    return f"0x{status:04X} ({meaning(status)})"


def meaning(status: int) -> str:
    if status in _MEANINGS:
        return _MEANINGS[status]
    if is_stored(status):
        return "success" if status == 0 else "stored with a warning"
    if 0xA700 <= status <= 0xA7FF:
        return "out of resources"
    if 0xA900 <= status <= 0xA9FF:
        return "data set does not match SOP class"
    if 0xC000 <= status <= 0xCFFF:
        return "cannot understand"
    return "unknown failure"
