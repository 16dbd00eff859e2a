"""SQLite changes a column by rebuilding the table: no migration, up or down, may take the rows
that refer to a rebuilt table with it (ON DELETE CASCADE fires when the old table is dropped)."""

from pathlib import Path

import sqlalchemy as sa
from alembic import command

from db.migrate import alembic_config, head_revision, upgrade
from db.models import JobState
from db.results import add_result
from db.session import connect
from tests.db.factories import add_case, add_job, add_slide, result_values

_TABLES = ("cases", "slides", "jobs", "results", "exports")


def _counts(url: str) -> dict[str, int]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return {
                table: int(
                    connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar() or 0
                )
                for table in _TABLES
            }
    finally:
        engine.dispose()


def test_down_to_0002_and_up_again_keeps_every_row(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/rebuilt.db"
    assert upgrade(url) == head_revision()
    database = connect(url)
    try:
        with database.session() as session, session.begin():
            case = add_case(session)
            for score in (0.2, 0.9):
                job = add_job(session, add_slide(session, case), JobState.DONE)
                add_result(session, job, result_values(score), ["pacs"])
    finally:
        database.dispose()
    before = _counts(url)
    assert before == {"cases": 1, "slides": 2, "jobs": 2, "results": 2, "exports": 2}
    command.downgrade(alembic_config(url), "0002")  # 0003 rebuilds jobs and exports
    assert _counts(url) == before
    assert upgrade(url) == head_revision()
    assert _counts(url) == before
