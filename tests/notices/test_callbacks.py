"""Button data: each codec reads back what it wrote, refuses what it did not, and fits Telegram."""

from __future__ import annotations

import re

import pytest

from kpi.scoring import Quarter
from models import FaultKind, WorkCode, WorkCodeAction
from models.db import MAX_ID
from notices.callbacks import (
    AppealButton,
    CallbackData,
    ChartButton,
    DeductButton,
    ExcuseButton,
    WorkCodeButton,
)
from tests.factories import local

BUTTONS: list[tuple[CallbackData, str]] = [
    (WorkCodeButton(WorkCodeAction.APPROVE, 12, 1), "wc:ap:12:1"),
    (
        WorkCodeButton(WorkCodeAction.REJECT, MAX_ID, 2, on_list=True),
        "wl:rj:2147483647:2",
    ),
    (WorkCodeButton(WorkCodeAction.OPINION, 3, 999_999), "wc:op:3:999999"),
    (AppealButton(5, accept=True), "ap:acc:5"),
    (AppealButton(5, accept=False), "ap:rej:5"),
    (AppealButton(MAX_ID, accept=True, on_list=True), "al:acc:2147483647"),
    (ChartButton(Quarter(2026, 4)), "sc:chart:2026Q4"),
    (DeductButton(7), "dd:p:7"),
    (DeductButton(7, 2), "dd:c:7:2"),
    (DeductButton(MAX_ID, 999, default_points=True), "dd:n:2147483647:999"),
    (ExcuseButton(12, FaultKind.DELAY, 34), "ex:12:d:34"),
    (ExcuseButton(MAX_ID, FaultKind.ERROR, MAX_ID), "ex:2147483647:e:2147483647"),
]


@pytest.mark.parametrize(("button", "data"), BUTTONS)
def test_a_button_packs_to_its_data_and_back(button: CallbackData, data: str) -> None:
    assert button.pack() == data
    assert type(button).parse(data) == button
    assert re.match(type(button).ROUTE, data)
    assert len(data.encode()) <= 64  # Telegram's limit for callback data


@pytest.mark.parametrize(
    ("codec", "data"),
    [
        (WorkCodeButton, "wc:ap:12"),  # no cycle
        (WorkCodeButton, "wx:ap:12:1"),
        (WorkCodeButton, "wc:zz:12:1"),
        (WorkCodeButton, "wc:ap:1234567890123:1"),  # longer than any id
        (WorkCodeButton, "wc:ap:2147483648:1"),  # past the largest id
        (AppealButton, "ap:acc:999999999999"),
        (WorkCodeButton, "wc:ap:12:1:extra"),
        (AppealButton, "ap:maybe:5"),
        (AppealButton, "ap:acc:"),
        (AppealButton, "ap:acc:５"),  # a digit, but not an ASCII one
        (WorkCodeButton, "wc:ap:١٢:1"),
        (ChartButton, "sc:chart:9999Q1"),  # beyond the years a quarter may have
        (ChartButton, "sc:chart:2026Q5"),
        (ChartButton, "sc:chart:Q4/2026"),
        (ChartButton, "sc:chart:9999Q4"),  # the right shape, a year out of range
        (ChartButton, "sc:chart:0001Q1"),
        (ChartButton, None),
        (DeductButton, "dd:p:"),
        (DeductButton, "dd:c:7"),  # a criterion without the person
        (DeductButton, "dd:n:7:1000"),
        (DeductButton, "dd:c:2147483648:1"),
        (DeductButton, "dd:x:7:1"),
        (ExcuseButton, "ex:12:x:34"),  # neither a delay nor an error
        (ExcuseButton, "ex:12:d"),
        (ExcuseButton, "ex:12:d:2147483648"),
        (ExcuseButton, "ex:١٢:d:34"),
    ],
)
def test_anything_else_is_not_a_button(codec: type[CallbackData], data: str | None) -> None:
    assert codec.parse(data) is None


def test_a_code_s_button_names_its_current_cycle() -> None:
    code = WorkCode(
        id=7,
        employee_id=1,
        approver_id=2,
        title="x",
        cycle=3,
        cycle_started_at=local("2026-11-02"),
        deadline_at=local("2026-11-10", 0),
        due_day=local("2026-11-09").date(),
        created_at=local("2026-11-02"),
    )
    button = WorkCodeButton.of(WorkCodeAction.REJECT, code, on_list=True)
    assert button.pack() == "wl:rj:7:3"
