"""The web application factory: API, dashboard, health and metrics for one service instance."""

import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from importlib import resources

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from config import Settings
from db import tokens
from db.errors import InvalidTransitionError, NotFoundError
from db.migrate import require_current
from db.models import Role
from db.session import Database, open_database
from plugin.health import OK, ProcessHealth, alive
from plugin.metrics import ServiceMetrics, WorkerProbe
from plugin.web import api, dicomweb
from plugin.web import health as operations
from plugin.web.dashboard import routes as dashboard
from plugin.web.dashboard.rendering import render, template_environment
from plugin.web.deps import LoginRequiredError
from plugin.web.docs import add_local_docs
from plugin.web.headers import NoStoreMiddleware
from plugin.web.sessions import session_key
from plugin.web.state import AppState
from plugin.web.viewer_assets import mount_viewer, viewer_bundle

log = logging.getLogger(__name__)

ADMIN_TOKEN_NAME = "admin (web.admin_token)"  # noqa: S105 - a name, not the secret


def create_app(
    settings: Settings,
    *,
    database: Database | None = None,
    workers: Sequence[WorkerProbe] | None = None,
    metrics: ServiceMetrics | None = None,
    health: ProcessHealth | None = None,
) -> FastAPI:
    """The web app. Without `database` it opens (and at shutdown closes) the one of `settings`.

    `workers`: the in-process workers that /healthz and /metrics report on (None: the
    workers run elsewhere). `metrics`: shared with the workers, so /metrics shows their
    job durations; a fresh registry when omitted. `health`: what /healthz judges (default:
    the web role, the database, storage and `workers`).
    """
    owned = database is None
    database = database or open_database(settings)
    state = AppState(
        settings=settings,
        database=database,
        workers=workers,
        metrics=metrics or ServiceMetrics(),
        health=health or _web_health(settings, database, workers),
        templates=template_environment(settings),
        session_key=session_key(settings.storage.data_dir),
    )
    state.metrics.watch(state.database, workers, settings.storage.data_dir)
    app = FastAPI(
        title="PathSentry",
        summary="AI triage worklist for digital pathology",
        lifespan=_lifespan(state, owned),
        docs_url=None,
        redoc_url=None,
        openapi_url=None,  # add_local_docs serves it, behind login
    )
    app.state.pathsentry = state
    app.include_router(api.router)
    app.include_router(operations.router)
    app.include_router(dashboard.router)
    app.include_router(dicomweb.router)
    static = resources.files("plugin.web") / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    mount_viewer(app, viewer_bundle(settings))
    add_local_docs(app)
    app.add_middleware(NoStoreMiddleware)
    _handle_errors(app, state)
    return app


def _web_health(
    settings: Settings, database: Database, workers: Sequence[WorkerProbe] | None
) -> ProcessHealth:
    roles = {"web": lambda: OK}
    if workers is not None:
        roles["analysis"] = alive(*workers)
    return ProcessHealth(database, settings.storage.data_dir, roles)


def _lifespan(
    state: AppState, owned: bool
) -> Callable[[FastAPI], contextlib.AbstractAsyncContextManager[None]]:
    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        require_current(state.database)
        seed_admin_token(state)
        try:
            yield
        finally:
            if owned:
                state.database.dispose()

    return lifespan


def seed_admin_token(state: AppState) -> None:
    """Make `web.admin_token` (PATHSENTRY_WEB__ADMIN_TOKEN) a valid admin token, if set."""
    secret = state.settings.web.admin_token
    if secret is None:
        return
    with state.database.session() as session:
        tokens.seed_token(session, ADMIN_TOKEN_NAME, Role.ADMIN, secret.get_secret_value())
        session.commit()
    log.info("admin token from the settings is active (token name %r)", ADMIN_TOKEN_NAME)


def _handle_errors(app: FastAPI, state: AppState) -> None:
    @app.exception_handler(NotFoundError)
    async def not_found(request: Request, error: NotFoundError) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": str(error)}, status_code=status.HTTP_404_NOT_FOUND)
        page = dict(title="Not found", message=f"There is {error}.", user=None)
        return render(state.templates, "error.html", status_code=status.HTTP_404_NOT_FOUND, **page)

    @app.exception_handler(InvalidTransitionError)
    async def conflict(_request: Request, error: InvalidTransitionError) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=status.HTTP_409_CONFLICT)

    @app.exception_handler(LoginRequiredError)
    async def login(_request: Request, error: LoginRequiredError) -> RedirectResponse:
        return RedirectResponse(dashboard.login_url(error.target), status.HTTP_303_SEE_OTHER)
