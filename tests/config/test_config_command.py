"""`pathsentry config show`: the effective settings, secrets masked."""

import json
import tomllib
from pathlib import Path

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


def test_show_lists_unset_keys_and_the_effective_database_url(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in (
        "PATHSENTRY_WEB__ADMIN_TOKEN",
        "PATHSENTRY_INFERENCE__WEIGHTS",
        "PATHSENTRY_DB__URL",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PATHSENTRY_STORAGE__DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(app, ["config", "show"])
    assert result.exit_code == 0, result.output
    shown = tomllib.loads(result.stdout)
    assert shown["inference"]["weights"] == "" and shown["web"]["admin_token"] == ""
    tls = shown["dicom"]["tls"]
    assert (tls["certificate"], tls["private_key"], tls["client_ca"]) == ("", "", "")
    assert f"# effective database URL: sqlite:///{tmp_path}/pathsentry.db" in result.stdout
    as_json = json.loads(CliRunner().invoke(app, ["config", "show", "--json"]).stdout)
    assert as_json["inference"]["weights"] is None and as_json["web"]["admin_token"] is None
    assert as_json["database_url"] == f"sqlite:///{tmp_path}/pathsentry.db"


def test_show_masks_the_password_of_the_effective_database_url(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PATHSENTRY_DB__URL", "postgresql+psycopg://ps:hunter2@db:5432/ps")
    result = CliRunner().invoke(app, ["config", "show", "--json"])
    assert json.loads(result.stdout)["database_url"] == "postgresql+psycopg://ps:***@db:5432/ps"
    assert "hunter2" not in result.stdout
