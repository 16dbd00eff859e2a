"""The quality gate's outcome of each result: clean, scored with tissue left out, or not
evaluable, with the main reason in words (counted by /metrics), and the QC picture.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 12:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = ("quality_outcome", "quality_reason", "qc_path")


def upgrade() -> None:
    for name in _COLUMNS:
        op.add_column("results", sa.Column(name, sa.String(), nullable=True))


def downgrade() -> None:
    # Plain ALTER TABLE ... DROP COLUMN (SQLite >= 3.35 has it): a batch rebuild of the table
    # would fire the ON DELETE CASCADE of the rows that refer to the results.
    for name in _COLUMNS:
        op.execute(sa.text(f"ALTER TABLE results DROP COLUMN {name}"))
