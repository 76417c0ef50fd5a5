"""Settings: defaults as §5, and one clear line naming any bad setting."""

from __future__ import annotations

import logging

import pytest

from bot.config import Settings, SettingsError, load_settings
from bot.logs import RedactingFormatter


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    for name in ("TOKEN", "DATABASE_URL", "TIMEZONE", "PORT", "DEFAULT_LOCALE", "WEBHOOK_URL"):
        monkeypatch.delenv(f"KPIBOT_{name}", raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_defaults_need_no_server() -> None:
    settings = load_settings()
    assert settings.database_url == "sqlite:///kpibot.db"
    assert settings.telegram_base_url == "https://api.telegram.org/bot"
    assert settings.timezone == "Asia/Ho_Chi_Minh"
    assert settings.default_locale == "vi"
    assert settings.token is None


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("TIMEZONE", "Mars/Olympus", "KPIBOT_TIMEZONE: 'Mars/Olympus' is not a known time zone"),
        ("PORT", "http", "KPIBOT_PORT: "),
        ("PORT", "70000", "KPIBOT_PORT: "),
        ("DEFAULT_LOCALE", "fr", "KPIBOT_DEFAULT_LOCALE: "),
        ("DATABASE_URL", "mysql://x", "KPIBOT_DATABASE_URL: "),
        ("TELEGRAM_BASE_URL", "ftp://x", "KPIBOT_TELEGRAM_BASE_URL: "),
        ("POLICY", "/no/such/policy.toml", "KPIBOT_POLICY: "),
        ("WEBHOOK_SECRET", "has space", "KPIBOT_WEBHOOK_SECRET: "),
    ],
)
def test_a_bad_setting_is_named_in_one_line(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(f"KPIBOT_{name}", value)
    with pytest.raises(SettingsError) as error:
        load_settings()
    assert str(error.value).startswith(message)
    assert "\n" not in str(error.value)


def test_missing_token_says_how_to_get_one() -> None:
    with pytest.raises(SettingsError, match="KPIBOT_TOKEN is not set: .*@BotFather"):
        Settings().require_token()


def test_webhook_needs_a_secret() -> None:
    with pytest.raises(SettingsError, match="KPIBOT_WEBHOOK_SECRET"):
        Settings(webhook_url="https://bot.example.gov.vn/hook").require_webhook_secret()


def test_the_token_is_secret_and_masked_in_logs() -> None:
    token = "987654:SECRET-abcdef"
    settings = Settings(token=token)
    assert token not in repr(settings) and token not in str(settings.model_dump())
    record = logging.LogRecord(
        "httpx", logging.INFO, __file__, 1, "POST https://x/bot%s/getMe", (token,), None
    )
    assert token not in RedactingFormatter(token).format(record)
