"""A stored instance's header as DICOM JSON (PS3.18 F.2), large binary values as bulk data URIs.

Only the header is read (never the pixel data); values larger than `BULK_THRESHOLD` bytes are
replaced by a URI under the caller's prefix that names the element's path in the data set,
e.g. `.../bulkdata/00480105/0/00282000` (tag, item index, tag).
"""

import struct
from pathlib import Path
from typing import Any

from pydicom import dcmread
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError
from pydicom.tag import Tag

from config.errors import PathSentryError

BULK_THRESHOLD = 1024
AVAILABLE_TRANSFER_SYNTAX = "00083002"
TRANSFER_SYNTAX = "00020010"


class HeaderUnreadableError(PathSentryError):
    """A stored file's header cannot be read."""


class BulkDataNotFoundError(PathSentryError):
    """A bulk data path names no binary element of the header."""


def read_header(path: Path) -> Dataset:
    """The file's data set up to (without) its pixel data; binary values stay in memory."""
    try:
        return dcmread(path, stop_before_pixels=True)
    except (OSError, InvalidDicomError, EOFError, ValueError, struct.error) as error:
        raise HeaderUnreadableError(f"{path.name}: header unreadable: {error}") from error


def header_json(header: Dataset, bulk_prefix: str) -> dict[str, Any]:
    """The header as DICOM JSON, with the stored transfer syntax as Available Transfer Syntax."""
    document = _dataset_json(header, bulk_prefix, ())
    syntax = str(header.file_meta.get("TransferSyntaxUID", "")) if header.file_meta else ""
    if syntax:
        document[TRANSFER_SYNTAX] = {"vr": "UI", "Value": [syntax]}
        document[AVAILABLE_TRANSFER_SYNTAX] = {"vr": "UI", "Value": [syntax]}
    return dict(sorted(document.items()))


def bulk_value(header: Dataset, path: str) -> bytes:
    """The binary value at `path` (tag/item/tag/...), as bulk data URIs name it."""
    parts = [part for part in path.split("/") if part]
    current: Dataset = header
    try:
        for tag_text, item in zip(parts[:-1:2], parts[1::2], strict=True):
            current = current[Tag(tag_text)].value[int(item)]
        element = current[Tag(parts[-1])]
    except (KeyError, IndexError, ValueError, TypeError) as error:
        raise BulkDataNotFoundError(f"no bulk data at {path!r}: {error}") from None
    if not isinstance(element.value, bytes):
        raise BulkDataNotFoundError(f"the element at {path!r} is not binary")
    return element.value


def _dataset_json(dataset: Dataset, prefix: str, path: tuple[str, ...]) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for element in dataset:
        key = f"{element.tag:08X}"
        if element.tag.group == 0x0002 or (element.tag.is_private and element.VR == "UN"):
            continue
        if element.VR == "SQ":
            items = [
                _dataset_json(item, prefix, (*path, key, str(index)))
                for index, item in enumerate(element.value)
            ]
            document[key] = {"vr": "SQ", "Value": items} if items else {"vr": "SQ"}
            continue
        document[key] = _element_json(element, f"{prefix}/{'/'.join((*path, key))}")
    return document


def _element_json(element: DataElement, uri: str) -> dict[str, Any]:
    return element.to_json_dict(
        bulk_data_element_handler=lambda _element: uri, bulk_data_threshold=BULK_THRESHOLD
    )
