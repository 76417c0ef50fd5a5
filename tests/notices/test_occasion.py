"""Drafting a message: the recipient's language, and the first moment it may go."""

from __future__ import annotations

from datetime import date

import pytest

from kpi.calendar import WorkCalendar
from kpi.policy import Policy
from models import Employee
from notices.occasion import Occasion, translator_for
from tests.factories import HANOI, local


@pytest.mark.parametrize(
    ("chosen", "roster", "default", "expected"),
    [
        ("en", "vi", "vi", "en"),  # the person's own choice first
        (None, "en", "vi", "en"),  # then the roster's language
        (None, "fr", "en", "en"),  # a language the bot does not speak: the default
    ],
)
def test_a_recipient_reads_in_their_language(
    chosen: str | None, roster: str, default: str, expected: str
) -> None:
    person = Employee(code="NV1", full_name="An", unit_id=1, position_id=1, language=roster)
    person.chosen_locale = chosen
    tr = translator_for(person, default_locale=default, tz=HANOI)
    assert (tr.locale, tr.tz) == (expected, HANOI)


@pytest.mark.parametrize(
    ("now", "not_before", "today"),
    [
        (local("2026-11-09", 10), local("2026-11-09", 10), date(2026, 11, 9)),
        # 23:30 on Friday in Hà Nội: held until Monday morning, and still Friday there.
        (local("2026-11-06", 23, 30), local("2026-11-09", 7), date(2026, 11, 6)),
    ],
)
def test_a_message_drafted_now_waits_out_the_quiet_hours(
    policy: Policy, now, not_before, today: date
) -> None:
    occasion = Occasion(WorkCalendar(tz=HANOI), policy, now, "vi")
    assert (occasion.not_before, occasion.today) == (not_before, today)
