"""Translation and locale-aware formatting; every user-visible text passes through here."""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from importlib.resources import files
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal
from babel.support import Translations

LOCALES = ("vi", "en")
DOMAIN = "messages"
_DATE_FORMATS = {"vi": "dd/MM/yyyy", "en": "d MMM yyyy"}
_DATETIME_FORMATS = {"vi": "HH:mm dd/MM/yyyy", "en": "d MMM yyyy, HH:mm"}


def N_(message: str) -> str:  # noqa: N802  (the gettext convention)
    """Mark a message for extraction; it is translated later, where it is shown."""
    return message


@cache
def translations(locale: str) -> gettext.NullTranslations:
    """The compiled catalog of `locale`, loaded once."""
    directory = str(files("locales"))
    return Translations.load(directory, [locale], DOMAIN)


@cache
def babel_locale(locale: str) -> Locale:
    """Babel's data for `locale`, parsed once (formatting by name parses it again each call)."""
    return Locale.parse(locale)


@dataclass(frozen=True)
class Translator:
    """Texts, dates and numbers in one user's locale and the organisation's zone."""

    locale: str
    tz: ZoneInfo

    def _(self, message: str, **values: object) -> str:
        """Translate `message` and fill its `{placeholders}`."""
        text = translations(self.locale).gettext(message)
        return text.format(**values) if values else text

    def ngettext(self, singular: str, plural: str, n: int, **values: object) -> str:
        """Translate a message whose form depends on the count `n` (given as `{n}`)."""
        text = translations(self.locale).ngettext(singular, plural, n)
        return text.format(n=self.number(n), **values)

    def date(self, day: date) -> str:
        """A date as this locale writes it (28/11/2026, 28 Nov 2026)."""
        return format_date(day, _DATE_FORMATS[self.locale], locale=babel_locale(self.locale))

    def datetime(self, instant: datetime) -> str:
        """An instant shown in the organisation's zone."""
        local = instant.astimezone(self.tz)
        pattern = _DATETIME_FORMATS[self.locale]
        return format_datetime(local, pattern, locale=babel_locale(self.locale))

    def number(self, value: int | Decimal) -> str:
        """A number with this locale's separators (12,5 in Vietnamese; 12.5 in English)."""
        return format_decimal(value, locale=babel_locale(self.locale))


def pick_locale(
    *, chosen: str | None, roster: str | None, telegram: str | None, default: str
) -> str:
    """The user's stored choice, else the roster language, else Telegram's, else the default."""
    for candidate in (chosen, roster, (telegram or "").split("-")[0].lower()):
        if candidate in LOCALES:
            return candidate
    return default
