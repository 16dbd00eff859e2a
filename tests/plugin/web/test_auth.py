"""Bearer-token auth with roles: 401 without a valid token, 403 beyond the role."""

import pytest
from fastapi.testclient import TestClient

from config import Settings, load_settings
from db import tokens
from db.models import Role
from db.session import Database
from plugin.web import create_app
from plugin.web.app import ADMIN_TOKEN_NAME
from tests.db.factories import add_case
from tests.plugin.web.conftest import bearer


def _case(database: Database) -> int:
    with database.session() as session:
        case_id = add_case(session).id
        session.commit()
    return case_id


@pytest.mark.parametrize("path", ["/api/worklist", "/api/cases/1", "/api/jobs", "/api/me"])
def test_no_token_is_401(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_unknown_and_revoked_tokens_are_401(
    client: TestClient, database: Database, token_of: dict[Role, str]
) -> None:
    assert client.get("/api/me", headers=bearer("pst_not-a-token")).status_code == 401
    assert client.get("/api/me", headers={"Authorization": token_of[Role.ADMIN]}).status_code == 401
    assert client.get("/api/me", headers=bearer(token_of[Role.ADMIN])).json() == {
        "name": "dr.admin",
        "role": "admin",
    }
    with database.session() as session:
        tokens.revoke_token(session, "dr.admin")
        session.commit()
    assert client.get("/api/me", headers=bearer(token_of[Role.ADMIN])).status_code == 401


def test_a_viewer_may_read_but_not_review(
    client: TestClient, database: Database, token_of: dict[Role, str]
) -> None:
    case_id = _case(database)
    viewer = bearer(token_of[Role.VIEWER])
    assert client.get(f"/api/cases/{case_id}", headers=viewer).status_code == 200
    response = client.post(
        f"/api/cases/{case_id}/reviews", json={"decision": "benign"}, headers=viewer
    )
    assert response.status_code == 403
    assert "pathologist" in response.json()["detail"]
    for role in (Role.PATHOLOGIST, Role.ADMIN):
        posted = client.post(
            f"/api/cases/{case_id}/reviews",
            json={"decision": "benign"},
            headers=bearer(token_of[role]),
        )
        assert posted.status_code == 201


def test_the_admin_token_is_seeded_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, database: Database
) -> None:
    secret = "seeded-admin-token-0123456789"
    monkeypatch.setenv("PATHSENTRY_WEB__ADMIN_TOKEN", secret)
    monkeypatch.setenv("PATHSENTRY_DB__URL", settings.database_url)
    monkeypatch.setenv("PATHSENTRY_STORAGE__DATA_DIR", str(settings.storage.data_dir))
    from_env = load_settings()
    with TestClient(create_app(from_env, database=database)) as client:
        me = client.get("/api/me", headers=bearer(secret)).json()
    assert me == {"name": ADMIN_TOKEN_NAME, "role": "admin"}
