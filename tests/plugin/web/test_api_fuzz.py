"""A bounded schemathesis run against /openapi.json with an admin token: no answer is a 5xx.

It runs the real app under uvicorn on a free loopback port, on a real SQLite database seeded
with cases, so that generated ids, offsets, filters and bodies (valid and invalid ones) reach
the routes and the database. The run is derandomized: the same examples every time."""

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.core.result import Ok

from config import DbSettings, Settings, StorageSettings
from db import tokens
from db.models import Role
from db.session import connect
from plugin.web import create_app
from tests.plugin.web.live_server import live_server
from tests.plugin.web.synthetic import seed_cases

MAX_EXAMPLES = 15  # per operation and mode: about 20 operations, a minute or so in all

pytestmark = pytest.mark.slow


def _server_errors(
    operation: Any, mode: GenerationMode, url: str, auth: dict[str, str]
) -> list[str]:
    found: list[str] = []

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def call(case: Any) -> None:
        response = case.call(base_url=url, headers=auth)
        if response.status_code >= 500:
            found.append(
                f"{case.method} {case.formatted_path} {case.query}: {response.status_code}"
            )

    try:
        call()
    except Unsatisfiable:  # nothing to make invalid (an operation without parameters)
        assert mode is GenerationMode.NEGATIVE
    return found


def test_no_operation_answers_with_a_server_error(sqlite_url: str, tmp_path: Path) -> None:
    database = connect(sqlite_url)
    with database.session() as session:
        seed_cases(session, tmp_path)
        auth = {
            "Authorization": f"Bearer {tokens.create_token(session, 'fuzz', Role.ADMIN).secret}"
        }
        session.commit()
    app_settings = Settings(
        storage=StorageSettings(data_dir=tmp_path), db=DbSettings(url=sqlite_url)
    )
    errors: list[str] = []
    try:
        with live_server(create_app(app_settings, database=database)) as url:
            schema = schemathesis.openapi.from_url(f"{url}/openapi.json", headers=auth)
            operations = []
            for result in schema.get_all_operations():
                assert isinstance(result, Ok), result
                operations.append(result.ok())
            for operation in operations:
                for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                    errors += _server_errors(operation, mode, url, auth)
    finally:
        database.dispose()
    assert len(operations) >= 15
    assert errors == []
