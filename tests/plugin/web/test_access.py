"""What the service gives away without a token, and how: docs, metrics, caching, numbers
too large for the database, the login form of another site, and the session cookie."""

import os
import stat
import time

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from config import Settings, WebSettings
from db import tokens
from db.models import Role
from db.session import Database
from plugin.web import create_app
from plugin.web.sessions import COOKIE, KEY_FILE, open_session, session_key
from tests.plugin.web.conftest import bearer
from tests.plugin.web.live_server import live_server

TOO_LARGE = [2**63, 2**64, 10**30]  # ids stop at 2**31 - 1 (INTEGER columns)


def _log_in(client: TestClient, secret: str, **headers: str) -> httpx.Response:
    return client.post(
        "/login", data={"token": secret, "next": "/"}, headers=headers, follow_redirects=False
    )


def _with_web(settings: Settings, **web: object) -> Settings:
    changed = settings.web.model_dump() | web
    return settings.model_copy(update={"web": WebSettings(**changed)})


@pytest.mark.parametrize("number", TOO_LARGE)
def test_ids_and_offsets_beyond_64_bits_are_refused_never_500(
    app: FastAPI, token_of: dict[Role, str], number: int
) -> None:
    reads = [
        f"/api/cases/{number}",
        f"/api/cases/{number}/reviews",
        f"/api/slides/{number}",
        f"/api/results/{number}",
        f"/api/results/{number}/files/seg",
        f"/api/jobs/{number}",
        f"/api/worklist?offset={number}",
        f"/api/jobs?offset={number}",
        f"/api/exports?offset={number}",
        f"/api/audit?offset={number}",
        f"/api/audit?case_id={number}",
    ]
    writes = [f"/api/jobs/{number}/cancel", f"/api/jobs/{number}/retry"]
    writes.append(f"/api/exports/{number}/retry")
    with TestClient(app, raise_server_exceptions=False) as client:
        client.headers.update(bearer(token_of[Role.ADMIN]))
        for path in reads:
            assert client.get(path).status_code == 422, path
        for path in writes:
            assert client.post(path).status_code == 422, path
        assert (
            client.post(f"/api/cases/{number}/reviews", json={"decision": "benign"}).status_code
            == 422
        )
        _log_in(client, token_of[Role.ADMIN])
        for page in (f"/cases/{number}", f"/?page={number}", f"/results/{number}/files/seg"):
            assert client.get(page).status_code == 422, page


def test_the_largest_id_the_database_holds_is_not_found(
    client: TestClient, token_of: dict[Role, str]
) -> None:
    client.headers.update(bearer(token_of[Role.ADMIN]))
    for path in ("/api/cases/2147483647", "/api/jobs/2147483647", "/api/slides/2147483647"):
        assert client.get(path).status_code == 404
    assert client.get("/api/jobs/2147483648").status_code == 422
    assert client.get("/api/jobs?offset=9223372036854775807").json() == []
    assert client.get("/api/audit?case_id=2147483647").json() == []


def test_docs_openapi_and_metrics_need_a_token(
    client: TestClient, token_of: dict[Role, str]
) -> None:
    for path in ("/openapi.json", "/metrics"):
        assert client.get(path).status_code == 401, path
        assert client.get(path, headers=bearer("pst_not-a-token")).status_code == 401, path
    docs = client.get("/docs", follow_redirects=False)
    assert (docs.status_code, docs.headers["location"]) == (303, "/login?next=%2Fdocs")
    viewer = bearer(token_of[Role.VIEWER])
    for path in ("/openapi.json", "/metrics", "/docs"):
        assert client.get(path, headers=viewer).status_code == 200, path
    assert client.get("/healthz").status_code == 200  # a load balancer's probe needs none


def test_a_dashboard_session_opens_the_docs(client: TestClient, token_of: dict[Role, str]) -> None:
    assert _log_in(client, token_of[Role.VIEWER]).status_code == 303
    assert "swagger-ui-bundle.js" in client.get("/docs").text
    assert client.get("/openapi.json").json()["info"]["title"] == "PathSentry"


def test_metrics_are_open_to_the_trusted_networks_only(
    settings: Settings, database: Database
) -> None:
    for networks, expected in ((["127.0.0.0/8"], 200), (["10.0.0.0/8"], 401)):
        trusted = _with_web(settings, metrics_trusted_networks=networks)
        with live_server(create_app(trusted, database=database)) as url:
            assert httpx.get(f"{url}/metrics").status_code == expected
            assert httpx.get(f"{url}/openapi.json").status_code == 401


