"""PostgreSQL: lienthong_expect_one(count, what), which aborts the transaction unless count is 1.

The hot path (engine.fastpath) sends a completion's writes and its COMMIT to PostgreSQL in one
batch, without waiting in between. Its conditional updates (the claimed step, the saved state at
the version read) must each apply to exactly one row; wrapped in this function, one that applies
to none raises SQLSTATE 40001 (serialization_failure) on the server, the rest of the batch is
skipped and the transaction rolls back: the caller gets a retryable conflict and nothing is
written. SQLite runs those statements one at a time and checks their counts in Python: nothing
to add there.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 09:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("""
        CREATE OR REPLACE FUNCTION lienthong_expect_one(n bigint, what text) RETURNS bigint
        LANGUAGE plpgsql AS $$
        BEGIN
            IF n IS DISTINCT FROM 1 THEN
                RAISE EXCEPTION 'lienthong: % changed under this transaction (% rows)', what, n
                    USING ERRCODE = '40001';
            END IF;
            RETURN n;
        END
        $$
    """)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP FUNCTION IF EXISTS lienthong_expect_one(bigint, text)")
