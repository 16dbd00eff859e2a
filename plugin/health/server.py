"""GET /healthz and GET /metrics on a port of their own, for a process without the web server
(`serve --health-port`, `pathsentry worker --metrics-port`): what an orchestrator probes."""

import json
import logging
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from config import PathSentryError
from plugin.health.checks import ProcessHealth

log = logging.getLogger(__name__)


class HealthPortError(PathSentryError):
    """The health port cannot be opened; the message says which and why."""


class HealthServer:
    """Answers /healthz (200, or 503 when a part is unhealthy) and /metrics from a thread."""

    def __init__(
        self, health: ProcessHealth, registry: CollectorRegistry, port: int, host: str = ""
    ) -> None:
        handler = type("Handler", (_Handler,), {"health": health, "registry": registry})
        try:
            self._server = ThreadingHTTPServer((host, port), handler)
        except OSError as error:
            raise HealthPortError(
                f"cannot answer /healthz on port {port} ({error.strerror}): free the port or "
                "choose another (serve --health-port, worker --metrics-port)"
            ) from error
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="health", daemon=True
        )

    @property
    def port(self) -> int:
        """The port actually bound (0 asks for any free one)."""
        return int(self._server.server_address[1])

    def start(self) -> None:
        self._thread.start()
        log.info("health and metrics on port %d (/healthz, /metrics)", self.port)

    def stop(self, timeout: float | None = None) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout)


class _Handler(BaseHTTPRequestHandler):
    health: ProcessHealth
    registry: CollectorRegistry

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/healthz":
            report = self.health.report()
            code = HTTPStatus.OK if report.healthy else HTTPStatus.SERVICE_UNAVAILABLE
            self._send(code, "application/json", json.dumps(report.as_json()).encode())
        elif path == "/metrics":
            self._send(HTTPStatus.OK, CONTENT_TYPE_LATEST, generate_latest(self.registry))
        else:
            self._send(HTTPStatus.NOT_FOUND, "text/plain", b"use /healthz or /metrics\n")

    def _send(self, code: HTTPStatus, media_type: str, body: bytes) -> None:
        self.send_response(code)
        self.send_header("Content-Type", media_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("health port: " + format, *args)
