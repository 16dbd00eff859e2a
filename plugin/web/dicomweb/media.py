"""Media types of frames and their negotiation against an Accept header (PS3.18 8.7)."""

from dataclasses import dataclass

from pydicom.uid import UID

OCTET_STREAM = "application/octet-stream"
JPEG = "image/jpeg"
JPEG_BASELINE = "1.2.840.10008.1.2.4.50"
_BY_SYNTAX = {
    "1.2.840.10008.1.2.4.50": "image/jpeg",
    "1.2.840.10008.1.2.4.51": "image/jpeg",
    "1.2.840.10008.1.2.4.57": "image/jpeg",
    "1.2.840.10008.1.2.4.70": "image/jpeg",
    "1.2.840.10008.1.2.4.80": "image/jls",
    "1.2.840.10008.1.2.4.81": "image/jls",
    "1.2.840.10008.1.2.4.90": "image/jp2",
    "1.2.840.10008.1.2.4.91": "image/jp2",
    "1.2.840.10008.1.2.4.201": "image/jphc",
    "1.2.840.10008.1.2.4.202": "image/jphc",
    "1.2.840.10008.1.2.4.203": "image/jphc",
    "1.2.840.10008.1.2.5": "image/dicom-rle",
}


@dataclass(frozen=True)
class MediaRange:
    """One entry of an Accept header: `multipart/related; type="..."; transfer-syntax=...`."""

    media_type: str
    part_type: str | None
    transfer_syntax: str | None


class NotAcceptableError(Exception):
    """The client accepts none of the representations this server has (no transcoding)."""


def stored_media_type(transfer_syntax: str) -> str:
    """The media type of frames stored in `transfer_syntax` (native: application/octet-stream)."""
    if not UID(transfer_syntax).is_encapsulated:
        return OCTET_STREAM
    return _BY_SYNTAX.get(transfer_syntax, OCTET_STREAM)


def parse_accept(header: str | None) -> list[MediaRange]:
    """The entries of an Accept header (quality values ignored: every entry is acceptable)."""
    ranges = []
    for entry in (header or "*/*").split(","):
        kind, *parameters = [part.strip() for part in entry.split(";")]
        values = dict(_parameter(part) for part in parameters if "=" in part)
        ranges.append(MediaRange(kind.lower(), values.get("type"), values.get("transfer-syntax")))
    return ranges


def frame_media_type(accept: str | None, transfer_syntax: str) -> str:
    """The part media type to send frames stored in `transfer_syntax` as, or NotAcceptable."""
    stored = stored_media_type(transfer_syntax)
    for entry in parse_accept(accept):
        if entry.media_type in ("*/*", "multipart/*") or entry.media_type == "multipart/related":
            chosen = _part_type(entry, stored, transfer_syntax)
            if chosen is not None:
                return chosen
    raise NotAcceptableError(
        f"frames are stored as {stored} (transfer syntax {transfer_syntax}) and are not "
        "transcoded; accept that, or application/octet-stream with transfer-syntax=*"
    )


def rendered_media_type(accept: str | None, transfer_syntax: str) -> str:
    """image/jpeg for a stored baseline JPEG frame the client accepts as such; else refused."""
    kinds = {entry.media_type for entry in parse_accept(accept)}
    if transfer_syntax == JPEG_BASELINE and kinds & {JPEG, "image/*", "*/*"}:
        return JPEG
    raise NotAcceptableError(
        f"rendered frames are served only from baseline JPEG frames as image/jpeg (no "
        f"decoding); this instance is stored as {transfer_syntax}"
    )


def _part_type(entry: MediaRange, stored: str, transfer_syntax: str) -> str | None:
    syntax_ok = entry.transfer_syntax in (None, "*", transfer_syntax)
    if entry.part_type in (None, "*/*", stored) and syntax_ok:
        return stored
    if entry.part_type == OCTET_STREAM and entry.transfer_syntax in ("*", transfer_syntax):
        return OCTET_STREAM
    native = stored == OCTET_STREAM and entry.transfer_syntax in (None, "1.2.840.10008.1.2.1")
    return OCTET_STREAM if entry.part_type == OCTET_STREAM and native else None


def _parameter(text: str) -> tuple[str, str]:
    name, _, value = text.partition("=")
    return name.strip().lower(), value.strip().strip('"')
