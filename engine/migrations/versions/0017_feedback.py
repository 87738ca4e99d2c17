"""Citizens' feedback and petitions (phản ánh, kiến nghị — PAKN): one row per feedback, its answer and rating.

Revision ID: 0017_feedback
Revises: 0015_citizen
Create Date: 2026-12-06 08:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from engine.models import UTCDateTime

revision: str = "0017_feedback"
down_revision: str | None = "0016_applications"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("reference", sa.String(32), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("procedure_code", sa.String(64), nullable=False),
        sa.Column("dossier_id", sa.Integer, sa.ForeignKey("dossiers.id", name="fk_feedback_dossier_id_dossiers"),
                  nullable=True),
        sa.Column("agency_id", sa.Integer, sa.ForeignKey("agencies.id", name="fk_feedback_agency_id_agencies"),
                  nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("contact", sa.String(255), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("received_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("due_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("answer", sa.Text, nullable=False, server_default=""),
        sa.Column("answered_by", sa.Integer, sa.ForeignKey("officials.id", name="fk_feedback_answered_by_officials"),
                  nullable=True),
        sa.Column("answered_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("published", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("published_text", sa.Text, nullable=False, server_default=""),
        sa.Column("published_answer", sa.Text, nullable=False, server_default=""),
        sa.Column("rating", sa.Integer, nullable=True),
        sa.Column("rated_at", UTCDateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("reference", name="uq_feedback_reference"),
    )
    op.create_index("ix_feedback_agency_id", "feedback", ["agency_id", "status", "due_at"])
    op.create_index("ix_feedback_received_at", "feedback", ["received_at"])


def downgrade() -> None:
    op.drop_index("ix_feedback_received_at", "feedback")
    op.drop_index("ix_feedback_agency_id", "feedback")
    op.drop_table("feedback")
