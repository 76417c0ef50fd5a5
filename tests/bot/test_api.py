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
from bot.web import web_app
from kpi import apikeys
from kpi.calendar import WorkCalendar
from kpi.workcodes import approve, open_work_code
from models import ApiKey, AuditEvent
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
