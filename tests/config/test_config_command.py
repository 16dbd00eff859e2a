"""`pathsentry config show`: the effective settings, secrets masked."""

import json
import tomllib

import pytest
from typer.testing import CliRunner

from plugin.cli import app


def test_show_prints_effective_settings_with_secrets_masked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PATHSENTRY_WEB__ADMIN_TOKEN", "very-secret-admin-token")
    monkeypatch.setenv("PATHSENTRY_DB__URL", "postgresql+psycopg://ps:hunter2@db:5432/ps")
    monkeypatch.setenv("PATHSENTRY_DICOM__PORT", "11999")
    result = CliRunner().invoke(app, ["config", "show"])
    assert result.exit_code == 0, result.output
    shown = tomllib.loads(result.stdout)
    assert shown["dicom"]["port"] == 11999
    assert shown["db"]["url"] == "postgresql+psycopg://ps:***@db:5432/ps"
    assert shown["web"]["admin_token"] == "**********"
    assert "very-secret" not in result.stdout and "hunter2" not in result.stdout


def test_show_json_is_one_object(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PATHSENTRY_WEB__ADMIN_TOKEN", raising=False)
    result = CliRunner().invoke(app, ["config", "show", "--json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["dicom"]["ae_title"] == "PATHSENTRY"


def test_invalid_settings_stop_every_command_with_the_reason(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PATHSENTRY_WEB__PORT", "-1")
    result = CliRunner().invoke(app, ["config", "show"])
    assert result.exit_code != 0
    assert "web.port = '-1'" in str(result.exception)
