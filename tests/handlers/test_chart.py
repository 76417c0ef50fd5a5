"""The score chart reads at phone width: no text over another, every score written on its bar."""

from __future__ import annotations

from decimal import Decimal
from itertools import combinations

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.patches import Rectangle
from matplotlib.text import Text

from handlers.chart import score_chart, score_figure
from kpi.policy import Policy
from kpi.scoring import CriterionScore, Quarter, ScoreCard
from locales.i18n import Translator
from tests.factories import HANOI

LONG = {
    "vi": "Chất lượng, hiệu quả thực hiện nhiệm vụ được giao theo chương trình, kế hoạch công tác "
    "năm của cơ quan, đơn vị và các nhiệm vụ đột xuất do lãnh đạo giao",
    "en": "Quality and effectiveness of the tasks assigned under the agency's annual work "
    "programme and plan, and of the unplanned tasks assigned by the leadership",
}


def card(policy: Policy) -> ScoreCard:
    """A quarter of the position with the most criteria, the first one renamed very long."""
    position = max(policy.positions.values(), key=lambda p: len(p.criteria)).code
    criteria = list(policy.criteria_of(position))
    first = criteria[0]
    criteria[0] = type(first)(**{**vars(first), "name_vi": LONG["vi"], "name_en": LONG["en"]})
    scores = tuple(
        CriterionScore(c, Decimal("2.5"), c.max_points - Decimal("2.5")) for c in criteria
    )
    total = sum((s.score for s in scores), Decimal(0))
    return ScoreCard(
        employee_id=1,
        quarter=Quarter(2026, 4),
        position=position,
        criteria=scores,
        total=total,
        classification=policy.classify(total),
        deductions=(),
    )


def texts(figure) -> list[Text]:
    found = [t for axes in figure.axes for t in [*axes.texts, axes.title]]
    return [t for t in found if t.get_text().strip()]


@pytest.mark.parametrize("locale", ["vi", "en"])
def test_names_and_scores_never_overlap(policy: Policy, locale: str) -> None:
    tr = Translator(locale, HANOI)
    history = [(Quarter(2026, n), Decimal("90.5")) for n in range(1, 5)]
    figure = score_figure(tr, card(policy), history)
    renderer = FigureCanvasAgg(figure).get_renderer()
    figure.draw(renderer)
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in texts(figure)]
    overlapping = [
        (a, b) for (a, box_a), (b, box_b) in combinations(boxes, 2) if box_a.overlaps(box_b)
    ]
    assert overlapping == []
    width = figure.bbox.width
    assert all(0 <= box.x0 and box.x1 <= width for _, box in boxes)  # nothing cut off
    written = [text for text, _ in boxes]
    scored = card(policy).criteria
    assert all(
        f"{tr.number(s.score)}/{tr.number(s.criterion.max_points)}" in written for s in scored
    )


@pytest.mark.parametrize(("locale", "legend"), [("vi", "chưa có dữ liệu"), ("en", "no data")])
def test_quarters_before_joining_read_no_data(policy: Policy, locale: str, legend: str) -> None:
    tr = Translator(locale, HANOI)
    history = [(Quarter(2026, 3), None), (Quarter(2026, 4), Decimal("97"))]
    figure = score_figure(tr, card(policy), history)
    totals = figure.axes[1]
    assert [t.get_text() for t in totals.texts] == ["—", tr.number(Decimal("97"))]
    heights = [bar.get_height() for bar in totals.patches if isinstance(bar, Rectangle)]
    assert heights == [0, 97]
    assert legend in totals.get_xlabel()


def test_the_png_is_drawn_for_a_phone(policy: Policy) -> None:
    png = score_chart(Translator("vi", HANOI), card(policy), [(Quarter(2026, 4), Decimal(95))])
    assert png.startswith(b"\x89PNG")
    width = int.from_bytes(png[16:20], "big")
    assert width == 900
