"""Tests for kpi.policy: the shipped default and the validation of policy files."""

from dataclasses import FrozenInstanceError
from datetime import time
from decimal import Decimal
from importlib import resources
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kpi.policy import (
    Criterion,
    CriterionType,
    Policy,
    PolicyError,
    ReminderSlot,
    load_policy,
    parse_policy,
)

DEFAULT_TEXT = resources.files("kpi").joinpath("default_policy.toml").read_text(encoding="utf-8")
LEADERS = ["pho_truong_phong", "truong_phong", "giam_doc"]


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy()


def edit(anchor: str, old: str, new: str, text: str = DEFAULT_TEXT) -> str:
    """Replace the first `old` after `anchor` in the default policy text."""
    start = text.index(anchor)
    at = text.index(old, start)
    return text[:at] + new + text[at + len(old) :]


def problems(text: str) -> list[str]:
    with pytest.raises(PolicyError) as caught:
        parse_policy(text, "test.toml")
    return caught.value.errors


# --- the shipped default ------------------------------------------------------------------------


def test_default_policy_loads(policy):
    assert set(policy.positions) == {
        "chuyen_vien",
        "van_thu",
        "pho_truong_phong",
        "truong_phong",
        "giam_doc",
    }
    assert {"approval_timeliness", "training_attendance", "spearhead_tasks"} <= set(policy.criteria)


@pytest.mark.parametrize(
    "position", ["chuyen_vien", "van_thu", "pho_truong_phong", "truong_phong", "giam_doc"]
)
def test_each_position_sums_to_100(policy, position):
    assert sum(c.max_points for c in policy.criteria_of(position)) == Decimal(100)


@pytest.mark.parametrize("position", LEADERS)
def test_leaders_are_scored_on_approval_timeliness(policy, position):
    assert "approval_timeliness" in policy.positions[position].criteria


@pytest.mark.parametrize("position", ["chuyen_vien", "van_thu"])
def test_staff_are_not_scored_on_approval_timeliness(policy, position):
    assert "approval_timeliness" not in policy.positions[position].criteria


def test_default_criteria_values(policy):
    training = policy.criteria["training_attendance"]
    assert (training.max_points, training.default_deduction) == (Decimal(15), Decimal(2))
    assert training.type is CriterionType.SOFT
    assert policy.criteria["approval_timeliness"].default_deduction == Decimal(5)
    assert policy.criteria["spearhead_tasks"].type is CriterionType.SPEARHEAD
    assert policy.criteria["task_quality"].name("vi") == "Chất lượng kết quả thực hiện nhiệm vụ"


def test_default_time_rules(policy):
    assert (policy.deadline_days, policy.calendar_days) == (5, False)
    assert (policy.breach_criterion, policy.breach_points) == ("approval_timeliness", Decimal(5))
    assert policy.reminder_slots == (
        ReminderSlot(2, time(8)),
        ReminderSlot(0, time(8)),
        ReminderSlot(0, time(15)),
    )
    assert (policy.quiet_start, policy.quiet_end) == (time(21), time(7))
    assert policy.quiet_non_working_days is True
    assert (policy.digest_at, policy.digest_page_size) == (time(8), 10)
    assert policy.appeal_days == 5


def test_default_classifications(policy):
    assert [c.code for c in policy.classifications] == [
        "excellent",
        "good",
        "completed",
        "not_completed",
    ]
    assert [c.min_total for c in policy.classifications] == [90, 70, 50, 0]
    assert policy.classifications[0].name("vi") == "Hoàn thành xuất sắc nhiệm vụ"
    assert policy.classifications[-1].name("vi") == "Không hoàn thành nhiệm vụ"
    assert policy.classifications[0].bonus_coefficient == Decimal("1.5")


@pytest.mark.parametrize(
    ("total", "code"),
    [
        ("100", "excellent"),
        ("90", "excellent"),
        ("89.99", "good"),
        ("70", "good"),
        ("69.99", "completed"),
        ("50", "completed"),
        ("49.99", "not_completed"),
        ("0", "not_completed"),
    ],
)
def test_classify_edges(policy, total, code):
    assert policy.classify(Decimal(total)).code == code


def test_classify_rejects_negative_total(policy):
    with pytest.raises(ValueError, match="below every classification"):
        policy.classify(Decimal("-0.01"))


