"""The audit trail, as the domain writes it."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from models import AuditEvent

# The column is VARCHAR(2000): PostgreSQL would refuse longer text and fail the unit of work.
_MAX_DETAILS = 2000


def record(
    session: Session,
    *,
    at: datetime,
    actor_id: int | None,
    action: str,
    subject: str,
    details: str = "",
) -> AuditEvent:
    """Add one audit event to the session (the caller's unit of work commits it)."""
    event = AuditEvent(
        at=at, actor_id=actor_id, action=action, subject=subject, details=details[:_MAX_DETAILS]
    )
    session.add(event)
    return event
