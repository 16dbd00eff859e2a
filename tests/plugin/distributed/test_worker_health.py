"""A `pathsentry worker --metrics-port` answers GET /healthz there: 200 while its Celery
consumer runs and the database answers, 503 once the database is gone."""

import os
import secrets
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from db.migrate import upgrade
from tests.conftest import POSTGRES_URL
from tests.db.fixtures import new_postgres_database
from tests.e2e.distributed import RABBITMQ, require_rabbitmq
from tests.e2e.harness import wait_until
from tests.orthanc import free_port
from tests.plugin.slides import tiny_model

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

CLI = [sys.executable, "-c", "from plugin.cli import main; main()"]


def test_a_worker_answers_healthz_on_its_metrics_port_and_503_without_its_database(
    tmp_path: Path,
) -> None:
    require_rabbitmq()
    port = free_port()
    with new_postgres_database("pathsentry_health") as url:
        upgrade(url)
        worker = _start_worker(tmp_path, url, port)
        try:
            wait_until(lambda: _status(worker, port, tmp_path) == 200, "the worker", timeout_s=180)
            healthy = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10).json()
            metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
            _drop(url)
            unhealthy = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=30)
        finally:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=60)
    assert (healthy["status"], healthy["roles"], healthy["database"]) == (
        "ok",
        {"analysis": "ok"},
        "ok",
    )
    assert "pathsentry_jobs_in_flight 0.0" in metrics
    assert unhealthy.status_code == 503
    assert unhealthy.json()["database"].startswith("unreachable")
    assert unhealthy.json()["roles"] == {"analysis": "ok"}


def _start_worker(tmp_path: Path, url: str, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PATHSENTRY_CONFIG": "",
        "OMP_NUM_THREADS": "1",
        "PATHSENTRY_DB__URL": url,
        "PATHSENTRY_JOBS__BROKER_URL": RABBITMQ,
        "PATHSENTRY_JOBS__QUEUE": f"pathsentry.health.{secrets.token_hex(4)}",
        "PATHSENTRY_STORAGE__DATA_DIR": str(tmp_path / "data"),
        "PATHSENTRY_INFERENCE__WEIGHTS": str(tiny_model(tmp_path / "tiny.safetensors")),
    }
    (tmp_path / "data").mkdir()
    command = [*CLI, "worker", "--device", "cpu", "--metrics-port", str(port)]
    with (tmp_path / "worker.log").open("wb") as log:
        return subprocess.Popen(command, env=env, stdout=log, stderr=log)


def _status(worker: subprocess.Popen[bytes], port: int, tmp_path: Path) -> int | None:
    if worker.poll() is not None:
        output = (tmp_path / "worker.log").read_text(errors="replace")[-4000:]
        raise AssertionError(f"the worker exited with {worker.returncode}:\n{output}")
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code
    except httpx.TransportError:
        return None


def _drop(url: str) -> None:
    """The database goes away under the running worker."""
    name = sa.make_url(url).database
    server = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        server.dispose()
