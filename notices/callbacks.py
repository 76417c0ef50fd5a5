"""Button data: for each family of buttons one small codec builds the string and reads it back.

Data carries no authority: the handler re-checks who pressed, and what is still allowed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import ClassVar, Self, cast

from kpi.scoring import Quarter
from kpi.tasks import Fault, fault_key
from models import FaultKind, WorkCode, WorkCodeAction
from models.db import MAX_ID


class CallbackData:
    """A family of buttons: `pack` writes one's data, `parse` reads it (None if it is not one)."""

    ROUTE: ClassVar[str]  # what the handler is routed by: every data of the family, valid or not
    SHAPE: ClassVar[re.Pattern[str]]  # a valid data, its fields in groups

    def pack(self) -> str:
        """The button's callback data."""
        raise NotImplementedError

    @classmethod
    def parse(cls, data: str | None) -> Self | None:
        """The button behind `data`, or None when the data is not a valid one of this family.

        Data of the right shape whose fields are out of range (a quarter of year 9999) is not.
        """
        match = cls.SHAPE.fullmatch(data or "")
        if match is None:
            return None
        try:
            return cls.unpack(match)
        except ValueError:  # well formed but out of range: an id past MAX_ID, a year 9999
            return None

    @classmethod
    def unpack(cls, match: re.Match[str]) -> Self:
        """The button from the groups of a valid data; ValueError when a field is out of range."""
        raise NotImplementedError


def record_id(digits: str) -> int:
    """A record's id from button data; ValueError past the largest id (no such record)."""
    number = int(digits)
    if number > MAX_ID:
        raise ValueError(f"no record has id {number}")
    return number


_RESPONSES = {
    WorkCodeAction.APPROVE: "ap",
    WorkCodeAction.REJECT: "rj",
    WorkCodeAction.OPINION: "op",
}
_RESPONSE_OF = {short: action for action, short in _RESPONSES.items()}


@dataclass(frozen=True)
class WorkCodeButton(CallbackData):
    """Approve, Reject or Opinion on a code in one cycle: `wc:ap:12:1`, or `wl:...` on a list."""

    ROUTE = r"^w[cl]:"
    SHAPE = re.compile(r"w([cl]):(ap|rj|op):([0-9]{1,12}):([0-9]{1,6})")

    action: WorkCodeAction
    code_id: int
    cycle: int
    on_list: bool = False  # a list (a digest, a reminder) keeps its text when a button is pressed

    @classmethod
    def of(cls, action: WorkCodeAction, code: WorkCode, *, on_list: bool = False) -> Self:
        """The button for `action` on the code's current cycle."""
        return cls(action, cast(int, code.id), code.cycle, on_list)

    def pack(self) -> str:
        """`w`, the source (c: one code's message, l: a list), the action, the code, the cycle."""
        source = "l" if self.on_list else "c"
        return f"w{source}:{_RESPONSES[self.action]}:{self.code_id}:{self.cycle}"

    @classmethod
    def unpack(cls, match: re.Match[str]) -> Self:
        """The button from the groups of a valid data."""
        return cls(_RESPONSE_OF[match[2]], record_id(match[3]), int(match[4]), match[1] == "l")


@dataclass(frozen=True)
class AppealButton(CallbackData):
    """Accept or reject an appeal: `ap:acc:5`, `ap:rej:5`, or `al:...` on a list (/appeals)."""

    ROUTE = r"^a[pl]:"
    SHAPE = re.compile(r"a([pl]):(acc|rej):([0-9]{1,12})")

    appeal_id: int
    accept: bool
    on_list: bool = False  # a list keeps its text when a button is pressed

    def pack(self) -> str:
        """`a`, the source (p: the appeal's own message, l: a list), the decision, the appeal."""
        source = "l" if self.on_list else "p"
        return f"a{source}:{'acc' if self.accept else 'rej'}:{self.appeal_id}"

    @classmethod
    def unpack(cls, match: re.Match[str]) -> Self:
        """The button from the groups of a valid data."""
        return cls(record_id(match[3]), match[2] == "acc", match[1] == "l")


@dataclass(frozen=True)
class ChartButton(CallbackData):
    """The score chart of a quarter: `sc:chart:2026Q4`."""

    ROUTE = r"^sc:"
    SHAPE = re.compile(r"sc:chart:([0-9]{4}Q[1-4])")

    quarter: Quarter

    def pack(self) -> str:
        """`sc:chart` and the quarter."""
        return f"sc:chart:{self.quarter}"

    @classmethod
    def unpack(cls, match: re.Match[str]) -> Self:
        """The button from the groups of a valid data."""
        return cls(Quarter.parse(match[1]))


@dataclass(frozen=True)
class TeamUnitButton(CallbackData):
    """One of the units a name matched, for HR's /team: `tm:2026Q4:3`."""

    ROUTE = r"^tm:"
    SHAPE = re.compile(r"tm:([0-9]{4}Q[1-4]):([0-9]{1,12})")

    quarter: Quarter
    unit_id: int

    def pack(self) -> str:
        """`tm`, the quarter and the unit."""
        return f"tm:{self.quarter}:{self.unit_id}"

    @classmethod
    def unpack(cls, match: re.Match[str]) -> Self:
        """The button from the groups of a valid data."""
        return cls(Quarter.parse(match[1]), record_id(match[2]))


