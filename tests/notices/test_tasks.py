"""Messages about tasks: the assignment notice, and one line per computed criterion."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kpi.calendar import WorkCalendar
from kpi.task_results import Explanation, Measure
from locales.i18n import Translator
from notices.occasion import Occasion
from notices.tasks import assignment_notice, explain
from tests.factories import HANOI, local
from tests.kpi.task_steps import new_task

VI, EN = Translator("vi", HANOI), Translator("en", HANOI)
U = Decimal


@pytest.mark.parametrize(
    ("explanation", "english", "vietnamese"),
    [
        (
            Explanation(Measure.QUANTITY),
            "No task due in the period: full points.",
            "Không có nhiệm vụ đến hạn trong kỳ: đạt điểm tối đa.",
        ),
        (
            Explanation(Measure.QUANTITY, 6, 5, U(10), U(8)),
            "8 of 10 converted units done (5 of 6 tasks).",
            "Hoàn thành 8/10 sản phẩm quy đổi (5/6 nhiệm vụ).",
        ),
        (
            Explanation(Measure.QUALITY, 6, 5, U(10), U(8), faulted=2, faults=2),
            "2 tasks returned or rejected 2 times: −25% of their quality points each time.",
            "2 nhiệm vụ bị trả lại hoặc từ chối 2 lần: mỗi lần trừ 25% điểm chất lượng của"
            " nhiệm vụ đó.",
        ),
        (
            Explanation(Measure.PROGRESS, 2, 2, U(2), U(2), excused=1),
            "All 2 done tasks without a fault. 1 fault excused as an objective cause: no points"
            " lost.",
            "Cả 2 nhiệm vụ đã hoàn thành đều không có sai sót. 1 sai sót, chậm tiến độ được xác"
            " nhận do nguyên nhân khách quan: không bị trừ điểm.",
        ),
        (
            Explanation(Measure.PROGRESS, 2, 0, U(2), U(0)),
            "No task done yet: nothing to judge.",
            "Chưa có nhiệm vụ nào hoàn thành: chưa có sản phẩm để đánh giá.",
        ),
        (
            Explanation(Measure.UNIT_RESULTS, reports=4, reports_below=1),
            "1 of 4 direct reports rated below Completed duties: half the points.",
            "1/4 công chức thuộc quyền bị xếp loại dưới mức Hoàn thành nhiệm vụ: đạt 50% số điểm.",
        ),
        (
            Explanation(Measure.YEAR, quarters=(U(20), U("17.5"), U(20), U(10))),
            "Mean of the year's quarters: 20, 17.5, 20, 10",
            "Trung bình cộng điểm các quý trong năm: 20, 17,5, 20, 10",
        ),
    ],
)
def test_each_computed_criterion_reads_in_one_line(explanation, english, vietnamese):
    assert explain(EN, explanation) == english
    assert explain(VI, explanation) == vietnamese


def test_the_assignee_is_told_the_number_due_day_and_weight(session, org, policy):
    task = new_task(session, policy, org.leader, org.staff, "2026-11-20", "de_an", "Đề án số hóa")
    occasion = Occasion(WorkCalendar(tz=HANOI), policy, local("2026-11-02", 10), "vi")
    draft = assignment_notice(occasion, org.staff, task, org.leader)
    assert draft is not None and draft.chat_id == org.staff.telegram_id
    assert draft.key == f"task:{task.id}"
    assert draft.text.startswith(
        f"Trần Thị Phương giao cho đồng chí nhiệm vụ T{task.id}: «Đề án số hóa», hạn hoàn thành"
        " 20/11/2026 (Đề án, dự án, đề tài, 5 sản phẩm quy đổi)."
    )
    org.staff.telegram_id = None
    assert assignment_notice(occasion, org.staff, task, org.leader) is None
