"""Whether every element of a received header can be decoded at all, checked before it is stored.

pydicom decodes values lazily: an element with an unknown Value Representation (say "ZZ"), or a
binary value whose length is no multiple of its size, raises only when someone reads it. We
read only a few attributes at ingest, but the analysis opens the slide later and reads others;
so such an instance is refused now (0xC000, the element named) rather than failing its slide.
"""

from typing import Any

from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.tag import Tag
from pydicom.valuerep import VR

from dicom.scp.attributes import UNREADABLE
from dicom.scp.status import InstanceRefusedError, StoreStatus

KNOWN_VRS = frozenset(vr.value for vr in VR)
# Bytes per value of the binary VRs whose length must be a multiple of it.
VALUE_SIZES = {"AT": 4, "FD": 8, "FL": 4, "SL": 4, "SS": 2, "SV": 8, "UL": 4, "US": 2, "UV": 8}
# Sequences nest a few levels in real headers (functional groups, specimen preparation).
MAX_DEPTH = 16


def check_elements(header: Dataset, depth: int = 0) -> None:
    """Refuse a header with an element that cannot be decoded, naming the element."""
    if depth > MAX_DEPTH:
        raise _refuse(f"sequences nested more than {MAX_DEPTH} deep")
    for tag in list(header.keys()):
        # keep_deferred: a long value stays on disk (elements() would read it into memory).
        element: Any = header.get_item(tag, keep_deferred=True)  # typed as converted; often raw
        if isinstance(element, RawDataElement):
            _check_raw(element)
            if element.VR != VR.SQ:
                continue
        _check_items(header, tag, depth)


def _check_raw(element: RawDataElement) -> None:
    vr = element.VR
    if vr is not None and vr not in KNOWN_VRS:
        raise _refuse(f"element {_tag(element.tag)} has an unknown VR {vr!r}")
    size = VALUE_SIZES.get(vr or "")
    length = element.length
    if size and length != 0xFFFFFFFF and length % size:
        raise _refuse(
            f"element {_tag(element.tag)} ({vr}) has {length} bytes, not a multiple of {size}"
        )


def _check_items(header: Dataset, tag: int, depth: int) -> None:
    try:
        value = header[tag].value
    except (*UNREADABLE, OSError, EOFError) as error:
        raise _refuse(f"element {_tag(tag)} cannot be read: {error}") from None
    if not isinstance(value, Sequence):
        return
    for item in value:
        check_elements(item, depth + 1)


def _tag(tag: int) -> str:
    return str(Tag(tag))


def _refuse(reason: str) -> InstanceRefusedError:
    return InstanceRefusedError(StoreStatus.CANNOT_UNDERSTAND, reason)
