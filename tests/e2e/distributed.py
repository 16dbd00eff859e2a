"""A distributed installation for end-to-end tests, as real processes: one
`pathsentry serve --roles ingest,web,export` and any number of `pathsentry worker`s on a fresh
PostgreSQL database, a broker, shared storage, and Orthanc as the PACS."""

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import sqlalchemy as sa

from db.models import ExportState, Job, Result
from db.session import connect
from tests.conftest import require
from tests.e2e.harness import E2eSlide, wait_until
from tests.orthanc import OrthancServer, free_port

STORESCU = "/usr/bin/storescu"
RABBITMQ = "amqp://guest:guest@127.0.0.1:5672//"
CLI = [sys.executable, "-c", "from plugin.cli import main; main()"]


def require_rabbitmq() -> None:
    """Skip (or, in CI, fail) when the RabbitMQ of this machine does not answer."""
    try:
        socket.create_connection(("127.0.0.1", 5672), timeout=2).close()
    except OSError as error:
        require(False, f"RabbitMQ at 127.0.0.1:5672 is not reachable: {error}")


@dataclass
class Node:
    """One PathSentry process and its log file."""

    process: subprocess.Popen[bytes]
    log: Path
    killed: bool = False

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def check_running(self) -> None:
        if self.process.poll() is not None:
            raise AssertionError(
                f"{self.log.stem} exited with {self.process.returncode}:\n{self.output()[-4000:]}"
            )

    def kill(self) -> None:
        """kill -9: no chance to release its job or acknowledge its message."""
        self.killed = True
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                return self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
        return self.process.wait()


@dataclass
class Installation:
    """Settings shared by every node (through the environment) and the nodes started."""

    folder: Path
    database_url: str
    broker_url: str
    pacs: OrthancServer
    weights: Path
    stale_after_s: float = 600.0
    dicom_port: int = field(default_factory=free_port)
    web_port: int = field(default_factory=free_port)
    queue: str = field(default_factory=lambda: f"pathsentry.e2e.{secrets.token_hex(4)}")
    nodes: list[Node] = field(default_factory=list)

    def env(self) -> dict[str, str]:
        destination = {
            "kind": "dimse",
            "name": "orthanc",
            "ae_title": self.pacs.ae_title,
            "host": self.pacs.host,
            "port": self.pacs.dicom_port,
        }
        return {
            **os.environ,
            "PATHSENTRY_CONFIG": "",
            "OMP_NUM_THREADS": "1",
            "PATHSENTRY_STORAGE__DATA_DIR": str(self.folder / "data"),
            "PATHSENTRY_DB__URL": self.database_url,
            "PATHSENTRY_JOBS__BROKER_URL": self.broker_url,
            "PATHSENTRY_JOBS__QUEUE": self.queue,
            "PATHSENTRY_JOBS__STALE_AFTER_S": str(self.stale_after_s),
            "PATHSENTRY_JOBS__POLL_INTERVAL_S": "0.5",
            "PATHSENTRY_DICOM__HOST": "127.0.0.1",
            "PATHSENTRY_DICOM__PORT": str(self.dicom_port),
            "PATHSENTRY_WEB__PORT": str(self.web_port),
            "PATHSENTRY_INFERENCE__WEIGHTS": str(self.weights),
            "PATHSENTRY_INFERENCE__DEVICE": "cpu",
            "PATHSENTRY_INFERENCE__TILE_SIZE": "320",
            "PATHSENTRY_INFERENCE__TILE_KEEP": "288",
            "PATHSENTRY_INFERENCE__BATCH_SIZE": "2",
            "PATHSENTRY_INFERENCE__TOP_K": "200",
            "PATHSENTRY_EXPORT__DESTINATIONS": json.dumps([destination]),
        }

    def start(self, name: str, *arguments: str) -> Node:
        log = self.folder / f"{name}.log"
        handle = log.open("ab")
        process = subprocess.Popen([*CLI, *arguments], env=self.env(), stdout=handle, stderr=handle)
        node = Node(process, log)
        self.nodes.append(node)
        return node

    def serve(self) -> Node:
        """`serve --roles ingest,web,export`, once /healthz answers."""
        node = self.start("serve", "serve", "--roles", "ingest,web,export")
        wait_until(lambda: self._healthy(node), "serve to start", timeout_s=120)
        return node

    def worker(self, name: str) -> Node:
        """`pathsentry worker --device cpu`, once Celery says it is ready."""
        node = self.start(name, "worker", "--device", "cpu", "--concurrency", "1")
        wait_until(lambda: _ready(node), f"{name} to be ready", timeout_s=120)
        return node

    def send(self, slides: list[E2eSlide]) -> subprocess.CompletedProcess[str]:
        """Every file of the slides by dcmtk's storescu, in one association."""
        paths = [str(path) for slide in slides for path in sorted(slide.folder.glob("*.dcm"))]
        command = [STORESCU, "-R", "-xy", "-aet", "SCANNER", "-aec", "PATHSENTRY"]
        return subprocess.run(
            [*command, "127.0.0.1", str(self.dicom_port), *paths],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    def jobs(self) -> list[Job]:
        database = connect(self.database_url)
        try:
            with database.session() as session:
                found = list(session.scalars(sa.select(Job).order_by(Job.id)))
                session.expunge_all()
                return found
        finally:
            database.dispose()

    def delivered(self, count: int) -> bool:
        """Whether `count` results exist and every export of them was delivered."""
        for node in self.nodes:
            if not node.killed:
                node.check_running()
        database = connect(self.database_url)
        try:
            with database.session() as session:
                results = list(session.scalars(sa.select(Result)))
                states = [export.state for result in results for export in result.exports]
        finally:
            database.dispose()
        return len(results) == count and states == [ExportState.DELIVERED] * count

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()

    def _healthy(self, node: Node) -> bool:
        node.check_running()
        try:
            return httpx.get(f"http://127.0.0.1:{self.web_port}/healthz").status_code == 200
        except httpx.TransportError:
            return False


def _ready(node: Node) -> bool:
    node.check_running()
    return " ready." in node.output()
