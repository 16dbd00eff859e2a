"""Distributed mode's start-up rules: PostgreSQL only, analysis only in `pathsentry worker`,
and `serve --roles` names known roles. Nothing starts when they are broken."""

from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from config import DbSettings, JobSettings, Settings
from plugin.cli import app
from plugin.distributed import DistributedSetupError
from plugin.roles import Role, RoleError, serve_roles

BROKER = "amqp://guest:guest@127.0.0.1:5672//"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        "PATHSENTRY_STORAGE__DATA_DIR": str(tmp_path),
        "PATHSENTRY_CONFIG": "",
        "PATHSENTRY_JOBS__BROKER_URL": BROKER,
    }


@pytest.mark.parametrize("command", [["serve"], ["serve", "--roles", "ingest"], ["worker"]])
def test_sqlite_with_a_broker_url_is_refused_with_a_clear_message(
    env: dict[str, str], tmp_path: Path, command: list[str]
) -> None:
    result = CliRunner().invoke(app, command, env=env)
    assert isinstance(result.exception, DistributedSetupError)
    message = str(result.exception)
    assert "PostgreSQL" in message and "PATHSENTRY_DB__URL" in message
    assert not (tmp_path / "pathsentry.db").exists()  # refused before anything was created


def test_a_worker_without_a_broker_url_is_refused(env: dict[str, str]) -> None:
    env["PATHSENTRY_JOBS__BROKER_URL"] = ""
    result = CliRunner().invoke(app, ["worker"], env=env)
    assert isinstance(result.exception, DistributedSetupError)
    assert "jobs.broker_url is empty" in str(result.exception)


def test_roles_default_to_all_and_exclude_analysis_in_distributed_mode() -> None:
    single = Settings()
    distributed = Settings(
        jobs=JobSettings(broker_url=BROKER), db=DbSettings(url="postgresql+psycopg://h/db")
    )
    assert serve_roles(None, single) == frozenset(Role)
    assert serve_roles(None, distributed) == {Role.INGEST, Role.WEB, Role.EXPORT}
    assert serve_roles(" ingest, web ", distributed) == {Role.INGEST, Role.WEB}
    assert serve_roles("analysis", single) == {Role.ANALYSIS}
    with pytest.raises(RoleError, match="analysis runs in `pathsentry worker`"):
        serve_roles("ingest,analysis", distributed)
    with pytest.raises(RoleError, match="unknown role"):
        serve_roles("ingest,gpu", single)


def test_a_broker_url_must_be_amqp_or_redis() -> None:
    with pytest.raises(ValidationError, match="amqp:// \\(RabbitMQ\\) or redis://"):
        JobSettings(broker_url="kafka://127.0.0.1:9092")
