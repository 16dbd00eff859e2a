"""WADO-RS: metadata, frames (as stored), bulk data and whole instances, streamed from files."""

import hashlib
from collections.abc import Iterator, Sequence
from typing import Annotated

from fastapi import APIRouter, Header, Request, status
from fastapi.responses import JSONResponse, Response, StreamingResponse

from dicom.frames_index import CHUNK, FrameIndex
from dicom.json_metadata import bulk_value, header_json
from plugin.web.deps import SessionDep, StateDep
from plugin.web.dicomweb.access import DicomWebUser, audit_view
from plugin.web.dicomweb.media import JPEG, frame_media_type, rendered_media_type
from plugin.web.dicomweb.multipart import content_type, new_boundary, stream_parts
from plugin.web.dicomweb.objects import (
    StoredObject,
    checked,
    frame_index_of,
    header_of,
    objects_in,
    one_object,
)
from plugin.web.dicomweb.query import QueryError
from plugin.web.dicomweb.routing import DICOM_JSON, DicomWebRoute, dicomweb_base

router = APIRouter(route_class=DicomWebRoute)

# Frames of an instance never change while its file does not (the ETag follows the file);
# metadata is revalidated each time because a re-analysis may replace result objects.
FRAMES_CACHE = "private, max-age=86400"
METADATA_CACHE = "private, no-cache"
OCTET_STREAM = "application/octet-stream"
IfNoneMatch = Annotated[str | None, Header()]
Accept = Annotated[str | None, Header()]
INSTANCE = "/studies/{study}/series/{series}/instances/{sop}"


@router.get("/studies/{study}/metadata")
@router.get("/studies/{study}/series/{series}/metadata")
def metadata(
    request: Request,
    state: StateDep,
    session: SessionDep,
    user: DicomWebUser,
    study: str,
    series: str | None = None,
    if_none_match: IfNoneMatch = None,
) -> Response:
    """The metadata of every instance of a study or series (DICOM JSON, bulk data as URIs)."""
    found = [
        checked(state.settings, stored)
        for stored in objects_in(session, state.settings, study, series)
    ]
    audit_view(session, user, found[0], "metadata")
    return _metadata(request, found, if_none_match)


@router.get(INSTANCE + "/metadata")
def instance_metadata(
    request: Request,
    state: StateDep,
    session: SessionDep,
    user: DicomWebUser,
    study: str,
    series: str,
    sop: str,
    if_none_match: IfNoneMatch = None,
) -> Response:
    """The metadata of one instance."""
    stored = one_object(session, state.settings, study, series, sop)
    audit_view(session, user, stored, "metadata")
    return _metadata(request, [stored], if_none_match)


@router.get(INSTANCE + "/frames/{frames}")
def frames(
    state: StateDep,
    session: SessionDep,
    _user: DicomWebUser,
    study: str,
    series: str,
    sop: str,
    frames: str,
    accept: Accept = None,
    if_none_match: IfNoneMatch = None,
) -> Response:
    """Frames as stored (JPEG as image/jpeg, no decoding), one multipart part per frame.

    Not audited frame by frame: a viewer asks for hundreds; the metadata it needs first is.
    """
    stored = one_object(session, state.settings, study, series, sop)
    numbers = _frame_numbers(frames)
    index = frame_index_of(stored)
    for number in numbers:
        index.frame_length(number)  # a missing frame fails here, before the response starts
    part = frame_media_type(accept, index.transfer_syntax_uid)
    tag = _etag(stored.etag(), part, frames)
    if _fresh(if_none_match, tag):
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=_cache(tag, FRAMES_CACHE))
    boundary = new_boundary()
    syntax = index.transfer_syntax_uid
    body = stream_parts(boundary, _frame_parts(index, numbers, f"{part}; transfer-syntax={syntax}"))
    return StreamingResponse(
        body, media_type=content_type(boundary, part, syntax), headers=_cache(tag, FRAMES_CACHE)
    )


