"""Account linking, /help and /language."""

from __future__ import annotations

from html import escape
from typing import cast

from sqlmodel import select
from telegram import Message, Update
from telegram.ext import ContextTypes

from handlers.caller import Caller, identify, services
from handlers.menu import COMMANDS, allowed
from kpi import outbox
from kpi.linking import LinkOutcome, redeem_invite, set_locale
from locales.i18n import N_
from models import Employee
from scheduler.jobs import wake

_OUTCOME_TEXTS = {
    LinkOutcome.MALFORMED: N_(
        "This invite link is not valid. Please open the exact link HR sent you."
    ),
    LinkOutcome.UNKNOWN: N_("This invite is not known. Please ask HR for a new invite."),
    LinkOutcome.USED: N_("This invite has already been used. Please ask HR for a new invite."),
    LinkOutcome.EXPIRED: N_("This invite has expired. Please ask HR for a new invite."),
    LinkOutcome.ACCOUNT_TAKEN: N_(
        "Your Telegram account is already linked to another employee. "
        "One account can act for one employee only."
    ),
}


async def cmd_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Link the account with the invite token, or explain how to get one."""
    message = cast(Message, update.effective_message)
    svc = services(context)
    with svc.db() as session:
        caller = identify(session, update, svc)
        if not context.args:
            await message.reply_text(_welcome(caller))
            return
        result = redeem_invite(
            session=session,
            token=context.args[0],
            telegram_id=cast(int, update.effective_user and update.effective_user.id),
            now=svc.clock(),
        )
        if result.employee is not None:
            caller = identify(session, update, svc)
    tr = caller.tr
    if result.outcome is LinkOutcome.LINKED or result.outcome is LinkOutcome.ALREADY_LINKED:
        name = escape(result.employee.full_name if result.employee else "")
        text = tr._("Welcome, {name}! Your account is linked.", name=name)
        if result.outcome is LinkOutcome.ALREADY_LINKED:
            text = tr._("Your account is already linked to {name}.", name=name)
        await message.reply_text(text + "\n\n" + _help_text(caller))
        return
    await message.reply_text(tr._(_OUTCOME_TEXTS[result.outcome]))


def _welcome(caller: Caller) -> str:
    tr = caller.tr
    if caller.employee is not None:
        name = escape(caller.employee.full_name)
        return tr._("Hello, {name}!", name=name) + "\n\n" + _help_text(caller)
    return tr._(
        "Hello! I am the KPI bot of your agency. To use me, open the invite link "
        "that HR (the personnel department) sent you. No invite yet? Please ask HR for one."
    )


async def cmd_help(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List what this caller may do."""
    svc = services(context)
    with svc.db() as session:
        caller = identify(session, update, svc)
    await cast(Message, update.effective_message).reply_text(_help_text(caller))


def _help_text(caller: Caller) -> str:
    tr = caller.tr
    linked = caller.employee is not None
    title = tr._("What you can do")
    lines = [f"<b>{title}</b>"]
    for command in COMMANDS:
        if allowed(command, linked=linked, leader=caller.is_leader, admin=caller.is_admin):
            lines.append(f"{escape(command.usage)} — {tr._(command.description)}")
    if not linked:
        lines.append("")
        lines.append(tr._("Other commands work once your account is linked with an invite."))
    return "\n".join(lines)


async def cmd_language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Switch the caller's language and keep the choice."""
    message = cast(Message, update.effective_message)
    svc = services(context)
    with svc.db() as session:
        caller = identify(session, update, svc)
        choice = (context.args or [""])[0].lower()
        if caller.employee is None or choice not in ("vi", "en"):
            await message.reply_text(_language_refusal(caller))
            return
        set_locale(session=session, employee=caller.employee, locale=choice, now=svc.clock())
        caller = identify(session, update, svc)
    await message.reply_text(caller.tr._("Language set to English."))


def _language_refusal(caller: Caller) -> str:
    if caller.employee is None:
        return caller.tr._("Please link your account first: open the invite link HR sent you.")
    return caller.tr._("Usage: /language vi or /language en")


async def on_group_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Refuse commands in groups: personal data is answered only in private chats."""
    svc = services(context)
    with svc.db() as session:
        caller = identify(session, update, svc)
    await cast(Message, update.effective_message).reply_text(
        caller.tr._("Please write to me in a private chat.")
    )


async def on_unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Point to /help for a command the bot does not know."""
    svc = services(context)
    with svc.db() as session:
        caller = identify(session, update, svc)
    await cast(Message, update.effective_message).reply_text(
        caller.tr._("I do not know this command. Send /help to see what I can do.")
    )


async def on_any_update(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Someone who blocked the bot is back: send them what was held for them."""
    user, svc = update.effective_user, services(context)
    if user is None:
        return
    with svc.db() as session:
        employee = session.exec(select(Employee).where(Employee.telegram_id == user.id)).first()
        if employee is None or employee.unreachable_since is None:
            return
        outbox.recover(session, cast(int, employee.id), svc.clock())
    wake(context)
