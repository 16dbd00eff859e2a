"""The demo a newcomer runs first: synthetic slides sent to a live service, as a scanner would.

`run_demo` makes a handful of slides (cached between runs: the same seed gives the same slide),
starts the whole service on free ports with a fresh database, sends every slide by C-STORE,
waits for the analyses and the exports, and returns the worklist in priority order.
"""

import logging
import secrets
import shutil
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr
from pydicom import dcmread
from sqlalchemy import select

from config import PathSentryError, Settings
from config.settings import DimseDestination, FolderDestination
from db import worklist
from db.models import ExportState, Job, JobState, Slide
from dicom.export import DimseSender
from plugin.service import Service, start_service
from plugin.tools.synthetic_slide import SyntheticSlideRequest, write_synthetic_slide

log = logging.getLogger(__name__)

SCANNER_AE = "DEMO-SCANNER"
INBOX = "demo-inbox"
DEFAULT_WEB_PORT = 8000
# A slide whose job ended without a result needs no more waiting (the worklist flags it).
_ENDED_WITHOUT_RESULT = {JobState.FAILED, JobState.NOT_EVALUABLE, JobState.CANCELLED}


@dataclass(frozen=True)
class DemoSlide:
    """One synthetic slide of the demo: its kind, seed and (fake) case."""

    kind: str
    seed: int
    case: str
    width_mm: float = 1.6
    height_mm: float = 1.2

    @property
    def folder_name(self) -> str:
        return f"{self.case}-{self.kind}-{self.seed}"


# Six slides in four cases; the seeds are not among those the demo model was trained on.
DEMO_SLIDES = (
    DemoSlide("benign", 9101, "DEMO-1"),
    DemoSlide("malignant", 9102, "DEMO-1"),
    DemoSlide("benign", 9201, "DEMO-2"),
    DemoSlide("malignant", 9301, "DEMO-3"),
    DemoSlide("benign", 9401, "DEMO-4"),
    DemoSlide("benign", 9402, "DEMO-4"),
)


@dataclass(frozen=True)
class SlideProgress:
    """Where one demo slide stands in the service."""

    name: str
    status: str
    progress: float
    exported: bool


class DemoError(PathSentryError):
    """The demo could not complete; the message says what went wrong."""


def make_slides(folder: Path, slides: Sequence[DemoSlide] = DEMO_SLIDES) -> list[Path]:
    """Write the demo's slides under `folder`, reusing those already written."""
    paths = []
    for slide in slides:
        out = folder / slide.folder_name
        if not (out / "truth" / "truth.json").is_file():
            request = SyntheticSlideRequest(
                kind=slide.kind,
                seed=slide.seed,
                width_um=slide.width_mm * 1000,
                height_um=slide.height_mm * 1000,
                case=slide.case,
            )
            shutil.rmtree(out, ignore_errors=True)
            write_synthetic_slide(out, request)
            log.info("made slide %s", out.name)
        paths.append(out)
    return paths


def demo_settings(base: Settings, folder: Path) -> Settings:
    """The user's settings, with the demo's data folder, free loopback ports, a folder
    destination added to any configured ones, and an admin token for the dashboard."""
    dicom = base.dicom.model_copy(
        update={
            "host": "127.0.0.1",
            "port": free_port(),
            "allowed_calling_ae_titles": _with(base.dicom.allowed_calling_ae_titles, SCANNER_AE),
        }
    )
    inbox = FolderDestination(kind="folder", name=INBOX, path=folder / "inbox")
    export = base.export.model_copy(update={"destinations": [*base.export.destinations, inbox]})
    token = base.web.admin_token or SecretStr(secrets.token_urlsafe(24))
    web = base.web.model_copy(
        update={"host": "127.0.0.1", "port": free_port(DEFAULT_WEB_PORT), "admin_token": token}
    )
    storage = base.storage.model_copy(update={"data_dir": folder / "data"})
    return base.model_copy(
        update={"dicom": dicom, "export": export, "web": web, "storage": storage}
    )


