"""Messages about approving a code: the approver's notice, the author's news, the handled card."""

from __future__ import annotations

from html import escape
from typing import cast

from sqlmodel import Session
from telegram import InlineKeyboardMarkup

from kpi import attachments, workcodes
from kpi.outbox import Draft
from locales.i18n import Translator
from models import Employee, OutboxKind, Task, WorkCode, WorkCodeAction
from notices.occasion import Occasion
from notices.tasks import task_of_code
from notices.workcodes import (
    RESPONSE_NOTES,
    approver_keyboard,
    author_news,
    card,
    files_row,
    response_note,
)


def new_code_notice(session: Session, occasion: Occasion, code: WorkCode) -> Draft | None:
    """The approver's message about a new code (or cycle), with Approve / Reject / Opinion."""
    approver = session.get_one(Employee, code.approver_id)
    if approver.telegram_id is None:
        return None  # not linked yet: /pending shows the code once they are
    text, buttons = open_card(session, occasion, code)
    return occasion.draft(
        approver, card_key(code), OutboxKind.NOTICE, text, buttons=buttons, work_code_id=code.id
    )


def card_key(code: WorkCode) -> str:
    """The outbox key of the approver's card of the code's current cycle."""
    return f"notice:{code.id}:{code.cycle}"


def open_card(
    session: Session, occasion: Occasion, code: WorkCode
) -> tuple[str, InlineKeyboardMarkup]:
    """The approver's card of an open code in their language, with its buttons: the responses,
    and the attached files."""
    approver = session.get_one(Employee, code.approver_id)
    author = session.get_one(Employee, code.employee_id)
    tr = occasion.tr(approver)
    files = attachments.count_of(session=session, code_id=cast(int, code.id))
    text = card(tr, code, author, occasion)
    if code.task_id is not None:
        text += "\n" + task_of_code(tr, session.get_one(Task, code.task_id), occasion.policy)
    acting = acting_line(session, tr, code)
    return text + (f"\n{acting}" if acting else ""), approver_keyboard(tr, code, files)


def acting_line(session: Session, tr: Translator, code: WorkCode) -> str | None:
    """On a code a deputy holds: in whose place the deputy approves it."""
    if code.delegated_from is None:
        return None
    leader = session.get_one(Employee, code.delegated_from)
    return tr._("You approve in place of {leader}.", leader=escape(leader.full_name))


def response_notice(
    session: Session,
    occasion: Occasion,
    code: WorkCode,
    action: WorkCodeAction,
    leader: Employee,
    text: str,
) -> Draft | None:
    """The author is told of the approver's response (approved, rejected, an opinion)."""
    author = session.get_one(Employee, code.employee_id)
    if author.telegram_id is None:
        return None
    return occasion.draft(
        author,
        f"outcome:{code.id}:{code.cycle}:{action.value}",
        OutboxKind.OUTCOME,
        author_news(occasion.tr(author), action, code, leader, text),
        work_code_id=code.id,
    )


def handled_card(
    session: Session, occasion: Occasion, code: WorkCode
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The approver's card of the code as it now stands, with the last response under it, and
    the button of its files (if it has some)."""
    approver = session.get_one(Employee, code.approver_id)
    author = session.get_one(Employee, code.employee_id)
    tr = occasion.tr(approver)
    text = card(tr, code, author, occasion)
    files = files_row(tr, code, attachments.count_of(session=session, code_id=cast(int, code.id)))
    last = workcodes.events_of(session=session, code_id=cast(int, code.id))[-1]
    if last.action in RESPONSE_NOTES:
        actor = session.get_one(Employee, last.actor_id)
        text += "\n" + response_note(tr, WorkCodeAction(last.action), actor, last.at, last.text)
    return text, InlineKeyboardMarkup(files) if files else None
