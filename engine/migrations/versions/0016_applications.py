"""Online applications: the applications and their uploaded documents; how a dossier was received.

Revision ID: 0016_applications
Revises: 0015_citizen
Create Date: 2026-12-06 08:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from engine.models import UTCDateTime

revision: str = "0016_applications"
down_revision: str | None = "0015_citizen"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("dossiers", sa.Column("channel", sa.String(16), nullable=False, server_default="counter"))
    op.create_table(
        "applications",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("reference", sa.String(32), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("procedure_code", sa.String(64), nullable=False),
        sa.Column("definition_id", sa.Integer, sa.ForeignKey(
            "definition_versions.id", name="fk_applications_definition_id_definition_versions"), nullable=False),
        sa.Column("applicant", sa.JSON, nullable=False),
        sa.Column("applicant_name", sa.String(255), nullable=False),
        sa.Column("commune_code", sa.String(64), nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("receiving_agency_id", sa.Integer, sa.ForeignKey(
            "agencies.id", name="fk_applications_receiving_agency_id_agencies"), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("requested", sa.JSON, nullable=False),
        sa.Column("notice_id", sa.Integer, sa.ForeignKey(
            "desk_notices.id", name="fk_applications_notice_id_desk_notices"), nullable=True),
        sa.Column("dossier_id", sa.Integer, sa.ForeignKey(
            "dossiers.id", name="fk_applications_dossier_id_dossiers"), nullable=True),
        sa.Column("submitted_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.Integer, sa.ForeignKey(
            "officials.id", name="fk_applications_decided_by_officials"), nullable=True),
        sa.UniqueConstraint("reference", name="uq_applications_reference"),
    )
    op.create_index("ix_applications_procedure_code", "applications", ["procedure_code"])
    op.create_index("ix_applications_queue", "applications", ["receiving_agency_id", "status", "submitted_at"])
    op.create_table(
        "application_documents",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("application_id", sa.Integer, sa.ForeignKey(
            "applications.id", name="fk_application_documents_application_id_applications"), nullable=False),
        sa.Column("requirement_key", sa.String(64), nullable=False),
        sa.Column("requirement_name", sa.String(500), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("media_type", sa.String(128), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("uploaded_at", UTCDateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_application_documents_application_id", "application_documents", ["application_id"])


def downgrade() -> None:
    op.drop_index("ix_application_documents_application_id", "application_documents")
    op.drop_table("application_documents")
    op.drop_index("ix_applications_queue", "applications")
    op.drop_index("ix_applications_procedure_code", "applications")
    op.drop_table("applications")
    op.drop_column("dossiers", "channel")
