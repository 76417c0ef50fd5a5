"""Messages about acting approvers: a deputy named or cancelled, codes handed over and back."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from html import escape

from sqlmodel import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from kpi.delegation import DelegationOutcome, Move
from kpi.outbox import Draft
from locales.i18n import N_, Translator
from models import Delegation, Employee, OutboxKind, WorkCodeStatus
from notices.approvals import open_card
from notices.callbacks import DelegateButton
from notices.occasion import Occasion
from notices.workcodes import short_title

REFUSALS = {
    DelegationOutcome.NOT_ALLOWED: N_(
        "Only the leader, or HR, may name an acting approver for a leader."
    ),
    DelegationOutcome.NOT_A_LEADER: N_(
        "{leader} approves nobody's work codes, so there is nothing to delegate."
    ),
    DelegationOutcome.NO_DEPUTY: N_("There is no employee with that code."),
    DelegationOutcome.SELF: N_("A leader cannot delegate approval to themself."),
    DelegationOutcome.DEPUTY_NOT_LINKED: N_(
        "{deputy} has not linked a Telegram account yet, so could not approve in the bot."
    ),
    DelegationOutcome.BAD_PERIOD: N_(
        "The period must end on or after its first day, and last at most a year."
    ),
    DelegationOutcome.IN_THE_PAST: N_("The period cannot start in the past."),
    DelegationOutcome.OVERLAP: N_(
        "{leader} already has an acting approver from {start} to {end}; "
        "cancel that delegation first or choose other days."
    ),
    DelegationOutcome.LEADER_IS_DEPUTY: N_(
        "{leader} approves in place of someone else from {start} to {end}, "
        "so cannot delegate during those days."
    ),
    DelegationOutcome.DEPUTY_DELEGATES: N_(
        "{deputy} has delegated their own approval from {start} to {end}, "
        "so cannot act for someone else during those days."
    ),
    DelegationOutcome.NOT_FOUND: N_("There is no such delegation."),
    DelegationOutcome.ALREADY_HANDLED: N_("This delegation is already over or cancelled."),
}

HANDED_OVER = N_(
    "Work code #{id} «{title}»: {deputy} approves it in place of {leader} until {end}."
)
GIVEN_BACK = N_("Work code #{id} «{title}» is back with {leader} for approval.")


def refusal(
    tr: Translator,
    outcome: DelegationOutcome,
    leader: Employee | None,
    deputy: Employee | None,
    blocking: Delegation | None,
) -> str:
    """Why a delegation was refused, in the caller's words."""
    return tr._(
        REFUSALS[outcome],
        leader=escape(leader.full_name) if leader else "",
        deputy=escape(deputy.full_name) if deputy else "",
        start=tr.date(blocking.starts_on) if blocking else "",
        end=tr.date(blocking.ends_on) if blocking else "",
    )


def summary(tr: Translator, delegation: Delegation, leader: Employee, deputy: Employee) -> str:
    """`D3: Vũ Minh Tâm approves in place of Trần Thị Phương from 02/11/2026 to 06/11/2026.`"""
    return tr._(
        "{deputy} approves in place of {leader} from {start} to {end}.",
        deputy=escape(deputy.full_name),
        leader=escape(leader.full_name),
        start=tr.date(delegation.starts_on),
        end=tr.date(delegation.ends_on),
    )


def cancel_keyboard(tr: Translator, delegation: Delegation) -> InlineKeyboardMarkup:
    """The button that cancels a delegation."""
    data = DelegateButton(cancel_id=delegation.id).pack()
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(tr._("Cancel the delegation"), callback_data=data)]]
    )


def created_notices(
    session: Session, occasion: Occasion, delegation: Delegation, actor: Employee | None
) -> list[Draft]:
    """The deputy is told, and the leader too when HR named the deputy."""
    leader, deputy = _pair(session, delegation)
    drafts = []
    for person in _told(leader, deputy, actor):
        tr = occasion.tr(person)
        head = tr._("<b>Acting approver</b>")
        text = f"{head}\n{summary(tr, delegation, leader, deputy)}"
        if person is deputy:
            text += "\n" + tr._(
                "In those days the work codes waiting for {leader} come to you, with their "
                "reminders; a deadline missed then is yours.",
                leader=escape(leader.full_name),
            )
        key = f"delegation:{delegation.id}:created:{person.id}"
        drafts.append(occasion.draft(person, key, OutboxKind.DELEGATION, text))
    return drafts


def cancelled_notices(
    session: Session,
    occasion: Occasion,
    delegation: Delegation,
    moves: Sequence[Move],
    actor: Employee | None,
) -> list[Draft]:
    """The deputy (and the leader, when someone else cancelled) are told; codes go back."""
    leader, deputy = _pair(session, delegation)
    drafts = []
    for person in _told(leader, deputy, actor):
        tr = occasion.tr(person)
        text = tr._(
            "The delegation is cancelled: {leader} approves their work codes again.",
            leader=escape(leader.full_name),
        )
        key = f"delegation:{delegation.id}:cancelled:{person.id}"
        drafts.append(occasion.draft(person, key, OutboxKind.DELEGATION, text))
    return drafts + move_notices(session, occasion, moves)


