"""Steps by claimant: a partial index of the claimed steps only; the (agency, dossier) index goes.

The index on (assignee_id, state) held every step ever made, and every completion, claim, cancel
and new step rewrote two to five of its pages (on SQLite a step completion wrote about a fifth of
its WAL pages there). The only query that reads steps by assignee is an agency's "my steps" inbox,
and an open step with an assignee is always a claimed one: this index holds just those.

ix_steps_agency_dossier (0003) served the visibility rule before dossier_agencies (0004) took it
over; what still asks for a dossier's steps of one agency finds them by dossier (a handful of
rows). Every new step wrote one or two of its pages.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 06:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CLAIMED = sa.text("state = 'claimed'")


def upgrade() -> None:
    op.drop_index("ix_steps_assignee", table_name="steps")
    op.drop_index("ix_steps_agency_dossier", table_name="steps")
    op.create_index("ix_steps_claimed_by", "steps", ["assignee_id", "due_at", "id"], unique=False,
                    sqlite_where=CLAIMED, postgresql_where=CLAIMED)


def downgrade() -> None:
    op.create_index("ix_steps_agency_dossier", "steps", ["agency_id", "dossier_id"], unique=False)
    op.drop_index("ix_steps_claimed_by", table_name="steps")
    op.create_index("ix_steps_assignee", "steps", ["assignee_id", "state"], unique=False)
