"""acting approvers

Revision ID: 7d2e4b9c1a35
Revises: 3c5e8a1f0b27
Create Date: 2026-11-30 18:50:00.000000

A leader's deputy for a period (ủy quyền phê duyệt), and on a work code the leader a deputy
holds it for.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.types

revision: str = "7d2e4b9c1a35"
down_revision: str | None = "3c5e8a1f0b27"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "delegation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("leader_id", sa.Integer(), nullable=False),
        sa.Column("deputy_id", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("cancelled_at", models.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("cancelled_by", sa.Integer(), nullable=True),
        sa.Column("returned_at", models.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["leader_id"], ["employee.id"]),
        sa.ForeignKeyConstraint(["deputy_id"], ["employee.id"]),
        sa.ForeignKeyConstraint(["created_by"], ["employee.id"]),
        sa.ForeignKeyConstraint(["cancelled_by"], ["employee.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("delegation", schema=None) as batch_op:
        batch_op.create_index(
            "ix_delegation_leader_days", ["leader_id", "starts_on", "ends_on"], unique=False
        )
        batch_op.create_index(
            "ix_delegation_deputy_days", ["deputy_id", "starts_on", "ends_on"], unique=False
        )
        batch_op.create_index(
            "ix_delegation_unfinished", ["returned_at", "starts_on"], unique=False
        )
    with op.batch_alter_table("work_code", schema=None) as batch_op:
        batch_op.add_column(sa.Column("delegated_from", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_work_code_delegated_from_employee", "employee", ["delegated_from"], ["id"]
        )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("work_code", schema=None) as batch_op:
        batch_op.drop_constraint("fk_work_code_delegated_from_employee", type_="foreignkey")
        batch_op.drop_column("delegated_from")
    with op.batch_alter_table("delegation", schema=None) as batch_op:
        batch_op.drop_index("ix_delegation_unfinished")
        batch_op.drop_index("ix_delegation_deputy_days")
        batch_op.drop_index("ix_delegation_leader_days")
    op.drop_table("delegation")
