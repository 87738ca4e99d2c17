"""Timers remember when they started, so a calendar change can re-time them.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 05:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import engine.models

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Timers registered before this revision keep NULL: their start cannot be recovered, so they
    # keep the due time they were given.
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("started_at", engine.models.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.drop_column("started_at")
