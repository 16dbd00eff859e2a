"""`pathsentry worker` with several devices runs one process per device, each with its own
/healthz port (the metrics port + its number); SIGTERM stops them all."""

import os
import secrets
import signal
import subprocess
from pathlib import Path

import httpx
import pytest

from db.migrate import upgrade
from plugin.commands.worker_cmd import worker_devices
from plugin.distributed.per_device import DeviceProcess, plan_processes
from tests.db.fixtures import new_postgres_database
from tests.e2e.distributed import RABBITMQ, require_rabbitmq
from tests.e2e.harness import wait_until
from tests.orthanc import free_port
from tests.plugin.distributed.test_worker_health import CLI
from tests.plugin.slides import tiny_model


def test_each_device_gets_a_process_and_the_next_metrics_port() -> None:
    assert plan_processes(["cuda:0", "cuda:1", "cuda:2"], 9100) == [
        DeviceProcess("cuda:0", 9100),
        DeviceProcess("cuda:1", 9101),
        DeviceProcess("cuda:2", 9102),
    ]
    assert plan_processes(["cuda:0", "cuda:1"], None)[1].metrics_port is None
    with pytest.raises(ValueError, match="exceed 65535"):
        plan_processes(["cuda:0", "cuda:1"], 65535)
    command = DeviceProcess("cuda:1", 9101).command(2)
    assert command[3:] == [
        *("worker", "--device", "cuda:1", "--concurrency", "2"),
        *("--metrics-port", "9101"),
    ]


def test_the_devices_of_a_worker_come_from_each_item_of_the_list() -> None:
    assert worker_devices("cpu", False) == ["cpu"]
    assert worker_devices("cpu, cpu", False) == ["cpu", "cpu"]
    if not os.path.exists("/dev/nvidia0"):
        assert worker_devices("auto", False) == ["cpu"]  # no GPU here: one process


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.timeout(400)
def test_two_devices_run_as_two_worker_processes_that_stop_together(tmp_path: Path) -> None:
    require_rabbitmq()
    port = free_port()
    with new_postgres_database("pathsentry_per_device") as url:
        upgrade(url)
        parent = _start(tmp_path, url, port)
        try:
            for number in (0, 1):
                wait_until(
                    lambda n=number: _healthy(parent, port + n, tmp_path),  # type: ignore[misc]
                    f"the worker of device {number}",
                    timeout_s=300,
                )
            children = _children(parent.pid)
        finally:
            parent.send_signal(signal.SIGTERM)
            status = parent.wait(timeout=120)
    assert len(children) == 2
    assert status == 0
    assert not [pid for pid in children if Path(f"/proc/{pid}").exists()]


def _start(tmp_path: Path, url: str, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PATHSENTRY_CONFIG": "",
        "OMP_NUM_THREADS": "1",
        "PATHSENTRY_DB__URL": url,
        "PATHSENTRY_JOBS__BROKER_URL": RABBITMQ,
        "PATHSENTRY_JOBS__QUEUE": f"pathsentry.devices.{secrets.token_hex(4)}",
        "PATHSENTRY_STORAGE__DATA_DIR": str(tmp_path / "data"),
        "PATHSENTRY_INFERENCE__WEIGHTS": str(tiny_model(tmp_path / "tiny.safetensors")),
    }
    (tmp_path / "data").mkdir()
    command = [*CLI, "worker", "--device", "cpu,cpu", "--metrics-port", str(port)]
    with (tmp_path / "worker.log").open("wb") as log:
        return subprocess.Popen(command, env=env, stdout=log, stderr=log)


def _healthy(parent: subprocess.Popen[bytes], port: int, tmp_path: Path) -> bool:
    if parent.poll() is not None:
        output = (tmp_path / "worker.log").read_text(errors="replace")[-4000:]
        raise AssertionError(f"the worker exited with {parent.returncode}:\n{output}")
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code == 200
    except httpx.TransportError:
        return False


def _children(pid: int) -> list[int]:
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
