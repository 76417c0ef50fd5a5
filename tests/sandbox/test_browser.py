"""The sandbox page in headless Debian Chromium, driven by Selenium and Debian's chromedriver.

Skipped (with the reason) where Chromium is not installed, unless CI is set: there it fails.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sandbox.server import Options, Sandbox, background
from tests.factories import local

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1360,960",
)
# The sandbox always runs on a SQLite file of its own: the PostgreSQL pass adds nothing.
pytestmark = pytest.mark.skipif(
    bool(os.environ.get("KPIBOT_TEST_DATABASE_URL")),
    reason="the sandbox uses its own SQLite file; covered by the SQLite pass",
)
MONDAY = local("2026-11-02", 9)


def _require_browser() -> None:
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    if not missing:
        return
    reason = f"{' and '.join(missing)} not found: apt-get install chromium chromium-driver"
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the browser test, but {reason}")
    pytest.skip(f"no headless Chromium on this machine ({reason}); CI installs it")


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    """The demo sandbox at 09:00 on Monday 2 November 2026."""
    with background(Options(folder=tmp_path, port=0, start=MONDAY)) as running:
        yield running
        running.fake.assert_no_invalid_calls()


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    """Headless Chromium with a fresh profile; never a downloaded browser."""
    _require_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*FLAGS, f"--user-data-dir={tmp_path / 'chromium-profile'}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


class Page:
    """The sandbox page as a person uses it."""

    def __init__(self, driver: Any, url: str) -> None:
        from selenium.common.exceptions import StaleElementReferenceException
        from selenium.webdriver.support.ui import WebDriverWait

        self.driver = driver
        self.wait = WebDriverWait(driver, 10, ignored_exceptions=[StaleElementReferenceException])
        driver.get(url)
        self.until(lambda: self.css("#people button[data-code]"), "the roster")

    def until(self, condition: Callable[[], Any], what: str) -> Any:
        """Wait for `condition` (re-rendered elements are looked up again)."""
        return self.wait.until(lambda _driver: condition(), f"waiting for {what}")

    def css(self, selector: str) -> list[Any]:
        from selenium.webdriver.common.by import By

        return list(self.driver.find_elements(By.CSS_SELECTOR, selector))

    def click(self, selector: str) -> None:
        def clicked() -> bool:
            found = self.css(selector)
            if found:
                found[0].click()
            return bool(found)

        self.until(clicked, selector)

    def be(self, code: str, name: str) -> None:
        """Choose who you are."""
        self.click(f'#people button[data-code="{code}"]')
        self.until(lambda: name in self.text("#chat-name"), name)

    def text(self, selector: str) -> str:
        found = self.css(selector)
        return str(found[0].text) if found else ""

    def message(self, needle: str) -> Any:
        """Wait for a message in the open chat containing `needle`."""
        return self.until(
            lambda: next((m for m in self.css("#messages .msg") if needle in m.text), None),
            repr(needle),
        )

    def say(self, text: str) -> None:
        field = self.css("#text")[0]
        field.clear()
        field.send_keys(text)
        self.click("#send")

    def type_over(self, selector: str, text: str) -> Any:
        """Select what a field holds and type over it, as a person does (the field keeps focus;
        WebDriver's clear() would leave it empty and unfocused)."""
        from selenium.webdriver.common.keys import Keys

        field = self.css(selector)[0]
        field.click()
        field.send_keys(Keys.CONTROL, "a")
        field.send_keys(text)
        return field

    def jump(self, to: str) -> None:
        self.type_over("#jump-to", to)
        self.click("#jump-go")


def test_a_code_approved_and_a_deadline_missed_in_the_browser(
    sandbox: Sandbox, browser: Any, tmp_path: Path
) -> None:
    page = Page(browser, sandbox.url)
    try:
        # A specialist opens a work code.
        page.be("CV01", "Phạm Minh Tuấn")
        page.say("/open Báo cáo kết quả khảo sát mức độ hài lòng")
        page.message("Đã mở mã công việc #12, chờ Trần Thị Lan phê duyệt.")

        # The division head approves it with the inline button.
        page.be("TP01", "Trần Thị Lan")
        page.message("Mã công việc #12 — Chờ phê duyệt")
        page.click('button[data-data="wc:ap:12:1"]')
        page.until(lambda: "Đã phê duyệt mã công việc #12." in page.text("#toast"), "the answer")
        page.until(lambda: not page.css('button[data-data="wc:ap:12:1"]'), "the buttons to go")

        # The specialist sees the outcome; their chat was kept.
        page.be("CV01", "Phạm Minh Tuấn")
        page.message("Đã mở mã công việc #12")
        page.message("đã được Trần Thị Lan phê duyệt")

        # Their tasks: four done, one still to do.
        page.until(lambda: page.text("#tasks-toggle") == "Nhiệm vụ (5)", "the tasks' button")
        assert not page.css("#tasks")[0].is_displayed()
        page.click("#tasks-toggle")
        page.until(lambda: page.css("#tasks")[0].is_displayed(), "the tasks")
        assert [row.get_attribute("data-state") for row in page.css("#task-list li")] == [
            "done", "done", "done", "done", "to_do",
        ]  # fmt: skip
        last = page.text('#task-list li[data-task="T5"]')
        assert "Dự thảo quy chế làm việc của phòng" in last and "hạn 11/11/2026" in last
        assert "Chưa thực hiện" in last and "1 sản phẩm quy đổi" in last

        # Past the deadline of the code due today: the leader's breach notice, a lower score.
        page.be("TP01", "Trần Thị Lan")
        page.say("/myscore")
        page.message("Tổng điểm: 100/100")
        page.jump("2026-11-01T10:00")
        page.until(lambda: "Không thể lùi thời gian" in page.text("#toast"), "the refusal")
        page.jump("2026-11-03T09:00")
        page.until(lambda: "03/11/2026" in page.text("#clock-day"), "the new day")
        assert page.text("#clock-time") == "09:00"
        page.message("Quá hạn phê duyệt: mã công việc #2")
        page.say("/myscore")
        page.message("Tổng điểm: 95/100")

        page.click("#lang-en")
        page.until(lambda: page.text(".clock-panel h2") == "Simulated clock", "English labels")
        page.be("CV01", "Phạm Minh Tuấn")
        page.until(lambda: "To do" in page.text('#task-list li[data-task="T5"]'), "English")
        assert page.text("#tasks-toggle") == "Tasks (5)"
        page.click("#lang-vi")
        page.until(lambda: page.text(".clock-panel h2") == "Đồng hồ mô phỏng", "Vietnamese")
    finally:
        browser.save_screenshot(str(tmp_path / "sandbox.png"))
    assert (tmp_path / "sandbox.png").stat().st_size > 10_000


PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True}
CONTROLS = ("#people button", "#text", "#send", "#move-next", "#move-day", "#jump-to", "#jump-go")


