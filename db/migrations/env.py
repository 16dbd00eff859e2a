"""Alembic's entry point: migrate the connection that db.migrate hands over (or a URL)."""

from typing import Any, Literal

import sqlalchemy as sa
from alembic import context
from alembic.autogenerate.api import AutogenContext

from db.models import Base, UtcDateTime
from db.session import create_db_engine, migration_transaction


def _render_item(kind: str, item: object, _context: AutogenContext) -> str | Literal[False]:
    """Migrations spell plain SQLAlchemy types, so that they never import our models."""
    if kind == "type" and isinstance(item, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure(**options: Any) -> None:
    # Batch mode lets later migrations alter columns on SQLite (which cannot ALTER in place).
    context.configure(
        target_metadata=Base.metadata,
        render_as_batch=True,
        compare_type=True,
        render_item=_render_item,
        **options,
    )


def _run_offline() -> None:
    _configure(url=context.config.get_main_option("sqlalchemy.url"), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def _run_online(connection: sa.Connection) -> None:
    _configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


def _main() -> None:
    if context.is_offline_mode():
        _run_offline()
        return
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run_online(connection)
        return
    engine = create_db_engine(context.config.get_main_option("sqlalchemy.url") or "")
    try:
        with engine.connect() as fresh, migration_transaction(fresh):
            _run_online(fresh)
    finally:
        engine.dispose()


_main()
