"""The 20% check of the report: per agency, candidates in score order, nobody downgraded."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from kpi.policy import Policy
from kpi.report import ExcellenceCheck
from kpi.scoring import ScoreRow


def row(policy: Policy, code: str, leader: str | None, total: str) -> ScoreRow:
    points = Decimal(total)
    return ScoreRow(
        employee_id=0,
        code=code,
        full_name=f"Người {code}",
        unit="Sở",
        position="chuyen_vien",
        leader_code=leader,
        leader_name=None,
        criteria=(),
        total=points,
        classification=policy.classify(points),
        deduction_count=0,
    )


@pytest.mark.parametrize(
    ("good", "excellent", "exceeded"),
    [
        (10, 2, False),  # 2 of 10: exactly 20%
        (10, 3, True),
        (4, 1, True),  # 0.8 allowed
        (5, 1, False),
        (0, 0, False),
    ],
)
def test_the_20_percent_rule(policy, good, excellent, exceeded):
    rows = [row(policy, "GD", None, "85")]  # the head is good too
    rows += [row(policy, f"G{i}", "GD", "75") for i in range(good - 1)] if good else []
    rows += [row(policy, f"X{i}", "GD", str(91 + i)) for i in range(excellent)]
    if not good:
        rows[0] = replace(rows[0], total=Decimal(60), classification=policy.classify(Decimal(60)))
    check = ExcellenceCheck(policy)
    assert [r.code for r in check.watch(rows)] == [r.code for r in rows]
    [agency] = check.agencies()
    assert (agency.head_code, agency.good, len(agency.excellent)) == ("GD", good, excellent)
    assert agency.exceeded is exceeded


def test_each_agency_is_checked_apart_and_candidates_come_best_first(policy):
    rows = [
        row(policy, "A", None, "95"),
        row(policy, "A1", "A", "92"),
        row(policy, "A2", "A1", "99"),
        row(policy, "B", None, "70"),
        row(policy, "B1", "B", "80"),
    ]
    check = ExcellenceCheck(policy)
    list(check.watch(rows))
    first, second = check.agencies()
    assert [code for _t, code, _n in first.candidates()] == ["A2", "A", "A1"]
    assert first.exceeded and not second.exceeded and second.good == 2
