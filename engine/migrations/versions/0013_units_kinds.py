"""Administrative units, agency kinds, and the agency/dossier columns lanes bound to kinds need.

admin_units: provinces and communes/wards with validity and the successor of a merged unit.
agency_kinds: kinds of agency a lane may name ("UBND cấp xã"), resolved per dossier.
agencies: kind, administrative unit, validity and successor (a dissolved agency's open steps move).
dossiers: the commune the dossier concerns.

Revision ID: 0013_units_kinds
Revises: 0012_legal_rules
Create Date: 2026-12-06 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_units_kinds"
down_revision: str | None = "0012_legal_rules"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "admin_units",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("parent_code", sa.String(length=64), nullable=True),
        sa.Column("search_key", sa.String(length=255), nullable=False, server_default=""),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("successor_code", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["parent_code"], ["admin_units.code"],
                                name=op.f("fk_admin_units_parent_code_admin_units")),
        sa.ForeignKeyConstraint(["successor_code"], ["admin_units.code"],
                                name=op.f("fk_admin_units_successor_code_admin_units")),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_admin_units")),
    )
    op.create_index(op.f("ix_admin_units_search_key"), "admin_units", ["search_key"], unique=False)
    op.create_table(
        "agency_kinds",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("lookup_key", sa.String(length=255), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("public_name", sa.String(length=255), nullable=False, server_default=""),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_agency_kinds")),
        sa.UniqueConstraint("lookup_key", name=op.f("uq_agency_kinds_lookup_key")),
    )
    # Plain columns (the engine checks them: engine.units.check_agency_binding, engine.succession),
    # so that a downgrade drops them in place without rebuilding tables other tables reference.
    for column in (sa.Column("kind_code", sa.String(length=64), nullable=True),
                   sa.Column("admin_unit", sa.String(length=64), nullable=True),
                   sa.Column("valid_from", sa.Date(), nullable=True),
                   sa.Column("valid_to", sa.Date(), nullable=True),
                   sa.Column("successor_id", sa.Integer(), nullable=True)):
        op.add_column("agencies", column)
    op.create_index(op.f("ix_agencies_kind_code"), "agencies", ["kind_code"], unique=False)
    op.add_column("dossiers", sa.Column("commune_code", sa.String(length=64), nullable=False, server_default=""))


def downgrade() -> None:
    op.drop_column("dossiers", "commune_code")
    op.drop_index(op.f("ix_agencies_kind_code"), table_name="agencies")
    for column in ("successor_id", "valid_to", "valid_from", "admin_unit", "kind_code"):
        op.drop_column("agencies", column)
    op.drop_table("agency_kinds")
    op.drop_index(op.f("ix_admin_units_search_key"), table_name="admin_units")
    op.drop_table("admin_units")
