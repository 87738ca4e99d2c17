"""The citizen's side: satisfaction survey answers, notifications sent, edited notification templates.

Revision ID: 0015_citizen
Revises: 0014_step_roles
Create Date: 2026-12-06 06:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from engine.models import UTCDateTime

revision: str = "0015_citizen"
down_revision: str | None = "0014_step_roles"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "survey_responses",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("dossier_id", sa.Integer,
                  sa.ForeignKey("dossiers.id", name="fk_survey_responses_dossier_id_dossiers"), nullable=False),
        sa.Column("answers", sa.JSON, nullable=False),
        sa.Column("submitted_at", UTCDateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("dossier_id", name="uq_survey_responses_dossier_id"),
    )
    op.create_index("ix_survey_responses_submitted_at", "survey_responses", ["submitted_at"])
    op.create_table(
        "citizen_notices",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("outbox_id", sa.Integer, sa.ForeignKey("outbox.id", name="fk_citizen_notices_outbox_id_outbox"),
                  nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("dossier_id", sa.Integer, sa.ForeignKey("dossiers.id", name="fk_citizen_notices_dossier_id_dossiers"),
                  nullable=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(500), nullable=False),
        sa.UniqueConstraint("outbox_id", "channel", name="uq_citizen_notices_outbox_id_channel"),
    )
    op.create_index("ix_citizen_notices_dossier_id", "citizen_notices", ["dossier_id"])
    op.create_table(
        "notice_templates",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("notice_templates")
    op.drop_index("ix_citizen_notices_dossier_id", "citizen_notices")
    op.drop_table("citizen_notices")
    op.drop_index("ix_survey_responses_submitted_at", "survey_responses")
    op.drop_table("survey_responses")
