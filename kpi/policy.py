"""KPI policy: criteria, job positions, time rules and classifications, read from TOML."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from decimal import Decimal
from enum import StrEnum
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

TOTAL_POINTS = Decimal(100)
DEFAULT_POLICY_FILE = "default_policy.toml"

_ROOT = "policy"
_CENT = Decimal("0.01")
_MAX_COEFFICIENT = Decimal(10)
_CODE_RE = re.compile(r"[a-z][a-z0-9_]*")
_TIME_RE = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")
_TOML_TYPES = {str: "string", bool: "boolean", int: "integer", float: "float", list: "array"}
_SECTIONS = {
    "criteria": None,
    "positions": None,
    "deadline": {"working_days", "calendar_days"},
    "breach": {"criterion", "points"},
    "reminders": {"slots"},
    "quiet_hours": {"start", "end", "non_working_days"},
    "digest": {"at", "page_size"},
    "appeals": {"working_days"},
    "classifications": None,
    "task_scoring": None,
    "task_types": None,
}
_CRITERION_KEYS = {"code", "type", "name_vi", "name_en", "max_points", "default_deduction"}
_POSITION_KEYS = {"code", "name_vi", "name_en", "criteria"}
_SLOT_KEYS = {"days_before", "at"}
_CLASS_KEYS = {"code", "min_total", "name_vi", "name_en", "bonus_coefficient"}
_TASK_TYPE_KEYS = {"code", "name_vi", "name_en", "weight", "spearhead"}
_MAX_WEIGHT = Decimal(100)
DEFAULT_WEIGHT = Decimal(1)  # of a task whose type the policy no longer lists
# The criteria the assigned tasks score (§7), by code; spearhead tasks score the `spearhead` one.
TASK_QUANTITY, TASK_QUALITY, TASK_PROGRESS = "task_quantity", "task_quality", "task_progress"
UNIT_RESULTS = "unit_results"


class CriterionType(StrEnum):
    """Kind of KPI criterion."""

    SPEARHEAD = "spearhead"
    HARD = "hard"
    SOFT = "soft"


class TaskScoring(StrEnum):
    """Where the task-results criteria come from."""

    ASSIGNED_TASKS = "assigned_tasks"  # computed from assigned tasks (§7)
    DEDUCTIONS = "deductions"  # maximum minus deductions, like every criterion (§4)


class _Bilingual:
    """Mixin for policy items named in Vietnamese and English."""

    name_vi: str
    name_en: str

    def name(self, locale: str) -> str:
        """Return the English name for an `en*` locale, else the Vietnamese one."""
        return self.name_en if locale.lower().startswith("en") else self.name_vi


@dataclass(frozen=True)
class Criterion(_Bilingual):
    """One scored criterion with its maximum and default deduction per violation."""

    code: str
    type: CriterionType
    name_vi: str
    name_en: str
    max_points: Decimal
    default_deduction: Decimal


@dataclass(frozen=True)
class Position(_Bilingual):
    """A job position and the codes of the criteria it is scored on."""

    code: str
    name_vi: str
    name_en: str
    criteria: tuple[str, ...]


@dataclass(frozen=True)
class ReminderSlot:
    """A reminder at `at` o'clock, `days_before` working days before the deadline day."""

    days_before: int
    at: time


@dataclass(frozen=True)
class Classification(_Bilingual):
    """A quality class reached by totals of at least `min_total`."""

    code: str
    min_total: Decimal
    name_vi: str
    name_en: str
    bonus_coefficient: Decimal


@dataclass(frozen=True)
class TaskType(_Bilingual):
    """A kind of assigned task and its weight in converted units; spearhead tasks are key ones."""

    code: str
    name_vi: str
    name_en: str
    weight: Decimal
    spearhead: bool


