"""deploy/compose.yaml matches the command line it starts: every PathSentry service's command
is a real command with real options, and each GPU worker reserves its own GPU."""

from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from plugin.cli import app

COMPOSE = Path(__file__).parent.parent / "deploy" / "compose.yaml"


def _services() -> dict[str, Any]:
    compose = yaml.safe_load(COMPOSE.read_text())
    return dict(compose["services"])


def _pathsentry_services() -> dict[str, list[str]]:
    return {
        name: service["command"]
        for name, service in _services().items()
        if service.get("image") == "pathsentry:latest"
    }


def test_the_compose_file_has_every_part_of_a_multi_node_installation() -> None:
    services = _services()
    assert {"postgres", "rabbitmq", "flower"} <= set(services)
    commands = _pathsentry_services().values()
    assert ["serve", "--roles", "ingest,web,export"] in commands
    assert sum(1 for command in commands if command[0] == "worker") >= 2


@pytest.mark.parametrize("name", sorted(_pathsentry_services()))
def test_each_pathsentry_service_runs_a_real_command(name: str, tmp_path: Path) -> None:
    command = _pathsentry_services()[name]
    env = {"PATHSENTRY_CONFIG": "", "PATHSENTRY_STORAGE__DATA_DIR": str(tmp_path)}
    result = CliRunner().invoke(app, [*command, "--help"], env=env)
    assert result.exit_code == 0, result.output
    options = [part.split("=")[0] for part in command if part.startswith("--")]
    for option in options:
        assert option in result.output, f"{name}: {option} is not an option of {command[0]}"


def test_each_gpu_worker_reserves_one_gpu_of_its_own() -> None:
    services = _services()
    workers = [name for name, command in _pathsentry_services().items() if command[0] == "worker"]
    reserved = []
    for name in workers:
        (device,) = services[name]["deploy"]["resources"]["reservations"]["devices"]
        assert device["capabilities"] == ["gpu"]
        reserved.extend(device["device_ids"])
    assert len(reserved) == len(set(reserved)) == len(workers)