def fits_the_screen(page: Page) -> bool:
    """No horizontal scrolling: nothing is wider than the window."""
    return bool(
        page.driver.execute_script(
            "return document.documentElement.scrollWidth <= window.innerWidth"
            " && document.body.scrollWidth <= window.innerWidth"
        )
    )


def within_width(page: Page, selector: str) -> bool:
    """The control lies inside the window's width (reachable by scrolling down only)."""
    return bool(
        page.driver.execute_script(
            "const box = document.querySelector(arguments[0]).getBoundingClientRect();"
            "return box.width > 0 && box.left >= 0 && box.right <= window.innerWidth;",
            selector,
        )
    )


def within_height(page: Page, selector: str) -> bool:
    """The control is on screen now, without scrolling."""
    return bool(
        page.driver.execute_script(
            "const box = document.querySelector(arguments[0]).getBoundingClientRect();"
            "return box.top >= 0 && box.bottom <= window.innerHeight;",
            selector,
        )
    )


def poll(page: Page) -> None:
    """Let the page poll the sandbox once more, now."""
    page.driver.execute_async_script("poll().then(arguments[arguments.length - 1])")


def test_on_a_phone_the_page_fits_answers_follow_and_the_clock_goes_on(
    sandbox: Sandbox, browser: Any, tmp_path: Path
) -> None:
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)
    page = Page(browser, sandbox.url)
    try:
        assert browser.execute_script("return window.innerWidth") == PHONE["width"]
        page.be("TP01", "Trần Thị Lan")
        page.message("Tổng hợp mã công việc")
        page.until(lambda: within_height(page, "#send"), "the chat in view")
        assert fits_the_screen(page)
        assert all(within_width(page, control) for control in CONTROLS)

        # "Không phê duyệt" is answered with an empty answerCallbackQuery, then a question:
        # the page does not claim the bot failed to answer.
        page.click('button[data-data="wl:rj:2:1"]')
        page.until(lambda: browser.execute_script("return document.body.dataset.presses"), "1")
        assert "chưa trả lời" not in page.text("#toast")
        page.message("Nhập lý do không phê duyệt mã công việc #2")
        page.say("Thiếu số liệu quý III")
        page.message("Thiếu số liệu quý III")

        # The header follows /language at once.
        assert "Ngôn ngữ: tiếng Việt" in page.text("#chat-meta")
        page.say("/language en")
        page.until(lambda: "Ngôn ngữ: tiếng Anh" in page.text("#chat-meta"), "the new language")

        # The jump box keeps what is being typed, focused or not, while the page polls.
        field = page.type_over("#jump-to", "2026-11-1")
        poll(page)
        assert field.get_attribute("value") == "2026-11-1"
        page.click(".clock-panel h2")  # away from the box, the edit still stands
        poll(page)
        assert field.get_attribute("value") == "2026-11-1"
        field.send_keys("0T07:00")
        page.click("#jump-go")
        page.until(lambda: "10/11/2026" in page.text("#clock-day"), "the jump")
        poll(page)
        assert field.get_attribute("value") == "2026-11-10T07:00"

        # Every deadline has passed, yet the next move is not a dead end: the morning digest.
        page.until(lambda: "08:00 10/11" in page.text("#next-at"), "the digest next")
        page.click("#move-next")
        page.until(lambda: page.text("#clock-time") == "08:00", "08:00")
        page.until(lambda: "08:00 11/11" in page.text("#next-at"), "the next digest")
        assert fits_the_screen(page)

        # A specialist's tasks fit too.
        page.be("CV01", "Phạm Minh Tuấn")
        page.click("#tasks-toggle")
        task = '#task-list li[data-task="T5"]'
        page.until(lambda: "Chưa thực hiện" in page.text(task), "T5 to do")
        page.until(lambda: within_height(page, "#send"), "the chat in view")
        assert fits_the_screen(page)
        assert all(within_width(page, c) for c in ("#tasks-toggle", task, *CONTROLS))
    finally:
        browser.save_screenshot(str(tmp_path / "sandbox-phone.png"))