@given(st.decimals(min_value=0, max_value=100, places=2))
def test_classify_picks_highest_reached_threshold(total):
    policy = load_policy()
    chosen = policy.classify(total)
    assert chosen.min_total <= total
    assert all(
        c.min_total > total for c in policy.classifications if c.min_total > chosen.min_total
    )


def test_criteria_of_keeps_policy_order_and_rejects_unknown(policy):
    codes = [c.code for c in policy.criteria_of("chuyen_vien")]
    assert codes == list(policy.positions["chuyen_vien"].criteria)
    assert all(isinstance(c, Criterion) for c in policy.criteria_of("giam_doc"))
    with pytest.raises(KeyError, match="thu_ky"):
        policy.criteria_of("thu_ky")


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("vi", "Trưởng phòng"), ("en", "Division head"), ("en_US", "Division head")],
)
def test_names_follow_locale(policy, locale, expected):
    assert policy.positions["truong_phong"].name(locale) == expected


def test_policy_is_immutable(policy):
    with pytest.raises(FrozenInstanceError):
        policy.deadline_days = 3  # type: ignore[misc]
    with pytest.raises(TypeError):
        policy.criteria["x"] = policy.criteria["task_quality"]  # type: ignore[index]


def test_quiet_hours_wrap_past_midnight(policy):
    assert policy.in_quiet_hours(time(21)) and policy.in_quiet_hours(time(6, 59))
    assert not policy.in_quiet_hours(time(7)) and not policy.in_quiet_hours(time(20, 59))


# --- exact decimals -----------------------------------------------------------------------------


def test_points_are_exact_decimals(policy):
    for criterion in policy.criteria.values():
        assert isinstance(criterion.max_points, Decimal)
        assert isinstance(criterion.default_deduction, Decimal)
    assert isinstance(policy.classifications[1].bonus_coefficient, Decimal)


def test_fractional_maxima_sum_exactly():
    # As floats 33.33 + 33.33 + 33.34 is 99.99999999999999; as decimals it is exactly 100.
    text = edit('code = "spearhead_tasks"', "max_points = 10", "max_points = 33.33")
    text = edit('code = "training_attendance"', "max_points = 15", "max_points = 33.33", text)
    text = edit('code = "task_quality"', "max_points = 20", "max_points = 33.34", text)
    text = edit('code = "chuyen_vien"', '    "discipline_ethics",\n', "", text)
    text = edit('code = "chuyen_vien"', '    "task_quantity",\n', "", text)
    text = edit('code = "chuyen_vien"', '    "task_progress",\n', "", text)
    text = text[: text.index('[[positions]]\ncode = "van_thu"')] + text[text.index("[deadline]") :]
    policy = parse_policy(text)
    assert policy.criteria["spearhead_tasks"].max_points == Decimal("33.33")
    assert sum(c.max_points for c in policy.criteria_of("chuyen_vien")) == Decimal(100)


def test_bonus_coefficient_is_exact():
    text = edit('code = "good"', "bonus_coefficient = 1.2", "bonus_coefficient = 1.1")
    coefficient = parse_policy(text).classifications[1].bonus_coefficient
    assert coefficient == Decimal("1.1") and str(coefficient) == "1.10"


# --- invalid policies ---------------------------------------------------------------------------

EXTRA_CRITERION = """
[[criteria]]
code = "task_quality"
type = "hard"
name_vi = "Chất lượng"
name_en = "Quality"
max_points = 20
default_deduction = 2
"""
EXTRA_POSITION = """
[[positions]]
code = "chuyen_vien"
name_vi = "Chuyên viên chính"
name_en = "Principal specialist"
criteria = ["task_quality"]
"""

