"""The HTTP API for the agency's systems (§8): `/api/v1`, JSON, on the server of `/metrics`.

Each endpoint is one `Endpoint` row: its path, the scope a key needs, its pydantic models for the
query, the body and the answer, and a function over one database session. The routes and the
OpenAPI document (`/api/v1/openapi.json`) are both built from these rows, so every route is
documented and each schema is the one that validates.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.json_schema import JsonSchemaMode, models_json_schema
from sqlmodel import Session, col, select
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.bodies import MAX_BODY, BadLength, TooLarge, read_body
from kpi import apikeys, workcodes
from kpi.org import employee_by_code
from kpi.periods import parse_period
from kpi.scoring import score_card
from kpi.task_results import Explanation
from kpi.tasks import is_done, tasks_of
from kpi.tasks_import import MAX_EXTERNAL_ID, PutOutcome, TaskRow, put_task
from models import Employee, Task
from services.container import Services

PREFIX = "/api/v1"
_CODE_LENGTH = 64  # Employee.code
_ALL_LINES = 1000  # a period's deductions in a score's explanation: all of them in practice


# --- the answers ---------------------------------------------------------------------------------


class ErrorOut(BaseModel):
    """Every refusal: a stable code, a sentence, and for 422 each invalid field."""

    error: str = Field(description="unauthorized, forbidden, not_found, too_large, invalid")
    message: str
    details: list[dict[str, Any]] = Field(
        default_factory=list, description="For 422: each problem's location, message and type."
    )


class WorkCodeOut(BaseModel):
    id: int
    title: str
    status: str = Field(description="open, approved, rejected, returned or withdrawn")
    cycle: int = Field(description="1, then one more each time it is resubmitted")
    approver: str = Field(description="The approver's employee code.")
    opened_at: datetime
    deadline_at: datetime
    due_day: date
    closed_at: datetime | None


class WorkCodesOut(BaseModel):
    employee: str
    work_codes: list[WorkCodeOut] = Field(description="Newest first.")


class WorkCodesQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=20, ge=1, le=200, description="How many codes, newest first.")


class ComputedOut(BaseModel):
    """The counts behind a criterion computed from assigned tasks (§7)."""

    measure: str = Field(description="quantity, quality, progress, spearhead, unit_results, year")
    tasks: int
    done: int
    units: float
    units_done: float
    faulted: int
    faults: int
    excused: int
    reports: int
    reports_below: int
    quarters: list[float]


class CriterionOut(BaseModel):
    code: str
    name_vi: str
    name_en: str
    max_points: float
    earned: float | None = Field(description="A computed criterion's points before deductions.")
    deducted: float
    score: float
    computed: ComputedOut | None


class ForcedOut(BaseModel):
    ground: str
    reference: str


class ClassificationOut(BaseModel):
    code: str
    name_vi: str
    name_en: str
    bonus_coefficient: float


class ExplanationLine(BaseModel):
    """One active deduction of the period; `counted` is false off the person's position."""

    deduction_id: int
    criterion: str
    points: float
    reason: str
    occurred_at: datetime
    source: str
    counted: bool
    work_code_id: int | None
    work_code_title: str


class ScoreOut(BaseModel):
    employee: str
    period: str = Field(description="The period: 2026-11, 2026Q4 or 2026.")
    position: str
    total: float
    classification: ClassificationOut
    forced: ForcedOut | None = Field(description="Rated Không hoàn thành nhiệm vụ by an admin.")
    criteria: list[CriterionOut]
    explanation: list[ExplanationLine] = Field(description="The deductions, newest first.")


# --- the endpoints -------------------------------------------------------------------------------


class ApiError(Exception):
    """A refusal the client can act on."""

    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(message)
        self.status, self.error, self.message = status, error, message


