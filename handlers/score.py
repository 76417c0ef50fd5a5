"""Scores in Telegram: /myscore, the chart, plain questions and /team."""

from __future__ import annotations

import re
import unicodedata
from typing import cast

from sqlmodel import Session, col, select
from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import ContextTypes

from handlers.caller import Caller, identify, linked, services
from handlers.chart import score_chart
from handlers.score_views import card, deductions, quarter_label, risks, team
from kpi import workcodes
from kpi.scoring import Quarter, ScoreCard, ScoreRow, history, score_card, score_table
from models import Employee
from services.container import Services

_CHART = re.compile(r"sc:chart:(\d{4}Q[1-4])")
_WHY = ("tai sao", "vi sao", "sao toi", "bi tru", "tru diem", "diem tru", "why", "deduct")
_SCORE = ("diem", "score", "xep loai", "ket qua", "kpi", "points")


def _quarter(svc: Services, text: str | None) -> Quarter | None:
    """The quarter named in `text` (default: the current one); None when it cannot be read."""
    if not text:
        return Quarter.of(svc.clock(), svc.tz)
    try:
        return Quarter.parse(text)
    except ValueError:
        return None


def _card(session: Session, svc: Services, employee: Employee, quarter: Quarter) -> ScoreCard:
    return score_card(
        session=session, employee=employee, quarter=quarter, policy=svc.policy, tz=svc.tz
    )


def _answer(session: Session, svc: Services, caller: Caller, quarter: Quarter) -> str:
    """The score card, and for leaders the codes at risk."""
    employee = cast(Employee, caller.employee)
    text = card(caller.tr, _card(session, svc, employee, quarter), employee, svc.policy)
    if not caller.is_leader:
        return text
    calendar = svc.calendar(session)
    today = calendar.local_day(svc.clock())
    pending = workcodes.pending_for(session=session, approver_id=cast(int, employee.id))
    soon = [c for c in pending if calendar.working_days_between(today, c.due_day) <= 2]
    return text + ("\n\n" + "\n".join(risks(caller.tr, soon, calendar, today)) if soon else "")


def _chart_button(caller: Caller, quarter: Quarter) -> InlineKeyboardMarkup:
    label = caller.tr._("Chart")
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=f"sc:chart:{quarter}")]]
    )


async def cmd_myscore(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The caller's score for a quarter (default: the current one), explained."""
    message, svc = cast(Message, update.effective_message), services(context)
    with svc.db() as session:
        caller = await linked(session, update, svc)
        if caller is None:
            return
        quarter = _quarter(svc, next(iter(context.args or []), None))
        if quarter is None:
            await message.reply_text(
                caller.tr._("Write the quarter like 2026Q4, or nothing for the current one.")
            )
            return
        text = _answer(session, svc, caller, quarter)
    await message.reply_text(text, reply_markup=_chart_button(caller, quarter))


async def on_chart(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send the caller's score chart as a picture."""
    query, svc = cast(CallbackQuery, update.callback_query), services(context)
    match = _CHART.fullmatch(query.data or "")
    with svc.db() as session:
        caller = identify(session, update, svc)
        if caller.employee is None or match is None:
            await query.answer(caller.tr._("This button is no longer valid."), show_alert=True)
            return
        quarter = Quarter.parse(match[1])
        score = _card(session, svc, caller.employee, quarter)
        past = history(
            session=session,
            employee=caller.employee,
            policy=svc.policy,
            tz=svc.tz,
            quarter=quarter,
        )
    await query.answer()
    png = score_chart(caller.tr, score, past)
    caption = caller.tr._("KPI score, {quarter}", quarter=quarter_label(caller.tr, quarter))
    await cast(Message, query.message).reply_photo(png, caption=caption)


def fold(text: str) -> str:
    """Lower case without Vietnamese diacritics, so "điểm" and "diem" read the same."""
    decomposed = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")


async def answer_question(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer "what is my score?" or "why was I deducted?" in plain words; else show a menu."""
    message, svc = cast(Message, update.effective_message), services(context)
    question = fold(message.text or "")
    with svc.db() as session:
        caller = identify(session, update, svc)
        quarter = Quarter.of(svc.clock(), svc.tz)
        if caller.employee is not None and any(word in question for word in _WHY):
            score = _card(session, svc, caller.employee, quarter)
            await message.reply_text("\n".join(deductions(caller.tr, score, svc.policy)))
        elif caller.employee is not None and any(word in question for word in _SCORE):
            text = _answer(session, svc, caller, quarter)
            await message.reply_text(text, reply_markup=_chart_button(caller, quarter))
        else:
            await message.reply_text(_menu(caller))


def _menu(caller: Caller) -> str:
    tr = caller.tr
    if caller.employee is None:
        return tr._("Please link your account first: open the invite link HR sent you.")
    return tr._(
        "I can answer questions like «what is my score?» or «why was I deducted?». "
        "You can also send /myscore, /mycodes or /help."
    )


async def cmd_team(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Leaders: their direct reports' scores; admins may name any unit."""
    message, svc = cast(Message, update.effective_message), services(context)
    args = list(context.args or [])
    with svc.db() as session:
        caller = identify(session, update, svc)
        tr = caller.tr
        quarter = _quarter(svc, args.pop(0) if args and _quarter(svc, args[0]) else None)
        unit = " ".join(args)
        if caller.employee is None or not (caller.is_leader or caller.is_admin):
            await message.reply_text(tr._("This is for leaders and HR."))
            return
        if unit and not caller.is_admin:
            await message.reply_text(tr._("Only HR may look at a whole unit."))
            return
        rows = _team_rows(session, svc, caller.employee, cast(Quarter, quarter), unit)
        title = unit or tr._("Your direct reports")
    await message.reply_text(team(tr, cast(Quarter, quarter), title, rows))


def _team_rows(
    session: Session, svc: Services, leader: Employee, quarter: Quarter, unit: str
) -> list[ScoreRow]:
    if unit:
        chosen = score_table(
            session=session, quarter=quarter, policy=svc.policy, tz=svc.tz, unit=unit
        )
    else:
        ids = [
            i
            for i in session.exec(select(Employee.id).where(col(Employee.leader_id) == leader.id))
            if i
        ]
        chosen = score_table(
            session=session,
            quarter=quarter,
            policy=svc.policy,
            tz=svc.tz,
            employee_ids=ids,
        )
    return sorted(chosen, key=lambda row: (-row.total, row.code))
