"""Messages about linked accounts: the account an invite replaced is told it acts for nobody."""

from __future__ import annotations

from dataclasses import replace
from html import escape

from kpi.linking import Move
from kpi.outbox import Draft
from models import OutboxKind
from notices.occasion import Occasion


def unlinked_notice(occasion: Occasion, move: Move) -> Draft:
    """The previous account learns it no longer acts for the employee, and whom to ask."""
    tr = occasion.tr(move.employee)
    text = tr._(
        "This Telegram account no longer acts for {name}: an invite from HR linked another "
        "account. If you did not ask for this, please contact HR.",
        name=escape(move.employee.full_name),
    )
    draft = occasion.draft(move.employee, f"unlinked:{move.invite_id}", OutboxKind.ACCOUNT, text)
    # To the old chat, whatever the employee's account is when it goes out.
    return replace(draft, chat_id=move.previous_telegram_id, employee_id=None)