@dataclass(frozen=True)
class Call:
    """What an endpoint's function gets: the session, the services, and the checked input."""

    session: Session
    svc: Services
    path: dict[str, str]
    query: BaseModel | None
    body: BaseModel | None
    key: apikeys.KeyInfo | None = None  # the caller


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # under PREFIX, Starlette's {name} syntax, as in OpenAPI
    scope: str
    summary: str
    answer: type[BaseModel]
    run: Callable[[Call], tuple[int, BaseModel]]
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    path_params: tuple[tuple[str, str], ...] = ()  # (name, description)


def _employee(session: Session, code: str) -> Employee:
    if len(code) > _CODE_LENGTH:
        raise ApiError(404, "not_found", "no employee with this code")
    employee = employee_by_code(session, code)
    if employee is None:
        raise ApiError(404, "not_found", "no employee with this code")
    return employee


def _work_codes(call: Call) -> tuple[int, BaseModel]:
    assert isinstance(call.query, WorkCodesQuery)
    employee = _employee(call.session, call.path["code"])
    assert employee.id is not None
    codes = workcodes.codes_of(
        session=call.session, employee_id=employee.id, limit=call.query.limit
    )
    approvers = dict(
        call.session.exec(
            select(Employee.id, Employee.code).where(
                col(Employee.id).in_({code.approver_id for code in codes})
            )
        ).all()
    )
    return 200, WorkCodesOut(
        employee=employee.code,
        work_codes=[
            WorkCodeOut(
                id=code.id or 0,
                title=code.title,
                status=code.status,
                cycle=code.cycle,
                approver=approvers.get(code.approver_id, ""),
                opened_at=code.created_at,
                deadline_at=code.deadline_at,
                due_day=code.due_day,
                closed_at=code.closed_at,
            )
            for code in codes
        ],
    )


def _score(call: Call) -> tuple[int, BaseModel]:
    try:
        period = parse_period(call.path["period"])
    except ValueError as exc:
        raise ApiError(422, "invalid", str(exc)) from None
    employee = _employee(call.session, call.path["code"])
    card = score_card(
        session=call.session,
        employee=employee,
        quarter=period,  # type: ignore[type-var]  # each of Period's types is one of P's
        policy=call.svc.policy,
        tz=call.svc.tz,
        latest=_ALL_LINES,
    )
    cls = card.classification
    return 200, ScoreOut(
        employee=employee.code,
        period=str(card.quarter),
        position=card.position,
        total=float(card.total),
        classification=ClassificationOut(
            code=cls.code,
            name_vi=cls.name_vi,
            name_en=cls.name_en,
            bonus_coefficient=float(cls.bonus_coefficient),
        ),
        forced=ForcedOut(ground=card.forced.ground, reference=card.forced.reference)
        if card.forced
        else None,
        criteria=[
            CriterionOut(
                code=line.criterion.code,
                name_vi=line.criterion.name_vi,
                name_en=line.criterion.name_en,
                max_points=float(line.criterion.max_points),
                earned=None if line.earned is None else float(line.earned),
                deducted=float(line.deducted),
                score=float(line.score),
                computed=_computed(line.explanation),
            )
            for line in card.criteria
        ],
        explanation=[
            ExplanationLine(
                deduction_id=line.id,
                criterion=line.criterion,
                points=float(line.points),
                reason=line.reason,
                occurred_at=line.occurred_at,
                source=line.source,
                counted=line.counted,
                work_code_id=line.work_code_id,
                work_code_title=line.work_code_title,
            )
            for line in card.deductions
        ],
    )


def _computed(explanation: Explanation | None) -> ComputedOut | None:
    if explanation is None:
        return None
    return ComputedOut(
        measure=explanation.measure.value,
        tasks=explanation.tasks,
        done=explanation.done,
        units=float(explanation.units),
        units_done=float(explanation.units_done),
        faulted=explanation.faulted,
        faults=explanation.faults,
        excused=explanation.excused,
        reports=explanation.reports,
        reports_below=explanation.reports_below,
        quarters=[float(points) for points in explanation.quarters],
    )