@dataclass(frozen=True)
class Policy:
    """A validated KPI policy."""

    criteria: Mapping[str, Criterion]
    positions: Mapping[str, Position]
    deadline_days: int
    calendar_days: bool
    breach_criterion: str
    breach_points: Decimal
    reminder_slots: tuple[ReminderSlot, ...]  # chronological: earliest slot first
    quiet_start: time
    quiet_end: time
    quiet_non_working_days: bool
    digest_at: time
    digest_page_size: int
    appeal_days: int
    classifications: tuple[Classification, ...]  # by min_total, highest first
    task_scoring: TaskScoring = TaskScoring.DEDUCTIONS
    task_types: Mapping[str, TaskType] = field(default_factory=lambda: MappingProxyType({}))

    def criteria_of(self, position_code: str) -> tuple[Criterion, ...]:
        """Return a position's criteria in policy order; KeyError for an unknown position."""
        position = self.positions.get(position_code)
        if position is None:
            raise KeyError(f"unknown position {position_code!r}")
        return tuple(self.criteria[code] for code in position.criteria)

    def criterion_name(self, code: str, locale: str) -> str:
        """A criterion's name in `locale`, or its code when the policy no longer has it."""
        criterion = self.criteria.get(code)
        return criterion.name(locale) if criterion else code

    def classify(self, total: Decimal) -> Classification:
        """Return the classification of a total score; ValueError if it is negative."""
        for classification in self.classifications:
            if total >= classification.min_total:
                return classification
        raise ValueError(f"total {total} is below every classification")

    def task_type(self, code: str) -> TaskType:
        """A task type by code; one the policy no longer lists weighs 1 and is no spearhead."""
        found = self.task_types.get(code)
        return found or TaskType(code, code, code, DEFAULT_WEIGHT, spearhead=False)

    def in_quiet_hours(self, clock: time) -> bool:
        """Tell whether a clock time falls in the nightly quiet hours (days off aside)."""
        return _within(clock, self.quiet_start, self.quiet_end)


class PolicyError(Exception):
    """A policy could not be read or is invalid; `errors` lists every problem found."""

    def __init__(self, source: str, errors: list[str]) -> None:
        self.source = source
        self.errors = list(errors)
        plural = "" if len(errors) == 1 else "s"
        lines = [f"invalid policy {source} ({len(errors)} problem{plural}):"]
        super().__init__("\n".join(lines + [f"  - {error}" for error in errors]))


def load_policy(path: Path | None = None) -> Policy:
    """Load and validate a policy file, or the shipped default when `path` is None."""
    if path is None:
        default = resources.files("kpi").joinpath(DEFAULT_POLICY_FILE)
        return parse_policy(default.read_text(encoding="utf-8"), f"kpi/{DEFAULT_POLICY_FILE}")
    try:
        text = Path(path).read_text(encoding="utf-8-sig")  # tolerate a BOM from Windows editors
    except FileNotFoundError:
        raise PolicyError(str(path), ["file not found"]) from None
    except UnicodeDecodeError as exc:
        raise PolicyError(str(path), [f"file is not UTF-8 text: {exc.reason}"]) from None
    except OSError as exc:
        raise PolicyError(str(path), [f"cannot read file: {exc.strerror}"]) from None
    return parse_policy(text, str(path))


