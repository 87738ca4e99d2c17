"""Roles inside an agency: a step names who in the agency does it (clerk, officer or leader).

The role comes from the step's ``camunda:candidateGroups``; inboxes, claims and reassignment
follow it. Steps written before this revision carry an empty role: any handling official of the
agency may take them, as before.

Revision ID: 0014_step_roles
Revises: 0013_units_kinds
Create Date: 2026-12-06 05:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_step_roles"
down_revision: str | None = "0013_units_kinds"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("steps", sa.Column("role", sa.String(16), nullable=False, server_default=""))


def downgrade() -> None:
    op.drop_column("steps", "role")