class TaskIn(BaseModel):
    """A task of the agency's system, created or brought up to date by its `external_id`."""

    model_config = ConfigDict(extra="forbid")

    external_id: str = Field(min_length=1, max_length=MAX_EXTERNAL_ID)
    employee: str = Field(min_length=1, max_length=_CODE_LENGTH, description="Employee code.")
    title: str = Field(min_length=1, max_length=200)
    due_on: date
    type: str = Field(min_length=1, max_length=64, description="A task type of the policy.")
    assigned_by: str | None = Field(
        default=None,
        max_length=_CODE_LENGTH,
        description="The employee's leader or an admin (code); none: HR.",
    )


class TaskOut(BaseModel):
    id: int
    external_id: str | None
    employee: str
    title: str
    due_on: date
    type: str
    assigned_by: str | None
    created_at: datetime
    cancelled_at: datetime | None
    done: bool = Field(description="A work code reporting it was approved.")


class TaskPutOut(BaseModel):
    outcome: str = Field(description="created (201), updated or unchanged (200)")
    task: TaskOut


class TasksOut(BaseModel):
    employee: str
    tasks: list[TaskOut] = Field(description="The latest due first, cancelled ones included.")


class TasksQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=50, ge=1, le=500, description="How many tasks.")


def _codes(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    known = {id_ for id_ in ids if id_ is not None}
    if not known:
        return {}
    query = select(Employee.id, Employee.code).where(col(Employee.id).in_(known))
    return {id_: code for id_, code in session.exec(query).all() if id_ is not None}


def _task_out(task: Task, done: bool, codes: dict[int, str]) -> TaskOut:
    return TaskOut(
        id=task.id or 0,
        external_id=task.external_id,
        employee=codes.get(task.employee_id, ""),
        title=task.title,
        due_on=task.due_on,
        type=task.type,
        assigned_by=codes.get(task.assigner_id) if task.assigner_id else None,
        created_at=task.created_at,
        cancelled_at=task.cancelled_at,
        done=done,
    )


def _put_task(call: Call) -> tuple[int, BaseModel]:
    assert isinstance(call.body, TaskIn) and call.key is not None
    body = call.body
    row = TaskRow(
        line=0,
        code=body.employee.strip(),
        title=body.title,
        due_on=body.due_on.isoformat(),
        type=body.type.strip(),
        assigned_by=(body.assigned_by or "").strip(),
        external_id=body.external_id.strip(),
    )
    result = put_task(
        session=call.session,
        row=row,
        policy=call.svc.policy,
        now=call.svc.clock(),
        actor=f"api_key:{call.key.name}",
    )
    if result.outcome is PutOutcome.INVALID:
        raise ApiError(422, "invalid", "; ".join(result.problems))
    if result.outcome is PutOutcome.CONFLICT:
        raise ApiError(409, "conflict", "; ".join(result.problems))
    assert result.task is not None
    task = result.task
    codes = _codes(call.session, [task.employee_id, task.assigner_id])
    done = is_done(call.session, task.id or 0)
    status = 201 if result.outcome is PutOutcome.CREATED else 200
    return status, TaskPutOut(outcome=result.outcome.value, task=_task_out(task, done, codes))


def _tasks(call: Call) -> tuple[int, BaseModel]:
    assert isinstance(call.query, TasksQuery)
    employee = _employee(call.session, call.path["code"])
    assert employee.id is not None
    rows = tasks_of(session=call.session, employee_id=employee.id, limit=call.query.limit)
    codes = _codes(call.session, [employee.id, *(task.assigner_id for task, _ in rows)])
    return 200, TasksOut(
        employee=employee.code, tasks=[_task_out(task, done, codes) for task, done in rows]
    )


_CODE = ("code", "The employee's code in the roster.")
ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        "GET",
        "/employees/{code}/workcodes",
        "workcodes:read",
        "A person's work codes, newest first",
        WorkCodesOut,
        _work_codes,
        query=WorkCodesQuery,
        path_params=(_CODE,),
    ),
    Endpoint(
        "GET",
        "/employees/{code}/scores/{period}",
        "scores:read",
        "A person's score for a month, a quarter or a year, with its explanation",
        ScoreOut,
        _score,
        path_params=(_CODE, ("period", "A month 2026-11, a quarter 2026Q4 or a year 2026.")),
    ),
    Endpoint(
        "POST",
        "/tasks",
        "tasks:write",
        "Create a task, or bring it up to date, by its external_id",
        TaskPutOut,
        _put_task,
        body=TaskIn,
    ),
    Endpoint(
        "GET",
        "/employees/{code}/tasks",
        "tasks:read",
        "A person's tasks, the latest due first",
        TasksOut,
        _tasks,
        query=TasksQuery,
        path_params=(_CODE,),
    ),
)