def _pair(session: Session, delegation: Delegation) -> tuple[Employee, Employee]:
    """The leader and the deputy of a delegation."""
    leader = session.get_one(Employee, delegation.leader_id)
    return leader, session.get_one(Employee, delegation.deputy_id)


def _told(leader: Employee, deputy: Employee, actor: Employee | None) -> list[Employee]:
    """Who hears of a delegation made or cancelled: the deputy and the leader, on Telegram,
    except whoever did it (they read the reply)."""
    return [
        person
        for person in (deputy, leader)
        if person.telegram_id is not None and (actor is None or person.id != actor.id)
    ]


def move_notices(session: Session, occasion: Occasion, moves: Sequence[Move]) -> list[Draft]:
    """For each code that changed hands: its card for the new approver (while it waits for
    approval), and a line for its author saying who approves it now."""
    drafts: list[Draft] = []
    by_delegation: dict[tuple[int, bool], list[Move]] = defaultdict(list)
    for move in moves:
        drafts += _code_notices(session, occasion, move)
        by_delegation[(move.delegation.id or 0, move.to_deputy)].append(move)
    for group in by_delegation.values():
        drafts += _summary_notice(session, occasion, group)
    return drafts


def _code_notices(session: Session, occasion: Occasion, move: Move) -> list[Draft]:
    code, delegation = move.code, move.delegation
    approver = session.get_one(Employee, code.approver_id)
    author = session.get_one(Employee, code.employee_id)
    way = "to" if move.to_deputy else "back"
    key = f"delegation:{delegation.id}:{way}:{code.id}:{code.cycle}"
    drafts = []
    if code.status == WorkCodeStatus.OPEN and approver.telegram_id is not None:
        text, buttons = open_card(session, occasion, code)
        drafts.append(
            occasion.draft(
                approver, key, OutboxKind.NOTICE, text, buttons=buttons, work_code_id=code.id
            )
        )
    if author.telegram_id is not None:
        tr = occasion.tr(author)
        leader = session.get_one(Employee, delegation.leader_id)
        values = {
            "id": code.id,
            "title": short_title(code.title),
            "deputy": escape(approver.full_name),
            "leader": escape(leader.full_name),
            "end": tr.date(delegation.ends_on),
        }
        text = tr._(HANDED_OVER if move.to_deputy else GIVEN_BACK, **values)
        drafts.append(
            occasion.draft(
                author, f"{key}:author", OutboxKind.DELEGATION, text, work_code_id=code.id
            )
        )
    return drafts


def _summary_notice(session: Session, occasion: Occasion, moves: list[Move]) -> list[Draft]:
    """The one who gave codes away is told how many: the leader at the start, the deputy at
    the end."""
    delegation, to_deputy = moves[0].delegation, moves[0].to_deputy
    leader = session.get_one(Employee, delegation.leader_id)
    deputy = session.get_one(Employee, delegation.deputy_id)
    person = leader if to_deputy else deputy
    if person.telegram_id is None:
        return []
    tr = occasion.tr(person)
    if to_deputy:
        text = tr.ngettext(
            "{n} work code waiting for you went to {deputy}, who approves in your place "
            "until {end}.",
            "{n} work codes waiting for you went to {deputy}, who approves in your place "
            "until {end}.",
            len(moves),
            deputy=escape(deputy.full_name),
            end=tr.date(delegation.ends_on),
        )
    else:
        text = tr.ngettext(
            "The delegation is over: {n} work code you held went back to {leader}.",
            "The delegation is over: {n} work codes you held went back to {leader}.",
            len(moves),
            leader=escape(leader.full_name),
        )
    way = "handed" if to_deputy else "returned"
    key = f"delegation:{delegation.id}:{way}"
    return [occasion.draft(person, key, OutboxKind.DELEGATION, text)]


def deputy_choice(people: Sequence[Employee]) -> InlineKeyboardMarkup:
    """/delegate's first step: one button per likely deputy."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    f"{person.full_name} ({person.code})",
                    callback_data=DelegateButton(deputy_id=person.id).pack(),
                )
            ]
            for person in people
        ]
    )


def period_choice(tr: Translator, today: date, ends: Sequence[date]) -> InlineKeyboardMarkup:
    """/delegate's second step: from today to one of `ends`."""
    rows = []
    for end in ends:
        label = (
            tr._("Today only ({day})", day=tr.date(today))
            if end == today
            else tr._("Today to {end}", end=tr.date(end))
        )
        rows.append([InlineKeyboardButton(label, callback_data=DelegateButton(ends_on=end).pack())])
    return InlineKeyboardMarkup(rows)