def start_demo_service(settings: Settings) -> Service:
    """A fresh service: the demo's database and storage are emptied first."""
    shutil.rmtree(settings.storage.data_dir, ignore_errors=True)
    for destination in settings.export.destinations:
        if isinstance(destination, FolderDestination) and destination.name == INBOX:
            shutil.rmtree(destination.path, ignore_errors=True)
            destination.path.mkdir(parents=True)
    return start_service(settings)


def send_slides(service: Service, slides: Sequence[Path]) -> None:
    """C-STORE every file of every slide to the service, one association per slide."""
    scanner = DimseSender(
        DimseDestination(
            kind="dimse",
            name="demo-scanner",
            ae_title=service.settings.dicom.ae_title,
            host="127.0.0.1",
            port=service.dicom_port,
            calling_ae_title=SCANNER_AE,
        )
    )
    for slide in slides:
        outcome = scanner.send_files(sorted(slide.glob("*.dcm")))
        if not outcome.delivered:
            raise DemoError(f"sending {slide.name} failed: {outcome.reason}")
        log.info("sent %s (%d files)", slide.name, len(outcome.confirmed))


def slide_progress(service: Service, slides: Sequence[Path]) -> list[SlideProgress]:
    """Each slide's job status and progress, and whether its results reached the inbox."""
    names = {_series_uid(slide): slide.name for slide in slides}
    found = {}
    with service.database.session() as session:
        for row in session.scalars(select(Slide).where(Slide.series_instance_uid.in_(names))):
            job: Job | None = row.jobs[-1] if row.jobs else None
            exports = list(job.result.exports) if job and job.result else []
            found[row.series_instance_uid] = SlideProgress(
                name=names[row.series_instance_uid],
                status=job.state.value if job else row.state.value,
                progress=job.progress if job else 0.0,
                exported=bool(exports) and all(e.state is not ExportState.PENDING for e in exports),
            )
    waiting = SlideProgress("", "receiving", 0.0, False)
    return [found.get(uid, _renamed(waiting, name)) for uid, name in names.items()]


def wait_for_analyses(
    service: Service,
    slides: Sequence[Path],
    report: Callable[[list[SlideProgress]], None],
    timeout_s: float = 1800.0,
) -> list[SlideProgress]:
    """Report progress until every slide is analysed (or failed) and its exports settled."""
    deadline = time.monotonic() + timeout_s
    while True:
        states = slide_progress(service, slides)
        report(states)
        if all(_settled(state) for state in states):
            return states
        if time.monotonic() > deadline:
            raise DemoError(f"the analyses did not finish within {timeout_s:.0f} s")
        time.sleep(0.5)


def ranked_cases(service: Service) -> list[worklist.WorklistEntry]:
    """The worklist, most urgent case first."""
    with service.database.session() as session:
        page = worklist.worklist(session, service.settings.triage.threshold, limit=100)
    return list(page.entries)


def free_port(preferred: int | None = None) -> int:
    """`preferred` if it is free on loopback, else any free port."""
    for port in (preferred, 0) if preferred else (0,):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(probe.getsockname()[1])
    raise DemoError("no free TCP port on 127.0.0.1")


def _settled(state: SlideProgress) -> bool:
    if state.status in _ENDED_WITHOUT_RESULT:
        return True
    return state.status == JobState.DONE and state.exported


def _with(titles: list[str], title: str) -> list[str]:
    return titles if not titles or title in titles else [*titles, title]


def _renamed(state: SlideProgress, name: str) -> SlideProgress:
    return SlideProgress(name, state.status, state.progress, state.exported)


def _series_uid(slide: Path) -> str:
    header = dcmread(slide / "level-0.dcm", stop_before_pixels=True)
    return str(header.SeriesInstanceUID)
