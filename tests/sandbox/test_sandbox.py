"""The sandbox's HTTP API, as the page uses it: people, chats, buttons and the clock."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import httpx
import pytest

from kpi.roster_import import read_roster
from sandbox.botapi import FakeBotAPI
from sandbox.chat import entities_html, message_view
from sandbox.people import GUEST_ID
from sandbox.server import Options, Sandbox, background
from tests.factories import HANOI, local

T = TypeVar("T")
# The sandbox always runs on a SQLite file of its own: the PostgreSQL pass adds nothing.
pytestmark = pytest.mark.skipif(
    bool(os.environ.get("KPIBOT_TEST_DATABASE_URL")),
    reason="the sandbox uses its own SQLite file; covered by the SQLite pass",
)
MONDAY = local("2026-11-02", 9)  # a working Monday morning
STATIC = Path(__file__).resolve().parents[2] / "sandbox" / "static"


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    """The demo sandbox at 09:00 on Monday 2 November 2026; no invalid Bot API call allowed."""
    with background(Options(folder=tmp_path, port=0, start=MONDAY)) as running:
        yield running
        running.fake.assert_no_invalid_calls()


@pytest.fixture
def client(sandbox: Sandbox) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox.url, timeout=10) as http:
        yield http


def wait_for(predicate: Callable[[], T], what: str, timeout: float = 5.0) -> T:
    deadline = time.monotonic() + timeout
    while not (result := predicate()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)
    return result


def ids(client: httpx.Client) -> dict[str, int]:
    people = client.get("/api/people").json()["people"]
    return {p["code"]: p["chat_id"] for p in people if not p["guest"]}


def chat(client: httpx.Client, chat_id: int) -> list[dict]:
    messages: list[dict] = client.get(f"/api/chats/{chat_id}").json()["messages"]
    return messages


def bot_messages(client: httpx.Client, chat_id: int) -> list[dict]:
    return [m for m in chat(client, chat_id) if m["from_bot"]]


def say(client: httpx.Client, chat_id: int, text: str) -> dict:
    """Write as a person; return the bot's next message in that chat."""
    before = len(bot_messages(client, chat_id))
    assert client.post(f"/api/chats/{chat_id}/messages", json={"text": text}).status_code == 202
    fresh = wait_for(lambda: bot_messages(client, chat_id)[before:], f"an answer to {text!r}")
    return fresh[0]


def find(client: httpx.Client, chat_id: int, needle: str) -> dict:
    """Wait for a bot message containing `needle` in a chat."""
    return wait_for(
        lambda: next((m for m in bot_messages(client, chat_id) if needle in m["text"]), None),
        f"{needle!r} in chat {chat_id}",
    )


def press(client: httpx.Client, chat_id: int, message: dict, data: str) -> httpx.Response:
    return client.post(
        f"/api/chats/{chat_id}/buttons", json={"message_id": message["id"], "data": data}
    )


def move(client: httpx.Client, action: str, to: str | None = None) -> httpx.Response:
    return client.post("/api/clock", json={"action": action, "to": to})


def test_the_demo_organisation_is_seeded_with_linked_accounts(client: httpx.Client) -> None:
    people = client.get("/api/people").json()["people"]
    assert [p.get("code") for p in people] == [
        "GD01", "TP01", "TP02", "TC01", "CV01", "CV02", "CV03", "CV04", "CV05", "CV06", None,
    ]  # fmt: skip
    director, head, specialist, hr = people[0], people[1], people[4], people[3]
    assert (director["name"], director["position"]["vi"], director["leader"]) == (
        "Nguyễn Văn Minh",
        "Giám đốc",
        None,
    )
    assert head["is_leader"] and head["position"]["en"] == "Division head"
    assert specialist["leader"] == "Trần Thị Lan" and not specialist["is_leader"]
    assert hr["role"] == "admin" and people[-1]["chat_id"] == GUEST_ID
    assert len({p["unit"] for p in people[:-1]}) == 1

    # The overdue code was breached at start-up; its leader and his director were told.
    breach = find(client, ids(client)["TP02"], "Quá hạn phê duyệt")
    assert "#1" in breach["text"] and breach["buttons"]
    digest = find(client, ids(client)["TP01"], "Tổng hợp mã công việc")
    assert "Đến hạn hôm nay" in digest["text"] and "#2" in digest["text"]
    clock = client.get("/api/clock").json()
    assert clock["now"] == "2026-11-02T09:00:00+07:00"
    assert clock["next_event"] == "2026-11-02T15:00:00+07:00"  # the due-today code's reminder


