"""QIDO-RS: searches for studies, series and instances over what PathSentry holds."""

from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from config import Settings
from db.holdings import find_cases
from db.models import Case
from plugin.web.deps import SessionDep, StateDep
from plugin.web.dicomweb.access import DicomWebUser, audit_search
from plugin.web.dicomweb.answers import by_series, instance_answer, series_answer, study_answer
from plugin.web.dicomweb.objects import StoredObject, study_objects
from plugin.web.dicomweb.query import Query, parse_query
from plugin.web.dicomweb.routing import DICOM_JSON, DicomWebRoute, dicomweb_base

router = APIRouter(route_class=DicomWebRoute)


@router.get("/studies")
def search_studies(
    request: Request, state: StateDep, session: SessionDep, user: DicomWebUser
) -> JSONResponse:
    """Studies matching the query."""
    query = parse_query("study", _pairs(request))
    # Without a modality to match (read from the files), the database pages the cases.
    paged = not query.modality
    cases = find_cases(
        session,
        query.keys,
        limit=query.limit if paged else None,
        offset=query.offset if paged else 0,
    )
    found = []
    for case in cases:
        objects = study_objects(state.settings, case)
        if not query.modality or {stored.modality for stored in objects} & set(query.modality):
            found.append(study_answer(case, objects, dicomweb_base(request)))
    audit_search(session, user, "studies")
    return _answer(found, query.first_page() if paged else query)


@router.get("/series")
@router.get("/studies/{study}/series")
def search_series(
    request: Request, state: StateDep, session: SessionDep, user: DicomWebUser, study: str = ""
) -> JSONResponse:
    """Series matching the query (of one study, or of all)."""
    query = parse_query("series", _pairs(request), **_fixed(study=study))
    groups = by_series(_matching(session, state.settings, query))
    audit_search(session, user, "series")
    return _answer([series_answer(group, dicomweb_base(request), query) for group in groups], query)


@router.get("/instances")
@router.get("/studies/{study}/instances")
@router.get("/studies/{study}/series/{series}/instances")
def search_instances(
    request: Request,
    state: StateDep,
    session: SessionDep,
    user: DicomWebUser,
    study: str = "",
    series: str = "",
) -> JSONResponse:
    """Instances matching the query (of one series, one study, or of all)."""
    query = parse_query("instance", _pairs(request), **_fixed(study=study, series=series))
    found = _matching(session, state.settings, query)
    audit_search(session, user, "instances")
    return _answer(
        [instance_answer(stored, dicomweb_base(request), query) for stored in found], query
    )


def _matching(session: Session, settings: Settings, query: Query) -> list[StoredObject]:
    cases: Sequence[Case] = find_cases(session, query.keys)
    keys = query.keys
    return [
        stored
        for case in cases
        for stored in study_objects(settings, case)
        if (not keys.series_uids or stored.series_uid in keys.series_uids)
        and (not keys.sop_instance_uids or stored.sop_instance_uid in keys.sop_instance_uids)
        and (not query.modality or stored.modality in query.modality)
        and (not query.sop_class_uids or stored.sop_class_uid in query.sop_class_uids)
    ]


def _answer(found: list[dict[str, Any]], query: Query) -> JSONResponse:
    page = found[query.offset : query.offset + query.limit]
    headers = {"Cache-Control": "private, no-cache"}
    if query.ignored:
        names = ", ".join(sorted(set(query.ignored)))
        headers["Warning"] = f'299 PathSentry "The fields {names} are not supported for matching"'
    return JSONResponse(page, media_type=DICOM_JSON, headers=headers)


def _pairs(request: Request) -> list[tuple[str, str]]:
    return list(request.query_params.multi_items())


def _fixed(**uids: str) -> dict[str, str]:
    names = {"study": "StudyInstanceUID", "series": "SeriesInstanceUID"}
    return {names[name]: uid for name, uid in uids.items() if uid}


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/dicom-web"
