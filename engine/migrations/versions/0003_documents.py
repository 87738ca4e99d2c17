"""documents and dossier search indexes

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 02:13:08.259655
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import engine.models

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("step_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("requirement_key", sa.String(length=64), nullable=False),
        sa.Column("requirement_name", sa.String(length=500), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("media_type", sa.String(length=128), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by", sa.Integer(), nullable=False),
        sa.Column("uploaded_at", engine.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("at_reception", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["dossier_id"], ["dossiers.id"], name=op.f("fk_documents_dossier_id_dossiers")),
        sa.ForeignKeyConstraint(["step_id"], ["steps.id"], name=op.f("fk_documents_step_id_steps")),
        sa.ForeignKeyConstraint(["uploaded_by"], ["officials.id"], name=op.f("fk_documents_uploaded_by_officials")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
    )
    op.create_index(op.f("ix_documents_dossier_id"), "documents", ["dossier_id"], unique=False)
    op.create_index("ix_documents_sha256", "documents", ["sha256"], unique=False)
    # Dossier search: a name prefix (LIKE 'x%') on PostgreSQL needs pattern operators.
    op.create_index(
        "ix_dossiers_applicant_search_prefix",
        "dossiers",
        ["applicant_search"],
        unique=False,
        postgresql_ops={"applicant_search": "varchar_pattern_ops"},
    )
    op.create_index("ix_dossiers_procedure_received", "dossiers", ["procedure_code", "received_at"], unique=False)
    op.create_index("ix_dossiers_receiving_received", "dossiers", ["receiving_agency_id", "received_at"], unique=False)
    op.create_index("ix_dossiers_status_received", "dossiers", ["status", "received_at"], unique=False)
    op.create_index("ix_steps_agency_dossier", "steps", ["agency_id", "dossier_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_steps_agency_dossier", table_name="steps")
    op.drop_index("ix_dossiers_status_received", table_name="dossiers")
    op.drop_index("ix_dossiers_receiving_received", table_name="dossiers")
    op.drop_index("ix_dossiers_procedure_received", table_name="dossiers")
    op.drop_index("ix_dossiers_applicant_search_prefix", table_name="dossiers")
    op.drop_index("ix_documents_sha256", table_name="documents")
    op.drop_index(op.f("ix_documents_dossier_id"), table_name="documents")
    op.drop_table("documents")
