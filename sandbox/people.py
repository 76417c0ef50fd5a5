"""Who one can be in the sandbox: the linked roster, top of the hierarchy first, and a guest;
and a person's tasks as the page's panel shows them."""

from __future__ import annotations

from sqlmodel import Session, col, select

from kpi.policy import Policy
from kpi.tasks import TaskLine
from models import Employee, Position, Role, Unit
from sandbox.botapi import JsonDict

GUEST_ID = 99_999  # a Telegram account linked to nobody: what a stranger sees
GUEST: JsonDict = {"chat_id": GUEST_ID, "guest": True, "name": "", "language": "vi"}


def people_view(session: Session, policy: Policy) -> list[JsonDict]:
    """Everyone with a linked account, by rank (leaders first), then the guest."""
    rows = session.exec(
        select(Employee, Unit.name, Position.code)
        .join(Unit, col(Unit.id) == col(Employee.unit_id))
        .join(Position, col(Position.id) == col(Employee.position_id))
        .where(col(Employee.telegram_id).is_not(None))
    ).all()
    by_id = {e.id: e for e, _, _ in rows}
    leaders = {e.leader_id for e, _, _ in rows}
    people = [_person(e, unit, code, by_id, leaders, policy) for e, unit, code in rows]
    people.sort(key=lambda p: (p["depth"], p["role"] == Role.ADMIN, p["code"]))
    return [*people, GUEST]


def _person(
    employee: Employee,
    unit: str,
    position: str,
    by_id: dict[int | None, Employee],
    leaders: set[int | None],
    policy: Policy,
) -> JsonDict:
    depth, leader = 0, by_id.get(employee.leader_id)
    while leader is not None and depth < len(by_id):
        depth, leader = depth + 1, by_id.get(leader.leader_id)
    known = policy.positions.get(position)
    boss = by_id.get(employee.leader_id)
    return {
        "chat_id": employee.telegram_id,
        "guest": False,
        "code": employee.code,
        "name": employee.full_name,
        "unit": unit,
        "position": {
            "vi": known.name("vi") if known else position,
            "en": known.name("en") if known else position,
        },
        "role": employee.role,
        "leader": boss.full_name if boss else None,
        "is_leader": employee.id in leaders,
        "language": language(employee),
        "depth": depth,
    }


def language(employee: Employee | None) -> str:
    """The language the bot speaks to this person (what /language chose); the guest's is vi."""
    if employee is None:
        return str(GUEST["language"])
    return employee.chosen_locale or employee.language


def task_view(line: TaskLine, policy: Policy) -> JsonDict:
    """A task for the page: number, title, due date, state, type and weight (converted units)."""
    task, kind = line.task, policy.task_type(line.task.type)
    return {
        "id": task.id,
        "number": f"T{task.id}",
        "title": task.title,
        "due_on": task.due_on.isoformat(),
        "state": line.state.value,
        "type": {"code": kind.code, "vi": kind.name("vi"), "en": kind.name("en")},
        "weight": f"{kind.weight.normalize():f}",
    }
