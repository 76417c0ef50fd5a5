"""The HTTP API (/api/v1): keys and scopes, validation, the size limit, the OpenAPI document."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from openapi_spec_validator import validate
from sqlmodel import Session, col, select
from starlette.applications import Starlette
from telegram.ext import Application

from bot.api import ENDPOINTS, PREFIX, api_routes
from bot.bodies import MAX_BODY
from bot.web import web_app
from kpi import apikeys
from kpi.calendar import WorkCalendar
from kpi.workcodes import approve, open_work_code
from models import ApiKey, AuditEvent, Task
from models.db import make_engine
from services.container import Services
from tests.bot.test_cli import kpibot
from tests.factories import Org, local, make_deduction

ALL = apikeys.SCOPES
MONDAY = local("2026-11-02")


def client(app: Starlette) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://kpibot")


@pytest.fixture
async def http(services: Services) -> AsyncIterator[httpx.AsyncClient]:
    async with client(Starlette(routes=api_routes(services))) as http:
        yield http


def key_for(session: Session, *scopes: str, name: str = "vpdt") -> dict[str, str]:
    key = apikeys.create(session, name=name, scopes=scopes, now=MONDAY)
    return {"Authorization": f"Bearer {key}"}


# --- keys ----------------------------------------------------------------------------------------


def test_a_key_is_stored_hashed_and_its_life_audited(session: Session) -> None:
    key = apikeys.create(session, name="vpdt", scopes=("scores:read",), now=MONDAY)
    assert key.startswith("kpi_") and len(key) >= 4 + 43  # 256 random bits
    row = session.exec(select(ApiKey)).one()
    assert key not in (row.key_hash, row.lookup) and len(row.key_hash) == 64
    assert apikeys.authenticate(session, key) is not None
    assert apikeys.authenticate(session, key[:-1] + ("A" if key[-1] != "A" else "B")) is None

    apikeys.revoke(session, name="vpdt", now=MONDAY + timedelta(hours=1))
    assert apikeys.authenticate(session, key) is None
    [info] = apikeys.keys(session)
    assert info.revoked_at is not None and info.scopes == ("scores:read",)
    actions = session.exec(select(AuditEvent.action).order_by(col(AuditEvent.id))).all()
    assert actions == ["apikey.create", "apikey.revoke"]
    assert all(key not in event.details for event in session.exec(select(AuditEvent)))


def test_scopes_and_names_are_checked(session: Session) -> None:
    assert apikeys.parse_scopes("tasks:read, scores:read,tasks:read") == (
        "tasks:read",
        "scores:read",
    )
    with pytest.raises(apikeys.ApiKeyError, match="unknown scope 'admin'"):
        apikeys.parse_scopes("scores:read,admin")
    with pytest.raises(apikeys.ApiKeyError, match="at least one scope"):
        apikeys.parse_scopes(" , ")
    apikeys.create(session, name="vpdt", scopes=ALL, now=MONDAY)
    with pytest.raises(apikeys.ApiKeyError, match="exists already"):
        apikeys.create(session, name="vpdt", scopes=ALL, now=MONDAY)
    with pytest.raises(apikeys.ApiKeyError, match="bad key name"):
        apikeys.create(session, name="có dấu", scopes=ALL, now=MONDAY)
    with pytest.raises(apikeys.ApiKeyError, match="no key named"):
        apikeys.revoke(session, name="other", now=MONDAY)


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Basic dXNlcjpwYXNz",
        "Bearer kpi_unknown",
        "Bearer nonsense",
        "Bearer kpi_é".encode(),
    ],
)
@pytest.mark.usefixtures("org")
async def test_no_or_unknown_key_is_401_with_a_json_body(
    http: httpx.AsyncClient, authorization: str | bytes | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = await http.get(f"{PREFIX}/employees/NV1/scores/2026Q4", headers=headers)
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.usefixtures("org")
async def test_a_revoked_key_is_401(http: httpx.AsyncClient, session: Session) -> None:
    headers = key_for(session, "scores:read")
    assert (await http.get(f"{PREFIX}/employees/NV1/scores/2026Q4", headers=headers)).is_success
    apikeys.revoke(session, name="vpdt", now=MONDAY)
    response = await http.get(f"{PREFIX}/employees/NV1/scores/2026Q4", headers=headers)
    assert response.status_code == 401
    assert response.json()["message"] == "this API key is unknown or revoked"


@pytest.mark.usefixtures("org")
async def test_a_key_without_the_scope_is_403(http: httpx.AsyncClient, session: Session) -> None:
    headers = key_for(session, "scores:read")
    response = await http.get(f"{PREFIX}/employees/NV1/workcodes", headers=headers)
    assert response.status_code == 403
    assert response.json() == {
        "error": "forbidden",
        "message": "this API key lacks the scope workcodes:read",
        "details": [],
    }


# --- endpoints -----------------------------------------------------------------------------------


async def test_a_persons_score_with_its_explanation(
    http: httpx.AsyncClient, session: Session, org: Org
) -> None:
    make_deduction(
        session,
        org.staff,
        "discipline_ethics",
        "3",
        occurred_at=local("2026-11-05"),
        reason="Đi muộn",
    )
    make_deduction(session, org.staff, "discipline_ethics", "2", occurred_at=local("2026-09-30"))
    headers = key_for(session, "scores:read")
    response = await http.get(f"{PREFIX}/employees/NV1/scores/2026Q4", headers=headers)
    assert response.status_code == 200
    body = response.json()
    assert (body["employee"], body["period"], body["position"]) == ("NV1", "2026Q4", "chuyen_vien")
    assert body["total"] == 97.0
    assert body["classification"]["code"] and body["classification"]["name_vi"]
    discipline = next(c for c in body["criteria"] if c["code"] == "discipline_ethics")
    assert discipline["deducted"] == 3.0
    assert discipline["score"] == discipline["max_points"] - 3
    [line] = body["explanation"]
    assert (line["criterion"], line["points"], line["reason"], line["counted"]) == (
        "discipline_ethics",
        3.0,
        "Đi muộn",
        True,
    )
    same = await http.get(f"{PREFIX}/employees/NV1/scores/2026q4", headers=headers)
    assert same.json() == body


@pytest.mark.usefixtures("org")
async def test_unknown_person_is_404_and_bad_period_422(
    http: httpx.AsyncClient, session: Session
) -> None:
    headers = key_for(session, "scores:read", "workcodes:read")
    response = await http.get(f"{PREFIX}/employees/NOPE/scores/2026Q4", headers=headers)
    assert response.status_code == 404 and response.json()["error"] == "not_found"
    response = await http.get(f"{PREFIX}/employees/{'X' * 65}/workcodes", headers=headers)
    assert response.status_code == 404
    response = await http.get(f"{PREFIX}/employees/NV1/scores/2026Q5", headers=headers)
    assert response.status_code == 422
    assert response.json()["error"] == "invalid" and "2026Q4" in response.json()["message"]


async def test_a_persons_work_codes_newest_first(
    http: httpx.AsyncClient, session: Session, org: Org
) -> None:
    first, _ = (
        open_work_code(
            session=session,
            author=org.staff,
            title=title,
            now=MONDAY + timedelta(hours=hours),
            calendar=WorkCalendar(),
            days=5,
        ).code
        for hours, title in enumerate(["Báo cáo tháng", "Tờ trình"])
    )
    assert first is not None
    approve(session=session, code_id=first.id, actor=org.leader, now=MONDAY + timedelta(hours=3))
    headers = key_for(session, "workcodes:read")
    response = await http.get(f"{PREFIX}/employees/NV1/workcodes", headers=headers)
    assert response.status_code == 200
    codes = response.json()["work_codes"]
    assert [(c["title"], c["status"], c["approver"]) for c in codes] == [
        ("Tờ trình", "open", "TP"),
        ("Báo cáo tháng", "approved", "TP"),
    ]
    assert codes[1]["closed_at"] is not None and codes[0]["due_day"] == "2026-11-09"
    response = await http.get(f"{PREFIX}/employees/NV1/workcodes?limit=1", headers=headers)
    assert [c["title"] for c in response.json()["work_codes"]] == ["Tờ trình"]


@pytest.mark.usefixtures("org")
@pytest.mark.parametrize("query", ["limit=0", "limit=201", "limit=many", "other=1"])
async def test_an_invalid_query_is_422_naming_the_field(
    http: httpx.AsyncClient, session: Session, query: str
) -> None:
    headers = key_for(session, "workcodes:read")
    response = await http.get(f"{PREFIX}/employees/NV1/workcodes?{query}", headers=headers)
    assert response.status_code == 422
    [problem] = response.json()["details"]
    assert problem["loc"] == ["query", query.split("=")[0]]
    assert problem["msg"] and "input" not in problem


# --- the document and the server -----------------------------------------------------------------


async def test_the_openapi_document_is_valid_and_documents_every_route(
    http: httpx.AsyncClient,
) -> None:
    response = await http.get(f"{PREFIX}/openapi.json")  # no key needed
    assert response.status_code == 200
    document = response.json()
    validate(document)  # raises on anything that is not OpenAPI 3
    documented = {
        (method.upper(), path) for path, item in document["paths"].items() for method in item
    }
    served = {(endpoint.method, PREFIX + endpoint.path) for endpoint in ENDPOINTS}
    assert documented == served
    schemas = document["components"]["schemas"]
    for path, item in document["paths"].items():
        for operation in item.values():
            assert {"401", "403", "422"} <= set(operation["responses"]), path
            for answer in operation["responses"].values():
                ref = answer["content"]["application/json"]["schema"]["$ref"]
                assert ref.rsplit("/", 1)[1] in schemas


async def test_the_api_is_served_beside_health_and_metrics(
    application: Application, services: Services
) -> None:
    async with client(web_app(application, services)) as http:
        assert (await http.get("/healthz")).status_code == 200
        assert (await http.get(f"{PREFIX}/openapi.json")).status_code == 200
        assert (await http.get(f"{PREFIX}/employees/NV1/workcodes")).status_code == 401


def test_the_api_key_commands(env: dict[str, str], database_url: str) -> None:
    made = kpibot("api-key", "create", "vpdt", "--scope", "tasks:write,scores:read", env=env)
    assert made.returncode == 0, made.stderr
    key = made.stdout.strip()
    assert key.startswith("kpi_") and "shown only now" in made.stderr
    listed = kpibot("api-key", "list", env=env)
    assert listed.stdout.startswith("vpdt\ttasks:write,scores:read\tcreated ")
    assert listed.stdout.rstrip().endswith("active") and key not in listed.stdout
    again = kpibot("api-key", "create", "vpdt", "--scope", "scores:read", env=env)
    assert again.returncode == 2 and "exists already" in again.stderr
    bad = kpibot("api-key", "create", "other", "--scope", "everything", env=env)
    assert bad.returncode == 2 and "unknown scope 'everything'" in bad.stderr
    assert kpibot("api-key", "revoke", "vpdt", env=env).stdout == "Revoked 'vpdt'.\n"
    assert "\trevoked " in kpibot("api-key", "list", env=env).stdout
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            assert apikeys.authenticate(session, key) is None
    finally:
        engine.dispose()


# --- tasks ---------------------------------------------------------------------------------------

TASK = {
    "external_id": "VPDT-2026/123",
    "employee": "NV1",
    "title": "Báo cáo tổng kết năm",
    "due_on": "2026-11-20",
    "type": "bao_cao",
    "assigned_by": "TP",
}


@pytest.mark.usefixtures("org")
async def test_tasks_are_created_then_updated_by_external_id(
    http: httpx.AsyncClient, session: Session
) -> None:
    headers = key_for(session, "tasks:write", "tasks:read")
    created = await http.post(f"{PREFIX}/tasks", json=TASK, headers=headers)
    assert created.status_code == 201, created.text
    assert created.json()["outcome"] == "created"
    task = created.json()["task"]
    assert (task["employee"], task["assigned_by"], task["done"]) == ("NV1", "TP", False)

    again = await http.post(f"{PREFIX}/tasks", json=TASK, headers=headers)
    assert again.status_code == 200 and again.json()["outcome"] == "unchanged"
    assert again.json()["task"] == task

    moved = TASK | {"title": "Báo cáo tổng kết năm 2026", "due_on": "2026-11-27"}
    updated = await http.post(f"{PREFIX}/tasks", json=moved, headers=headers)
    assert updated.status_code == 200 and updated.json()["outcome"] == "updated"
    assert updated.json()["task"]["id"] == task["id"]

    listed = await http.get(f"{PREFIX}/employees/NV1/tasks", headers=headers)
    [only] = listed.json()["tasks"]
    assert (only["title"], only["due_on"], only["external_id"]) == (
        "Báo cáo tổng kết năm 2026",
        "2026-11-27",
        "VPDT-2026/123",
    )
    trail = session.exec(
        select(AuditEvent.action, AuditEvent.details).where(
            col(AuditEvent.subject) == f"task:{task['id']}"
        )
    ).all()
    assert [action for action, _ in trail] == ["task.create", "task.update"]
    assert "by=api_key:vpdt" in trail[1][1] and "changed=title due_on" in trail[1][1]

    other = await http.post(f"{PREFIX}/tasks", json=TASK | {"employee": "NV2"}, headers=headers)
    assert other.status_code == 409 and other.json()["error"] == "conflict"


@pytest.mark.usefixtures("org")
@pytest.mark.parametrize(
    ("body", "where", "message"),
    [
        ({k: v for k, v in TASK.items() if k != "title"}, ["body", "title"], "Field required"),
        (TASK | {"due_on": "20/11/2026"}, ["body", "due_on"], ""),
        (TASK | {"priority": 1}, ["body", "priority"], ""),
        (TASK | {"external_id": "x" * 101}, ["body", "external_id"], ""),
        ([TASK], ["body"], ""),
    ],
)
async def test_an_invalid_task_is_422_naming_the_field(
    http: httpx.AsyncClient, session: Session, body: object, where: list[str], message: str
) -> None:
    headers = key_for(session, "tasks:write")
    response = await http.post(f"{PREFIX}/tasks", json=body, headers=headers)
    assert response.status_code == 422
    assert [problem["loc"] for problem in response.json()["details"]] == [where]
    assert message in response.json()["details"][0]["msg"]


@pytest.mark.usefixtures("org")
@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"employee": "NOPE"}, "unknown employee 'NOPE'"),
        ({"type": "poem"}, "unknown task type 'poem'"),
        ({"assigned_by": "NV2"}, "'NV2' is neither the leader of 'NV1' nor an admin"),
        ({"title": "/start"}, "title starts with '/'"),
    ],
)
async def test_a_task_the_import_would_refuse_is_422_with_the_import_s_reason(
    http: httpx.AsyncClient, session: Session, change: dict[str, str], message: str
) -> None:
    headers = key_for(session, "tasks:write")
    response = await http.post(f"{PREFIX}/tasks", json=TASK | change, headers=headers)
    assert response.status_code == 422
    assert response.json()["message"].startswith(message)


@pytest.mark.usefixtures("org")
async def test_a_body_that_is_not_json_is_422(http: httpx.AsyncClient, session: Session) -> None:
    headers = key_for(session, "tasks:write") | {"Content-Type": "application/json"}
    response = await http.post(f"{PREFIX}/tasks", content=b"{not json", headers=headers)
    assert response.status_code == 422
    assert response.json()["details"][0]["type"] == "json_invalid"


@pytest.mark.usefixtures("org")
async def test_a_body_over_1_mb_is_refused_before_it_is_read(
    http: httpx.AsyncClient, session: Session
) -> None:
    headers = key_for(session, "tasks:write")
    big = TASK | {"title": "x" * MAX_BODY}
    response = await http.post(f"{PREFIX}/tasks", json=big, headers=headers)
    assert response.status_code == 413 and response.json()["error"] == "too_large"

    async def streamed() -> AsyncIterator[bytes]:  # no Content-Length: cut off at the limit
        for _ in range(MAX_BODY // 65536 + 2):
            yield b" " * 65536

    response = await http.post(f"{PREFIX}/tasks", content=streamed(), headers=headers)
    assert response.status_code == 413
    assert session.exec(select(Task)).all() == []


@pytest.mark.usefixtures("org")
async def test_writing_tasks_needs_its_own_scope(http: httpx.AsyncClient, session: Session) -> None:
    headers = key_for(session, "tasks:read", "scores:read", "workcodes:read")
    response = await http.post(f"{PREFIX}/tasks", json=TASK, headers=headers)
    assert response.status_code == 403
    assert response.json()["message"] == "this API key lacks the scope tasks:write"


@pytest.mark.usefixtures("org")
@pytest.mark.parametrize("period", ["2026-11", "2026Q4", "2026"])
async def test_scores_of_a_month_a_quarter_and_a_year(
    http: httpx.AsyncClient, session: Session, period: str
) -> None:
    headers = key_for(session, "scores:read", "tasks:write")
    assert (await http.post(f"{PREFIX}/tasks", json=TASK, headers=headers)).status_code == 201
    response = await http.get(f"{PREFIX}/employees/NV1/scores/{period}", headers=headers)
    assert response.status_code == 200
    body = response.json()
    assert body["period"] == period
    quantity = next(c for c in body["criteria"] if c["code"] == "task_quantity")
    assert quantity["computed"]["measure"] in ("quantity", "year")
    if period != "2026":  # the task is due in the month and the quarter, not done
        assert (quantity["computed"]["tasks"], quantity["computed"]["done"]) == (1, 0)
        assert quantity["score"] == 0
