"""breaches dated on the deadline day

Revision ID: 9b1e5c7a2d40
Revises: 4f6f3d73bc3c
Create Date: 2026-11-30 12:10:00.000000

A breach deduction used to be dated at its deadline, 24:00 organisation time, which is the first
instant of the next day: a deadline of 31/12 counted in the next year's first quarter. It now
belongs to the deadline day, dated at its last moment (one microsecond earlier). This one-off
correction re-dates the breach deductions recorded before, in place, with one audit event each
(`deduction.redate`), instead of a reversal and a new record per breach: the points, person,
criterion and work code stay the same; only a date the program computed moves by one
microsecond, and a reversal pair would show every leader a cancelled and a new deduction for
one breach. Reversals are dated when they were made and are left alone.
"""

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

import models.types

revision: str = "9b1e5c7a2d40"
down_revision: str | None = "4f6f3d73bc3c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_LAST_MOMENT = timedelta(microseconds=1)
_deduction = sa.table(
    "deduction",
    sa.column("id", sa.Integer()),
    sa.column("occurred_at", models.types.UTCDateTime(timezone=True)),
    sa.column("source", sa.String()),
    sa.column("reverses_id", sa.Integer()),
)
_audit = sa.table(
    "audit_event",
    sa.column("at", models.types.UTCDateTime(timezone=True)),
    sa.column("actor_id", sa.Integer()),
    sa.column("action", sa.String()),
    sa.column("subject", sa.String()),
    sa.column("details", sa.String()),
)


def upgrade() -> None:
    """Apply this revision."""
    _shift(-_LAST_MOMENT, lambda at: at.microsecond == 0)


def downgrade() -> None:
    """Revert this revision."""
    _shift(_LAST_MOMENT, lambda at: at.microsecond == 999_999)


def _shift(delta: timedelta, eligible: Callable[[datetime], bool]) -> None:
    """Move every breach deduction still dated at a midnight (or, back, just before) by delta."""
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(_deduction.c.id, _deduction.c.occurred_at).where(
            _deduction.c.source == "deadline_breach", _deduction.c.reverses_id.is_(None)
        )
    ).all()
    now = datetime.now(UTC)
    for row_id, occurred_at in rows:
        if not eligible(occurred_at):
            continue
        moved = occurred_at + delta
        bind.execute(
            sa.update(_deduction).where(_deduction.c.id == row_id).values(occurred_at=moved)
        )
        bind.execute(
            sa.insert(_audit).values(
                at=now,
                actor_id=None,
                action="deduction.redate",
                subject=f"deduction:{row_id}",
                details=f"occurred_at={occurred_at.isoformat()}->{moved.isoformat()}",
            )
        )
