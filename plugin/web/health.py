"""GET /healthz (database, storage, workers; no token) and GET /metrics (Prometheus; a token,
unless the caller is in `web.metrics_trusted_networks`)."""

import os

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Response, status
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy.exc import SQLAlchemyError

from plugin.web.deps import StateDep, metrics_reader
from plugin.web.schemas import HealthPublic
from plugin.web.state import AppState

router = APIRouter(tags=["operations"])

OK = "ok"


@router.get("/healthz", responses={503: {"model": HealthPublic}})
def healthz(state: StateDep) -> JSONResponse:
    """200 when the database answers, storage is writable and every worker runs; else 503."""
    health = HealthPublic(
        status=OK, database=_database(state), storage=_storage(state), workers=_workers(state)
    )
    parts = (health.database, health.storage, health.workers)
    healthy = all(part in (OK, "not-in-this-process") for part in parts)
    health.status = OK if healthy else "degraded"
    code = status.HTTP_200_OK if healthy else status.HTTP_503_SERVICE_UNAVAILABLE
    return JSONResponse(health.model_dump(), status_code=code)


@router.get("/metrics", response_class=Response, dependencies=[Depends(metrics_reader)])
def metrics(state: StateDep) -> Response:
    """Queue depth, job durations, inference throughput and export failures, for Prometheus."""
    return Response(state.metrics.render(), media_type=CONTENT_TYPE_LATEST)


def _database(state: AppState) -> str:
    try:
        with state.database.session() as session:
            session.execute(sa.text("SELECT 1"))
    except SQLAlchemyError as error:
        return f"unreachable ({type(error).__name__})"
    return OK


def _storage(state: AppState) -> str:
    folder = state.settings.storage.data_dir
    if not folder.is_dir():
        return "missing"
    return OK if os.access(folder, os.W_OK) else "not writable"


def _workers(state: AppState) -> str:
    if state.workers is None:
        return "not-in-this-process"
    return OK if state.workers and all(w.alive for w in state.workers) else "stopped"
