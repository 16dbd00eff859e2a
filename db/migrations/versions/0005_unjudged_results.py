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

_DROP_UNSCORED = (
    "DELETE FROM export_attempts WHERE export_id IN (SELECT id FROM exports WHERE result_id IN "
    "(SELECT id FROM results WHERE score IS NULL))",
    "DELETE FROM exports WHERE result_id IN (SELECT id FROM results WHERE score IS NULL)",
    "DELETE FROM result_files WHERE result_id IN (SELECT id FROM results WHERE score IS NULL)",
    "DELETE FROM results WHERE score IS NULL",
)


def upgrade() -> None:
    _set_nullable(True)


def downgrade() -> None:
    # The old schema cannot hold a result without a score: those (and their exports) go. Said
    # row by row: foreign keys are off while SQLite migrates (db.session.migration_transaction).
    for statement in _DROP_UNSCORED:
        op.execute(sa.text(statement))
    _set_nullable(False)


def _set_nullable(nullable: bool) -> None:
    with op.batch_alter_table("results") as batch:
        for name, type_ in _UNSCORED:
            batch.alter_column(name, existing_type=type_, nullable=nullable)