def test_a_code_opened_by_a_specialist_is_approved_by_the_division_head(
    client: httpx.Client,
) -> None:
    people = ids(client)
    specialist, head = people["CV01"], people["TP01"]
    opened = say(client, specialist, "/open Báo cáo kết quả khảo sát mức độ hài lòng")
    assert opened["text"].startswith("Đã mở mã công việc #12, chờ Trần Thị Lan phê duyệt.")

    notice = find(client, head, "Mã công việc #12 — Chờ phê duyệt")
    assert [b["text"] for b in notice["buttons"][0]] == [
        "Phê duyệt",
        "Không phê duyệt",
        "Cho ý kiến",
    ]
    answer = press(client, head, notice, "wc:ap:12:1").json()
    assert answer == {"answered": True, "answer": "Đã phê duyệt mã công việc #12.", "alert": False}

    find(client, specialist, "đã được Trần Thị Lan phê duyệt")
    edited = next(m for m in chat(client, head) if m["id"] == notice["id"])
    assert edited["edited"] and not edited["buttons"] and "Đã phê duyệt" in edited["text"]
    gone = press(client, head, notice, "wc:ap:12:1")
    assert gone.status_code == 409 and gone.json()["error"] == "button_gone"


def test_text_after_a_force_reply_question_answers_it(client: httpx.Client) -> None:
    people = ids(client)
    head, author = people["TP01"], people["CV03"]
    digest = find(client, head, "Tổng hợp mã công việc")
    # The bot answers the press with no text before it asks: an answer all the same.
    answer = press(client, head, digest, "wl:rj:2:1").json()
    assert answer == {"answered": True, "answer": None, "alert": False}
    wait_for(lambda: client.get(f"/api/chats/{head}").json()["reply_to"], "the question")
    question = bot_messages(client, head)[-1]
    assert question["force_reply"] and "lý do không phê duyệt mã công việc #2" in question["text"]

    client.post(f"/api/chats/{head}/messages", json={"text": "Thiếu số liệu <quý III> & phụ lục"})
    news = find(client, author, "không phê duyệt")
    assert news["text"].endswith("Lý do: Thiếu số liệu <quý III> & phụ lục")
    assert "&lt;quý III&gt; &amp; phụ lục" in news["html"]
    reply = next(m for m in chat(client, head) if not m["from_bot"] and m["reply_to"])
    assert reply["reply_to"].startswith("Nhập lý do không phê duyệt")
    assert client.get(f"/api/chats/{head}").json()["reply_to"] is None


def test_the_clock_moves_forward_only(client: httpx.Client, sandbox: Sandbox) -> None:
    head = ids(client)["TP01"]
    slot = move(client, "next").json()
    assert slot["clock"]["now"] == "2026-11-02T15:00:00+07:00"
    assert slot["sweep"]["reminders"] == 1
    assert "#2" in find(client, head, "Nhắc việc")["text"]

    day = move(client, "day").json()
    assert day["clock"]["now"] == "2026-11-03T15:00:00+07:00"
    assert day["sweep"]["breaches"] == 1  # the code due on Monday

    backwards = move(client, "jump", "2026-11-02T10:00")
    assert backwards.status_code == 400
    assert backwards.json()["error"] == "clock_backwards"
    assert "time only moves forward" in backwards.json()["detail"]
    garbage = move(client, "jump", "next tuesday")
    assert garbage.json()["error"] == "clock_bad_instant"
    assert client.get("/api/clock").json()["now"] == "2026-11-03T15:00:00+07:00"
    assert sandbox.clock().astimezone(HANOI).hour == 15

    # A date alone keeps the time of day; the weekend is quiet, so messages wait for Monday.
    saturday = move(client, "jump", "2026-11-07").json()["clock"]
    assert saturday["now"] == "2026-11-07T15:00:00+07:00" and not saturday["working_day"]


