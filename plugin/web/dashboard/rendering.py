"""Jinja2 rendering with autoescaping on: every text that came from DICOM is escaped."""

import functools
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import jinja2
from fastapi import status
from fastapi.responses import HTMLResponse

from config import Settings
from db.exports import summarise
from db.models import ExportState, ReviewDecision
from db.worklist import SlideStatus, WorklistSlide
from plugin.analysis.quality_outputs import defect_colours
from plugin.web.failure_advice import failure_advice
from plugin.web.pacs_viewer import viewer_url
from plugin.web.viewer_assets import CLIENT_URL, VIEWER_URL, viewer_bundle

# Pages load only their own scripts, styles and images; nothing inline, no framing.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


STATUS_LABELS = {
    SlideStatus.RECEIVING: "Receiving",
    SlideStatus.WAITING: "Waiting",
    SlideStatus.QUEUED: "Queued",
    SlideStatus.RUNNING: "Analysing",
    SlideStatus.DONE: "Analysed",
    SlideStatus.FAILED: "Failed",
    SlideStatus.NOT_EVALUABLE: "Not evaluable",
    SlideStatus.CANCELLED: "Cancelled",
    SlideStatus.INCOMPLETE: "Incomplete",
}
DECISION_LABELS = {
    ReviewDecision.MALIGNANT: "Malignant",
    ReviewDecision.BENIGN: "Benign",
    ReviewDecision.NEEDS_IHC: "Needs IHC",
}


def template_environment(settings: Settings) -> jinja2.Environment:
    """The dashboard's templates, with filters for probabilities, times and person names."""
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("plugin.web", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["probability"] = probability
    environment.filters["when"] = when
    environment.filters["person"] = person_name
    environment.filters["dicom_date"] = dicom_date
    environment.filters["waiting"] = waiting
    environment.globals.update(
        threshold=settings.triage.threshold,
        refresh_seconds=settings.web.refresh_seconds,
        status_labels=STATUS_LABELS,
        decision_labels=DECISION_LABELS,
        export_summary=export_summary,
        viewer_url=functools.partial(viewer_url, settings.web.viewer_url_template),
        slide_viewer=viewer_bundle(settings),
        failure_advice=failure_advice,
        defect_colours=defect_colours(),
        slide_viewer_urls={"viewer": VIEWER_URL, "client": CLIENT_URL},
    )
    return environment


def render(
    environment: jinja2.Environment,
    name: str,
    *,
    status_code: int = status.HTTP_200_OK,
    **context: Any,
) -> HTMLResponse:
    """A page (or fragment) rendered from a template, with the dashboard's security headers."""
    html = environment.get_template(name).render(**context)
    return HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)


def export_summary(slides: Iterable[WorklistSlide]) -> ExportState | None:
    """One export state for a case: failed beats pending beats delivered."""
    return summarise([slide.export_state for slide in slides if slide.export_state is not None])


def probability(value: float | None) -> str:
    """A probability as the dashboard shows it: 0.93 (two decimals), or a dash."""
    return "–" if value is None else f"{value:.2f}"


def when(value: datetime | None) -> str:
    """A timestamp in UTC, to the minute."""
    return "–" if value is None else value.strftime("%Y-%m-%d %H:%M UTC")


def waiting(value: timedelta | None) -> str:
    """A waiting time as the worklist shows it: 2 h 10 min, 3 d 4 h, 5 min; a dash if none."""
    if value is None:
        return "–"
    minutes = int(value.total_seconds()) // 60
    days, hours, minutes = minutes // 1440, minutes // 60 % 24, minutes % 60
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min" if minutes else "under 1 min"


def dicom_date(value: str | None) -> str:
    """A DICOM date (YYYYMMDD) as the dashboard shows dates, 2007-09-24; other text as it is."""
    if not value:
        return "–"
    if len(value) == 8 and value.isdigit():
        return f"{value[:4]}-{value[4:6]}-{value[6:]}"
    return value


def person_name(value: str | None) -> str:
    """A DICOM person name (Family^Given^Middle) as Family, Given Middle."""
    if not value:
        return "–"
    family, _, rest = value.split("=")[0].partition("^")
    given = " ".join(part for part in rest.split("^") if part)
    return f"{family}, {given}" if given else family
