"""What every request needs from the app: settings, database, workers, metrics, health,
templates."""

from collections.abc import Sequence
from dataclasses import dataclass

import jinja2
from fastapi import Request

from config import Settings
from db.session import Database
from plugin.health import ProcessHealth
from plugin.metrics import ServiceMetrics, WorkerProbe


@dataclass(frozen=True)
class AppState:
    """Held on `app.state.pathsentry`; built once by create_app."""

    settings: Settings
    database: Database
    workers: Sequence[WorkerProbe] | None
    metrics: ServiceMetrics
    health: ProcessHealth
    templates: jinja2.Environment
    session_key: bytes


def app_state(request: Request) -> AppState:
    """The AppState of the app serving this request."""
    state: AppState = request.app.state.pathsentry
    return state
