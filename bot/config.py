"""Settings: read once from the environment (prefix ``KPIBOT_``) or ``.env``."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

TELEGRAM_BASE_URL = "https://api.telegram.org/bot"
_SECRET_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")
_USERNAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]{1,29}[Bb][Oo][Tt]")


def _check_url(value: str) -> str:
    if not re.match(r"https?://[^\s/]+", value):
        raise ValueError(f"{value!r} is not an http(s) URL")
    return value


Url = Annotated[str, AfterValidator(_check_url)]


class SettingsError(Exception):
    """A setting is missing or invalid; the message is one line naming it."""


class Settings(BaseSettings):
    """Everything kpibot reads from its environment."""

    model_config = SettingsConfigDict(
        env_prefix="KPIBOT_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    token: SecretStr | None = None
    database_url: str = "sqlite:///kpibot.db"
    telegram_base_url: Url = TELEGRAM_BASE_URL
    policy: Path | None = None
    timezone: str = "Asia/Ho_Chi_Minh"
    default_locale: Literal["vi", "en"] = "vi"
    webhook_url: Url | None = None
    webhook_secret: SecretStr | None = None
    listen: str = "127.0.0.1"
    bot_username: str | None = None
    port: int = Field(default=8080, ge=1, le=65535)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not a known time zone") from None
        return value

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str) -> str:
        if not value.startswith(("sqlite:", "postgresql")):
            raise ValueError(f"{value!r}: only sqlite:/// and postgresql:// URLs are supported")
        return value

    @field_validator("policy")
    @classmethod
    def _policy_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"{str(value)!r} is not a file")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _secret_format(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _SECRET_RE.fullmatch(value.get_secret_value()):
            raise ValueError("must be 1-256 characters of A-Z a-z 0-9 _ -")
        return value

    @field_validator("bot_username")
    @classmethod
    def _username_format(cls, value: str | None) -> str | None:
        if value is None:
            return None
        name = value.strip().removeprefix("@")
        if not _USERNAME_RE.fullmatch(name):
            raise ValueError(
                f"{value!r} is not a bot's username (5-32 of A-Z a-z 0-9 _, ending in bot)"
            )
        return name

    @property
    def tz(self) -> ZoneInfo:
        """The organisation's time zone."""
        return ZoneInfo(self.timezone)

    def require_token(self) -> str:
        """The bot token, or a SettingsError telling how to get one."""
        if self.token is None or not self.token.get_secret_value().strip():
            raise SettingsError(
                "KPIBOT_TOKEN is not set: create a bot with @BotFather in Telegram, "
                "then export KPIBOT_TOKEN=<the token it gives you>"
            )
        return self.token.get_secret_value().strip()

    def require_webhook_secret(self) -> str:
        """The webhook secret, required whenever a webhook URL is set."""
        if self.webhook_secret is None:
            raise SettingsError(
                "KPIBOT_WEBHOOK_SECRET is not set: webhook mode needs a secret token "
                "(1-256 characters of A-Z a-z 0-9 _ -)"
            )
        return self.webhook_secret.get_secret_value()


def load_settings(**overrides: object) -> Settings:
    """Build Settings, turning validation errors into one line naming the setting."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        error = exc.errors()[0]
        name = "KPIBOT_" + str(error["loc"][0]).upper() if error["loc"] else "settings"
        message = str(error["msg"]).removeprefix("Value error, ")
        raise SettingsError(f"{name}: {message}") from None