def test_next_goes_on_to_the_digests_once_every_deadline_has_passed(
    client: httpx.Client,
) -> None:
    # Every demo code is past its deadline and breached: no reminder is left, but they are
    # still open, so each working morning's digest is still to come.
    moved = move(client, "jump", "2026-11-10T07:00").json()
    assert moved["clock"]["next_event"] == "2026-11-10T08:00:00+07:00"
    morning = move(client, "next").json()
    assert morning["sweep"]["digests"] == 4  # 3 leaders' pending codes, 1 of tasks due or late
    assert morning["clock"]["next_event"] == "2026-11-11T08:00:00+07:00"
    friday = move(client, "jump", "2026-11-13T09:00").json()["clock"]
    assert friday["next_event"] == "2026-11-16T08:00:00+07:00"  # the weekend is skipped


def test_next_says_plainly_when_nothing_is_left(tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "code,full_name,unit,position,leader_code\n"
        "TP01,Trần Văn Trưởng,Sở Tư pháp,truong_phong,\n"
        "CV01,Lê Văn Viên,Sở Tư pháp,chuyen_vien,TP01\n",
        encoding="utf-8",
    )
    options = Options(folder=tmp_path, port=0, roster=read_roster(roster), start=MONDAY)
    with background(options) as running, httpx.Client(base_url=running.url) as client:
        people = ids(client)
        assert client.get("/api/clock").json()["next_event"] is None
        refused = move(client, "next")
        assert refused.status_code == 400 and refused.json()["error"] == "clock_nothing_due"
        assert "nothing is left to come" in refused.json()["detail"]

        say(client, people["CV01"], "/open Kế hoạch tháng 12")
        first = client.get("/api/clock").json()["next_event"]
        assert first is not None and first > "2026-11-02T09:00:00+07:00"
        notice = find(client, people["TP01"], "Chờ phê duyệt")
        press(client, people["TP01"], notice, notice["buttons"][0][0]["data"])
        wait_for(lambda: client.get("/api/clock").json()["next_event"] is None, "nothing left")
        running.fake.assert_no_invalid_calls()


def test_a_deadline_passed_is_a_breach_and_lowers_the_leaders_score(client: httpx.Client) -> None:
    people = ids(client)
    head = people["TP01"]
    assert "<b>100/100</b>" in say(client, head, "/myscore")["html"]

    report = move(client, "jump", "2026-11-03T09:00").json()
    assert report["sweep"]["breaches"] == 1 and report["sweep"]["digests"] == 3

    notice = find(client, head, "Quá hạn phê duyệt")
    assert "#2" in notice["text"] and "bị trừ 5 điểm" in notice["text"]
    find(client, people["CV03"], "Đã ghi nhận trừ điểm đối với Trần Thị Lan")  # the author
    find(client, people["GD01"], "Trần Thị Lan bị trừ 5 điểm")  # the superior
    score = say(client, head, "/myscore")
    assert "<b>95/100</b>" in score["html"]
    assert "cấp dưới đúng thời hạn (KPI cứng): 5/10" in score["text"]


def test_the_score_chart_is_a_photo_served_by_the_sandbox(client: httpx.Client) -> None:
    specialist = ids(client)["CV01"]
    card = say(client, specialist, "/myscore")
    assert "Vắng buổi tập huấn chuyển đổi số không phép" in card["text"]
    [[chart]] = card["buttons"]
    press(client, specialist, card, chart["data"])
    photo = wait_for(lambda: [m for m in chat(client, specialist) if m["photo"]], "the chart")[0]
    image = client.get(photo["photo"])
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert image.content.startswith(b"\x89PNG")
    assert client.get("/files/nothing-here").status_code == 404


