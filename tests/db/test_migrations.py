"""The Alembic migrations build exactly the schema the models describe, on both databases."""

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from db.errors import SchemaNotCurrentError
from db.migrate import alembic_config, current_revision, head_revision, require_current, upgrade
from db.models import Base
from db.session import Database, connect


def test_migrated_schema_matches_the_models(database: Database) -> None:
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []
    assert current_revision(database) == head_revision()


def test_sqlite_connections_use_wal_and_foreign_keys(sqlite_url: str) -> None:
    database = connect(sqlite_url)
    try:
        with database.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        database.dispose()


def test_downgrade_to_nothing_and_upgrade_again(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/fresh.db"
    assert upgrade(url) == head_revision()
    command.downgrade(alembic_config(url), "base")
    database = connect(url)
    try:
        assert sa.inspect(database.engine).get_table_names() == ["alembic_version"]
        with pytest.raises(SchemaNotCurrentError, match="pathsentry db upgrade"):
            require_current(database)
    finally:
        database.dispose()
    assert upgrade(url) == head_revision()