@dataclass(frozen=True)
class AttachmentsButton(CallbackData):
    """Send me the files attached to a code: `fa:12`."""

    ROUTE = r"^fa:"
    SHAPE = re.compile(r"fa:([0-9]{1,12})")

    code_id: int

    def pack(self) -> str:
        """`fa` and the code."""
        return f"fa:{self.code_id}"

    @classmethod
    def unpack(cls, match: re.Match[str]) -> Self:
        """The button from the groups of a valid data."""
        return cls(record_id(match[1]))


@dataclass(frozen=True)
class OpenTaskButton(CallbackData):
    """/open's choice: a code reporting task T12, `ot:12`, or a new code without a task, `ot:0`."""

    ROUTE = r"^ot:"
    SHAPE = re.compile(r"ot:([0-9]{1,12})")

    task_id: int | None

    def pack(self) -> str:
        """`ot` and the task, 0 for none."""
        return f"ot:{self.task_id or 0}"

    @classmethod
    def unpack(cls, match: re.Match[str]) -> Self:
        """The button from the groups of a valid data."""
        task_id = record_id(match[1])
        return cls(task_id or None)


@dataclass(frozen=True)
class AssignButton(CallbackData):
    """A step of /assign: the person `as:p:7`, the due day `as:d:20261120`, the type
    `as:t:bao_cao`."""

    ROUTE = r"^as:"
    SHAPE = re.compile(r"as:(?:p:([0-9]{1,12})|d:([0-9]{8})|t:([a-z0-9_]{1,40}))")

    employee_id: int | None = None
    due_on: date | None = None
    type_code: str | None = None

    def pack(self) -> str:
        """`as` and the step's choice."""
        if self.employee_id is not None:
            return f"as:p:{self.employee_id}"
        if self.due_on is not None:
            return f"as:d:{self.due_on:%Y%m%d}"
        return f"as:t:{self.type_code}"

    @classmethod
    def unpack(cls, match: re.Match[str]) -> Self:
        """The button from the groups of a valid data."""
        if match[1]:
            return cls(employee_id=record_id(match[1]))
        if match[2]:
            return cls(due_on=datetime.strptime(match[2], "%Y%m%d").date())
        return cls(type_code=match[3])


@dataclass(frozen=True)
class DelegateButton(CallbackData):
    """A step of /delegate: the deputy `dg:p:7`, the last day `dg:e:20261106`, or cancelling
    delegation 3 `dg:x:3`."""

    ROUTE = r"^dg:"
    SHAPE = re.compile(r"dg:(?:p:([0-9]{1,12})|e:([0-9]{8})|x:([0-9]{1,12}))")

    deputy_id: int | None = None
    ends_on: date | None = None
    cancel_id: int | None = None

    def pack(self) -> str:
        """`dg` and the step's choice."""
        if self.deputy_id is not None:
            return f"dg:p:{self.deputy_id}"
        if self.ends_on is not None:
            return f"dg:e:{self.ends_on:%Y%m%d}"
        return f"dg:x:{self.cancel_id}"

    @classmethod
    def unpack(cls, match: re.Match[str]) -> Self:
        """The button from the groups of a valid data."""
        if match[1]:
            return cls(deputy_id=record_id(match[1]))
        if match[2]:
            return cls(ends_on=datetime.strptime(match[2], "%Y%m%d").date())
        return cls(cancel_id=record_id(match[3]))


@dataclass(frozen=True)
class DeductButton(CallbackData):
    """A step of /deduct: the person `dd:p:7`, one of their criteria `dd:c:7:2`, or its default
    points `dd:n:7:2`. A criterion is named by its place among the person's criteria, which keeps
    the data short whatever the policy's codes."""

    ROUTE = r"^dd:"
    SHAPE = re.compile(r"dd:(?:p:([0-9]{1,12})|([cn]):([0-9]{1,12}):([0-9]{1,3}))")

    employee_id: int
    criterion: int | None = None  # the place of the criterion among the person's criteria
    default_points: bool = False

    def pack(self) -> str:
        """`dd` and the step's choice."""
        if self.criterion is None:
            return f"dd:p:{self.employee_id}"
        step = "n" if self.default_points else "c"
        return f"dd:{step}:{self.employee_id}:{self.criterion}"

    @classmethod
    def unpack(cls, match: re.Match[str]) -> Self:
        """The button from the groups of a valid data."""
        if match[1]:
            return cls(record_id(match[1]))
        return cls(record_id(match[3]), int(match[4]), default_points=match[2] == "n")


@dataclass(frozen=True)
class ExcuseButton(CallbackData):
    """Excuse a fault of a task as an objective cause: the delay of work code 34 on task 12,
    `ex:12:d:34`, or the quality error of event 56, `ex:12:e:56`."""

    ROUTE = r"^ex:"
    SHAPE = re.compile(r"ex:([0-9]{1,12}):([de]):([0-9]{1,12})")

    task_id: int
    kind: FaultKind
    ref: int  # the late code (a delay) or the opinion or rejection event (an error)

    @classmethod
    def of(cls, fault: Fault) -> Self:
        """The button excusing this fault."""
        return cls(fault.task_id, fault.kind, fault.event_id or fault.work_code_id)

    @property
    def key(self) -> str:
        """The fault's key, as the domain names it."""
        return fault_key(self.kind, self.ref)

    def pack(self) -> str:
        """`ex`, the task, the kind (d: delay, e: error) and the fault's code or event."""
        return f"ex:{self.task_id}:{self.kind.value[0]}:{self.ref}"

    @classmethod
    def unpack(cls, match: re.Match[str]) -> Self:
        """The button from the groups of a valid data."""
        kind = FaultKind.DELAY if match[2] == "d" else FaultKind.ERROR
        return cls(record_id(match[1]), kind, record_id(match[3]))
