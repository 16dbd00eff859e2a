"""Case, slide and result detail, and a result's files. Every view is audited."""

from fastapi import APIRouter
from fastapi.responses import FileResponse

from db import audit
from db.cases import load_case, load_slide
from db.results import get_result
from db.worklist import worklist_entry
from plugin.web import actions
from plugin.web.deps import CurrentUser, SessionDep, SettingsDep
from plugin.web.files import OutputKind
from plugin.web.params import RowId
from plugin.web.presenters import case_public, slide_detail
from plugin.web.schemas import CasePublic, ResultPublic, SlideDetailPublic

router = APIRouter(tags=["cases"])


@router.get("/cases/{case_id}")
def read_case(
    case_id: RowId, session: SessionDep, user: CurrentUser, settings: SettingsDep
) -> CasePublic:
    """A case with its slides (current job and result of each) and reviews."""
    entry = worklist_entry(session, settings.triage.threshold, case_id)
    case = load_case(session, case_id)
    audit.record(session, user.name, audit.Action.CASE_VIEW, case_id=case_id, detail="api")
    session.commit()
    return case_public(case, entry, settings.triage.threshold)


@router.get("/slides/{slide_id}")
def read_slide(
    slide_id: RowId, session: SessionDep, user: CurrentUser, settings: SettingsDep
) -> SlideDetailPublic:
    """A slide with its files and every job it had."""
    slide = load_slide(session, slide_id)
    audit.record(
        session, user.name, audit.Action.SLIDE_VIEW, case_id=slide.case_id, slide_id=slide_id
    )
    session.commit()
    return slide_detail(slide, settings.triage.threshold)


@router.get("/results/{result_id}")
def read_result(result_id: RowId, session: SessionDep, user: CurrentUser) -> ResultPublic:
    """What one analysis produced, with the state of its exports."""
    return ResultPublic.model_validate(get_result(session, result_id))


@router.get(
    "/results/{result_id}/files/{kind}",
    response_class=FileResponse,
    responses={200: {"content": {"image/png": {}, "application/dicom": {}}}},
)
def read_result_file(
    result_id: RowId,
    kind: OutputKind,
    session: SessionDep,
    user: CurrentUser,
    settings: SettingsDep,
) -> FileResponse:
    """The thumbnail or heatmap (PNG), or the SEG or SR (DICOM) of a result."""
    return actions.result_output(session, settings, user.name, result_id, kind)
