"""Dashboard pages: login, the worklist (refreshing itself), the case page and its actions."""

import logging
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from db import audit, jobs, tokens
from db.cases import load_case
from db.models import ReviewDecision, Role, utcnow
from db.worklist import WorklistFilter, WorklistPage, worklist, worklist_entry
from plugin.web import actions
from plugin.web.dashboard.forms import FormDep, check_csrf
from plugin.web.dashboard.rendering import render
from plugin.web.deps import (
    DashboardAdmin,
    DashboardPathologist,
    DashboardUser,
    SessionDep,
    StateDep,
)
from plugin.web.files import OutputKind
from plugin.web.params import MAX_OFFSET, RowId
from plugin.web.presenters import case_public
from plugin.web.proxy import is_cross_origin, is_https, own_origin
from plugin.web.schemas import PriorityName
from plugin.web.sessions import COOKIE, SESSION_SECONDS, open_session
from plugin.web.state import AppState
from plugin.web.viewer_assets import VIEWER_PAGE_CSP, viewer_bundle

router = APIRouter(include_in_schema=False)

log = logging.getLogger(__name__)

PAGE_SIZE = 50


class WorklistView(BaseModel):
    """The dashboard's worklist filters, as query parameters."""

    model_config = ConfigDict(extra="ignore")

    view: Literal["todo", "reviewed", "all"] = "todo"
    group: PriorityName | Literal[""] = ""
    q: str = Field(default="", max_length=200)
    page: int = Field(default=1, ge=1, le=MAX_OFFSET // PAGE_SIZE)

    def to_filter(self) -> WorklistFilter:
        """The database layer's filter."""
        reviewed = {"todo": False, "reviewed": True, "all": None}[self.view]
        groups = frozenset({self.group.priority}) if self.group else frozenset()
        return WorklistFilter(priorities=groups, reviewed=reviewed, search=self.q or None)

    def link(self, **changes: object) -> str:
        """The query string of this view with some parameters changed."""
        values = {**self.model_dump(), **changes}
        return urlencode({key: value for key, value in values.items() if value not in ("", None)})


View = Annotated[WorklistView, Query()]


def login_url(target: str) -> str:
    """The login page, coming back to `target` afterwards."""
    return "/login?" + urlencode({"next": _safe_target(target)})


@router.get("/login")
def login_page(state: StateDep, target: Annotated[str, Query(alias="next")] = "/") -> HTMLResponse:
    """The login form: paste a token once; it is kept in an HttpOnly cookie."""
    return render(state.templates, "login.html", target=_safe_target(target), error=None, user=None)


@router.post("/login", response_model=None)
def login(
    request: Request, form: FormDep, state: StateDep, session: SessionDep
) -> HTMLResponse | RedirectResponse:
    """Check the token; on success set the session cookie and go where the user wanted."""
    web = state.settings.web
    if is_cross_origin(request, web):
        log.warning(
            "login refused: the form came from %s, not %s (behind a reverse proxy, set "
            "web.trust_proxy_headers and have it send X-Forwarded-Proto and X-Forwarded-Host)",
            request.headers.get("origin", request.headers.get("referer")),
            own_origin(request, web),
        )
        raise HTTPException(status.HTTP_403_FORBIDDEN, "log in from PathSentry's own login page")
    secret, target = form.get("token", "").strip(), _safe_target(form.get("next", "/"))
    token = tokens.authenticate(session, secret) if secret else None
    if token is None:
        audit.record(session, "(unknown token)", audit.Action.LOGIN_FAILED, detail="dashboard")
        session.commit()
        error = "That token is not valid (or was revoked). Ask an administrator for a new one."
        return render(
            state.templates, "login.html", target=target, error=error, user=None, status_code=401
        )
    audit.record(session, token.name, audit.Action.LOGIN, detail="dashboard")
    session.commit()
    response = RedirectResponse(target, status.HTTP_303_SEE_OTHER)
    response.set_cookie(
        COOKIE,
        open_session(token, state.session_key),
        max_age=SESSION_SECONDS,
        httponly=True,
        samesite="strict",
        secure=is_https(request, web),
    )
    return response


@router.post("/logout")
def logout(form: FormDep, session: SessionDep, user: DashboardUser) -> RedirectResponse:
    """Forget the session cookie."""
    check_csrf(user, form)
    audit.record(session, user.name, audit.Action.LOGOUT, detail="dashboard")
    session.commit()
    response = RedirectResponse("/login", status.HTTP_303_SEE_OTHER)
    response.delete_cookie(COOKIE, httponly=True, samesite="strict")
    return response


@router.get("/")
def worklist_page(
    view: View, state: StateDep, session: SessionDep, user: DashboardUser
) -> HTMLResponse:
    """The worklist in priority order; its rows refresh themselves."""
    page = _page(session, state, view)
    audit.record(session, user.name, audit.Action.WORKLIST_VIEW, detail="dashboard")
    session.commit()
    return render(state.templates, "worklist.html", user=user, page=page, view=view, now=utcnow())


@router.get("/fragments/worklist")
def worklist_rows(
    view: View, state: StateDep, session: SessionDep, user: DashboardUser
) -> HTMLResponse:
    """The worklist's rows alone, for the page's periodic refresh."""
    page = _page(session, state, view)
    return render(state.templates, "_worklist_rows.html", page=page, view=view, now=utcnow())


@router.get("/cases/{case_id}")
def case_page(
    case_id: RowId, state: StateDep, session: SessionDep, user: DashboardUser
) -> HTMLResponse:
    """A case: slides with thumbnail and heatmap overlay, scores, outputs, exports, reviews."""
    threshold = state.settings.triage.threshold
    case = case_public(
        load_case(session, case_id), worklist_entry(session, threshold, case_id), threshold
    )
    audit.record(session, user.name, audit.Action.CASE_VIEW, case_id=case_id, detail="dashboard")
    session.commit()
    can_act = user.allows(Role.PATHOLOGIST)
    can_admin = user.allows(Role.ADMIN)
    following = _next_case(session, state, case_id) if case.reviews else None
    page = render(
        state.templates,
        "case.html",
        user=user,
        case=case,
        can_act=can_act,
        can_admin=can_admin,
        next_case=following,
    )
    if viewer_bundle(state.settings).available:
        page.headers["Content-Security-Policy"] = VIEWER_PAGE_CSP
    return page


@router.post("/cases/{case_id}/reviews")
def review(
    case_id: RowId, form: FormDep, state: StateDep, session: SessionDep, user: DashboardPathologist
) -> RedirectResponse:
    """Record the pathologist's decision from the case page's buttons."""
    check_csrf(user, form)
    decision = _decision(form.get("decision", ""))
    comment = form.get("comment", "").strip()[:2000] or None
    actions.review_case(session, state.settings, user.name, case_id, decision, comment)
    return RedirectResponse(f"/cases/{case_id}#reviews", status.HTTP_303_SEE_OTHER)


@router.post("/exports/{export_id}/retry")
def retry_export(
    export_id: RowId, form: FormDep, session: SessionDep, user: DashboardPathologist
) -> RedirectResponse:
    """Send a failed export again now."""
    check_csrf(user, form)
    slide = actions.retry_export(session, user.name, export_id).result.job.slide
    return RedirectResponse(f"/cases/{slide.case_id}#slide-{slide.id}", status.HTTP_303_SEE_OTHER)


@router.post("/jobs/{job_id}/retry")
def retry_job(
    job_id: RowId, form: FormDep, session: SessionDep, user: DashboardAdmin
) -> RedirectResponse:
    """Queue a failed, not-evaluable or cancelled analysis again (admins)."""
    check_csrf(user, form)
    job = jobs.retry(session, job_id)
    slide = job.slide
    audit.record(
        session, user.name, audit.Action.JOB_RETRY, case_id=slide.case_id, slide_id=slide.id
    )
    session.commit()
    return RedirectResponse(f"/cases/{slide.case_id}#slide-{slide.id}", status.HTTP_303_SEE_OTHER)


@router.get("/results/{result_id}/files/{kind}")
def result_file(
    result_id: RowId, kind: OutputKind, state: StateDep, session: SessionDep, user: DashboardUser
) -> FileResponse:
    """A result's thumbnail or heatmap (for the case page), or its SEG or SR (download)."""
    return actions.result_output(session, state.settings, user.name, result_id, kind)


def _page(session: Session, state: AppState, view: WorklistView) -> WorklistPage:
    offset = (view.page - 1) * PAGE_SIZE
    threshold = state.settings.triage.threshold
    return worklist(session, threshold, view.to_filter(), limit=PAGE_SIZE, offset=offset)


def _next_case(session: Session, state: AppState, case_id: int) -> int | None:
    """The first case still to review, in priority order, other than this one."""
    todo = WorklistFilter(reviewed=False)
    entries = worklist(session, state.settings.triage.threshold, todo, limit=2).entries
    return next((entry.case_id for entry in entries if entry.case_id != case_id), None)


def _decision(value: str) -> ReviewDecision:
    try:
        return ReviewDecision(value)
    except ValueError:
        choices = ", ".join(decision.value for decision in ReviewDecision)
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, f"decision must be one of {choices}"
        ) from None


def _safe_target(target: str) -> str:
    """Only paths on this site, so that the login page cannot be used to redirect elsewhere."""
    if not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    return target
