"""The whole service in one process: DICOM ingest, workers, exporters and the web server.

`start_service` starts the parts in the order that keeps every promise (the database is
migrated before anything uses it; the web server last, so that /healthz only answers once the
rest runs), and `Service.stop` stops them in the reverse order: no new associations first, then
the running job goes back to the queue, then deliveries, then the web.
"""

import logging
import platform
import threading
import time
from dataclasses import dataclass, field

import torch
import uvicorn

from config import PathSentryError, Settings
from db import tokens
from db.jobs import Recovered
from db.migrate import current_revision, upgrade_database
from db.session import Database, open_database
from inference.devices import resolve_devices
from plugin.allocator import keep_freed_memory
from plugin.export_loop import ExportService
from plugin.ingest import IngestService, start_ingest
from plugin.metrics import ServiceMetrics
from plugin.pipeline import SlidePipeline
from plugin.version import service_version
from plugin.wakeup import Wakeup
from plugin.web import create_app
from plugin.worker import WorkerPool

log = logging.getLogger(__name__)

WEB_START_TIMEOUT_S = 30.0


class ServiceStartError(PathSentryError):
    """A part of the service could not start; the message says which and why."""


@dataclass
class WebServer:
    """Uvicorn serving the app from a thread of its own."""

    server: uvicorn.Server
    thread: threading.Thread

    @property
    def port(self) -> int:
        """The port actually bound (the setting may be 0: any free port)."""
        sockets = self.server.servers[0].sockets if self.server.servers else []
        return int(sockets[0].getsockname()[1]) if sockets else self.server.config.port

    def stop(self, timeout: float | None = None) -> None:
        """Finish the requests in flight, then stop."""
        self.server.should_exit = True
        self.thread.join(timeout)


@dataclass
class Service:
    """The running parts of one PathSentry process."""

    settings: Settings
    database: Database
    ingest: IngestService
    workers: WorkerPool
    exports: ExportService
    web: WebServer
    stopped: threading.Event = field(default_factory=threading.Event)

    @property
    def dicom_port(self) -> int:
        return self.ingest.port

    @property
    def web_url(self) -> str:
        host = self.settings.web.host
        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104 - a comparison
        return f"http://{shown}:{self.web.port}"

    def stop(self, timeout: float = 60.0) -> None:
        """Stop accepting slides, put the running job back in the queue, stop exports and web."""
        if self.stopped.is_set():
            return
        log.info("stopping: no new associations; the running job goes back to the queue")
        self.ingest.stop()
        self.workers.stop(timeout)
        self.exports.stop(timeout)
        self.web.stop(timeout)
        self.database.dispose()
        self.stopped.set()
        log.info("stopped")


def start_service(settings: Settings, *, database: Database | None = None) -> Service:
    """Migrate the database, then start ingest, workers, exporters and the web server."""
    log.info("PathSentry %s starting (Python %s)", service_version(), platform.python_version())
    database = database or open_database(settings)
    upgrade_database(database)
    warn_about_setup(settings, database)
    log.info(
        "database %s at schema revision %s",
        _safe_url(settings.database_url),
        current_revision(database),
    )
    devices = [str(device) for device in resolve_devices(settings.inference.device)]
    if "cpu" in devices:
        keep_freed_memory()
    metrics = ServiceMetrics()
    wakeup = Wakeup()  # a queued job or a new result wakes the idle worker or exporter at once
    wakeup.listen(database)
    pipeline = SlidePipeline(settings)
    model = pipeline.engine(devices[0]).model  # loaded now: missing weights stop start-up
    metrics.describe_model(
        model=f"{model.config.name} {model.config.version}", weights_sha256=model.sha256 or ""
    )
    ingest = start_ingest(settings, database, metrics.ingest)
    workers = WorkerPool(
        database, pipeline, settings, devices=devices, metrics=metrics, wakeup=wakeup
    )
    recovered = workers.start()
    exports = ExportService(database, settings, wakeup=wakeup)
    exports.start()
    app = create_app(settings, database=database, workers=workers.workers, metrics=metrics)
    web = _start_web(app, settings)
    service = Service(settings, database, ingest, workers, exports, web)
    _log_start(service, devices, pipeline, recovered)
    return service


def warn_about_setup(settings: Settings, database: Database) -> None:
    """WARNING lines for set-ups that run but cannot serve a hospital as they are."""
    if settings.inference.weights is None:
        log.warning(
            "analysing with the bundled DEMONSTRATION model (trained on synthetic slides, not "
            "for diagnosis): set inference.weights to a trained model"
        )
    with database.session() as session:
        nobody = not tokens.any_active_token(session)
    if nobody and settings.web.admin_token is None:
        log.warning(
            "no API token exists yet, so nobody can log in to the dashboard or API: run "
            "`pathsentry token create NAME --role admin`, or set PATHSENTRY_WEB__ADMIN_TOKEN"
        )


def web_server_config(app: object, settings: Settings) -> uvicorn.Config:
    """Uvicorn's settings; it believes X-Forwarded-* only with `web.trust_proxy_headers`."""
    return uvicorn.Config(
        app,  # type: ignore[arg-type]
        host=settings.web.host,
        port=settings.web.port,
        log_config=None,
        access_log=False,
        lifespan="on",
        proxy_headers=settings.web.trust_proxy_headers,
    )


def _start_web(app: object, settings: Settings) -> WebServer:
    server = uvicorn.Server(web_server_config(app, settings))
    thread = threading.Thread(target=server.run, name="web", daemon=True)
    thread.start()
    deadline = time.monotonic() + WEB_START_TIMEOUT_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise ServiceStartError(
                f"the web server did not start on {settings.web.host}:{settings.web.port} "
                "(is the port in use? set web.port or PATHSENTRY_WEB__PORT)"
            )
        time.sleep(0.05)
    return WebServer(server, thread)


def _log_start(
    service: Service, devices: list[str], pipeline: SlidePipeline, recovered: Recovered
) -> None:
    settings = service.settings
    dicom, engine = settings.dicom, pipeline.engine(devices[0])
    model = engine.model
    log.info(
        "DICOM: AE title %s on %s:%d (TLS %s; callers %s)",
        dicom.ae_title,
        dicom.host,
        service.dicom_port,
        "on" if dicom.tls.enabled else "off",
        ", ".join(dicom.allowed_calling_ae_titles) or "any",
    )
    log.info("web: %s (API docs at /docs)", service.web_url)
    log.info(
        "workers: %s (torch %s); model %s %s, weights sha256 %s",
        ", ".join(devices),
        torch.__version__,
        model.config.name,
        model.config.version,
        (model.sha256 or "unknown")[:16],
    )
    destinations = [f"{d.name} ({d.kind})" for d in settings.export.destinations]
    log.info("export destinations: %s", ", ".join(destinations) or "none")
    log.info(
        "storage: %s; jobs of the last run: %d queued again, %d failed (jobs.max_crashes reached)",
        settings.storage.data_dir,
        len(recovered.requeued),
        len(recovered.failed),
    )


def _safe_url(url: str) -> str:
    head, at, tail = url.rpartition("@")
    return f"{head.split('://')[0]}://***@{tail}" if at else url
