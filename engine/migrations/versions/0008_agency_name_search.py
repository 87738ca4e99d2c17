"""An agency's dossiers by applicant name: dossier_agencies carries the name's search key.

An official's name search ("nguyen van") used the name index over every dossier and then checked
each candidate against the agency's participation: a common prefix matches thousands of dossiers
of other agencies, each probed (p95 about 150-350 ms at a million dossiers). With the search
key beside the agency, the index (agency_id, applicant_search, received_at, dossier_id) yields
just that agency's matches, newest first after a small sort, without touching other agencies'
dossiers. The key is written with the row (engine.queries.record_participation and the fast
path) and never changes: the applicant's name is fixed at receipt.

Existing rows are filled from dossiers: one UPDATE over the table (at millions of dossiers, plan
a few minutes with the web processes stopped, as for 0006).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 09:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("dossier_agencies", schema=None) as batch_op:
        batch_op.add_column(sa.Column("applicant_search", sa.String(length=255), nullable=False, server_default=""))
    op.execute("UPDATE dossier_agencies SET applicant_search = "
               "(SELECT d.applicant_search FROM dossiers d WHERE d.id = dossier_agencies.dossier_id)")
    op.create_index("ix_dossier_agencies_agency_name", "dossier_agencies",
                    ["agency_id", "applicant_search", "received_at", "dossier_id"], unique=False,
                    postgresql_ops={"applicant_search": "varchar_pattern_ops"})


def downgrade() -> None:
    op.drop_index("ix_dossier_agencies_agency_name", table_name="dossier_agencies")
    with op.batch_alter_table("dossier_agencies", schema=None) as batch_op:
        batch_op.drop_column("applicant_search")
