"""Migration 0005 lets a result go without score and segmentation (a slide the AI could not
judge), on SQLite and PostgreSQL; a downgrade drops those results and keeps the scored ones."""

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from db.migrate import alembic_config, head_revision, upgrade
from db.models import JobState, Result
from db.results import add_result, add_unjudged_result
from db.session import connect
from tests.db.factories import add_case, add_job, add_slide, result_values, unjudged_values
from tests.db.fixtures import new_postgres_database


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no schema yet."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/migrating.db"
        return
    with new_postgres_database("pathsentry_migration_0005") as url:
        yield url


def _scores(url: str) -> list[float | None]:
    database = connect(url)
    try:
        with database.session() as session:
            return list(session.scalars(sa.select(Result.score).order_by(Result.id)))
    finally:
        database.dispose()


def test_results_without_score_are_kept_and_dropped_on_downgrade(empty_url: str) -> None:
    assert upgrade(empty_url) == head_revision()
    database = connect(empty_url)
    try:
        with database.session() as session, session.begin():
            case = add_case(session)
            scored = add_job(session, add_slide(session, case), JobState.DONE)
            add_result(session, scored, result_values(0.7), ["pacs"])
            glass = add_job(session, add_slide(session, case), JobState.NOT_EVALUABLE)
            add_unjudged_result(session, glass, unjudged_values(), ["pacs"])
    finally:
        database.dispose()
    assert _scores(empty_url) == [0.7, None]
    command.downgrade(alembic_config(empty_url), "0004")
    engine = sa.create_engine(empty_url)
    try:
        with engine.connect() as connection:
            scores = connection.execute(sa.text("SELECT score FROM results")).scalars().all()
            exports = connection.execute(sa.text("SELECT count(*) FROM exports")).scalar()
            nullable = {
                c["name"]: c["nullable"] for c in sa.inspect(connection).get_columns("results")
            }
    finally:
        engine.dispose()
    assert (scores, exports) == ([0.7], 1)
    assert not nullable["score"] and not nullable["seg_path"]
    assert upgrade(empty_url, "0005") == "0005"
    assert _scores(empty_url) == [0.7]
    assert _counts(empty_url) == (1, 2)  # the scored result's export and files survive


def _counts(url: str) -> tuple[int, int]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            exports = connection.execute(sa.text("SELECT count(*) FROM exports")).scalar()
            files = connection.execute(sa.text("SELECT count(*) FROM result_files")).scalar()
    finally:
        engine.dispose()
    return int(exports or 0), int(files or 0)