BAD_CASES = [
    pytest.param(
        edit('code = "truong_phong"', '"unit_results"', '"foo"'),
        ["position 'truong_phong': unknown criterion 'foo'"],
        id="unknown-criterion",
    ),
    pytest.param(
        edit('code = "task_quantity"', "max_points = 20", "max_points = 15"),
        [
            "position 'chuyen_vien': maxima sum to 95, not 100",
            "position 'van_thu': maxima sum to 95, not 100",
        ],
        id="sum-not-100",
    ),
    pytest.param(
        edit('code = "chuyen_vien"', '    "spearhead_tasks",\n', '    "spearhead_tasks",\n' * 2),
        ["position 'chuyen_vien': criterion 'spearhead_tasks' is listed more than once"],
        id="criterion-listed-twice",
    ),
    pytest.param(
        edit('code = "task_quality"', 'type = "hard"', 'type = "big"'),
        ["criterion 'task_quality': type 'big' is not one of spearhead, hard, soft"],
        id="bad-type",
    ),
    pytest.param(
        DEFAULT_TEXT + EXTRA_CRITERION,
        ["duplicate criterion code 'task_quality'"],
        id="duplicate-criterion",
    ),
    pytest.param(
        DEFAULT_TEXT + EXTRA_POSITION,
        [
            "position 'chuyen_vien': maxima sum to 20, not 100",
            "duplicate position code 'chuyen_vien'",
        ],
        id="duplicate-position",
    ),
    pytest.param(
        edit('code = "chuyen_vien"', 'name_en = "Specialist"\n', ""),
        ["position 'chuyen_vien': missing key 'name_en'"],
        id="missing-key",
    ),
    pytest.param(
        edit('code = "spearhead_tasks"', "max_points = 10", 'max_points = "ten"'),
        ["criterion 'spearhead_tasks': max_points must be a number, got string 'ten'"],
        id="points-not-a-number",
    ),
    pytest.param(
        edit('code = "spearhead_tasks"', "max_points = 10", "max_points = true"),
        ["criterion 'spearhead_tasks': max_points must be a number, got boolean true"],
        id="points-boolean",
    ),
    pytest.param(
        edit('code = "spearhead_tasks"', "max_points = 10", "max_points = inf"),
        ["criterion 'spearhead_tasks': max_points must be a finite number, got float inf"],
        id="points-infinite",
    ),
    pytest.param(
        edit('code = "task_quality"', "default_deduction = 2", "default_deduction = -2"),
        ["criterion 'task_quality': default_deduction must be greater than 0, got -2"],
        id="negative-deduction",
    ),
    pytest.param(
        edit('code = "task_quality"', "max_points = 20", "max_points = 0"),
        ["criterion 'task_quality': max_points must be greater than 0, got 0"],
        id="zero-max",
    ),
    pytest.param(
        edit('code = "task_quality"', "max_points = 20", "max_points = 19.999"),
        ["criterion 'task_quality': max_points must have at most 2 decimal places, got 19.999"],
        id="three-decimals",
    ),
    pytest.param(
        edit('code = "task_quality"', "default_deduction = 2", "default_deduction = 25"),
        ["criterion 'task_quality': default_deduction is larger than max_points"],
        id="deduction-above-max",
    ),
    pytest.param(
        edit('code = "task_quality"', "max_points", "maxpoints"),
        [
            "criterion 'task_quality': unknown key 'maxpoints'",
            "criterion 'task_quality': missing key 'max_points'",
        ],
        id="misspelt-key",
    ),
    pytest.param(
        edit('code = "van_thu"', 'code = "van_thu"', 'code = "Van-Thu"'),
        ["position 'Van-Thu': code must be snake_case ASCII (a-z, 0-9, _), got string 'Van-Thu'"],
        id="code-not-snake-case",
    ),
    pytest.param(
        edit("[quiet_hours]", '"21:00"', '"9pm"'),
        ["[quiet_hours]: start must be a time \"HH:MM\" (00:00-23:59), got string '9pm'"],
        id="bad-time",
    ),
    pytest.param(
        edit("[reminders]", '"15:00"', '"24:00"'),
        ["[reminders] slot #3: at must be a time \"HH:MM\" (00:00-23:59), got string '24:00'"],
        id="bad-slot-time",
    ),
    pytest.param(
        edit("[reminders]", 'at = "15:00"', 'at = "08:00"'),
        ["[reminders] slot #3: the same slot is listed more than once"],
        id="duplicate-slot",
    ),
    pytest.param(
        edit("[breach]", '"approval_timeliness"', '"timeliness"'),
        ["[breach]: unknown criterion 'timeliness'"],
        id="unknown-breach-criterion",
    ),
    pytest.param(
        edit("[breach]", "points = 5", "points = 0"),
        ["[breach]: points must be greater than 0, got 0"],
        id="zero-breach-points",
    ),
    pytest.param(
        edit("[deadline]", "working_days = 5", "working_days = 0"),
        ["[deadline]: working_days must be an integer >= 1, got integer 0"],
        id="zero-deadline",
    ),
    pytest.param(
        edit("[deadline]", "calendar_days = false", 'calendar_days = "no"'),
        ["[deadline]: calendar_days must be true or false, got string 'no'"],
        id="bool-as-string",
    ),
    pytest.param(
        edit("[digest]", "page_size = 10", "page_size = 10.5"),
        ["[digest]: page_size must be an integer >= 1, got float 10.5"],
        id="float-page-size",
    ),
    pytest.param(
        edit("[digest]", 'at = "08:00"', 'at = "22:00"'),
        ["[digest]: at 22:00 falls within quiet hours 21:00-07:00"],
        id="digest-in-quiet-hours",
    ),
    pytest.param(
        edit("[appeals]", "[appeals]", "[appeal]"),
        ["policy: unknown key 'appeal'", "missing section [appeals]"],
        id="missing-section",
    ),
    pytest.param(
        edit('code = "not_completed"', "min_total = 0", "min_total = 10"),
        ["classifications do not cover 0: one of them needs min_total = 0"],
        id="classifications-not-covering-0",
    ),
    pytest.param(
        edit('code = "good"', "min_total = 70", "min_total = 90"),
        ["classification 'good': another classification has min_total 90"],
        id="duplicate-threshold",
    ),
    pytest.param(
        edit('code = "excellent"', "min_total = 90", "min_total = 101"),
        ["classification 'excellent': min_total must be at most 100, got 101"],
        id="threshold-above-100",
    ),
    pytest.param(
        edit('code = "chuyen_vien"', "criteria = [", 'criteria = "discipline_ethics"\nx = ['),
        [
            "position 'chuyen_vien': unknown key 'x'",
            "position 'chuyen_vien': criteria must be an array of criterion codes, "
            "got string 'discipline_ethics'",
        ],
        id="criteria-not-an-array",
    ),
]


