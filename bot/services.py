"""What handlers and the scheduler need, built once by main() and passed down."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from bot.config import Settings
from kpi.calendar import WorkCalendar, load_calendar
from kpi.policy import Policy


def system_clock() -> datetime:
    """The real current instant, aware UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Services:
    """Settings, database, policy and clock for one running bot."""

    settings: Settings
    db: sessionmaker[Session]
    policy: Policy
    clock: Callable[[], datetime] = field(default=system_clock)

    def calendar(self, session: Session) -> WorkCalendar:
        """The working calendar as the database declares it now."""
        return load_calendar(
            session=session, tz=self.settings.tz, calendar_days=self.policy.calendar_days
        )