def test_the_demo_employee_s_score_shows_every_kind_of_task_line(client: httpx.Client) -> None:
    # CV01's tasks: two done on time, one returned once then approved, one reported late and
    # the delay excused by the director, one still open.
    lines = say(client, ids(client)["CV01"], "/myscore")["text"].splitlines()
    quantity = lines.index(
        "• Số lượng kết quả thực hiện nhiệm vụ (sản phẩm/công việc đã quy đổi) (KPI cứng): 17,78/20"
    )
    assert lines[quantity + 1] == "  Hoàn thành 8/9 sản phẩm quy đổi (4/5 nhiệm vụ)."
    quality = lines.index("• Chất lượng kết quả thực hiện nhiệm vụ (KPI cứng): 18,75/20")
    assert lines[quality + 1] == (
        "  1 nhiệm vụ bị trả lại hoặc từ chối 1 lần: mỗi lần trừ 25% điểm chất lượng của nhiệm vụ"
        " đó."
    )
    progress = lines.index("• Tiến độ kết quả thực hiện nhiệm vụ (KPI cứng): 20/20")
    assert lines[progress + 1].endswith(
        "1 sai sót, chậm tiến độ được xác nhận do nguyên nhân khách quan: không bị trừ điểm."
    )
    assert "Tổng điểm: 94,53/100" in lines

    open_tasks = say(client, ids(client)["CV01"], "/mytasks")["text"]
    assert "T5 «Dự thảo quy chế làm việc của phòng» — hạn hoàn thành 11/11/2026" in open_tasks
    assert open_tasks.endswith(": chưa thực hiện") and "T4" not in open_tasks


def test_the_task_endpoint_lists_the_person_s_tasks_as_they_move(client: httpx.Client) -> None:
    people = ids(client)
    specialist, head = people["CV01"], people["TP01"]

    def tasks(chat_id: int) -> list[dict]:
        answer = client.get(f"/api/chats/{chat_id}/tasks")
        assert answer.status_code == 200
        found: list[dict] = answer.json()["tasks"]
        return found

    listed = tasks(specialist)
    assert [(t["number"], t["due_on"], t["state"], t["weight"]) for t in listed] == [
        ("T1", "2026-10-20", "done", "2"),
        ("T2", "2026-10-23", "done", "1"),
        ("T3", "2026-10-27", "done", "2"),
        ("T4", "2026-10-28", "done", "3"),
        ("T5", "2026-11-11", "to_do", "1"),
    ]
    assert listed[2]["title"] == "Tờ trình phê duyệt danh mục vị trí việc làm"
    assert listed[2]["type"] == {
        "code": "to_trinh",
        "vi": "Tờ trình, dự thảo quyết định cá biệt",
        "en": "Submission or draft decision",
    }
    assert [(t["number"], t["state"]) for t in tasks(people["CV02"])] == [("T6", "done")]
    assert tasks(head) == [] and tasks(GUEST_ID) == []
    assert client.get("/api/chats/424242/tasks").json()["error"] == "unknown_person"

    # Past its due date and not reported, the task is overdue; reported by a work code, it
    # awaits the leader; approved, it is done.
    move(client, "jump", "2026-11-12T09:00")
    assert tasks(specialist)[-1]["state"] == "overdue"
    offer = say(client, specialist, "/open")
    press(client, specialist, offer, "ot:5")
    notice = find(client, head, "Mã công việc #12 — Chờ phê duyệt")
    assert tasks(specialist)[-1]["state"] == "reported"
    press(client, head, notice, "wc:ap:12:1")
    wait_for(lambda: tasks(specialist)[-1]["state"] == "done", "T5 done")


