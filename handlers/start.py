"""Account linking, /help and /language; commands in groups, unknown commands."""

from __future__ import annotations

from html import escape
from typing import cast

from telegram import Update

from handlers.caller import (
    PRIVATE_ONLY,
    Caller,
    Context,
    LinkedCaller,
    identify,
    linked,
    services,
    with_caller,
)
from handlers.menu import COMMANDS, allowed
from kpi import org, outbox
from kpi.linking import LinkOutcome, LinkResult, redeem_invite, set_locale
from locales.i18n import LOCALES, N_, Translator
from notices.accounts import unlinked_notice
from notices.deductions import missed_notices

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


@with_caller
async def cmd_start(caller: Caller) -> None:
    """Link the account with the invite token, or explain how to get one."""
    if not caller.args:
        await caller.reply(_welcome(caller))
        return
    user = caller.update.effective_user
    result = redeem_invite(
        session=caller.session,
        token=caller.args[0],
        telegram_id=cast(int, user and user.id),
        now=caller.now,
        farewell=lambda move: unlinked_notice(caller.occasion, move),
        catchup=lambda employee: missed_notices(caller.session, caller.occasion, employee),
    )
    caller.svc.doorbell.ring()
    if result.employee is not None:  # linked now: answer as the employee, in their language
        caller = identify(caller.update, caller.context, caller.session, caller.now)
    await caller.reply(_link_answer(caller, result))


def _link_answer(caller: Caller, result: LinkResult) -> str:
    tr = caller.tr
    if result.outcome not in (LinkOutcome.LINKED, LinkOutcome.ALREADY_LINKED):
        return tr._(_OUTCOME_TEXTS[result.outcome])
    name = escape(result.employee.full_name if result.employee else "")
    text = tr._("Welcome, {name}! Your account is linked.", name=name)
    if result.outcome is LinkOutcome.ALREADY_LINKED:
        text = tr._("Your account is already linked to {name}.", name=name)
    return text + "\n\n" + _help_text(caller)


def _welcome(caller: Caller) -> str:
    tr = caller.tr
    if caller.employee is not None:
        name = escape(caller.employee.full_name)
        return tr._("Hello, {name}!", name=name) + "\n\n" + _help_text(caller)
    return tr._(
        "Hello! I am the KPI bot of your agency. To use me, open the invite link "
        "that HR (the personnel department) sent you. No invite yet? Please ask HR for one."
    )


@with_caller
async def cmd_help(caller: Caller) -> None:
    """List what this caller may do."""
    await caller.reply(_help_text(caller))


def _help_text(caller: Caller) -> str:
    tr = caller.tr
    is_linked = caller.employee is not None
    title = tr._("What you can do")
    lines = [f"<b>{title}</b>"]
    for command in COMMANDS:
        if allowed(command, linked=is_linked, leader=caller.is_leader, admin=caller.is_admin):
            lines.append(f"{escape(tr._(command.usage))} — {tr._(command.description)}")
    if not is_linked:
        lines.append("")
        lines.append(tr._("Other commands work once your account is linked with an invite."))
    return "\n".join(lines)


# Each confirmation is written in the language chosen, so each has its own message.
LANGUAGE_SET = {"vi": N_("Language set to Vietnamese."), "en": N_("Language set to English.")}


@linked
async def cmd_language(caller: LinkedCaller) -> None:
    """Switch the caller's language and keep the choice."""
    choice = (caller.args or [""])[0].lower()
    if choice not in LOCALES:
        await caller.reply(caller.tr._("Usage: /language vi or /language en"))
        return
    set_locale(session=caller.session, employee=caller.employee, locale=choice, now=caller.now)
    await caller.reply(Translator(choice, caller.tr.tz)._(LANGUAGE_SET[choice]))


@with_caller
async def on_group_message(caller: Caller) -> None:
    """Refuse commands in groups: personal data is answered only in private chats."""
    await caller.reply(caller.tr._(PRIVATE_ONLY))


@with_caller
async def on_unknown_button(caller: Caller) -> None:
    """Answer a press whose data no handler knows: a stale or forged button does nothing."""
    await caller.refuse_button()


@with_caller
async def on_unknown_command(caller: Caller) -> None:
    """Point to /help for a command the bot does not know."""
    await caller.reply(caller.tr._("I do not know this command. Send /help to see what I can do."))


async def on_any_update(update: Update, context: Context) -> None:
    """Someone who blocked the bot is back: send them what was held for them."""
    user, svc = update.effective_user, services(context)
    if user is None:
        return
    with svc.db() as session:
        employee_id = org.unreachable_linked(session, user.id)
        if employee_id is None:
            return
        outbox.recover(session, employee_id, svc.clock())
    svc.doorbell.ring()
