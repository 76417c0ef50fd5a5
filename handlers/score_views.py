"""How scores read in a chat: the quarter's card, its deductions, a team's table."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from html import escape

from kpi.calendar import WorkCalendar
from kpi.deductions import label
from kpi.policy import Policy
from kpi.scoring import DeductionLine, Quarter, ScoreCard, ScoreRow
from locales.i18n import N_, Translator
from models import DeductionSource, Employee, WorkCode
from notices.limits import NAME_IN_LIST, REASON_IN_LIST, paged_lines, shorten
from notices.tasks import explain, forced_line
from notices.workcodes import deadline, short_title

TYPES = {"spearhead": N_("spearhead KPI"), "hard": N_("hard KPI"), "soft": N_("soft KPI")}
ROMAN = ("I", "II", "III", "IV")


def quarter_label(tr: Translator, quarter: Quarter) -> str:
    """Quý IV/2026, Quarter IV/2026."""
    return tr._("Quarter {roman}/{year}", roman=ROMAN[quarter.number - 1], year=quarter.year)


def card(tr: Translator, score: ScoreCard, employee: Employee, policy: Policy) -> list[str]:
    """The whole answer to "what is my score?", line by line, its title first."""
    coefficient = tr.number(score.classification.bonus_coefficient)
    lines = [
        tr._(
            "<b>KPI score, {quarter}</b> — {name}",
            quarter=quarter_label(tr, score.quarter),
            name=escape(employee.full_name),
        ),
        tr._("Total: <b>{total}/100</b>", total=tr.number(score.total)),
        tr._(
            "Classification: {name} (bonus coefficient {coefficient})",
            name=escape(score.classification.name(tr.locale)),
            coefficient=coefficient,
        ),
        *([forced_line(tr, score.forced)] if score.forced else []),
        "",
        "<b>" + tr._("Criteria") + "</b>",
    ]
    for item in score.criteria:
        kind = tr._(TYPES[item.criterion.type.value])
        name = escape(item.criterion.name(tr.locale))
        score_text = f"{tr.number(item.score)}/{tr.number(item.criterion.max_points)}"
        lines.append(f"• {name} ({kind}): {score_text}")
        if item.explanation is not None:
            lines.append("  " + explain(tr, item.explanation))
    return [*lines, "", *deductions(tr, score, policy)]


def deductions(tr: Translator, score: ScoreCard, policy: Policy) -> list[str]:
    """The quarter's latest deductions, with date, points and reason."""
    title = tr._("Latest deductions")
    if not score.deductions:
        return [f"<b>{title}</b>", tr._("No deductions this quarter.")]
    return [f"<b>{title}</b>", *(deduction_line(tr, line, policy) for line in score.deductions)]


def deduction_line(tr: Translator, line: DeductionLine, policy: Policy) -> str:
    """`D12 05/11/2026: −2 points, Training — reason`; a breach names its work code."""
    name = policy.criterion_name(line.criterion, tr.locale)
    reason = shorten(line.reason, REASON_IN_LIST)
    if line.source == DeductionSource.DEADLINE_BREACH and line.work_code_id is not None:
        reason = tr._(
            "work code #{id} «{title}» was not answered within its deadline",
            id=line.work_code_id,
            title=short_title(line.work_code_title),
        )
    text = tr._(
        "{id} {day}: −{points} points, {criterion} — {reason}",
        id=label(line.id),
        day=tr.date(line.occurred_at.astimezone(tr.tz).date()),
        points=tr.number(line.points),
        criterion=escape(name),
        reason=reason,
    )
    return "• " + text + ("" if line.counted else " " + tr._("(not in your position's criteria)"))


def risks(
    tr: Translator, codes: Sequence[WorkCode], calendar: WorkCalendar, today: date
) -> list[str]:
    """For leaders: codes awaiting them that fall due within 2 working days."""
    lines = ["<b>" + tr._("Work codes at risk (due within 2 working days)") + "</b>"]
    for code in codes:
        due = deadline(tr, code, calendar, today)
        lines.append(f"• #{code.id} {short_title(code.title)} — {due}")
    return lines


def team(tr: Translator, quarter: Quarter, title: str, rows: Sequence[ScoreRow]) -> list[str]:
    """A team's totals and classifications, best first, with their deduction counts, paged."""
    heading = tr._(
        "<b>{title}, {quarter}</b>",
        title=shorten(title, NAME_IN_LIST),
        quarter=quarter_label(tr, quarter),
    )
    lines = [
        tr.ngettext(
            "{rank}. {name} ({code}): {total}/100 — {classification}; {n} deduction",
            "{rank}. {name} ({code}): {total}/100 — {classification}; {n} deductions",
            row.deduction_count,
            rank=rank,
            name=shorten(row.full_name, NAME_IN_LIST),
            code=shorten(row.code, NAME_IN_LIST),
            total=tr.number(row.total),
            classification=escape(row.classification.name(tr.locale)),
        )
        for rank, row in enumerate(rows, start=1)
    ]
    return paged_lines(tr, heading, lines or [tr._("Nobody to show.")])
