"""Migration 0006 adds the quality gate's columns to results, on SQLite and PostgreSQL; a
downgrade drops them and keeps every result with its files and exports."""

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from db.migrate import alembic_config, head_revision, upgrade
from db.models import JobState, QualityOutcome, Result
from db.results import QualityValues, add_result, add_unjudged_result
from db.session import connect
from tests.db.factories import add_case, add_job, add_slide, result_values, unjudged_values
from tests.db.fixtures import new_postgres_database

BLURRED = QualityValues(
    QualityOutcome.EXCLUDED,
    reason="out of focus",
    findings=("12% of the tissue out of focus",),
    fractions={"out of focus": 0.12},
    evaluable_fraction=0.88,
    warning="12% of the tissue out of focus, not analysed",
    picture_path=Path("/nonexistent/qc.png"),
)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no schema yet."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/migrating.db"
        return
    with new_postgres_database("pathsentry_migration_0006") as url:
        yield url


def _counts(url: str) -> tuple[int, int, int]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            counts = [
                connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar()
                for table in ("results", "result_files", "exports")
            ]
    finally:
        engine.dispose()
    results, files, exports = (int(count or 0) for count in counts)
    return results, files, exports


def test_quality_columns_hold_the_gate_and_go_on_downgrade(empty_url: str) -> None:
    assert upgrade(empty_url) == head_revision() == "0006"
    database = connect(empty_url)
    try:
        with database.session() as session, session.begin():
            case = add_case(session)
            scored = add_job(session, add_slide(session, case), JobState.DONE)
            values = dataclasses.replace(result_values(0.2), quality=BLURRED)
            add_result(session, scored, values, ["pacs"])
            blurred = add_job(session, add_slide(session, case), JobState.NOT_EVALUABLE)
            unjudged = dataclasses.replace(
                unjudged_values(),
                quality=QualityValues(QualityOutcome.NOT_EVALUABLE, reason="out of focus"),
            )
            add_unjudged_result(session, blurred, unjudged, ["pacs"])
        with database.session() as session:
            rows = list(session.scalars(sa.select(Result).order_by(Result.id)))
            assert [row.quality_outcome for row in rows] == ["excluded", "not_evaluable"]
            assert rows[0].quality_warning == BLURRED.warning
            assert rows[0].quality_findings == ["12% of the tissue out of focus"]
            assert rows[0].stats["top_k"] == 1000  # the pipeline's own stats stay
            assert rows[0].has_qc and not rows[1].has_qc
    finally:
        database.dispose()
    before = _counts(empty_url)
    command.downgrade(alembic_config(empty_url), "0005")
    engine = sa.create_engine(empty_url)
    try:
        with engine.connect() as connection:
            columns = {c["name"] for c in sa.inspect(connection).get_columns("results")}
    finally:
        engine.dispose()
    assert not {"quality_outcome", "quality_reason", "qc_path"} & columns
    assert _counts(empty_url) == before == (2, 3, 2)
    assert upgrade(empty_url) == "0006"
