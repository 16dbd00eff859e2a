"""What `serve` says first: its version, and warnings for set-ups not fit for a hospital."""

import logging
from pathlib import Path

import pytest

from config import DbSettings, InferenceSettings, Settings, StorageSettings, WebSettings
from db import tokens
from db.migrate import upgrade_database
from db.models import Role
from db.session import connect
from inference.errors import WeightsError
from plugin.service import start_service, warn_about_setup, web_server_config
from plugin.version import service_version

DEMO = "DEMONSTRATION model"
NO_TOKEN = "no API token exists yet"


def _settings(tmp_path: Path, sqlite_url: str, **inference: object) -> Settings:
    return Settings(
        storage=StorageSettings(data_dir=tmp_path),
        db=DbSettings(url=sqlite_url),
        inference=InferenceSettings(**inference),
    )


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


def test_the_first_line_names_the_version_and_a_missing_token_is_a_warning(
    tmp_path: Path, sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    settings = _settings(tmp_path, sqlite_url, weights=tmp_path / "missing.safetensors")
    database = connect(sqlite_url)
    caplog.set_level(logging.INFO)
    try:
        with pytest.raises(WeightsError):
            start_service(settings, database=database)
    finally:
        database.dispose()
    assert caplog.records[0].getMessage().startswith(f"PathSentry {service_version()} starting")
    warnings = _warnings(caplog)
    assert any(NO_TOKEN in line for line in warnings)
    assert not any(DEMO in line for line in warnings)


def test_the_demo_model_is_a_warning_and_a_token_silences_the_other(
    tmp_path: Path, sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    database = connect(sqlite_url)
    upgrade_database(database)
    try:
        warn_about_setup(_settings(tmp_path, sqlite_url), database)
        assert [DEMO in line for line in _warnings(caplog)] == [True, False]
        seeded = _settings(tmp_path, sqlite_url).model_copy(
            update={"web": WebSettings(admin_token="an-admin-token-0123456789")}
        )
        caplog.clear()
        warn_about_setup(seeded, database)
        assert [DEMO in line for line in _warnings(caplog)] == [True]
        with database.session() as session:
            tokens.create_token(session, "dr.admin", Role.ADMIN)
            session.commit()
        caplog.clear()
        warn_about_setup(_settings(tmp_path, sqlite_url), database)
        assert not any(NO_TOKEN in line for line in _warnings(caplog))
    finally:
        database.dispose()


def test_uvicorn_believes_proxy_headers_only_when_told(tmp_path: Path, sqlite_url: str) -> None:
    plain = _settings(tmp_path, sqlite_url)
    assert web_server_config(object(), plain).proxy_headers is False
    trusting = plain.model_copy(update={"web": WebSettings(trust_proxy_headers=True)})
    assert web_server_config(object(), trusting).proxy_headers is True