@pytest.mark.parametrize(("text", "expected"), BAD_CASES)
def test_bad_policy_is_rejected_with_every_problem(text, expected):
    assert problems(text) == expected


def test_toml_syntax_error_is_reported_with_position():
    errors = problems(
        DEFAULT_TEXT.replace("working_days = 5\ncalendar", "working_days = \ncalendar")
    )
    assert len(errors) == 1
    assert errors[0].startswith("invalid TOML: ") and "line" in errors[0]


def test_empty_policy_lists_every_missing_part():
    assert problems("") == [
        "missing [[criteria]] entries",
        "missing [[positions]] entries",
        "missing section [deadline]",
        "missing section [breach]",
        "missing section [quiet_hours]",
        "missing section [digest]",
        "missing section [reminders]",
        "missing section [appeals]",
        "missing [[classifications]] entries",
    ]


def test_several_errors_are_reported_at_once():
    text = edit('code = "task_quality"', 'type = "hard"', 'type = "big"')
    text = edit('code = "truong_phong"', '"unit_results"', '"foo"', text)
    text = edit("[quiet_hours]", '"07:00"', '"7h"', text)
    text = edit('code = "not_completed"', "min_total = 0", "min_total = 10", text)
    with pytest.raises(PolicyError) as caught:
        parse_policy(text, "/etc/kpibot/policy.toml")
    expected = [
        "criterion 'task_quality': type 'big' is not one of spearhead, hard, soft",
        "position 'truong_phong': unknown criterion 'foo'",
        "[quiet_hours]: end must be a time \"HH:MM\" (00:00-23:59), got string '7h'",
        "classifications do not cover 0: one of them needs min_total = 0",
    ]
    assert caught.value.errors == expected
    lines = str(caught.value).splitlines()
    assert lines[0] == "invalid policy /etc/kpibot/policy.toml (4 problems):"
    assert lines[1:] == [f"  - {error}" for error in expected]


def test_broken_criterion_does_not_cascade_into_sum_errors():
    # task_quality is used by four positions; its bad maximum must not make them "not sum to 100".
    text = edit('code = "task_quality"', "max_points = 20", 'max_points = "20"')
    assert problems(text) == [
        "criterion 'task_quality': max_points must be a number, got string '20'"
    ]


# --- files --------------------------------------------------------------------------------------


def test_load_policy_from_file(tmp_path):
    path = tmp_path / "policy.toml"
    path.write_text(edit("[deadline]", "working_days = 5", "working_days = 7"), encoding="utf-8")
    assert load_policy(path).deadline_days == 7


