"""A procedure change is approved before it runs: a version's status and review, and the modeller's drafts.

definition_versions gains ``status`` (submitted, published, sent_back, retired; existing versions are
published, the newest of each procedure stays in force and older ones are retired), who submitted and who
reviewed it, when, and the reason of a sending back. procedure_drafts keeps the diagrams being drawn in
the designer's modeller.

Revision ID: 0011_procedure_approval
Revises: 0010_sessions_and_rate_limits
Create Date: 2026-12-06 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from engine.models import UTCDateTime

revision: str = "0011_procedure_approval"
down_revision: str | None = "0010_sessions_and_rate_limits"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN (no table rebuild: dossiers reference this table). Who submitted and who reviewed
    # are the officials' ids, kept like the event log's actor ids, without a foreign key.
    op.add_column("definition_versions", sa.Column("status", sa.String(length=16), nullable=False,
                                                   server_default="published"))
    op.add_column("definition_versions", sa.Column("submitted_by", sa.Integer(), nullable=True))
    op.add_column("definition_versions", sa.Column("reviewed_by", sa.Integer(), nullable=True))
    op.add_column("definition_versions", sa.Column("reviewed_at", UTCDateTime(), nullable=True))
    op.add_column("definition_versions", sa.Column("review_note", sa.String(length=1000), nullable=False,
                                                   server_default=""))
    op.execute("UPDATE definition_versions SET status = 'retired' WHERE version < "
               "(SELECT max(d.version) FROM definition_versions d "
               "WHERE d.procedure_code = definition_versions.procedure_code)")
    op.create_table(
        "procedure_drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("procedure_code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("bpmn", sa.LargeBinary(), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["updated_by"], ["officials.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_procedure_drafts_procedure_code", "procedure_drafts", ["procedure_code"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_procedure_drafts_procedure_code", table_name="procedure_drafts")
    op.drop_table("procedure_drafts")
    for column in ("review_note", "reviewed_at", "reviewed_by", "submitted_by", "status"):
        op.drop_column("definition_versions", column)
