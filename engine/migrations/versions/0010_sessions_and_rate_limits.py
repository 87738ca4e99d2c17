"""Web sessions that end everywhere; rate limits shared by every web process.

``officials.session_generation`` is written into each web session at login and compared on every
request: logout, a password change, a role change and deactivation move it on, and every cookie
issued before stops working at once, in every process.

``rate_limits`` replaces ``login_attempts``: one row per key (an account and address, an address, a
dossier code and address) counting the attempts of its current window, incremented by one atomic
upsert, so parallel requests in any number of processes never get past the limit.

Revision ID: 0010_sessions_and_rate_limits
Revises: 0009_outbox
Create Date: 2026-12-06 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import engine.models

revision: str = "0010_sessions_and_rate_limits"
down_revision: str | None = "0009_outbox"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTER TABLE (no batch copy on SQLite: other tables refer to officials).
    op.add_column("officials", sa.Column("session_generation", sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "rate_limits",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("window_start", engine.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rate_limits")),
    )
    op.create_index("ix_rate_limits_window_start", "rate_limits", ["window_start"], unique=False)
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.drop_index("ix_login_attempts_key_at")
    op.drop_table("login_attempts")


def downgrade() -> None:
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("at", engine.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("success", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_attempts")),
    )
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.create_index("ix_login_attempts_key_at", ["key", "at"], unique=False)
    op.drop_table("rate_limits")
    op.drop_column("officials", "session_generation")
