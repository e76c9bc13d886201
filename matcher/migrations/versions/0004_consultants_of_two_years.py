"""consultants of the last two years

The request form also asks for the consultants the business used in the last two years
(ISO/IEC 17021-1 cl. 5.2): `quote_request.previous_consultants`, a JSON list of at most three
{"name", "provider_id"} pairs, the name as typed and the registered consultant it was matched
to when the request was written. Requests already stored named none: they start with [].

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 23:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The server default also fills the rows already there.
    op.add_column(
        "quote_request",
        sa.Column("previous_consultants", sa.JSON(), nullable=False, server_default="[]"),
    )


def downgrade() -> None:
    with op.batch_alter_table("quote_request", schema=None) as batch_op:
        batch_op.drop_column("previous_consultants")
