"""Schema migrations, run programmatically (`pathsentry db upgrade` and the tests use these)."""

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from db.errors import SchemaNotCurrentError
from db.session import Database, connect, migration_transaction

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str = "") -> Config:
    """An Alembic configuration pointing at our migrations (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> str | None:
    """Bring the database at `url` to `revision`; returns the revision it is at afterwards."""
    database = connect(url)
    try:
        upgrade_database(database, revision)
        return current_revision(database)
    finally:
        database.dispose()


def upgrade_database(database: Database, revision: str = "head") -> None:
    """Bring an open database to `revision`, on one of its connections."""
    config = alembic_config(database.engine.url.render_as_string(hide_password=False))
    with database.engine.connect() as connection, migration_transaction(connection):
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def head_revision() -> str | None:
    """The newest revision this version of PathSentry ships."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(database: Database) -> str | None:
    """The revision the database is at (None for an empty database)."""
    with database.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def require_current(database: Database) -> None:
    """Raise SchemaNotCurrentError unless the database is at the newest revision."""
    current, head = current_revision(database), head_revision()
    if current != head:
        raise SchemaNotCurrentError(
            f"the database schema is at revision {current or '(empty)'}, this version of "
            f"PathSentry needs {head}: run `pathsentry db upgrade` (back up the database first)"
        )
