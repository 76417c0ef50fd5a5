"""The score chart: each criterion against its maximum, and the last quarters' totals."""

from __future__ import annotations

import io
from collections.abc import Sequence
from decimal import Decimal

from handlers.score_views import quarter_label
from kpi.scoring import Quarter, ScoreCard
from locales.i18n import Translator


def score_chart(
    tr: Translator, score: ScoreCard, history: Sequence[tuple[Quarter, Decimal]]
) -> bytes:
    """A PNG of the quarter's criteria and the recent totals."""
    # matplotlib costs ~60 MB of memory: it loads with the first chart, not with the bot.
    from matplotlib.figure import Figure

    figure = Figure(figsize=(9, 6.5), dpi=100, layout="constrained")
    top, bottom = figure.subplots(2, 1, height_ratios=(3, 2))
    names = [_wrap(item.criterion.name(tr.locale)) for item in score.criteria]
    maxima = [float(item.criterion.max_points) for item in score.criteria]
    scores = [float(item.score) for item in score.criteria]
    top.barh(names, maxima, color="#e3e8ef", label=tr._("Maximum"))
    top.barh(names, scores, color="#1f6feb", label=tr._("Score"))
    top.invert_yaxis()
    top.set_title(tr._("KPI score, {quarter}", quarter=quarter_label(tr, score.quarter)))
    top.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=2, frameon=False)
    labels = [quarter_label(tr, quarter) for quarter, _ in history]
    totals = [float(total) for _, total in history]
    bars = bottom.bar(labels, totals, color="#2da44e")
    bottom.bar_label(bars, labels=[tr.number(total) for _, total in history])
    bottom.set_ylim(0, 110)  # room for the labels above full bars
    bottom.set_title(tr._("Total of the last quarters"))
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _wrap(text: str, width: int = 38) -> str:
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(line) + len(word) >= width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return "\n".join([*lines, line])