def parse_policy(text: str, source: str = "<policy>") -> Policy:
    """Parse and validate policy TOML; `source` names the text in error messages."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(source, [f"invalid TOML: {exc}"]) from None
    reader = _Reader()
    policy = _build(_Node(document, _ROOT), reader)
    if reader.errors:
        raise PolicyError(source, reader.errors)
    return policy


# --- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Node:
    """A TOML table being read, labelled for messages; absent tables report nothing missing."""

    table: Mapping[str, Any]
    where: str
    present: bool = True


class _Reader:
    """Reads typed values, recording every problem and returning a placeholder instead."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def fail(self, where: str, problem: str) -> None:
        self.errors.append(f"{where}: {problem}")

    def get(self, node: _Node, key: str) -> Any:
        if key not in node.table and node.present:
            self.fail(node.where, f"missing key '{key}'")
        return node.table.get(key)  # TOML has no null, so None means missing

    def section(self, root: _Node, name: str) -> _Node:
        raw = root.table.get(name)
        if raw is None:
            self.errors.append(f"missing section [{name}]")
        elif not isinstance(raw, dict):
            self.errors.append(f"[{name}] must be a table, got {_show(raw)}")
        else:
            node = _Node(raw, f"[{name}]")
            self.unknown(node, _SECTIONS[name] or set())
            return node
        return _Node({}, f"[{name}]", present=False)

    def tables(
        self, node: _Node, key: str, label: str, keys: set[str], *, allow_empty: bool = False
    ) -> list[_Node]:
        raw = node.table.get(key)
        if raw is None and node.where == _ROOT:
            self.errors.append(f"missing [[{key}]] entries")
        elif raw is None:
            self.get(node, key)  # reports the missing key
        if raw is None:
            return []
        if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
            self.fail(node.where, f"{key} must be an array of tables, got {_show(raw)}")
            return []
        if not raw and not allow_empty:
            self.fail(node.where, f"{key} has no entries")
        nodes = [_Node(item, _label(label, item, i)) for i, item in enumerate(raw, start=1)]
        for entry in nodes:
            self.unknown(entry, keys)
        return nodes

    def unknown(self, node: _Node, keys: set[str]) -> None:
        for key in node.table:
            if key not in keys:
                self.fail(node.where, f"unknown key '{key}'")

    def string(self, node: _Node, key: str) -> str:
        raw = self.get(node, key)
        if isinstance(raw, str) and raw.strip():
            return raw
        if raw is not None:
            self.fail(node.where, f"{key} must be a non-empty string, got {_show(raw)}")
        return ""

    def code(self, node: _Node, key: str = "code") -> str:
        raw = self.get(node, key)
        if isinstance(raw, str) and _CODE_RE.fullmatch(raw):
            return raw
        if raw is not None:
            self.fail(node.where, f"{key} must be snake_case ASCII (a-z, 0-9, _), got {_show(raw)}")
        return ""

    def integer(self, node: _Node, key: str, minimum: int) -> int:
        raw = self.get(node, key)
        if isinstance(raw, int) and not isinstance(raw, bool) and raw >= minimum:
            return raw
        if raw is not None:
            self.fail(node.where, f"{key} must be an integer >= {minimum}, got {_show(raw)}")
        return minimum

    def boolean(self, node: _Node, key: str) -> bool:
        raw = self.get(node, key)
        if isinstance(raw, bool):
            return raw
        if raw is not None:
            self.fail(node.where, f"{key} must be true or false, got {_show(raw)}")
        return False

    def decimal(self, node: _Node, key: str, *, positive: bool, high: Decimal) -> Decimal:
        raw = self.get(node, key)
        if raw is None:
            return Decimal(0)
        result = _to_decimal(raw, positive, high)
        if isinstance(result, str):
            self.fail(node.where, f"{key} {result}")
            return Decimal(0)
        return result

    def clock(self, node: _Node, key: str) -> time:
        raw = self.get(node, key)
        if isinstance(raw, time):  # a TOML local time such as 08:00:00
            return raw
        match = _TIME_RE.fullmatch(raw) if isinstance(raw, str) else None
        if match:
            return time(int(match[1]), int(match[2]))
        if raw is not None:
            self.fail(node.where, f'{key} must be a time "HH:MM" (00:00-23:59), got {_show(raw)}')
        return time(0)

    def choice(self, node: _Node, key: str) -> CriterionType:
        raw = self.get(node, key)
        if isinstance(raw, str) and raw in {kind.value for kind in CriterionType}:
            return CriterionType(raw)
        if raw is not None:
            allowed = ", ".join(CriterionType)
            shown = f"'{raw}'" if isinstance(raw, str) else _show(raw)
            self.fail(node.where, f"{key} {shown} is not one of {allowed}")
        return CriterionType.HARD


def _show(raw: Any) -> str:
    kind = _TOML_TYPES.get(type(raw), "table" if isinstance(raw, dict) else type(raw).__name__)
    if isinstance(raw, dict):
        return kind
    return f"{kind} {str(raw).lower() if isinstance(raw, bool) else repr(raw)}"


def _label(noun: str, table: Mapping[str, Any], index: int) -> str:
    code = table.get("code")
    return f"{noun} '{code}'" if isinstance(code, str) and code else f"{noun} #{index}"


def _fmt(number: Decimal) -> str:
    return format(number.normalize(), "f")


def _to_decimal(raw: Any, positive: bool, high: Decimal) -> Decimal | str:
    """Convert a TOML number exactly (via its decimal text); return a problem string if bad."""
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        return f"must be a number, got {_show(raw)}"
    number = Decimal(str(raw))
    if not number.is_finite():
        return f"must be a finite number, got {_show(raw)}"
    if number < 0 or (positive and number == 0):
        return f"must be {'greater than' if positive else 'at least'} 0, got {_fmt(number)}"
    if number > high:
        return f"must be at most {_fmt(high)}, got {_fmt(number)}"
    if number != number.quantize(_CENT):
        return f"must have at most 2 decimal places, got {_fmt(number)}"
    return number.quantize(_CENT)


def _within(clock: time, start: time, end: time) -> bool:
    if start <= end:
        return start <= clock < end
    return clock >= start or clock < end  # the window wraps past midnight


# --- building ----------------------------------------------------------------------------------