# --- serving -------------------------------------------------------------------------------------


def api_routes(svc: Services) -> list[Route]:
    """The routes of /api/v1: the endpoints and their OpenAPI document."""
    document = openapi()

    async def serve_openapi(_request: Request) -> Response:
        return JSONResponse(document)

    routes = [Route(f"{PREFIX}/openapi.json", serve_openapi, methods=["GET"])]
    routes += [
        Route(PREFIX + endpoint.path, _handler(svc, endpoint), methods=[endpoint.method])
        for endpoint in ENDPOINTS
    ]
    return routes


def _refusal(status: int, error: str, message: str, details: Sequence[Any] = ()) -> Response:
    body = ErrorOut(error=error, message=message, details=list(details))
    headers = {"WWW-Authenticate": 'Bearer realm="kpibot"'} if status == 401 else None
    return JSONResponse(body.model_dump(mode="json"), status_code=status, headers=headers)


def _handler(svc: Services, endpoint: Endpoint) -> Callable[[Request], Any]:
    async def handle(request: Request) -> Response:
        scheme, _, key = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            return _refusal(401, "unauthorized", "send an API key: Authorization: Bearer <key>")
        granted = await asyncio.to_thread(_authenticate, svc, key.strip())
        if granted is None:
            return _refusal(401, "unauthorized", "this API key is unknown or revoked")
        if endpoint.scope not in granted.scopes:
            return _refusal(403, "forbidden", f"this API key lacks the scope {endpoint.scope}")
        try:
            query = _checked(endpoint.query, dict(request.query_params), "query")
            body = None
            if endpoint.body is not None:
                raw = await read_body(request)
                body = _checked_json(endpoint.body, raw)
        except TooLarge:
            return _refusal(413, "too_large", f"the body is over {MAX_BODY} bytes")
        except BadLength:
            return _refusal(400, "invalid", "the Content-Length header is not a number")
        except _Invalid as exc:
            return _refusal(422, "invalid", "the request is not valid", exc.problems)
        call_path = {name: str(value) for name, value in request.path_params.items()}
        try:
            status, answer = await asyncio.to_thread(
                _run, svc, endpoint, call_path, query, body, granted
            )
        except ApiError as exc:
            return _refusal(exc.status, exc.error, exc.message)
        return JSONResponse(answer.model_dump(mode="json"), status_code=status)

    return handle


class _Invalid(Exception):
    def __init__(self, problems: list[dict[str, Any]]) -> None:
        super().__init__("invalid")
        self.problems = problems


def _problems(exc: ValidationError, where: str) -> list[dict[str, Any]]:
    """Each problem as {loc, msg, type}, never echoing the input."""
    return [
        {
            "loc": [where, *error["loc"]],
            "msg": error["msg"],
            "type": error["type"],
        }
        for error in exc.errors(include_url=False, include_input=False, include_context=False)
    ]


def _checked(model: type[BaseModel] | None, data: dict[str, str], where: str) -> BaseModel | None:
    if model is None:
        return None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise _Invalid(_problems(exc, where)) from None


