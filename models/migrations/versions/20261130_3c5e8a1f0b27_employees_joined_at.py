"""employees' joined_at

Revision ID: 3c5e8a1f0b27
Revises: bf3fac8e3090
Create Date: 2026-11-30 17:17:00.000000

When the roster import created an employee: the quarters that ended before it have no score.
Employees created before this revision keep NULL (unknown) and are scored as before.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.types

revision: str = "3c5e8a1f0b27"
down_revision: str | None = "bf3fac8e3090"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("employee") as batch:
        batch.add_column(
            sa.Column("joined_at", models.types.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_column("employee", "joined_at")
