"""The transactional outbox, the dossier's incident mark; the expect-one function goes.

``outbox`` holds what happened (a status change, a step handover), written in the same
transaction; ``outbox_deliveries`` how far each subscriber got with each message.
``dossiers.incident`` says why a workflow cannot go on by itself (a bounded loop ran out).
PostgreSQL's ``lienthong_expect_one`` is no longer used: writes check their row counts.

Revision ID: 0009_outbox
Revises: 0008
Create Date: 2026-12-06 05:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from engine.models import UTCDateTime

revision: str = "0009_outbox"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("topic", sa.String(64), nullable=False),
        sa.Column("dossier_id", sa.Integer, nullable=True),
        sa.Column("step_id", sa.Integer, nullable=True),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "outbox_deliveries",
        sa.Column("outbox_id", sa.Integer, sa.ForeignKey("outbox.id", name="fk_outbox_deliveries_outbox_id_outbox"),
                  primary_key=True),
        sa.Column("subscriber", sa.String(64), primary_key=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("failed_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text, nullable=False),
    )
    op.create_index("ix_outbox_deliveries_subscriber", "outbox_deliveries", ["subscriber", "outbox_id"])
    op.add_column("dossiers", sa.Column("incident", sa.String(500), nullable=False, server_default=""))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS lienthong_expect_one(bigint, text)")


def downgrade() -> None:
    op.drop_column("dossiers", "incident")
    op.drop_index("ix_outbox_deliveries_subscriber", "outbox_deliveries")
    op.drop_table("outbox_deliveries")
    op.drop_table("outbox")
