"""Scores in Telegram: /myscore with its chart, /team, and the answers to plain questions."""

from __future__ import annotations

from html import unescape
from typing import cast

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from handlers.caller import Caller, LinkedCaller, linked, with_caller
from handlers.chart import score_chart
from handlers.score_views import card, deductions, quarter_label, risks, team
from kpi import org, workcodes
from kpi.scoring import (
    Quarter,
    ScoreCard,
    ScoreRow,
    before_joining,
    history,
    score_card,
    score_table,
)
from locales.i18n import Translator
from models import Unit
from notices.callbacks import ChartButton, TeamUnitButton
from notices.limits import NAME_IN_LIST, paged_lines, shorten

UNIT_CHOICES = 10  # units offered as buttons; more are listed, to be narrowed by more words


@linked
async def cmd_myscore(caller: LinkedCaller) -> None:
    """The caller's score for a quarter (default: the current one), explained."""
    quarter = _quarter(caller, next(iter(caller.args), None))
    if quarter is None:
        text = caller.tr._("Write the quarter like 2026Q4, or nothing for the current one.")
        await caller.reply(text)
        return
    await reply_score(caller, quarter)


async def reply_score(caller: LinkedCaller, quarter: Quarter) -> None:
    """The score card, for leaders the codes at risk, and a button for the chart."""
    if before_joining(caller.employee, quarter, caller.svc.tz):
        await caller.reply(_no_data(caller.tr, quarter))
        return
    lines = card(caller.tr, _card(caller, quarter), caller.employee, caller.svc.policy)
    if caller.is_leader:
        lines += _risks(caller)
    texts = paged_lines(caller.tr, lines[0], lines[1:])
    await caller.reply_pages(texts, reply_markup=_chart_button(caller.tr, quarter))


async def reply_deductions(caller: LinkedCaller, quarter: Quarter) -> None:
    """The quarter's latest deductions, with their reasons."""
    lines = deductions(caller.tr, _card(caller, quarter), caller.svc.policy)
    await caller.reply_pages(paged_lines(caller.tr, lines[0], lines[1:]))


def _no_data(tr: Translator, quarter: Quarter) -> str:
    return tr._(
        "No data for {quarter}: it ended before you joined, so it has no score.",
        quarter=quarter_label(tr, quarter),
    )


@linked
async def on_chart(caller: LinkedCaller) -> None:
    """Send the caller's score chart as a picture."""
    button = await caller.button(ChartButton)
    if button is None:
        return
    score, svc = _card(caller, button.quarter), caller.svc
    past = history(
        session=caller.session,
        employee=caller.employee,
        policy=svc.policy,
        tz=svc.tz,
        quarter=button.quarter,
    )
    await caller.query.answer()
    png = score_chart(caller.tr, score, past)
    caption = caller.tr._("KPI score, {quarter}", quarter=quarter_label(caller.tr, button.quarter))
    await caller.message.reply_photo(png, caption=caption)


@with_caller
async def cmd_team(caller: Caller) -> None:
    """Leaders: their direct reports' scores; admins may name any unit."""
    tr, args = caller.tr, caller.args
    quarter = _quarter(caller, args.pop(0) if args and _quarter(caller, args[0]) else None)
    unit = " ".join(args)
    if not isinstance(caller, LinkedCaller) or not (caller.is_leader or caller.is_admin):
        await caller.reply(tr._("This is for leaders and HR."))
        return
    if unit and not caller.is_admin:
        await caller.reply(tr._("Only HR may look at a whole unit."))
        return
    if unit:
        await _reply_unit_named(caller, cast(Quarter, quarter), unit)
        return
    rows = _team_rows(caller, cast(Quarter, quarter), None)
    await caller.reply_pages(team(tr, cast(Quarter, quarter), tr._("Your direct reports"), rows))


