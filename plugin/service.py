"""The service's roles in one process: DICOM ingest, workers, exporters and the web server.

`start_service` starts the roles asked for (default: all of them) in the order that keeps
every promise (the database is migrated before anything uses it; the web server last, so that
/healthz only answers once the rest runs), and `Service.stop` stops them in the reverse order:
no new associations first, then the running job goes back to the queue, then deliveries, then
the web. In distributed mode (`jobs.broker_url`) analysis runs in `pathsentry worker`
processes instead, and the ingest role publishes each queued job's message (`Reconciler`).
"""

import logging
import platform
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta

import torch
import uvicorn

from config import PathSentryError, Settings
from db import tokens
from db.jobs import Recovered
from db.migrate import current_revision, upgrade_database
from db.session import Database, open_database
from inference.compile_cache import use_compile_cache
from inference.devices import resolve_devices
from plugin.analysis import WorkerPool
from plugin.analysis.allocator import keep_freed_memory
from plugin.analysis.pipeline import SlidePipeline
from plugin.distributed import (
    JobPublisher,
    Reconciler,
    create_celery_app,
    require_distributed_database,
)
from plugin.distributed.metrics import BrokerCollector
from plugin.export.loop import ExportService
from plugin.health import OK, HealthServer, ProcessHealth, alive
from plugin.ingest import IngestService, start_ingest
from plugin.metrics import ServiceMetrics
from plugin.roles import Role, RoleError, serve_roles
from plugin.version import service_version
from plugin.wakeup import Listener, Wakeup
from plugin.web import create_app

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
    """The running roles of one PathSentry process (a part is None when its role is not here)."""

    settings: Settings
    database: Database
    roles: frozenset[Role]
    ingest: IngestService | None = None
    reconciler: Reconciler | None = None
    workers: WorkerPool | None = None
    exports: ExportService | None = None
    web: WebServer | None = None
    health_server: HealthServer | None = None
    listener: Listener | None = None
    stopped: threading.Event = field(default_factory=threading.Event)

    @property
    def dicom_port(self) -> int:
        if self.ingest is None:
            raise RoleError("this process does not run the ingest role (no DICOM port)")
        return self.ingest.port

    @property
    def web_url(self) -> str:
        if self.web is None:
            raise RoleError("this process does not run the web role")
        host = self.settings.web.host
        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104 - a comparison
        return f"http://{shown}:{self.web.port}"

    def stop(self, timeout: float = 60.0) -> None:
        """Stop accepting slides, put the running job back in the queue, stop exports and web."""
        if self.stopped.is_set():
            return
        log.info("stopping: no new associations; the running job goes back to the queue")
        for part in (self.ingest, self.reconciler):
            if part is not None:
                part.stop()
        for stoppable in (self.workers, self.exports, self.listener, self.web, self.health_server):
            if stoppable is not None:
                stoppable.stop(timeout)
        self.database.dispose()
        self.stopped.set()
        log.info("stopped")


def start_service(
    settings: Settings,
    *,
    roles: frozenset[Role] | None = None,
    database: Database | None = None,
    health_port: int | None = None,
) -> Service:
    """Migrate the database, then start the roles: ingest, analysis, export, web (in order).

    `health_port`: also answer /healthz and /metrics there (for roles without the web server).
    """
    log.info("PathSentry %s starting (Python %s)", service_version(), platform.python_version())
    roles = serve_roles(None, settings) if roles is None else roles
    _check_roles(settings, roles)
    database = database or open_database(settings)
    upgrade_database(database)
    warn_about_setup(settings, database)
    log.info(
        "database %s at schema revision %s; roles: %s",
        _safe_url(settings.database_url),
        current_revision(database),
        ", ".join(sorted(roles)),
    )
    devices = _analysis_devices(settings) if Role.ANALYSIS in roles else []
    if "cpu" in devices:
        keep_freed_memory()  # before the first thread: every thread then shares one arena
    metrics = ServiceMetrics()
    wakeup = Wakeup()  # a queued job or a new result wakes the idle worker or exporter at once
    wakeup.listen(database)
    service = Service(settings, database, roles)
    if database.dialect == "postgresql" and roles & {Role.ANALYSIS, Role.EXPORT}:
        # ... and at once when another process queues it (the ingest role, a Celery worker).
        service.listener = Listener(wakeup, database, retry_s=settings.jobs.poll_interval_s)
        service.listener.start()
    recovered = None
    if Role.ANALYSIS in roles:
        service.workers, recovered = _start_analysis(settings, devices, database, metrics, wakeup)
    publisher = _publisher(settings, roles, metrics, health_port)
    if publisher is not None and Role.INGEST in roles:
        service.reconciler = _start_reconciler(settings, database, publisher)
    if Role.INGEST in roles:
        queued = None if service.reconciler is None else service.reconciler.job_queued
        service.ingest = start_ingest(settings, database, metrics.ingest, on_job_queued=queued)
    if Role.EXPORT in roles:
        service.exports = ExportService(database, settings, wakeup=wakeup)
        # One process holds every claim in the single-process mode; export roles share them.
        service.exports.start(take_over_claimed=not settings.jobs.distributed)
    health = _health(service, publisher)
    workers = None if service.workers is None else service.workers.workers
    if health_port is not None:
        metrics.watch(database, workers, settings.storage.data_dir)
        service.health_server = HealthServer(health, metrics.registry, health_port)
        service.health_server.start()
    if Role.WEB in roles:
        app = create_app(
            settings, database=database, workers=workers, metrics=metrics, health=health
        )
        service.web = _start_web(app, settings)
    _log_start(service, recovered)
    return service


