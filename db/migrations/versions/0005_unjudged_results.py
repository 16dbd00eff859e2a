"""Results without a score: a slide the AI could not judge still gets a result (its "not
evaluable" report, delivered like any other), so its score, finding and segmentation columns
may be empty.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 10:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UNSCORED = (
    ("score", sa.Float()),
    ("suspicious", sa.Boolean()),
    ("seg_sop_instance_uid", sa.String()),
    ("seg_path", sa.String()),
)


# SQLite rebuilds the results table to change a column, and dropping the old table fires the
# ON DELETE CASCADE of the rows that refer to it (foreign keys are on, and cannot be turned off
# inside the migration's transaction): they are kept aside, as stored, and put back.
_DEPENDENTS = ("result_files", "exports", "export_attempts")


def upgrade() -> None:
    _set_nullable(True)


def downgrade() -> None:
    # The old schema cannot hold a result without a score: those (and their exports) go.
    op.execute(sa.text("DELETE FROM results WHERE score IS NULL"))
    _set_nullable(False)


def _set_nullable(nullable: bool) -> None:
    connection = op.get_bind()
    kept = _keep(connection) if connection.dialect.name == "sqlite" else []
    with op.batch_alter_table("results") as batch:
        for name, type_ in _UNSCORED:
            batch.alter_column(name, existing_type=type_, nullable=nullable)
    for table, rows in kept:
        connection.execute(sa.delete(table))
        if rows:
            connection.execute(sa.insert(table), rows)


def _keep(connection: sa.Connection) -> list[tuple[sa.TableClause, list[dict[str, object]]]]:
    kept = []
    for name in _DEPENDENTS:
        columns = [column["name"] for column in sa.inspect(connection).get_columns(name)]
        # Untyped columns: the values go out and back exactly as stored.
        table = sa.table(name, *(sa.column(column) for column in columns))
        rows = [dict(row) for row in connection.execute(sa.select(table)).mappings()]
        kept.append((table, rows))
    return kept
