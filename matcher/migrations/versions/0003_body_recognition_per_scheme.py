"""body recognition per scheme

An accreditation body counts for a CB's standard only where it signs the IAF MLA for that
standard's scheme (QMS, EMS, OHSMS, ISMS, FSMS, MDMS, EnMS). Adds one row per body and scheme
with its status (confirmed, unconfirmed, rejected), evidence and the admin who decided.

Existing bodies get a row for every scheme from the shipped `mla_recognition.csv`. A row
starts confirmed only where that file confirms it on a primary or corroborated source AND the
body was recognised before: nothing is widened. A body's `recognised` flag then means
"confirmed for at least one scheme", so a body the file confirms for nothing stops counting
until an admin confirms a scheme on /admin/bodies. Downgrading drops the rows and leaves the
flags as narrowed.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 23:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from matcher.iso.schemes import CONFIRMED, SCHEMES, UNCONFIRMED, recognition_of

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BODY = sa.table(
    "accreditation_body",
    sa.column("id", sa.Integer()),
    sa.column("acronym", sa.String(40)),
    sa.column("recognised", sa.Boolean()),
)


def upgrade() -> None:
    recognition = op.create_table(
        "body_scheme_recognition",
        sa.Column("body_id", sa.Integer(), nullable=False),
        sa.Column("scheme", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("since", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
        sa.Column("basis", sa.Text(), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("confidence", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["body_id"],
            ["accreditation_body.id"],
            name=op.f("fk_body_scheme_recognition_body_id_accreditation_body"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["app_user.id"],
            name=op.f("fk_body_scheme_recognition_decided_by_id_app_user"),
        ),
        sa.PrimaryKeyConstraint("body_id", "scheme", name=op.f("pk_body_scheme_recognition")),
    )
    bodies = op.get_bind().execute(sa.select(BODY.c.id, BODY.c.acronym, BODY.c.recognised))
    rows = []
    for body_id, acronym, recognised in bodies:
        for scheme in SCHEMES:
            found = recognition_of(acronym, scheme)
            rows.append(
                {
                    "body_id": body_id,
                    "scheme": scheme,
                    # An admin's "not recognised" before this revision is never widened.
                    "status": found.status if recognised else UNCONFIRMED,
                    "since": found.since,
                    "basis": found.basis,
                    "source": found.source,
                    "confidence": found.confidence,
                }
            )
    if rows:
        op.bulk_insert(recognition, rows)
    confirmed = (
        sa.select(sa.literal(1))
        .select_from(recognition)
        .where(recognition.c.body_id == BODY.c.id, recognition.c.status == CONFIRMED)
        .exists()
    )
    op.execute(BODY.update().values(recognised=confirmed))


def downgrade() -> None:
    op.drop_table("body_scheme_recognition")
