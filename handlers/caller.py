"""Who is talking to the bot, in which language, and what they may do."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from sqlmodel import Session, select
from telegram import Message, Update
from telegram.ext import ContextTypes

from locales.i18n import Translator, pick_locale
from models import Employee, Role
from services.container import Services


@dataclass(frozen=True)
class Caller:
    """The linked employee (if any) behind an update, and their translator."""

    employee: Employee | None
    tr: Translator
    is_leader: bool = False

    @property
    def is_admin(self) -> bool:
        """Whether the caller is an admin (HR)."""
        return self.employee is not None and self.employee.role == Role.ADMIN


def services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    """The services stored on the application at start-up."""
    return cast(Services, context.bot_data["services"])


def identify(session: Session, update: Update, svc: Services) -> Caller:
    """Resolve the caller of `update` from the roster."""
    user = update.effective_user
    employee = None
    if user is not None:
        employee = session.exec(select(Employee).where(Employee.telegram_id == user.id)).first()
    locale = pick_locale(
        chosen=employee.chosen_locale if employee else None,
        roster=employee.language if employee else None,
        telegram=user.language_code if user else None,
        default=svc.default_locale,
    )
    is_leader = employee is not None and (
        session.exec(select(Employee.id).where(Employee.leader_id == employee.id)).first()
        is not None
    )
    return Caller(employee, Translator(locale, svc.tz), is_leader)


def translator_for(employee: Employee, svc: Services) -> Translator:
    """The translator of another employee, for messages the bot sends them."""
    locale = pick_locale(
        chosen=employee.chosen_locale,
        roster=employee.language,
        telegram=None,
        default=svc.default_locale,
    )
    return Translator(locale, svc.tz)


async def linked(session: Session, update: Update, svc: Services) -> Caller | None:
    """The caller if linked; otherwise tell them how to link and give None."""
    caller = identify(session, update, svc)
    if caller.employee is None:
        text = caller.tr._("Please link your account first: open the invite link HR sent you.")
        await cast(Message, update.effective_message).reply_text(text)
        return None
    return caller
