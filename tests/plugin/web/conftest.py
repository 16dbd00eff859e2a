from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from config import DbSettings, Settings, StorageSettings, WebSettings
from db import tokens
from db.models import Role
from db.session import Database
from plugin.web import create_app


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        storage=StorageSettings(data_dir=tmp_path),
        db=DbSettings(url=database_url),
        web=WebSettings(refresh_seconds=1),
    )


@pytest.fixture
def app(settings: Settings, database: Database) -> FastAPI:
    return create_app(settings, database=database)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def token_of(database: Database) -> dict[Role, str]:
    """A token for each role, named after the role."""
    with database.session() as session:
        issued = {role: tokens.create_token(session, f"dr.{role}", role).secret for role in Role}
        session.commit()
    return issued


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}
