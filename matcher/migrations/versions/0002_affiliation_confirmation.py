"""affiliation confirmation

An affiliation declared by one provider now counts for matching only once the other side
confirms it or an admin approves it. Adds who declared it, who confirmed it and when (and how:
the other side, an admin, an admin's import), and who disputed it.

Existing rows were in force when this migration runs (one side declaring was enough): they stay
in force, marked confirmed at their creation time with `confirmed_via = 'migration'`, so no
request is matched differently the day this ships. Downgrading deletes the rows never confirmed,
since before this revision every row counted.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

USERS = ("declared_by_id", "confirmed_by_id", "disputed_by_id")


def upgrade() -> None:
    # Batch mode: SQLite cannot add a foreign key to an existing table without a copy.
    with op.batch_alter_table("affiliation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("declared_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("confirmed_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("confirmed_via", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True)
        )
        batch_op.add_column(sa.Column("disputed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("disputed_by_id", sa.Integer(), nullable=True))
        for column in USERS:
            batch_op.create_foreign_key(
                batch_op.f(f"fk_affiliation_{column}_app_user"), "app_user", [column], ["id"]
            )

    affiliation = sa.table(
        "affiliation",
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("confirmed_at", sa.DateTime(timezone=True)),
        sa.column("confirmed_via", sa.String(16)),
    )
    op.execute(
        affiliation.update()
        .where(affiliation.c.confirmed_at.is_(None))
        .values(confirmed_at=affiliation.c.created_at, confirmed_via="migration")
    )


def downgrade() -> None:
    # Before 0002 every row counted: a declaration never confirmed must not start counting.
    affiliation = sa.table("affiliation", sa.column("confirmed_at", sa.DateTime(timezone=True)))
    op.execute(affiliation.delete().where(affiliation.c.confirmed_at.is_(None)))
    with op.batch_alter_table("affiliation", schema=None) as batch_op:
        for column in USERS:
            batch_op.drop_constraint(f"fk_affiliation_{column}_app_user", type_="foreignkey")
        for column in (*USERS, "confirmed_at", "confirmed_via", "disputed_at"):
            batch_op.drop_column(column)
