"""GET /healthz (each role of this process, database, storage, broker; no token) and GET
/metrics (Prometheus; a token, unless the caller is in `web.metrics_trusted_networks`)."""

from fastapi import APIRouter, Depends, Response, status
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST

from plugin.web.deps import StateDep, metrics_reader
from plugin.web.schemas import HealthPublic

router = APIRouter(tags=["operations"])

NOT_HERE = "not-in-this-process"


@router.get("/healthz", responses={503: {"model": HealthPublic}})
def healthz(state: StateDep) -> JSONResponse:
    """200 when every role this process runs is healthy and the database, storage and (in
    distributed mode) the broker answer; else 503. Roles not run here are not judged."""
    report = state.health.report()
    workers = report.roles.get("analysis", NOT_HERE)
    health = HealthPublic.model_validate({**report.as_json(), "workers": workers})
    code = status.HTTP_200_OK if report.healthy else status.HTTP_503_SERVICE_UNAVAILABLE
    return JSONResponse(health.model_dump(), status_code=code)


@router.get("/metrics", response_class=Response, dependencies=[Depends(metrics_reader)])
def metrics(state: StateDep) -> Response:
    """Queue depth, job durations, inference throughput and export failures, for Prometheus."""
    return Response(state.metrics.render(), media_type=CONTENT_TYPE_LATEST)
