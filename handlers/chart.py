"""The score chart: each criterion against its maximum, and the last quarters' totals.

Drawn for a phone held upright: a narrow, tall picture with large type; every criterion name on
its own lines above its bar (never beside another), and every score written on its bar.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from handlers.score_views import quarter_label
from kpi.scoring import CriterionScore, Quarter, ScoreCard
from locales.i18n import Translator

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

WIDTH = 6.0  # inches at DPI: 900 pixels, which a phone shows at its full width
DPI = 150
NAME_WIDTH = 44  # characters of a criterion name per line, at the font size below
FONT = 11
_MAXIMUM, _SCORE, _TOTAL = "#e3e8ef", "#1f6feb", "#2da44e"
_NO_DATA = "—"


def score_chart(
    tr: Translator, score: ScoreCard, history: Sequence[tuple[Quarter, Decimal | None]]
) -> bytes:
    """A PNG of the quarter's criteria and the recent totals."""
    buffer = io.BytesIO()
    score_figure(tr, score, history).savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def score_figure(
    tr: Translator, score: ScoreCard, history: Sequence[tuple[Quarter, Decimal | None]]
) -> Figure:
    """The chart as a figure: the criteria above, the last quarters' totals below."""
    # matplotlib costs ~60 MB of memory: it loads with the first chart, not with the bot.
    from matplotlib.figure import Figure

    names = [_wrap(item.criterion.name(tr.locale)) for item in score.criteria]
    rows = sum(name.count("\n") + 2 for name in names)  # each name's lines and its bar
    criteria_height = 0.6 + 0.3 * rows
    figure = Figure(figsize=(WIDTH, criteria_height + 3.2), layout="constrained")
    top, bottom = figure.subplots(2, 1, height_ratios=(criteria_height, 2.6))
    _criteria(tr, top, score.criteria, names)
    top.set_title(
        tr._("KPI score, {quarter}", quarter=quarter_label(tr, score.quarter)),
        fontsize=FONT + 2,
        fontweight="bold",
    )
    _totals(tr, bottom, history)
    return figure


def _criteria(
    tr: Translator, axes: Axes, criteria: Sequence[CriterionScore], names: Sequence[str]
) -> None:
    """One bar per criterion, its name above it and "score/maximum" written on it."""
    top = max((float(item.criterion.max_points) for item in criteria), default=1.0)
    position = 0.0
    for item, name in zip(criteria, names, strict=True):
        lines = name.count("\n") + 1
        position += 0.3 * lines + 0.15  # room for the name above the bar
        maximum, points = float(item.criterion.max_points), float(item.score)
        axes.barh(position, maximum, height=0.5, color=_MAXIMUM)
        axes.barh(position, points, height=0.5, color=_SCORE)
        axes.text(0, position - 0.3, name, va="bottom", ha="left", fontsize=FONT)
        label = f"{tr.number(item.score)}/{tr.number(item.criterion.max_points)}"
        axes.text(maximum + top * 0.02, position, label, va="center", fontsize=FONT)
        position += 0.55
    axes.set_xlim(0, top * 1.3)  # room for the labels after the longest bar
    axes.set_ylim(position, 0)
    axes.axis("off")


def _totals(tr: Translator, axes: Axes, history: Sequence[tuple[Quarter, Decimal | None]]) -> None:
    """A bar per quarter with its total; "—" and no bar for a quarter before the person joined."""
    labels = [quarter_label(tr, quarter).replace(" ", "\n", 1) for quarter, _ in history]
    bars = axes.bar(labels, [float(total or 0) for _, total in history], color=_TOTAL)
    written = [tr.number(total) if total is not None else _NO_DATA for _, total in history]
    axes.bar_label(bars, labels=written, fontsize=FONT)
    if None in (total for _, total in history):
        axes.set_xlabel(tr._("— no data: before you joined"), fontsize=FONT - 1)
    axes.set_ylim(0, 115)  # room for the labels above full bars
    axes.tick_params(labelsize=FONT - 1)
    axes.spines[["top", "right"]].set_visible(False)
    axes.set_title(tr._("Total of the last quarters"), fontsize=FONT + 1)


def _wrap(text: str) -> str:
    return "\n".join(textwrap.wrap(text, NAME_WIDTH, break_long_words=True)) or " "
