"""A handler that fails still answers: the press stops spinning and the user is told, and an
apology Telegram refuses is logged without failing in turn."""

from __future__ import annotations

import logging

import pytest

from sandbox.botapi import FakeBotAPI
from tests.factories import ORG_CHATS

STAFF = ORG_CHATS["staff"]
APOLOGY = "Rất tiếc, hệ thống gặp sự cố. Vui lòng thử lại sau."


def broken(*_: object) -> None:
    raise RuntimeError("the roster could not be read")


@pytest.mark.usefixtures("org")
async def test_a_press_whose_handler_fails_is_answered_and_the_user_told(
    bot: FakeBotAPI, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    staff = bot.user(STAFF, "H")
    bot.send_text(staff, "/myscore")
    [card] = await bot.wait_for_messages(STAFF, 1)
    monkeypatch.setattr("kpi.org.linked_employee", broken)  # fails before anything is answered
    update = bot.press_button(
        staff, card, card["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    )
    answer = await bot.wait_for(lambda: bot.callback_answer(update) or {}, what="the answer")
    assert (answer["text"], answer["show_alert"]) == (APOLOGY, True)
    assert (await bot.wait_for_messages(STAFF, 2))[1]["text"] == APOLOGY
    assert "the roster could not be read" in caplog.text


@pytest.mark.usefixtures("org")
async def test_an_apology_to_a_user_who_blocked_the_bot_is_logged_not_raised(
    bot: FakeBotAPI, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def fail(*_: object, **__: object) -> None:
        bot.block(STAFF)  # the user blocks the bot while the answer is being made
        raise RuntimeError("the score could not be read")

    monkeypatch.setattr("handlers.score.score_card", fail)
    staff = bot.user(STAFF, "H")
    with caplog.at_level(logging.WARNING):
        bot.send_text(staff, "/myscore")
        await bot.wait_for(
            lambda: "the apology was refused (Forbidden)" in caplog.text, what="the log line"
        )
    assert bot.messages(STAFF) == []
    assert "while handling the error" not in caplog.text  # the error handler did not fail