@router.get(INSTANCE + "/rendered")
@router.get(INSTANCE + "/frames/{frame}/rendered")
def rendered(
    state: StateDep,
    session: SessionDep,
    _user: DicomWebUser,
    study: str,
    series: str,
    sop: str,
    frame: int = 1,
    accept: Accept = None,
    if_none_match: IfNoneMatch = None,
) -> Response:
    """A frame as a picture, only where that costs nothing: a baseline JPEG frame as it is
    stored (e.g. the label, the overview or a tile); anything else is 406 (no decoding here)."""
    stored = one_object(session, state.settings, study, series, sop)
    index = frame_index_of(stored)
    index.frame_length(frame)
    rendered_media_type(accept, index.transfer_syntax_uid)
    tag = _etag(stored.etag(), "rendered", str(frame))
    if _fresh(if_none_match, tag):
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=_cache(tag, FRAMES_CACHE))
    with index.path.open("rb") as handle:
        picture = b"".join(index.read_frame(handle, frame))
    return Response(picture, media_type=JPEG, headers=_cache(tag, FRAMES_CACHE))


@router.get(INSTANCE + "/bulkdata/{path:path}")
def bulkdata(
    state: StateDep,
    session: SessionDep,
    user: DicomWebUser,
    study: str,
    series: str,
    sop: str,
    path: str,
    if_none_match: IfNoneMatch = None,
) -> Response:
    """A binary header value that metadata named by a bulk data URI (e.g. an ICC profile)."""
    stored = one_object(session, state.settings, study, series, sop)
    value = bulk_value(header_of(stored), path)
    tag = _etag(stored.etag(), path)
    audit_view(session, user, stored, "bulkdata")
    if _fresh(if_none_match, tag):
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=_cache(tag, FRAMES_CACHE))
    boundary = new_boundary()
    body = b"".join(stream_parts(boundary, [(OCTET_STREAM, [value])]))
    return Response(
        body, media_type=content_type(boundary, OCTET_STREAM), headers=_cache(tag, FRAMES_CACHE)
    )


@router.get(INSTANCE)
def instance(
    state: StateDep, session: SessionDep, user: DicomWebUser, study: str, series: str, sop: str
) -> Response:
    """The whole instance as stored (application/dicom), streamed."""
    stored = one_object(session, state.settings, study, series, sop)
    audit_view(session, user, stored, "instance")
    boundary = new_boundary()
    part = f"application/dicom; transfer-syntax={stored.transfer_syntax}"
    body = stream_parts(boundary, [(part, _file_chunks(stored))])
    tag = _etag(stored.etag())
    return StreamingResponse(
        body,
        media_type=content_type(boundary, "application/dicom", stored.transfer_syntax),
        headers=_cache(tag, FRAMES_CACHE),
    )


def _metadata(
    request: Request, found: Sequence[StoredObject], if_none_match: str | None
) -> Response:
    tag = _etag(*(stored.etag() for stored in found))
    if _fresh(if_none_match, tag):
        return Response(
            status_code=status.HTTP_304_NOT_MODIFIED, headers=_cache(tag, METADATA_CACHE)
        )
    base = dicomweb_base(request)
    documents = [
        header_json(
            header_of(stored),
            f"{base}/studies/{stored.study_uid}/series/{stored.series_uid}"
            f"/instances/{stored.sop_instance_uid}/bulkdata",
        )
        for stored in found
    ]
    return JSONResponse(documents, media_type=DICOM_JSON, headers=_cache(tag, METADATA_CACHE))


def _frame_parts(
    index: FrameIndex, numbers: Sequence[int], part: str
) -> Iterator[tuple[str, Iterator[bytes]]]:
    with index.path.open("rb") as handle:
        for number in numbers:
            yield part, index.read_frame(handle, number)


def _file_chunks(stored: StoredObject) -> Iterator[bytes]:
    with stored.path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            yield chunk


def _frame_numbers(text: str) -> list[int]:
    try:
        numbers = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        numbers = []
    if not numbers or min(numbers) < 1:
        raise QueryError(f"frame numbers must be a list of whole numbers >= 1, got {text!r}")
    return numbers


def _etag(*parts: str) -> str:
    return '"' + hashlib.sha256("|".join(parts).encode()).hexdigest()[:32] + '"'


def _fresh(if_none_match: str | None, tag: str) -> bool:
    if not if_none_match:
        return False
    return if_none_match.strip() == "*" or tag in [
        value.strip() for value in if_none_match.split(",")
    ]


def _cache(tag: str, policy: str) -> dict[str, str]:
    return {"ETag": tag, "Cache-Control": policy, "Vary": "Accept, Authorization, Cookie"}
