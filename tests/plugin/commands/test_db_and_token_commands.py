"""`pathsentry db upgrade` and `pathsentry token create/list/revoke`."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from db import tokens
from db.errors import SchemaNotCurrentError
from db.migrate import head_revision
from db.models import AuditEvent, Role
from db.session import connect
from plugin.cli import app


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"PATHSENTRY_STORAGE__DATA_DIR": str(tmp_path), "PATHSENTRY_CONFIG": ""}


def test_token_commands_need_the_schema(env: dict[str, str]) -> None:
    result = CliRunner().invoke(app, ["token", "list"], env=env)
    assert isinstance(result.exception, SchemaNotCurrentError)
    assert "pathsentry db upgrade" in str(result.exception)


def test_upgrade_then_create_list_and_revoke_a_token(env: dict[str, str], tmp_path: Path) -> None:
    runner = CliRunner()
    upgraded = runner.invoke(app, ["db", "upgrade"], env=env)
    assert upgraded.exit_code == 0, upgraded.output
    assert f"is at revision {head_revision()}" in upgraded.output
    assert runner.invoke(app, ["db", "upgrade"], env=env).exit_code == 0  # idempotent

    created = runner.invoke(
        app, ["token", "create", "--role", "pathologist", "--name", "dr.grey"], env=env
    )
    assert created.exit_code == 0, created.output
    secret = created.stdout.strip()
    assert secret.startswith(tokens.PREFIX) and "shown only now" in created.stderr
    database = connect(f"sqlite:///{tmp_path / 'pathsentry.db'}")
    try:
        with database.session() as session:
            token = tokens.authenticate(session, secret)
            assert token is not None and token.role is Role.PATHOLOGIST

        listed = runner.invoke(app, ["token", "list"], env=env)
        assert listed.stdout.startswith("dr.grey\tpathologist\tactive")
        assert secret not in listed.stdout
        assert runner.invoke(app, ["token", "revoke", "dr.grey"], env=env).exit_code == 0
        with database.session() as session:
            assert tokens.authenticate(session, secret) is None
            actions = [e.action for e in session.query(AuditEvent).order_by(AuditEvent.id)]
        assert actions == ["token.create", "token.revoke"]
    finally:
        database.dispose()
    refused = runner.invoke(app, ["token", "create", "--role", "boss", "--name", "x"], env=env)
    assert refused.exit_code == 2
