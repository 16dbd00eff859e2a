"""Ingest: what the pyramid rule reads from each instance, and when a slide was completed.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 06:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("instances", schema=None) as batch_op:
        batch_op.add_column(sa.Column("number_of_frames", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("resampled", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("concatenation_uid", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("concatenation_number", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("concatenation_total", sa.Integer(), nullable=True))
    with op.batch_alter_table("slides", schema=None) as batch_op:
        batch_op.add_column(sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("slides", schema=None) as batch_op:
        batch_op.drop_column("completed_at")
    with op.batch_alter_table("instances", schema=None) as batch_op:
        batch_op.drop_column("concatenation_total")
        batch_op.drop_column("concatenation_number")
        batch_op.drop_column("concatenation_uid")
        batch_op.drop_column("resampled")
        batch_op.drop_column("number_of_frames")