def _build(root: _Node, r: _Reader) -> Policy:
    r.unknown(root, set(_SECTIONS))
    criteria, broken = _read_criteria(root, r)
    positions = _read_positions(root, criteria, broken, r)
    deadline, breach = r.section(root, "deadline"), r.section(root, "breach")
    quiet, digest = r.section(root, "quiet_hours"), r.section(root, "digest")
    quiet_start, quiet_end, digest_at = _read_clocks(quiet, digest, r)
    policy = Policy(
        criteria=MappingProxyType(criteria),
        positions=MappingProxyType(positions),
        deadline_days=r.integer(deadline, "working_days", 1),
        calendar_days=r.boolean(deadline, "calendar_days"),
        breach_criterion=r.code(breach, "criterion"),
        breach_points=r.decimal(breach, "points", positive=True, high=TOTAL_POINTS),
        reminder_slots=_read_slots(r.section(root, "reminders"), r),
        quiet_start=quiet_start,
        quiet_end=quiet_end,
        quiet_non_working_days=r.boolean(quiet, "non_working_days"),
        digest_at=digest_at,
        digest_page_size=r.integer(digest, "page_size", 1),
        appeal_days=r.integer(r.section(root, "appeals"), "working_days", 1),
        classifications=_read_classifications(root, r),
        task_scoring=_read_task_scoring(root, criteria, broken, r),
        task_types=MappingProxyType(_read_task_types(root, r)),
    )
    if policy.breach_criterion and criteria and policy.breach_criterion not in criteria:
        r.fail("[breach]", f"unknown criterion '{policy.breach_criterion}'")
    return policy


def _read_task_scoring(
    root: _Node, criteria: Mapping[str, Criterion], broken: set[str], r: _Reader
) -> TaskScoring:
    """Read `task_scoring` (default "deductions"); assigned tasks need the task criteria."""
    raw = root.table.get("task_scoring", TaskScoring.DEDUCTIONS.value)
    if raw not in {kind.value for kind in TaskScoring}:
        allowed = ", ".join(TaskScoring)
        shown = f"'{raw}'" if isinstance(raw, str) else _show(raw)
        r.fail(_ROOT, f"task_scoring {shown} is not one of {allowed}")
        return TaskScoring.DEDUCTIONS
    scoring = TaskScoring(raw)
    if scoring is TaskScoring.ASSIGNED_TASKS and criteria:
        for code in (TASK_QUANTITY, TASK_QUALITY, TASK_PROGRESS):
            if code not in criteria and code not in broken:
                r.fail(_ROOT, f"task_scoring 'assigned_tasks' needs criterion '{code}'")
    return scoring


def _read_task_types(root: _Node, r: _Reader) -> dict[str, TaskType]:
    if "task_types" not in root.table:
        return {}
    found: dict[str, TaskType] = {}
    for node in r.tables(root, "task_types", "task type", _TASK_TYPE_KEYS):
        spearhead = r.boolean(node, "spearhead") if "spearhead" in node.table else False
        item = TaskType(
            code=r.code(node),
            name_vi=r.string(node, "name_vi"),
            name_en=r.string(node, "name_en"),
            weight=r.decimal(node, "weight", positive=True, high=_MAX_WEIGHT),
            spearhead=spearhead,
        )
        if item.code in found:
            r.errors.append(f"duplicate task type code '{item.code}'")
        elif item.code:
            found[item.code] = item
    return found


def _read_criteria(root: _Node, r: _Reader) -> tuple[dict[str, Criterion], set[str]]:
    """Read [[criteria]]; also return the codes of entries that had problems."""
    criteria: dict[str, Criterion] = {}
    broken: set[str] = set()
    for node in r.tables(root, "criteria", "criterion", _CRITERION_KEYS):
        before = len(r.errors)
        criterion = _read_criterion(node, r)
        if criterion.code in criteria:
            r.errors.append(f"duplicate criterion code '{criterion.code}'")
        elif criterion.code:
            criteria[criterion.code] = criterion
        if len(r.errors) > before:
            broken.add(criterion.code)
    return criteria, broken


def _read_criterion(node: _Node, r: _Reader) -> Criterion:
    criterion = Criterion(
        code=r.code(node),
        type=r.choice(node, "type"),
        name_vi=r.string(node, "name_vi"),
        name_en=r.string(node, "name_en"),
        max_points=r.decimal(node, "max_points", positive=True, high=TOTAL_POINTS),
        default_deduction=r.decimal(node, "default_deduction", positive=True, high=TOTAL_POINTS),
    )
    if criterion.default_deduction > criterion.max_points > 0:
        r.fail(node.where, "default_deduction is larger than max_points")
    return criterion