def _health(service: Service, publisher: JobPublisher | None) -> ProcessHealth:
    """The checks of the roles this process runs (the web role is healthy when it answers)."""
    parts = {
        Role.INGEST: service.ingest,
        Role.ANALYSIS: service.workers,
        Role.EXPORT: service.exports,
    }
    roles = {str(role): alive(part) for role, part in parts.items() if part is not None}
    if service.workers is not None:
        roles[str(Role.ANALYSIS)] = service.workers.health  # says warming up, or why not ok
    if Role.WEB in service.roles:
        roles[str(Role.WEB)] = lambda: OK
    storage = service.settings.storage.data_dir
    return ProcessHealth(service.database, storage, roles, broker=publisher)


def _check_roles(settings: Settings, roles: frozenset[Role]) -> None:
    require_distributed_database(settings)
    if settings.jobs.distributed and Role.ANALYSIS in roles:
        raise RoleError(
            "jobs.broker_url is set (distributed mode): analysis runs in `pathsentry worker`"
        )
    if not roles:
        raise RoleError("no role to run: name at least one of ingest, web, export, analysis")


def _analysis_devices(settings: Settings) -> list[str]:
    inference = settings.inference
    devices = resolve_devices(inference.device, inference.allow_cpu_fallback)
    return [str(device) for device in devices]


def _start_analysis(
    settings: Settings,
    devices: list[str],
    database: Database,
    metrics: ServiceMetrics,
    wakeup: Wakeup,
) -> tuple[WorkerPool, Recovered]:
    """One worker per device; every job left running is this process's (single-process mode)."""
    use_compile_cache(settings.storage.data_dir)
    pipeline = SlidePipeline(settings)
    model = pipeline.engine(devices[0]).model  # loaded now: missing weights stop start-up
    metrics.describe_model(
        model=f"{model.config.name} {model.config.version}", weights_sha256=model.sha256 or ""
    )
    # Warmed up in the background, one after another (CUDA, compile); eager CPU needs none.
    cold = [device for device in devices if not pipeline.engine(device).warm]
    if not cold:
        log.info("%s: no warm-up needed (eager on the CPU)", ", ".join(devices))
    workers = WorkerPool(
        database,
        pipeline,
        settings,
        devices=devices,
        metrics=metrics,
        wakeup=wakeup,
        warm_up=pipeline.warm_up if cold else None,
    )
    recovered = workers.start(take_over_running=not settings.jobs.distributed)
    log.info(
        "workers: %s (torch %s); model %s %s, weights sha256 %s",
        ", ".join(devices),
        torch.__version__,
        model.config.name,
        model.config.version,
        (model.sha256 or "unknown")[:16],
    )
    return workers, recovered


def _publisher(
    settings: Settings, roles: frozenset[Role], metrics: ServiceMetrics, health_port: int | None
) -> JobPublisher | None:
    """In distributed mode: the publisher of analysis messages (and /metrics' broker gauge)."""
    if not settings.jobs.distributed or not roles & {Role.INGEST, Role.WEB}:
        return None
    publisher = JobPublisher(create_celery_app(settings), settings.jobs.queue)
    if Role.WEB in roles or health_port is not None:
        metrics.registry.register(BrokerCollector(publisher))
    return publisher


def _start_reconciler(
    settings: Settings, database: Database, publisher: JobPublisher
) -> Reconciler:
    jobs = settings.jobs
    reconciler = Reconciler(
        database,
        publisher.publish,
        stale_after=timedelta(seconds=jobs.stale_after_s),
        republish_after=timedelta(seconds=jobs.republish_after_s),
        interval_s=jobs.poll_interval_s,
        max_crashes=jobs.max_crashes,
    )
    reconciler.start()
    log.info("distributed mode: analysis messages go to queue %s", jobs.queue)
    return reconciler


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


def _log_start(service: Service, recovered: Recovered | None) -> None:
    settings = service.settings
    dicom = settings.dicom
    if service.ingest is not None:
        log.info(
            "DICOM: AE title %s on %s:%d (TLS %s; callers %s)",
            dicom.ae_title,
            dicom.host,
            service.dicom_port,
            "on" if dicom.tls.enabled else "off",
            ", ".join(dicom.allowed_calling_ae_titles) or "any",
        )
    if service.web is not None:
        log.info("web: %s (API docs at /docs)", service.web_url)
    if service.exports is not None:
        destinations = [f"{d.name} ({d.kind})" for d in settings.export.destinations]
        log.info("export destinations: %s", ", ".join(destinations) or "none")
    log.info("storage: %s", settings.storage.data_dir)
    if recovered is not None:
        log.info("jobs of the last run: %s", recovered.summary())


def _safe_url(url: str) -> str:
    head, at, tail = url.rpartition("@")
    return f"{head.split('://')[0]}://***@{tail}" if at else url
