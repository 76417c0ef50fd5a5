"""Who is talking to the bot, in which language, and the guard every handler passes first.

`@with_caller` and `@linked` turn `async def name(caller)` into the callback python-telegram-bot
calls with `(update, context)`: one session per update, the caller resolved with a translator and
one `now`. `@linked` also answers an account that is not linked yet, so its handler's employee is
never None.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from typing import Any, TypeVar, cast

from sqlmodel import Session
from telegram import CallbackQuery, Message, Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from kpi import org, outbox
from kpi.calendar import WorkCalendar
from kpi.outbox import Done, Draft, Tell
from locales.i18n import N_, Translator, pick_locale
from models import Employee, Role
from notices.callbacks import CallbackData
from notices.occasion import Occasion
from services.container import Services

PRIVATE_ONLY = N_("Please write to me in a private chat.")

Context = ContextTypes.DEFAULT_TYPE
Handler = Callable[[Update, Context], Coroutine[Any, Any, None]]
Button = TypeVar("Button", bound=CallbackData)


@dataclass(frozen=True)
class Caller:
    """The sender of one update and what answering them needs: a session, `now`, a translator."""

    update: Update
    context: Context
    session: Session
    now: datetime
    tr: Translator
    employee: Employee | None
    is_leader: bool = False

    @property
    def svc(self) -> Services:
        """The services of the running bot."""
        return services(self.context)

    @property
    def message(self) -> Message:
        """The message the update came in (for a button: the message the button is on)."""
        return cast(Message, self.update.effective_message)

    @property
    def query(self) -> CallbackQuery:
        """The pressed button (for button handlers)."""
        return cast(CallbackQuery, self.update.callback_query)

    @property
    def args(self) -> list[str]:
        """The words after the command."""
        return list(self.context.args or [])

    @property
    def is_admin(self) -> bool:
        """Whether the caller is an admin (HR)."""
        return self.employee is not None and self.employee.role == Role.ADMIN

    @cached_property
    def calendar(self) -> WorkCalendar:
        """The working calendar as the database declares it now."""
        return self.svc.calendar(self.session)

    @property
    def today(self) -> date:
        """The organisation's date at `now`."""
        return self.calendar.local_day(self.now)

    @cached_property
    def occasion(self) -> Occasion:
        """What drafting a message to someone else needs, at `now`."""
        return Occasion(self.calendar, self.svc.policy, self.now, self.svc.default_locale)

    async def button(self, codec: type[Button]) -> Button | None:
        """The button pressed, read by its family's codec; None when it is answered here already:
        data it cannot read, or a press outside a private chat (buttons act on personal matters).
        """
        chat = self.query.message.chat if self.query.message is not None else None
        if chat is None or chat.type != ChatType.PRIVATE:
            await self.query.answer(self.tr._(PRIVATE_ONLY), show_alert=True)
            return None
        pressed = codec.parse(self.query.data)
        if pressed is None:
            await self.refuse_button()
        return pressed

    async def refuse_button(self) -> None:
        """Tell whoever pressed that this button does nothing any more."""
        await self.query.answer(self.tr._("This button is no longer valid."), show_alert=True)

    async def reply(self, text: str, **options: Any) -> None:
        """Answer in the caller's chat."""
        await self.message.reply_text(text, **options)

    async def reply_pages(self, texts: Sequence[str], **options: Any) -> None:
        """Answer with a list cut into pages, a message each; `options` go with the last."""
        for number, text in enumerate(texts, start=1):
            await self.reply(text, **(options if number == len(texts) else {}))

    def notify(self, drafts: Sequence[Draft]) -> None:
        """Queue messages no action of this update saves (asking again), commit, ring."""
        if drafts:
            outbox.post(self.session, drafts, now=self.now)
            self.svc.doorbell.ring()

    def tells(self, drafting: Callable[[Done], Sequence[Draft | None]]) -> Tell[Done]:
        """`drafting` as what an action owes others: queued with the action, delivered at once.

        The action calls it in its transaction; the doorbell's delivery runs only once this
        handler next awaits (its reply), after the action committed.
        """

        def tell(done: Done) -> Sequence[Draft | None]:
            self.svc.doorbell.ring()
            return drafting(done)

        return tell


@dataclass(frozen=True)
class LinkedCaller(Caller):
    """A caller whose Telegram account is linked to an employee."""

    employee: Employee


def services(context: Context) -> Services:
    """The services stored on the application at start-up."""
    return cast(Services, context.bot_data["services"])


def identify(update: Update, context: Context, session: Session, now: datetime) -> Caller:
    """Resolve the sender of `update` from the roster."""
    svc, user = services(context), update.effective_user
    employee = org.linked_employee(session, user.id) if user is not None else None
    locale = pick_locale(
        chosen=employee.chosen_locale if employee else None,
        roster=employee.language if employee else None,
        telegram=user.language_code if user else None,
        default=svc.default_locale,
    )
    tr = Translator(locale, svc.tz)
    if employee is None:
        return Caller(update, context, session, now, tr, None)
    is_leader = org.leads_anyone(session, cast(int, employee.id))
    return LinkedCaller(update, context, session, now, tr, employee, is_leader)


def with_caller(body: Callable[[Caller], Awaitable[None]]) -> Handler:
    """A handler for anyone, linked or not: it gets the caller, in one session."""

    @functools.wraps(body)
    async def handler(update: Update, context: Context) -> None:
        svc = services(context)
        with svc.db() as session:
            await body(identify(update, context, session, svc.clock()))

    return handler


def linked(body: Callable[[LinkedCaller], Awaitable[None]]) -> Handler:
    """A handler for linked accounts; others learn how to link, or that the button is stale."""

    async def guard(caller: Caller) -> None:
        if isinstance(caller, LinkedCaller):
            await body(caller)
        elif caller.update.callback_query is not None:
            await caller.refuse_button()
        else:
            await caller.reply(link_first(caller.tr))

    return functools.wraps(body)(with_caller(guard))


def link_first(tr: Translator) -> str:
    """What an account that is not linked yet is told."""
    return tr._("Please link your account first: open the invite link HR sent you.")