def test_on_a_quarter_s_first_day_the_late_task_falls_in_the_previous_quarter(
    tmp_path: Path,
) -> None:
    # No day of the quarter lies before 1 October: the task reported late was due on the last
    # working day of September, and the quarter's score counts the other four tasks of CV01.
    start = local("2026-10-01", 9)
    with (
        background(Options(folder=tmp_path, port=0, start=start)) as running,
        httpx.Client(base_url=running.url) as client,
    ):
        specialist = ids(client)["CV01"]
        listed = client.get(f"/api/chats/{specialist}/tasks").json()["tasks"]
        assert {t["number"]: t["due_on"] for t in listed}["T4"] == "2026-09-30"
        score = say(client, specialist, "/myscore")["text"]
        assert "Hoàn thành 5/6 sản phẩm quy đổi (3/4 nhiệm vụ)." in score
        assert "1 nhiệm vụ bị trả lại hoặc từ chối 1 lần" in score
        running.fake.assert_no_invalid_calls()


def test_the_readme_s_team_example_works_for_hr(client: httpx.Client) -> None:
    hr = ids(client)["TC01"]
    table = say(client, hr, "/team 2026Q4 Sở Nội vụ")  # as README.md writes it
    lines = table["text"].splitlines()
    assert lines[0] == "Sở Nội vụ tỉnh Hòa Bình, Quý IV/2026" and len(lines) == 1 + 10
    assert say(client, hr, "/team hoa binh")["text"] == table["text"]


def test_an_english_speaker_gets_english(client: httpx.Client) -> None:
    answer = say(client, ids(client)["CV06"], "/mycodes")
    assert "work code" in answer["text"].lower() or "no work codes" in answer["text"].lower()


def test_the_chat_says_which_language_the_bot_speaks_after_language(
    client: httpx.Client,
) -> None:
    specialist = ids(client)["CV01"]
    assert client.get(f"/api/chats/{specialist}").json()["language"] == "vi"
    say(client, specialist, "/language en")
    assert client.get(f"/api/chats/{specialist}").json()["language"] == "en"
    assert client.get(f"/api/chats/{GUEST_ID}").json()["language"] == "vi"


def test_bad_requests_get_a_clear_refusal(client: httpx.Client) -> None:
    unknown = client.get("/api/chats/424242")
    assert unknown.status_code == 404 and unknown.json()["error"] == "unknown_person"
    empty = client.post(f"/api/chats/{GUEST_ID}/messages", json={"text": "  "})
    assert empty.status_code == 400 and empty.json()["error"] == "empty_text"
    not_json = client.post("/api/clock", content=b"action=next")
    assert not_json.status_code == 415
    assert move(client, "sideways").json()["error"] == "clock_bad_move"
    page = client.get("/")
    assert page.status_code == 200 and "/static/app.js" in page.text


def test_the_page_has_every_label_in_both_languages() -> None:
    script = (STATIC / "app.js").read_text(encoding="utf-8")
    vi, en = re.search(r"vi: \{(.*?)\n  \},\n  en: \{(.*?)\n  \},", script, re.S).groups()
    keys = re.compile(r"^\s{4}(\w+):", re.M)
    assert keys.findall(vi) == keys.findall(en)
    used = set(re.findall(r'\bt\("(\w+)"[,)]', script))
    used |= set(re.findall(r'data-t="(\w+)"', (STATIC / "index.html").read_text()))
    assert used <= set(keys.findall(vi))


def test_an_empty_sandbox_has_only_the_guest(tmp_path: Path) -> None:
    with (
        background(Options(folder=tmp_path, port=0, empty=True, start=MONDAY)) as running,
        httpx.Client(base_url=running.url) as client,
    ):
        assert [p["chat_id"] for p in client.get("/api/people").json()["people"]] == [GUEST_ID]
        assert "liên kết" in say(client, GUEST_ID, "/open Việc gì đó")["text"]
        assert client.get("/api/clock").json()["next_event"] is None
        assert move(client, "next").json()["error"] == "clock_nothing_due"