def _checked_json(model: type[BaseModel], raw: bytes) -> BaseModel:
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        raise _Invalid(_problems(exc, "body")) from None


def _authenticate(svc: Services, key: str) -> apikeys.KeyInfo | None:
    with svc.db() as session:
        return apikeys.authenticate(session, key)


def _run(
    svc: Services,
    endpoint: Endpoint,
    path: dict[str, str],
    query: BaseModel | None,
    body: BaseModel | None,
    key: apikeys.KeyInfo,
) -> tuple[int, BaseModel]:
    with svc.db() as session:
        return endpoint.run(Call(session, svc, path, query, body, key))


# --- the OpenAPI document ------------------------------------------------------------------------

_REF = "#/components/schemas/{model}"
_REFUSALS = {
    "401": "No API key, or an unknown or revoked one.",
    "403": "The key lacks the endpoint's scope.",
    "404": "No such employee or record.",
    "422": "The request is not valid: `details` lists each problem.",
}


def openapi() -> dict[str, Any]:
    """The OpenAPI 3.1 document of /api/v1, from the endpoints and their pydantic models."""
    answers: list[type[BaseModel]] = [ErrorOut, *(endpoint.answer for endpoint in ENDPOINTS)]
    bodies = [endpoint.body for endpoint in ENDPOINTS if endpoint.body is not None]
    wanted: dict[tuple[type[BaseModel], JsonSchemaMode], None] = dict.fromkeys(
        [(model, "serialization") for model in answers]
        + [(model, "validation") for model in bodies]
    )
    _, schemas = models_json_schema(list(wanted), ref_template=_REF)
    paths: dict[str, dict[str, Any]] = {}
    for endpoint in ENDPOINTS:
        paths.setdefault(PREFIX + endpoint.path, {})[endpoint.method.lower()] = _operation(endpoint)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "kpibot API",
            "version": "1",
            "description": "Tasks, work codes and scores for the agency's systems. Each request "
            "sends an API key made by `kpibot api-key create` as `Authorization: Bearer <key>`.",
        },
        "paths": paths,
        "components": {
            "schemas": schemas.get("$defs", {}),
            "securitySchemes": {"apiKey": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"apiKey": []}],
    }


def _operation(endpoint: Endpoint) -> dict[str, Any]:
    parameters: list[dict[str, Any]] = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "description": text,
            "schema": {"type": "string", **({"maxLength": _CODE_LENGTH} if name == "code" else {})},
        }
        for name, text in endpoint.path_params
    ]
    if endpoint.query is not None:
        schema = endpoint.query.model_json_schema()
        for name, prop in schema["properties"].items():
            parameters.append(
                {
                    "name": name,
                    "in": "query",
                    "required": name in schema.get("required", []),
                    "description": prop.pop("description", ""),
                    "schema": prop,
                }
            )
    answers = ("201", "200") if endpoint.method == "POST" else ("200",)
    responses: dict[str, Any] = {
        **{
            status: {
                "description": endpoint.summary,
                "content": {"application/json": {"schema": _ref(endpoint.answer)}},
            }
            for status in answers
        },
        **{
            status: {
                "description": text,
                "content": {"application/json": {"schema": _ref(ErrorOut)}},
            }
            for status, text in _REFUSALS.items()
        },
    }
    operation: dict[str, Any] = {
        "operationId": endpoint.run.__name__.strip("_"),
        "summary": endpoint.summary,
        "description": f"Needs the scope `{endpoint.scope}`.",
        "parameters": parameters,
        "responses": responses,
    }
    if endpoint.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _ref(endpoint.body)}},
        }
        for status, text in (
            ("409", "The external_id names a task that cannot become this one."),
            ("413", f"The body is over {MAX_BODY} bytes."),
        ):
            responses[status] = {
                "description": text,
                "content": {"application/json": {"schema": _ref(ErrorOut)}},
            }
    return operation


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": _REF.format(model=model.__name__)}