def _read_positions(
    root: _Node, criteria: Mapping[str, Criterion], broken: set[str], r: _Reader
) -> dict[str, Position]:
    positions: dict[str, Position] = {}
    for node in r.tables(root, "positions", "position", _POSITION_KEYS):
        code, name_vi, name_en = r.code(node), r.string(node, "name_vi"), r.string(node, "name_en")
        before = len(r.errors)
        position = Position(code, name_vi, name_en, _read_codes(node, "criteria", r))
        if len(r.errors) == before:  # otherwise the criteria list itself was reported
            _check_position(node.where, position, criteria, broken, r)
        if position.code in positions:
            r.errors.append(f"duplicate position code '{position.code}'")
        elif position.code:
            positions[position.code] = position
    return positions


def _read_codes(node: _Node, key: str, r: _Reader) -> tuple[str, ...]:
    raw = r.get(node, key)
    if isinstance(raw, list) and all(isinstance(item, str) for item in raw):
        return tuple(raw)
    if raw is not None:
        r.fail(node.where, f"{key} must be an array of criterion codes, got {_show(raw)}")
    return ()


def _check_position(
    where: str, position: Position, criteria: Mapping[str, Criterion], broken: set[str], r: _Reader
) -> None:
    """Check that a position's criteria exist, appear once and have maxima summing to 100."""
    sound = bool(criteria)  # with no usable criteria at all, the cause was reported already
    for index, code in enumerate(position.criteria):
        if code in position.criteria[:index]:
            r.fail(where, f"criterion '{code}' is listed more than once")
            sound = False
        elif code not in criteria and code not in broken and criteria:
            r.fail(where, f"unknown criterion '{code}'")
        sound = sound and code in criteria and code not in broken
    if not sound:
        return
    total = sum((criteria[code].max_points for code in position.criteria), Decimal(0))
    if total != TOTAL_POINTS:
        r.fail(where, f"maxima sum to {_fmt(total)}, not {_fmt(TOTAL_POINTS)}")


def _read_slots(node: _Node, r: _Reader) -> tuple[ReminderSlot, ...]:
    slots: list[ReminderSlot] = []
    for entry in r.tables(node, "slots", "[reminders] slot", _SLOT_KEYS, allow_empty=True):
        slot = ReminderSlot(r.integer(entry, "days_before", 0), r.clock(entry, "at"))
        if slot in slots:
            r.fail(entry.where, "the same slot is listed more than once")
        slots.append(slot)
    return tuple(sorted(set(slots), key=lambda slot: (-slot.days_before, slot.at)))


def _read_classifications(root: _Node, r: _Reader) -> tuple[Classification, ...]:
    found: dict[str, Classification] = {}
    thresholds: set[Decimal] = set()  # of entries read without problems
    for node in r.tables(root, "classifications", "classification", _CLASS_KEYS):
        before = len(r.errors)
        item = Classification(
            code=r.code(node),
            min_total=r.decimal(node, "min_total", positive=False, high=TOTAL_POINTS),
            name_vi=r.string(node, "name_vi"),
            name_en=r.string(node, "name_en"),
            bonus_coefficient=r.decimal(
                node, "bonus_coefficient", positive=False, high=_MAX_COEFFICIENT
            ),
        )
        if item.code in found:
            r.errors.append(f"duplicate classification code '{item.code}'")
        elif item.code:
            found[item.code] = item
        if len(r.errors) > before:
            continue
        if item.min_total in thresholds:
            r.fail(node.where, f"another classification has min_total {_fmt(item.min_total)}")
        thresholds.add(item.min_total)
    if found and all(item.min_total for item in found.values()):
        r.errors.append("classifications do not cover 0: one of them needs min_total = 0")
    return tuple(sorted(found.values(), key=lambda item: item.min_total, reverse=True))


def _read_clocks(quiet: _Node, digest: _Node, r: _Reader) -> tuple[time, time, time]:
    """Read the quiet hours and the digest time, which must fall outside them."""
    before = len(r.errors)
    start, end, digest_at = r.clock(quiet, "start"), r.clock(quiet, "end"), r.clock(digest, "at")
    clean = len(r.errors) == before and quiet.present and digest.present
    if clean and _within(digest_at, start, end):
        quiet_hours = f"{start:%H:%M}-{end:%H:%M}"
        r.fail(digest.where, f"at {digest_at:%H:%M} falls within quiet hours {quiet_hours}")
    return start, end, digest_at
