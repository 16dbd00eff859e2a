"""/healthz per role: a serve without the web server answers on its health port, and a role
that stops (or a database that goes away) turns the answer into 503."""

import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client import CollectorRegistry

from config import DbSettings, DicomSettings, ExportSettings, Settings, StorageSettings
from config.settings import FolderDestination, JobSettings, WebSettings
from db.session import connect
from plugin.health import HealthPortError, HealthServer, ProcessHealth, alive
from plugin.roles import Role
from plugin.service import Service, start_service
from tests.db.fixtures import new_postgres_database
from tests.e2e.harness import wait_until
from tests.orthanc import free_port
from tests.redis_server import RedisServer

CLI = [sys.executable, "-c", "from plugin.cli import main; main()"]


def _settings(tmp_path: Path, sqlite_url: str) -> Settings:
    folder = FolderDestination(kind="folder", name="share", path=tmp_path / "share")
    return Settings(
        storage=StorageSettings(data_dir=tmp_path / "data"),
        db=DbSettings(url=sqlite_url),
        dicom=DicomSettings(host="127.0.0.1", port=free_port()),
        export=ExportSettings(destinations=[folder]),
    )


@pytest.fixture
def service(tmp_path: Path, sqlite_url: str) -> Iterator[Service]:
    running = start_service(
        _settings(tmp_path, sqlite_url), roles=frozenset({Role.INGEST, Role.EXPORT}), health_port=0
    )
    yield running
    running.stop()


def _health(service: Service) -> httpx.Response:
    assert service.health_server is not None
    return httpx.get(f"http://127.0.0.1:{service.health_server.port}/healthz", timeout=10)


def test_ingest_and_export_roles_are_healthy_then_a_stopped_exporter_gives_503(
    service: Service,
) -> None:
    healthy = _health(service)
    assert (healthy.status_code, healthy.json()["roles"]) == (200, {"export": "ok", "ingest": "ok"})
    assert service.exports is not None
    service.exports.stop()
    stopped = _health(service)
    assert (stopped.status_code, stopped.json()["status"]) == (503, "degraded")
    assert stopped.json()["roles"] == {"export": "stopped", "ingest": "ok"}


def test_a_dicom_listener_that_stopped_gives_503(service: Service) -> None:
    assert service.ingest is not None
    service.ingest.stop()
    response = _health(service)
    assert (response.status_code, response.json()["roles"]["ingest"]) == (503, "stopped")


def test_an_unreachable_database_gives_503_and_metrics_still_answer(tmp_path: Path) -> None:
    database = connect(f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/nothing")
    health = ProcessHealth(database, tmp_path, {"export": alive()})
    server = HealthServer(health, CollectorRegistry(), 0, host="127.0.0.1")
    server.start()
    try:
        url = f"http://127.0.0.1:{server.port}"
        response = httpx.get(f"{url}/healthz", timeout=30)
        metrics = httpx.get(f"{url}/metrics", timeout=10)
    finally:
        server.stop(10)
        database.dispose()
    assert response.status_code == 503
    assert response.json()["database"].startswith("unreachable")
    assert response.json()["roles"] == {"export": "stopped"}  # no exporter at all is not healthy
    assert metrics.status_code == 200


def test_a_health_port_in_use_is_a_clear_error(tmp_path: Path, sqlite_url: str) -> None:
    database = connect(sqlite_url)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(HealthPortError, match=f"port {port}.*--health-port"):
            HealthServer(ProcessHealth(database, tmp_path, {}), CollectorRegistry(), port)
    database.dispose()


@pytest.mark.slow
def test_serve_without_the_web_role_answers_on_its_health_port(
    tmp_path: Path, sqlite_url: str
) -> None:
    port = free_port()
    share = {"kind": "folder", "name": "share", "path": str(tmp_path / "share")}
    env = {
        **os.environ,
        "PATHSENTRY_CONFIG": "",
        "PATHSENTRY_DB__URL": sqlite_url,
        "PATHSENTRY_STORAGE__DATA_DIR": str(tmp_path / "data"),
        "PATHSENTRY_DICOM__HOST": "127.0.0.1",
        "PATHSENTRY_DICOM__PORT": str(free_port()),
        "PATHSENTRY_EXPORT__DESTINATIONS": json.dumps([share]),
    }
    command = [*CLI, "serve", "--roles", "ingest,export", "--health-port", str(port)]
    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen(command, env=env, stdout=output, stderr=output)
    try:
        wait_until(lambda: _answers(process, port, log), "serve's health port", timeout_s=120)
        response = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10)
        metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    assert response.status_code == 200
    assert response.json()["roles"] == {"export": "ok", "ingest": "ok"}
    assert "pathsentry_queue_depth 0.0" in metrics.text
    assert "pathsentry_dicom_associations_accepted_total 0.0" in metrics.text


def _answers(process: subprocess.Popen[bytes], port: int, log: Path) -> bool:
    if process.poll() is not None:
        raise AssertionError(f"serve exited with {process.returncode}:\n{log.read_text()[-4000:]}")
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code == 200
    except httpx.TransportError:
        return False


@pytest.mark.postgres
def test_the_web_role_in_distributed_mode_gives_503_while_the_broker_is_down(
    tmp_path: Path,
) -> None:
    redis = RedisServer(tmp_path / "redis")
    with new_postgres_database("pathsentry_health") as url, redis as broker:
        settings = Settings(
            storage=StorageSettings(data_dir=tmp_path / "data"),
            db=DbSettings(url=url),
            web=WebSettings(host="127.0.0.1", port=free_port()),
            jobs=JobSettings(broker_url=broker.url),
        )
        service = start_service(settings, roles=frozenset({Role.WEB}))
        try:
            up = httpx.get(f"{service.web_url}/healthz", timeout=30)
            broker.stop()
            down = httpx.get(f"{service.web_url}/healthz", timeout=30)
        finally:
            service.stop()
    assert (up.status_code, up.json()["broker"], up.json()["roles"]) == (200, "ok", {"web": "ok"})
    assert (down.status_code, down.json()["broker"]) == (503, "unreachable")
