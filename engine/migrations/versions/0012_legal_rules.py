"""Calendar decisions (the official decisions that move days off and make-up working days) and
the apology letters' numbers (Mẫu 04, numbered per agency and year).

The shipped ones (workflows/calendar/*.toml) are written by `lienthong init-db` and `seed-demo`
after the migrations (engine.calendar_decisions.sync_shipped), not here: the files change with
each release, the schema does not.

Apologies issued before this revision keep no number (printed as before, "Số: ....../PXL").

Revision ID: 0012_legal_rules
Revises: 0011_procedure_approval
Create Date: 2026-12-06 05:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from engine.models import UTCDateTime

revision: str = "0012_legal_rules"
down_revision: str | None = "0011_procedure_approval"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "calendar_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("number", sa.String(length=255), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=True),
        sa.Column("issuer", sa.String(length=255), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("source", sa.String(length=1000), nullable=False),
        sa.Column("confirmed", sa.Boolean(), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("confirmed_by", sa.String(length=64), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_decisions")),
        sa.UniqueConstraint("key", name=op.f("uq_calendar_decisions_key")),
    )
    op.create_table(
        "calendar_decision_days",
        sa.Column("decision_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("working", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(["decision_id"], ["calendar_decisions.id"], ondelete="CASCADE",
                                name=op.f("fk_calendar_decision_days_decision_id_calendar_decisions")),
        sa.PrimaryKeyConstraint("decision_id", "day", name=op.f("pk_calendar_decision_days")),
    )
    with op.batch_alter_table("apologies", schema=None) as batch_op:
        batch_op.add_column(sa.Column("number_year", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("number", sa.Integer(), nullable=True))
        batch_op.create_unique_constraint("uq_apologies_number", ["agency_id", "number_year", "number"])


def downgrade() -> None:
    with op.batch_alter_table("apologies", schema=None) as batch_op:
        batch_op.drop_constraint("uq_apologies_number", type_="unique")
        batch_op.drop_column("number")
        batch_op.drop_column("number_year")
    op.drop_table("calendar_decision_days")
    op.drop_table("calendar_decisions")