@linked
async def on_team_unit(caller: LinkedCaller) -> None:
    """HR chose one of the units their words matched: its scores."""
    button = await caller.button(TeamUnitButton)
    if button is None:
        return
    unit = org.unit_by_id(caller.session, button.unit_id)
    if unit is None or not caller.is_admin:
        await caller.refuse_button()
        return
    await caller.query.answer()
    rows = _team_rows(caller, button.quarter, unit.name)
    await caller.reply_pages(team(caller.tr, button.quarter, unit.name, rows))


async def _reply_unit_named(caller: LinkedCaller, quarter: Quarter, words: str) -> None:
    """The unit's scores when the words name one; a choice when a few; else the units."""
    tr, found = caller.tr, org.units_named(caller.session, words)
    words = shorten(words, NAME_IN_LIST)
    if len(found) == 1:
        rows = _team_rows(caller, quarter, found[0].name)
        await caller.reply_pages(team(tr, quarter, found[0].name, rows))
    elif 1 < len(found) <= UNIT_CHOICES:
        text = tr._("Several units match «{words}». Which one?", words=words)
        await caller.reply(text, reply_markup=_unit_choice(found, quarter))
    elif found:
        heading = tr._("Many units match «{words}»; write more of the name:", words=words)
        await caller.reply_pages(paged_lines(tr, heading, _unit_lines(found)))
    else:
        heading = tr._("No unit matches «{words}». The units are:", words=words)
        await caller.reply_pages(paged_lines(tr, heading, _unit_lines(org.units(caller.session))))


def _unit_choice(units: list[Unit], quarter: Quarter) -> InlineKeyboardMarkup:
    """One button per unit, each showing that unit's /team."""
    rows = [
        [
            InlineKeyboardButton(
                unescape(shorten(unit.name, NAME_IN_LIST)),
                callback_data=TeamUnitButton(quarter, cast(int, unit.id)).pack(),
            )
        ]
        for unit in units
    ]
    return InlineKeyboardMarkup(rows)


def _unit_lines(units: list[Unit]) -> list[str]:
    return [f"• {shorten(unit.name, NAME_IN_LIST)}" for unit in units]


def _quarter(caller: Caller, text: str | None) -> Quarter | None:
    """The quarter named in `text` (default: the current one); None when it cannot be read."""
    if not text:
        return Quarter.of(caller.now, caller.svc.tz)
    try:
        return Quarter.parse(text)
    except ValueError:
        return None


def _card(caller: LinkedCaller, quarter: Quarter) -> ScoreCard:
    svc = caller.svc
    return score_card(
        session=caller.session,
        employee=caller.employee,
        quarter=quarter,
        policy=svc.policy,
        tz=svc.tz,
    )


def _risks(caller: LinkedCaller) -> list[str]:
    """For leaders: the codes awaiting them that fall due within 2 working days."""
    calendar, today = caller.calendar, caller.today
    approver_id = cast(int, caller.employee.id)
    pending = workcodes.pending_for(session=caller.session, approver_id=approver_id)
    soon = [c for c in pending if calendar.working_days_between(today, c.due_day) <= 2]
    return ["", *risks(caller.tr, soon, calendar, today)] if soon else []


def _chart_button(tr: Translator, quarter: Quarter) -> InlineKeyboardMarkup:
    data = ChartButton(quarter).pack()
    return InlineKeyboardMarkup([[InlineKeyboardButton(tr._("Chart"), callback_data=data)]])


def _team_rows(caller: LinkedCaller, quarter: Quarter, unit: str | None) -> list[ScoreRow]:
    svc, session = caller.svc, caller.session
    if unit:
        chosen = score_table(
            session=session, quarter=quarter, policy=svc.policy, tz=svc.tz, unit=unit
        )
    else:
        chosen = score_table(
            session=session,
            quarter=quarter,
            policy=svc.policy,
            tz=svc.tz,
            employee_ids=org.direct_reports(session, cast(int, caller.employee.id)),
        )
    return sorted(chosen, key=lambda row: (-row.total, row.code))
