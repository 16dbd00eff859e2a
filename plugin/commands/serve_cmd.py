"""`pathsentry serve`: the whole service in one process, until SIGTERM or Ctrl-C."""

import logging
import signal
import threading
from types import FrameType
from typing import Annotated

import typer

from config import Settings
from plugin.roles import serve_roles
from plugin.service import start_service

log = logging.getLogger(__name__)


def serve(
    ctx: typer.Context,
    roles: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated roles to run: ingest, web, export, analysis (default: all; "
            "with jobs.broker_url set, analysis runs in `pathsentry worker` instead)."
        ),
    ] = None,
    health_port: Annotated[
        int | None,
        typer.Option(
            min=0,
            max=65535,
            help="Also answer GET /healthz and /metrics on this port, on all interfaces (for "
            "roles without the web server; no token: keep the port inside your network).",
        ),
    ] = None,
) -> None:
    """Run PathSentry: the DICOM listener, the analysis worker(s), export and the web dashboard.

    Uses the embedded defaults unless configured: SQLite and a storage folder under
    storage.data_dir. On SIGTERM or Ctrl-C it stops accepting associations, puts the running
    job back in the queue (it resumes at the next start) and exits. With jobs.broker_url set
    (distributed mode, PostgreSQL only) it publishes each queued job to the broker for the
    `pathsentry worker` processes.
    """
    settings: Settings = ctx.obj
    service = start_service(settings, roles=serve_roles(roles, settings), health_port=health_port)
    wait_for_stop_signal()
    service.stop()


def wait_for_stop_signal() -> None:
    """Block until SIGTERM or SIGINT arrives (a second one exits at once)."""
    stop = threading.Event()

    def handle(number: int, _frame: FrameType | None) -> None:
        if stop.is_set():
            raise SystemExit(128 + number)
        log.info(
            "%s received: stopping (send it again to exit at once)", signal.Signals(number).name
        )
        stop.set()

    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, handle)
    while not stop.wait(1.0):
        pass