def test_answers_are_never_cached_except_static_files(
    client: TestClient, token_of: dict[Role, str]
) -> None:
    viewer = bearer(token_of[Role.VIEWER])
    for path in ("/api/me", "/api/worklist", "/api/cases/1", "/openapi.json", "/metrics"):
        assert client.get(path, headers=viewer).headers["cache-control"] == "no-store", path
    assert client.get("/api/me").headers["cache-control"] == "no-store"  # the 401 too
    assert client.get("/healthz").headers["cache-control"] == "no-store"
    assert "cache-control" not in client.get("/static/dashboard.css").headers


def test_the_login_form_of_another_site_is_refused(
    client: TestClient, token_of: dict[Role, str], caplog: pytest.LogCaptureFixture
) -> None:
    secret = token_of[Role.ADMIN]
    for headers in (
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Referer": "https://evil.example/login"},
        {"Origin": "http://testserver.evil.example"},
    ):
        refused = _log_in(client, secret, **headers)
        assert refused.status_code == 403 and COOKIE not in refused.headers.get("set-cookie", "")
    assert "web.trust_proxy_headers" in caplog.records[-1].getMessage()
    assert _log_in(client, secret, Origin="http://testserver").status_code == 303
    assert _log_in(client, secret, Referer="http://testserver/login?next=/").status_code == 303
    assert _log_in(client, secret).status_code == 303  # no browser: scripts and curl


def test_the_session_cookie_is_not_the_token_and_useless_as_one(
    client: TestClient, database: Database, token_of: dict[Role, str]
) -> None:
    secret = token_of[Role.ADMIN]
    _log_in(client, secret)
    cookie = client.cookies[COOKIE]
    assert secret not in cookie and tokens.hash_secret(secret) not in cookie
    assert client.get("/api/me", headers=bearer(cookie)).status_code == 401
    assert client.get("/", follow_redirects=False).status_code == 200
    token_id, expires, signature = cookie.split(".")
    forged = f"{token_id}.{int(expires) + 3600}.{signature}"
    for value in (forged, f"{int(token_id) + 1}.{expires}.{signature}", "1.2", "x.y.z"):
        client.cookies.set(COOKIE, value)
        assert client.get("/", follow_redirects=False).status_code == 303, value
    client.cookies.set(COOKIE, cookie)
    with database.session() as session:
        tokens.revoke_token(session, "dr.admin")
        session.commit()
    assert client.get("/", follow_redirects=False).status_code == 303


def test_an_expired_session_goes_back_to_the_login(
    client: TestClient, database: Database, settings: Settings, token_of: dict[Role, str]
) -> None:
    key = session_key(settings.storage.data_dir)
    with database.session() as session:
        token = tokens.authenticate(session, token_of[Role.VIEWER])
        assert token is not None
        fresh, old = open_session(token, key), open_session(token, key, now=time.time() - 13 * 3600)
    client.cookies.set(COOKIE, fresh)
    assert client.get("/", follow_redirects=False).status_code == 200
    client.cookies.set(COOKIE, old)
    assert client.get("/", follow_redirects=False).status_code == 303


def test_the_session_key_is_private_and_kept(settings: Settings) -> None:
    folder = settings.storage.data_dir
    key = session_key(folder)
    assert session_key(folder) == key and len(key) == 32
    assert stat.S_IMODE(os.stat(folder / KEY_FILE).st_mode) == 0o600
    assert [path.name for path in folder.iterdir() if path.name.startswith(".")] == []


def test_the_cookie_is_secure_behind_a_trusted_https_proxy(
    settings: Settings, database: Database, token_of: dict[Role, str]
) -> None:
    proxied = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "pathsentry.hospital.example"}
    origin = {"Origin": "https://pathsentry.hospital.example"}
    with TestClient(create_app(settings, database=database)) as client:
        response = _log_in(client, token_of[Role.VIEWER], **proxied)
        assert (
            response.status_code == 303 and "secure" not in response.headers["set-cookie"].lower()
        )
        assert _log_in(client, token_of[Role.VIEWER], **proxied, **origin).status_code == 403
    trusting = _with_web(settings, trust_proxy_headers=True)
    with TestClient(create_app(trusting, database=database)) as client:
        response = _log_in(client, token_of[Role.VIEWER], **proxied, **origin)
        assert response.status_code == 303 and "; secure" in response.headers["set-cookie"].lower()
