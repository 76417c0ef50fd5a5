"""What drafting a message needs: the rules in force, the instant, the recipient's language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardMarkup

from kpi.calendar import WorkCalendar
from kpi.outbox import Draft
from kpi.policy import Policy
from kpi.reminders import allowed_at
from locales.i18n import Translator, pick_locale
from models import Employee, OutboxKind


def translator_for(person: Employee, *, default_locale: str, tz: ZoneInfo) -> Translator:
    """The translator of someone the bot writes to: their choice, else the roster's language."""
    locale = pick_locale(
        chosen=person.chosen_locale, roster=person.language, telegram=None, default=default_locale
    )
    return Translator(locale, tz)


@dataclass(frozen=True)
class Occasion:
    """The calendar and policy in force, the instant, and the language of whoever has none."""

    calendar: WorkCalendar
    policy: Policy
    now: datetime
    default_locale: str

    def tr(self, person: Employee) -> Translator:
        """The translator of a recipient."""
        return translator_for(person, default_locale=self.default_locale, tz=self.calendar.tz)

    @property
    def today(self) -> date:
        """The organisation's date at `now`."""
        return self.calendar.local_day(self.now)

    @property
    def not_before(self) -> datetime:
        """When a message drafted now may go: `now`, or the end of the quiet hours it falls in."""
        return allowed_at(self.calendar, self.policy, self.now)

    def draft(
        self,
        person: Employee,
        key: str,
        kind: OutboxKind,
        text: str,
        *,
        buttons: InlineKeyboardMarkup | None = None,
        work_code_id: int | None = None,
        expires_at: datetime | None = None,
    ) -> Draft:
        """A message for `person`'s chat (0 when not linked), to go once quiet hours allow."""
        return Draft(
            key=key,
            kind=kind,
            chat_id=person.telegram_id or 0,
            text=text,
            not_before=self.not_before,
            expires_at=expires_at,
            reply_markup=buttons.to_json() if buttons is not None else None,
            employee_id=person.id,
            work_code_id=work_code_id,
        )
