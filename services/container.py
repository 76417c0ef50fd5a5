"""What handlers and the scheduler need, built once by the assembly and passed down."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from kpi.calendar import WorkCalendar, load_calendar
from kpi.policy import Policy
from services.doorbell import Doorbell
from services.telemetry import Telemetry


def system_clock() -> datetime:
    """The real current instant, aware UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Services:
    """Database, policy, clock, zone, default language and telemetry of one running bot.

    The assembly (`bot/`) fills it from the settings, so nothing below it reads them.
    """

    db: sessionmaker[Session]
    policy: Policy
    tz: ZoneInfo
    default_locale: str
    clock: Callable[[], datetime] = field(default=system_clock)
    doorbell: Doorbell = field(default_factory=Doorbell)
    telemetry: Telemetry = field(default_factory=Telemetry)

    def calendar(self, session: Session) -> WorkCalendar:
        """The working calendar as the database declares it now."""
        return load_calendar(session=session, tz=self.tz, calendar_days=self.policy.calendar_days)