def test_messages_render_entities_and_files() -> None:
    # Offsets count UTF-16 code units: the emoji takes two.
    nested = [
        {"type": "bold", "offset": 0, "length": 14},
        {"type": "italic", "offset": 7, "length": 7},
    ]
    assert entities_html("Đậm 👍 nghiêng", nested) == "<b>Đậm 👍 <i>nghiêng</i></b>"
    link = {"type": "text_link", "offset": 8, "length": 8, "url": "https://example.org/?a=1&b=2"}
    assert entities_html("<x> & b liên kết", [link]) == (
        '&lt;x&gt; &amp; b <a href="https://example.org/?a=1&amp;b=2" target="_blank" '
        'rel="noopener">liên kết</a>'
    )
    unsafe = {"type": "text_link", "offset": 0, "length": 1, "url": "javascript:alert(1)"}
    assert entities_html("x", [unsafe]) == "x"
    fake = FakeBotAPI(token="1:T")
    document = {
        "message_id": 3,
        "from": fake.bot_user,
        "chat": {"id": 5, "type": "private"},
        "date": 0,
        "document": {"file_id": "BQ1", "file_name": "kpi-2026Q4.xlsx"},
        "caption": "Báo cáo",
    }
    view = message_view(fake, document)
    assert view["document"] == {"url": "/files/BQ1", "name": "kpi-2026Q4.xlsx"}
    assert view["html"] == "Báo cáo" and view["from_bot"]


# ---- the command ----

CLI = (
    "import signal, typer; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "from sandbox.cli import sandbox; typer.run(sandbox)"
)


def sandbox_command(*args: str) -> list[str]:
    return [sys.executable, "-c", CLI, *args]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_command_prints_the_address_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "code,full_name,unit,position,leader_code,role,language\n"
        "GD01,Nguyễn Văn Giám,Sở Tư pháp,giam_doc,,admin,vi\n"
        "CV01,Lê Văn Viên,Sở Tư pháp,chuyen_vien,GD01,,en\n",
        encoding="utf-8",
    )
    port = free_port()
    process = subprocess.Popen(
        sandbox_command("--port", str(port), "--roster", str(roster)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("KPIBOT_")},
    )
    try:
        assert process.stdout is not None
        head = [process.stdout.readline()]
        while "Ctrl-C" not in head[-1] and head[-1]:
            head.append(process.stdout.readline())
        assert head[0] == f"kpibot sandbox: http://127.0.0.1:{port}/\n"
        assert "  People: 2 people from the roster.\n" in head
        people = httpx.get(f"http://127.0.0.1:{port}/api/people").json()["people"]
        assert [p.get("code") for p in people] == ["GD01", "CV01", None]
        process.send_signal(2)  # Ctrl-C
        out, err = process.communicate(timeout=20)
    finally:
        process.kill()
    assert process.returncode == 0, err
    assert out == "Sandbox stopped.\n"


def test_a_port_in_use_or_a_bad_roster_stops_with_one_clear_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        busy = subprocess.run(
            sandbox_command("--port", str(port)), capture_output=True, text=True, timeout=30
        )
    assert busy.returncode == 2
    assert busy.stderr.strip().splitlines() == [
        f"kpibot: cannot listen on 127.0.0.1:{port}: Address already in use "
        "(another program uses it; choose another with --port)"
    ]

    roster = tmp_path / "bad.csv"
    roster.write_text(
        "code,full_name,unit,position,leader_code\n"
        "GD01,Nguyễn Văn Giám,Sở Tư pháp,giam_doc,\n"
        "CV01,Lê Văn Viên,Sở Tư pháp,thu_ky,GD99\n",
        encoding="utf-8",
    )
    bad = subprocess.run(
        sandbox_command("--roster", str(roster)), capture_output=True, text=True, timeout=30
    )
    assert bad.returncode == 2 and bad.stdout == ""
    lines = bad.stderr.strip().splitlines()
    assert all(line.startswith(f"{roster}: line 3: ") for line in lines[:-1]) and len(lines) >= 3
    assert lines[-1] == "kpibot: 2 bad rows in the roster; the sandbox did not start"