def test_load_policy_tolerates_utf8_bom(tmp_path):
    path = tmp_path / "policy.toml"
    path.write_text(DEFAULT_TEXT, encoding="utf-8-sig")
    assert load_policy(path) == load_policy()


def test_native_toml_time_is_accepted():
    text = edit("[digest]", 'at = "08:00"', "at = 08:30:00")
    assert parse_policy(text).digest_at == time(8, 30)


def test_missing_file_is_named(tmp_path):
    path = tmp_path / "nope.toml"
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert caught.value.errors == ["file not found"]
    assert str(path) in str(caught.value)


def test_non_utf8_file_is_rejected(tmp_path):
    path = tmp_path / "policy.toml"
    path.write_bytes(DEFAULT_TEXT.encode("cp1258", errors="replace"))
    with pytest.raises(PolicyError, match="not UTF-8"):
        load_policy(path)


def test_invalid_file_names_the_file(tmp_path):
    path = tmp_path / "policy.toml"
    path.write_text(edit("[breach]", "points = 5", "points = -5"), encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert str(caught.value).startswith(f"invalid policy {path} (1 problem):")
    assert caught.value.errors == ["[breach]: points must be greater than 0, got -5"]


def test_default_policy_file_is_valid_toml_text():
    # The shipped file must stay loadable through a path too (operators copy it to edit).
    path = Path(str(resources.files("kpi").joinpath("default_policy.toml")))
    assert load_policy(path) == load_policy()


def test_criterion_name_falls_back_to_the_code() -> None:
    policy = load_policy()
    assert policy.criterion_name("training_attendance", "en").startswith("Attendance at training")
    assert policy.criterion_name("training_attendance", "vi").startswith("Tham gia bồi dưỡng")
    assert policy.criterion_name("retired_criterion", "vi") == "retired_criterion"


# --- assigned tasks -----------------------------------------------------------------------------


def test_default_policy_scores_assigned_tasks_with_weighted_types(policy):
    from kpi.policy import TaskScoring

    assert policy.task_scoring is TaskScoring.ASSIGNED_TASKS
    assert policy.task_types["van_ban"].weight == Decimal(1)
    assert policy.task_types["de_an"].weight == Decimal(5)
    assert policy.task_types["de_an"].spearhead
    assert not policy.task_types["bao_cao"].spearhead
    assert policy.task_types["to_trinh"].name("vi").startswith("Tờ trình")


def test_a_task_type_no_longer_listed_weighs_one(policy):
    gone = policy.task_type("retired")
    assert (gone.weight, gone.spearhead, gone.name("en")) == (Decimal(1), False, "retired")


def test_a_policy_without_task_scoring_keeps_deductions():
    from kpi.policy import TaskScoring

    text = DEFAULT_TEXT.replace('task_scoring = "assigned_tasks"\n', "")
    assert parse_policy(text).task_scoring is TaskScoring.DEDUCTIONS


TASK_CASES = [
    pytest.param(
        DEFAULT_TEXT.replace('task_scoring = "assigned_tasks"', 'task_scoring = "tasks"'),
        ["policy: task_scoring 'tasks' is not one of assigned_tasks, deductions"],
        id="bad-switch",
    ),
    pytest.param(
        edit('code = "de_an"', "weight = 5", "weight = 0"),
        ["task type 'de_an': weight must be greater than 0, got 0"],
        id="zero-weight",
    ),
    pytest.param(
        edit('code = "de_an"', "spearhead = true", 'spearhead = "yes"'),
        ["task type 'de_an': spearhead must be true or false, got string 'yes'"],
        id="bad-flag",
    ),
    pytest.param(
        edit('code = "de_an"', 'code = "de_an"', 'code = "van_ban"'),
        ["duplicate task type code 'van_ban'"],
        id="duplicate-type",
    ),
    pytest.param(
        edit('code = "task_progress"', 'code = "task_progress"', 'code = "progress"').replace(
            '"task_progress",', '"progress",'
        ),
        ["policy: task_scoring 'assigned_tasks' needs criterion 'task_progress'"],
        id="missing-task-criterion",
    ),
]


@pytest.mark.parametrize(("text", "expected"), TASK_CASES)
def test_bad_task_settings_are_rejected(text, expected):
    assert problems(text) == expected
